//! Real identity services for the single sign-on tests: an OpenID provider
//! (npm oidc-provider, tests/tools/oidc-provider/op.mjs) and a DNS server
//! (dnsmasq) holding a domain's TXT record; each a process killed when dropped.

use super::*;
use std::process::{Child, Command, Stdio};

/// The test provider's client for Latchkey (tests/tools/oidc-provider/op.mjs).
pub const CLIENT_ID: &str = "latchkey";
pub const CLIENT_SECRET: &str = "latchkey-test-secret";

pub struct OpenIdProvider {
    pub issuer: String,
    child: Child,
}

impl OpenIdProvider {
    /// Starts the provider, sending browsers back to `redirect_uri`.
    pub async fn start(redirect_uri: &str) -> Self {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("target/oidc");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "scripts/bootstrap installs oidc-provider into target/oidc"
        );
        // Next to its node_modules, so `import 'oidc-provider'` resolves.
        std::fs::copy(root.join("tests/tools/oidc-provider/op.mjs"), dir.join("op.mjs")).expect("provider script");
        // Node 20.19+ (bootstrap puts a Node 22 beside Redocly when the machine's is older).
        let bundled = root.join("target/redocly/node_modules/.bin/node");
        let node = if bundled.exists() { bundled.display().to_string() } else { "node".to_owned() };
        let port = free_port();
        let mut child = Command::new(node)
            .arg("op.mjs")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("REDIRECT_URI", redirect_uri)
            .env("NODE_NO_WARNINGS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the OpenID provider");
        let issuer = format!("http://127.0.0.1:{port}");
        let discovery = format!("{issuer}/.well-known/openid-configuration");
        for _ in 0..100 {
            if reqwest::get(&discovery).await.is_ok_and(|r| r.status().is_success()) {
                return Self { issuer, child };
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the OpenID provider exited: {status}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the OpenID provider did not start");
    }
}

impl Drop for OpenIdProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// dnsmasq answering for `*.test`-style names on a loopback port, with TXT records.
pub struct Dnsmasq {
    child: Child,
}

impl Dnsmasq {
    /// Serves `records` (name, text) on 127.0.0.1:`port`, UDP and TCP; other names in `zone` are NXDOMAIN.
    pub fn start(port: u16, zone: &str, records: &[(&str, &str)]) -> Self {
        let user = String::from_utf8(Command::new("id").arg("-un").output().expect("id").stdout).expect("utf-8");
        let mut command = Command::new("dnsmasq");
        command.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
        ]);
        command.args(["--no-resolv", "--no-hosts", "--pid-file="]);
        command.arg(format!("--port={port}")).arg(format!("--user={}", user.trim())).arg(format!("--local=/{zone}/"));
        for (name, text) in records {
            command.arg(format!("--txt-record={name},{text}"));
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dnsmasq (scripts/bootstrap installs it)");
        // Killed on drop, also when the wait below fails.
        let server = Self { child };
        // Answering once the port is bound: a TCP connect tells.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("dnsmasq did not start");
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Drives a login at the test provider as `login` (its dev login and
/// consent forms), starting from Latchkey's `/sso/start?{query}`, and
/// answers Latchkey's answer to the callback.
pub async fn sso_login(visitor: &Visitor, query: &str, login: &str) -> reqwest::Response {
    let mut next = sso_onward(visitor, query).await;
    for _ in 0..12 {
        if next.starts_with(&visitor.base) {
            // Back at Latchkey: the callback.
            return visitor.http.get(&next).send().await.expect("callback");
        }
        let res = visitor.http.get(&next).send().await.expect("provider");
        if res.status().is_redirection() {
            next = absolute(&next, &location(&res));
            continue;
        }
        let html = Html::parse_document(&res.text().await.expect("page"));
        let action = select_attr(&html, "form[method=post]", "action").expect("a login or consent form");
        let prompt = select_attr(&html, "input[name=prompt]", "value").expect("prompt");
        let fields: Vec<(&str, &str)> = if prompt == "login" {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else {
            vec![("prompt", prompt.as_str())]
        };
        let posted = visitor.http.post(absolute(&next, &action)).form(&fields).send().await.expect("form");
        assert!(posted.status().is_redirection(), "the provider took the {prompt} form: {}", posted.status());
        next = absolute(&next, &location(&posted));
    }
    panic!("the provider never sent the browser back");
}

/// `location` made absolute against the page at `from`.
fn absolute(from: &str, location: &str) -> String {
    url::Url::parse(from).and_then(|base| base.join(location)).map(|u| u.to_string()).expect("a URL")
}

/// Starts a login at Latchkey (`POST /sso/start` with `query`'s fields, as
/// the login page's form sends them), which shows the way on to the
/// provider (a page, not a redirect); answers where it leads.
pub async fn sso_onward(visitor: &Visitor, query: &str) -> String {
    let res = sso_start(visitor, query).await;
    assert_eq!(res.status(), 200, "on the way to the provider");
    let page = Html::parse_document(&res.text().await.expect("page"));
    let url = select_attr(&page, "[data-testid=sso-continue]", "href").expect("the link on");
    let refresh = select_attr(&page, "meta[http-equiv=refresh]", "content").expect("a refresh");
    assert_eq!(refresh, format!("0;url={url}"), "the browser goes on by itself too");
    url
}

/// `POST /sso/start` with the fields of `query` (`org=acme`, `email=…`).
pub async fn sso_start(visitor: &Visitor, query: &str) -> reqwest::Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    visitor.post_form("/sso/start", &fields).await
}
