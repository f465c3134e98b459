//! Real nginx and Caddy in front of an upstream, running the recipes in
//! `deploy/` byte for byte (docs/operator-guide.md: Forward auth).
//! `scripts/bootstrap` installs both from Debian.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port()
}

fn recipe(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A proxy process; stopped when dropped.
pub struct Proxy {
    pub base: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// nginx with `deploy/nginx/latchkey.conf` in its server block, asking
    /// the Latchkey forward-auth listeners `authz` (several: balanced) for
    /// requests to `upstream` (host:port).
    pub async fn nginx(authz: &[&str], upstream: &str) -> Self {
        let dir = tempfile::tempdir().expect("nginx dir");
        let port = free_port();
        let servers: String = authz.iter().map(|a| format!("server {a}; ")).collect();
        let d = dir.path().display();
        let conf = format!(
            "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{}}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n  \
             upstream latchkey_authz {{ {servers}keepalive 16; }}\n  upstream your_api {{ server {upstream}; }}\n  \
             server {{ listen 127.0.0.1:{port}; include {}; }}\n}}\n",
            recipe("deploy/nginx/latchkey.conf").display()
        );
        Self::start_nginx(dir, &conf, port).await
    }

    /// nginx balancing `backends` (host:port) round-robin, as a load balancer
    /// in front of several instances would.
    pub async fn nginx_balancing(backends: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("nginx dir");
        let port = free_port();
        let servers: String = backends.iter().map(|a| format!("server {a}; ")).collect();
        let d = dir.path().display();
        let conf = format!(
            "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n  \
             upstream latchkeys {{ {servers}keepalive 32; }}\n  \
             server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://latchkeys; \
             proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}\n}}\n"
        );
        Self::start_nginx(dir, &conf, port).await
    }

    /// Caddy running `deploy/caddy/Caddyfile`, its addresses from the environment as the recipe says.
    pub async fn caddy(authz: &str, upstream: &str) -> Self {
        let dir = tempfile::tempdir().expect("caddy dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("caddy.log")).expect("log");
        let child = Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(recipe("deploy/caddy/Caddyfile"))
            .env("SITE_ADDRESS", format!("http://127.0.0.1:{port}"))
            .env("LATCHKEY_AUTHZ", authz)
            .env("YOUR_API", upstream)
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start caddy (scripts/bootstrap installs it)");
        Self::ready(Self { base: format!("http://127.0.0.1:{port}"), child, dir }, "caddy.log").await
    }

    /// Runs nginx with `conf` from `dir`, listening on `port`.
    async fn start_nginx(dir: tempfile::TempDir, conf: &str, port: u16) -> Self {
        std::fs::write(dir.path().join("nginx.conf"), conf).expect("nginx.conf");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx (scripts/bootstrap installs it)");
        Self::ready(Self { base: format!("http://127.0.0.1:{port}"), child, dir }, "error.log").await
    }

    /// Waits until the proxy answers (any status).
    async fn ready(mut self, log: &str) -> Self {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{}/", self.base)).send().await.is_ok() {
                return self;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let text = std::fs::read_to_string(self.dir.path().join(log)).unwrap_or_default();
                panic!("the proxy exited ({status}): {text}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the proxy did not start: {}", std::fs::read_to_string(self.dir.path().join(log)).unwrap_or_default());
    }
}
