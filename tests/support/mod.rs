//! Test harness shared by the integration and browser tests: a real server
//! on a free port with a fresh database (an SQLite file, or a new PostgreSQL
//! database when `LATCHKEY_TEST_DATABASE_URL` names a server), and clients
//! that keep cookies like a browser.
#![allow(dead_code)]

use diesel::Connection;
use diesel::connection::SimpleConnection;
use latchkey::app::{AppState, Application};
use latchkey::config::{Config, LogFormat, PublicUrl};
use latchkey::db::{self, Pool, memberships, orgs, users};
use latchkey::domain::{Email, OrgName, OrgSlug, PersonName, Plan, Role};
use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use std::net::TcpListener;

pub const PASSWORD: &str = "correct horse battery";
pub const USER_AGENT: &str = "latchkey-tests/1.0";

/// Where every test server logs, for the suite-wide secret sweep (`scripts/check-logs`).
pub fn test_log_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-logs")
}

/// Sends the in-process servers' logs (latchkey's at debug) to this test binary's file, once.
fn init_test_logging() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = test_log_dir();
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("in-process-{}.log", std::process::id()));
        let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(path) else { return };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,latchkey=debug"))
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    });
}

/// A fresh database URL: PostgreSQL when the test command started one, SQLite otherwise.
pub fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    init_test_logging();
    // reqwest is built with rustls and no default provider; the tests' clients need one too.
    latchkey::webhooks::send::install_tls();
    match std::env::var("LATCHKEY_TEST_DATABASE_URL") {
        Ok(base) if db::is_postgres(&base) => {
            let name = format!("lk_test_{}", random_suffix());
            let mut admin = diesel::PgConnection::establish(&base).expect("connect to the test PostgreSQL server");
            admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            (format!("{prefix}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("latchkey.db").display());
            (url, Some(dir))
        }
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub database_url: String,
    pub pool: Pool,
    pub config: Config,
    /// Where the app writes `.eml` files (unless a test points it at SMTP).
    pub mail_dir: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after letting the test adjust its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, dir) = fresh_database();
    spawn_app_on(database_url, dir, adjust).await
}

pub async fn spawn_app_on(
    database_url: String,
    dir: Option<tempfile::TempDir>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let mut config = Config {
        database_url: database_url.clone(),
        bind: format!("127.0.0.1:{port}"),
        public_url: PublicUrl::parse(&base, true).expect("public url"),
        session_key: random_bytes(64),
        encryption_key: random_bytes(32),
        secure_cookies: false,
        trusted_proxy_header: None,
        log_format: LogFormat::Text,
        key_prefix: latchkey::domain::token::KeyPrefix::default(),
        default_rate_limit: 600,
        scheduler_interval: std::time::Duration::from_secs(1),
        webhook_allow_insecure: true,
        webhook_allow_private: true,
        webhook_timeout: std::time::Duration::from_secs(2),
        mail: latchkey::mail::MailConfig::files(mail_dir.path()),
        metrics_token: None,
    };
    adjust(&mut config);
    let pool = db::pool(&database_url);
    let pool_for_migrations = pool.clone();
    tokio::task::spawn_blocking(move || {
        db::migrate(&mut pool_for_migrations.get().expect("db connection")).expect("migrate")
    })
    .await
    .expect("migration task");
    let app = Application::build(AppState::new(config.clone(), pool.clone()), listener, Some(1)).expect("build app");
    tokio::spawn(app.run_until_stopped());
    TestApp { base, port, database_url, pool, config, mail_dir, _dir: dir }
}

fn random_bytes(n: usize) -> Vec<u8> {
    use rand::Rng;
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

impl TestApp {
    /// A new visitor with an empty cookie jar that does not follow redirects.
    pub fn visitor(&self) -> Visitor {
        visitor_for(&self.base)
    }

    /// A visitor already logged in as `email`.
    pub async fn logged_in(&self, email: &str) -> Visitor {
        let visitor = self.visitor();
        let res = visitor.login(email, PASSWORD).await;
        assert_eq!(res.status(), 303, "login of {email} failed");
        visitor
    }

    pub fn conn(&self) -> db::PooledConn {
        self.pool.get().expect("db connection")
    }

    /// Creates a user whose password is [`PASSWORD`].
    pub fn seed_user(&self, email: &str, name: &str, staff: bool) -> users::User {
        let hash = latchkey::auth::password::hash(PASSWORD).expect("hash");
        users::create(
            &mut self.conn(),
            &Email::parse(email).expect("email"),
            &PersonName::parse(name).expect("name"),
            &hash,
            staff,
        )
        .expect("create user")
    }

    pub fn seed_org(&self, slug: &str, plan: Plan, owner: &users::User) -> orgs::Org {
        orgs::create_with_owner(
            &mut self.conn(),
            &OrgSlug::parse(slug).expect("slug"),
            &OrgName::parse(&format!("{slug} org")).expect("name"),
            plan,
            owner.id,
        )
        .expect("create org")
    }

    pub fn user(&self, email: &str) -> users::User {
        users::find_by_email(&mut self.conn(), &Email::parse(email).expect("email"))
            .expect("query")
            .expect("user exists")
    }

    pub fn add_member(&self, org: &orgs::Org, user: &users::User, role: Role) {
        memberships::add(&mut self.conn(), org.id, user.id, role).expect("add member");
    }

    /// An org `acme` with an owner, an admin, a member and a read-only user
    /// (`owner@acme.test` …), plus `outsider@other.test` who owns org `other`.
    pub fn seed_acme(&self) -> orgs::Org {
        let owner = self.seed_user("owner@acme.test", "Olive Owner", false);
        let org = self.seed_org("acme", Plan::Paid, &owner);
        for (email, name, role) in [
            ("admin@acme.test", "Adam Admin", Role::Admin),
            ("member@acme.test", "Mia Member", Role::Member),
            ("readonly@acme.test", "Rita Readonly", Role::ReadOnly),
        ] {
            let user = self.seed_user(email, name, false);
            self.add_member(&org, &user, role);
        }
        let outsider = self.seed_user("outsider@other.test", "Otto Outsider", false);
        self.seed_org("other", Plan::Paid, &outsider);
        org
    }
}

/// A new visitor of the server at `base`.
pub fn visitor_for(base: &str) -> Visitor {
    latchkey::webhooks::send::install_tls();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .expect("client");
    Visitor { http, base: base.to_owned() }
}

/// One browser-like client: its own cookie jar, redirects not followed.
pub struct Visitor {
    pub http: reqwest::Client,
    pub base: String,
}

impl Visitor {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (u16, Html) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, Html::parse_document(&res.text().await.expect("body")))
    }

    /// The session's CSRF token, read from a page the way a browser gets it.
    pub async fn csrf(&self) -> String {
        for path in ["/logout", "/login", "/setup"] {
            let res = self.get(path).await;
            if res.status() == 200 {
                let html = Html::parse_document(&res.text().await.expect("body"));
                if let Some(token) = select_attr(&html, "input[name=csrf_token]", "value") {
                    return token;
                }
            }
        }
        panic!("no page offered a CSRF token");
    }

    /// POSTs a form with this session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POSTs exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(format!("{}{path}", self.base)).form(fields).send().await.expect("POST")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)]).await
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

pub fn select_attr(html: &Html, selector: &str, attr: &str) -> Option<String> {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).next().and_then(|e| e.value().attr(attr)).map(str::to_owned)
}

pub fn select_all_text(html: &Html, selector: &str) -> Vec<String> {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

pub fn select_all_attr(html: &Html, selector: &str, attr: &str) -> Vec<String> {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).filter_map(|e| e.value().attr(attr)).map(str::to_owned).collect()
}

pub fn count(html: &Html, selector: &str) -> usize {
    let sel = Selector::parse(selector).expect("selector");
    html.select(&sel).count()
}

/// Every event of an organisation's log (org 0 = platform), oldest first.
pub fn events(app: &TestApp, org_id: i64) -> Vec<latchkey::db::audit_events::StoredEvent> {
    let filter = latchkey::db::audit_events::Filter::default();
    let mut events = latchkey::db::audit_events::page(&mut app.conn(), org_id, &filter, None, 100_000).expect("events");
    events.reverse();
    events
}

pub fn org_id(app: &TestApp, slug: &str) -> i64 {
    latchkey::db::orgs::find_by_slug(&mut app.conn(), slug).expect("query").expect("org").id
}

pub const KEYS: &str = "/orgs/acme/settings/api-keys";

/// Creates a key through the form; returns (key id, token) read from the one-time page.
pub async fn create_key(visitor: &Visitor, fields: &[(&str, &str)]) -> (String, String) {
    let (status, form) = visitor.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(status, 200, "the create form opens");
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form_id");
    let mut all = vec![("form_id", form_id.as_str())];
    all.extend_from_slice(fields);
    let res = visitor.post_form(KEYS, &all).await;
    assert_eq!(res.status(), 200, "key created");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let token = select_all_text(&html, "[data-testid=new-secret]").pop().expect("secret shown");
    let key_id = select_attr(&html, "[data-testid=secret-dialog]", "data-key-id").expect("key id");
    (key_id, token)
}

/// One API client for the whole test binary (building a TLS-capable client is not free).
pub fn api_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        latchkey::webhooks::send::install_tls();
        reqwest::Client::new()
    })
}

/// `GET /api/v1/ping` with `Authorization: Bearer <token>`: (status, body, response).
pub async fn ping(app: &TestApp, token: &str) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let res = api_client()
        .get(format!("{}/api/v1/ping", app.base))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("ping");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.json().await.unwrap_or(serde_json::Value::Null);
    (status, body, headers)
}

/// The error code of an API error body.
pub fn code(body: &serde_json::Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

impl TestApp {
    /// Creates a key straight in the database (for API tests); returns its token.
    pub fn make_key(&self, slug: &str, scopes: &[&str], allowed_ips: &str, rate_limit: Option<u32>) -> String {
        use latchkey::db::api_keys::KeySettings;
        use latchkey::domain::key_settings::IpAllowlist;
        use latchkey::domain::scopes::Scopes;
        let settings = KeySettings {
            label: format!("test key {}", scopes.join(" ")),
            description: String::new(),
            scopes: Scopes::parse(scopes).expect("scopes"),
            expires_at: None,
            allowed_ips: IpAllowlist::parse(allowed_ips).expect("allowlist"),
            rate_limit_per_minute: rate_limit,
        };
        self.make_key_with(slug, settings).1
    }

    /// A full-access key labelled `label` that expires at `expires_at`: (key id, token).
    pub fn make_expiring_key(&self, slug: &str, label: &str, expires_at: chrono::NaiveDateTime) -> (String, String) {
        let settings = latchkey::db::api_keys::KeySettings {
            label: label.to_owned(),
            description: String::new(),
            scopes: Default::default(),
            expires_at: Some(expires_at),
            allowed_ips: Default::default(),
            rate_limit_per_minute: Some(0),
        };
        self.make_key_with(slug, settings)
    }

    /// Inserts a key with these settings: (key id, token).
    pub fn make_key_with(&self, slug: &str, settings: latchkey::db::api_keys::KeySettings) -> (String, String) {
        use latchkey::db::api_keys::{NewKey, insert};
        use latchkey::domain::token::{ApiKeySecret, KeyId};
        let org = latchkey::db::orgs::find_by_slug(&mut self.conn(), slug).expect("q").expect("org");
        let secret = ApiKeySecret::generate(&Default::default());
        let key_id = KeyId::generate();
        let new = NewKey {
            org_id: org.id,
            key_id: key_id.as_str(),
            token_hash: &secret.hash().0,
            display_prefix: &secret.display_prefix(),
            settings: &settings,
            created_by_id: 1,
            created_by_name: "tests",
            rotated_from: None,
        };
        insert(&mut self.conn(), new).expect("insert key");
        (key_id.as_str().to_owned(), secret.expose().to_owned())
    }

    /// Every mail queued for the organisation, oldest first.
    pub fn mails(&self, org_id: i64) -> Vec<latchkey::db::mail::MailRow> {
        latchkey::db::mail::for_org(&mut self.conn(), org_id).expect("mails")
    }

    /// The `.eml` files the app wrote, by name.
    pub fn eml_files(&self) -> Vec<(String, String)> {
        eml_files_in(self.mail_dir.path())
    }
}

/// An API call: (status, JSON body or Null, headers).
pub async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let mut req = api_client().request(method, format!("{}{path}", app.base)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("api call");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null), headers)
}

/// One request as the receiver got it: (lower-cased headers, body).
pub type Received = (Vec<(String, String)>, Vec<u8>);

/// A real HTTP receiver on loopback: answers every request with `status` and
/// `body` after `delay`, and keeps what it received.
pub struct Receiver {
    pub url: String,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start(status: u16, body: &'static str, delay: std::time::Duration) -> Self {
        Self::start_on(0, status, body, delay)
    }

    /// The same, on a chosen port (0 = any free port).
    pub fn start_on(port: u16, status: u16, body: &'static str, delay: std::time::Duration) -> Self {
        Self::start_with(port, status, body, move |_| delay)
    }

    /// The same, waiting `delay_for(n)` before answering the n-th request (from 0).
    pub fn start_with(
        port: u16,
        status: u16,
        body: &'static str,
        delay_for: impl Fn(usize) -> std::time::Duration + Send + Sync + 'static,
    ) -> Self {
        use std::io::{Read, Write};
        let delay_for = std::sync::Arc::new(delay_for);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind receiver");
        let url = format!("http://127.0.0.1:{}/hooks", listener.local_addr().expect("addr").port());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (store, delay_for) = (store.clone(), delay_for.clone());
                std::thread::spawn(move || {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 8192];
                    // Read the head, then the body by content-length.
                    let (head_end, length) = loop {
                        let Ok(n) = stream.read(&mut buf) else { return };
                        if n == 0 {
                            return;
                        }
                        data.extend_from_slice(&buf[..n]);
                        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&data[..pos]).to_lowercase();
                            let length = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(0);
                            break (pos + 4, length);
                        }
                    };
                    while data.len() < head_end + length {
                        let Ok(n) = stream.read(&mut buf) else { return };
                        if n == 0 {
                            break;
                        }
                        data.extend_from_slice(&buf[..n]);
                    }
                    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
                        .collect();
                    let n = match store.lock() {
                        Ok(mut all) => {
                            all.push((headers, data[head_end..].to_vec()));
                            all.len() - 1
                        }
                        Err(_) => 0,
                    };
                    std::thread::sleep(delay_for(n));
                    let reply = format!(
                        "HTTP/1.1 {status} Status\r\ncontent-type: text/plain\r\nx-receiver: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(reply.as_bytes());
                });
            }
        });
        Self { url, received }
    }
}

/// The `.eml` files in `dir` (name, content), sorted by name.
pub fn eml_files_in(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
                .map(|e| {
                    (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).expect("read eml"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Polls `check` every 100 ms until it holds or `limit` passes; returns whether it held.
pub async fn eventually(limit: std::time::Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A real `latchkey serve` process on `database_url`, killed when dropped.
pub struct ServeProcess {
    pub base: String,
    pub child: std::process::Child,
    pub log: std::path::PathBuf,
    /// Holds the mail directory; removed with the process (the log stays for the sweep).
    _work: tempfile::TempDir,
}

/// Keys shared by every instance of one test, as a deployment would share them.
pub fn shared_keys() -> [(&'static str, String); 2] {
    use base64::Engine;
    let b64 = |n| base64::engine::general_purpose::STANDARD.encode(random_bytes(n));
    [("LATCHKEY_SESSION_KEY", b64(64)), ("LATCHKEY_ENCRYPTION_KEY", b64(32))]
}

impl ServeProcess {
    /// Starts the binary with test-friendly settings plus `env`, and waits until it answers.
    pub async fn start(database_url: &str, env: &[(&str, String)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let work = tempfile::tempdir().expect("work dir");
        let _ = std::fs::create_dir_all(test_log_dir());
        let log = test_log_dir().join(format!("serve-{}-{port}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("log file");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
            .env("LATCHKEY_WEBHOOK_ALLOW_INSECURE", "1")
            .env("LATCHKEY_WEBHOOK_ALLOW_PRIVATE", "1")
            .env("LATCHKEY_SCHEDULER_INTERVAL_SECS", "1")
            .env("LATCHKEY_MAIL_DIR", work.path().join("mail"))
            .env("RUST_LOG", "info,latchkey=debug")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start latchkey serve");
        let process = Self { base, child, log, _work: work };
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{}/healthz", process.base)).send().await.is_ok() {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("latchkey serve did not start: {}", process.logs());
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; its status if it did.
    pub async fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP relay in front of a server whose plug can be pulled: a real
/// network fault (connections cut, new ones refused) without stopping the
/// server other tests share.
pub struct Plug {
    pub port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    relays: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Plug {
    pub async fn start(target: std::net::SocketAddr) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind plug");
        let port = listener.local_addr().expect("addr").port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let relays = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (flag, handles) = (cut.clone(), relays.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped at once: the peer sees the connection closed
                }
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                handles.lock().expect("relays").push(relay.abort_handle());
            }
        });
        Self { port, cut, relays }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn pull(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for relay in self.relays.lock().expect("relays").drain(..) {
            relay.abort();
        }
    }

    pub fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Adds a webhook endpoint to org `slug` through its form, as its owner would;
/// returns (endpoint id, secret) from the one-time page.
pub async fn add_webhook(owner: &Visitor, slug: &str, url: &str, events: &[&str]) -> (String, String) {
    let mut fields = vec![("url", url), ("description", "test receiver")];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let res = owner.post_form(&format!("/orgs/{slug}/settings/webhooks"), &fields).await;
    assert_eq!(res.status(), 200, "endpoint added");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let secret = select_all_text(&html, "[data-testid=new-secret]").pop().expect("secret");
    let id = select_attr(&html, "[data-testid=secret-dialog]", "data-webhook-id").expect("id");
    (id, secret)
}

/// Times of a forged session, in seconds ago.
#[derive(Debug, Clone, Copy)]
pub struct SessionTimes {
    pub login_ago: i64,
    pub seen_ago: i64,
    pub password_ago: i64,
}

impl TestApp {
    /// A session cookie (`latchkey_session=…`) built exactly as the server builds
    /// one, with chosen times and CSRF token, plus its server-side row, whose
    /// (started, last seen) are `row` seconds ago.
    pub fn forge_session(&self, user_id: i64, times: SessionTimes, row: (i64, i64), csrf: &str) -> String {
        use actix_web::cookie::{Cookie, CookieJar, Key};
        use diesel::prelude::*;
        use latchkey::db::schema::sessions::dsl;
        let now = chrono::Utc::now().timestamp();
        let sid = format!("forged-{}", random_suffix());
        let login = serde_json::json!({
            "sid": sid, "user_id": user_id, "epoch": 0, "login_at": now - times.login_ago,
            "seen_at": now - times.seen_ago, "password_at": now - times.password_ago,
        });
        let hash = latchkey::auth::session::SessionId::hash_of(&sid);
        latchkey::db::sessions::insert(&mut self.conn(), user_id, &hash, &Default::default()).expect("session row");
        let at = |ago: i64| db::now() - chrono::Duration::seconds(ago);
        diesel::update(dsl::sessions.filter(dsl::token_hash.eq(&hash)))
            .set((dsl::created_at.eq(at(row.0)), dsl::last_seen_at.eq(at(row.1))))
            .execute(&mut self.conn())
            .expect("row times");
        let state = serde_json::json!({ "login": login.to_string(), "csrf": format!("\"{csrf}\"") });
        let key = Key::from(&self.config.session_key);
        let mut jar = CookieJar::new();
        jar.private_mut(&key).add(Cookie::new("latchkey_session", state.to_string()));
        format!("latchkey_session={}", jar.get("latchkey_session").expect("cookie").value())
    }
}
