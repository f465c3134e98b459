//! Test harness shared by the integration and browser tests: a real server
//! on a free port with a fresh database (an SQLite file, or a new PostgreSQL
//! database when `LATCHKEY_TEST_DATABASE_URL` names a server), and clients
//! that keep cookies like a browser.
#![allow(dead_code)]

use diesel::Connection;
use diesel::connection::SimpleConnection;
use latchkey::app::state::AppState;
use latchkey::db::{self, Pool, memberships, orgs, users};
use latchkey::domain::{Email, OrgId, OrgName, OrgSlug, PersonName, Plan, Role};
use latchkey::infra::config::{Config, LogFormat, PublicUrl};
use latchkey::web::server::Application;
use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use std::net::TcpListener;

mod api;
mod database;
mod forge;
mod identity;
mod jobs;
mod mail;
mod pooler;
mod process;
mod proxies;
mod race;
mod receiver;
mod scanning;
mod schema;
mod visitor;

// Each test binary uses a different part of the harness.
#[allow(unused_imports)]
pub use {
    api::*, database::*, forge::*, identity::*, mail::*, pooler::*, process::*, proxies::*, race::*, receiver::*,
    scanning::*, schema::*, visitor::*,
};

pub const PASSWORD: &str = "correct horse battery";
pub const USER_AGENT: &str = "latchkey-tests/1.0";

/// Where every test server logs, for the suite-wide secret sweep (`scripts/check-logs`).
pub fn test_log_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-logs")
}

/// Sends the in-process servers' logs (latchkey's at debug) to this test binary's file, once.
pub(crate) fn init_test_logging() {
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
    /// The state the server shares with its handlers: the tests drive its background work (jobs.rs).
    pub state: std::sync::Arc<AppState>,
    /// Forward auth's listener, when the test asked for one (`config.authz.bind`).
    pub authz_base: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

/// A server on a fresh, migrated database, with no background loops: the
/// test runs the background work itself (`app.run_jobs()`, `app.drain_deliveries()` …).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after letting the test adjust its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, dir) = migrated_database();
    start_app(database_url, dir, adjust, false).await
}

/// The same, with the background loops of `latchkey serve` running (for tests of their timing).
pub async fn spawn_app_with_jobs(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, dir) = migrated_database();
    start_app(database_url, dir, adjust, true).await
}

/// A server on `database_url` (migrated first, if need be; maybe shared with
/// another server), without background loops.
pub async fn spawn_app_on(
    database_url: String,
    dir: Option<tempfile::TempDir>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let pool = db::pool(&database_url);
    tokio::task::spawn_blocking(move || db::migrate(&mut pool.get().expect("db connection")).expect("migrate"))
        .await
        .expect("migration task");
    start_app(database_url, dir, adjust, false).await
}

async fn start_app(
    database_url: String,
    dir: Option<tempfile::TempDir>,
    adjust: impl FnOnce(&mut Config),
    background_jobs: bool,
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
        scale: Default::default(),
        scheduler_interval: std::time::Duration::from_secs(1),
        webhook_allow_insecure: true,
        webhook_allow_private: true,
        webhook_timeout: std::time::Duration::from_secs(2),
        max_webhook_endpoints: 50,
        // Hundreds of accounts per run: argon2id at 64 KiB and one pass instead of 19 MiB and
        // two (a quarter of the suite's CPU time otherwise). The recommended cost, the default,
        // is checked by the unit tests of src/infra/password.rs and by the CLI's accounts.
        password_cost: latchkey::infra::password::Cost { memory_kib: 64, iterations: 1 },
        authz: Default::default(),
        mail: latchkey::infra::mail::MailConfig::files(mail_dir.path()),
        metrics_token: None,
        leak: Default::default(),
        sso: Default::default(),
        compliance: latchkey::infra::config::ComplianceConfig::with_signer(
            latchkey::domain::checkpoint::CheckpointSigner::from_base64(&latchkey::infra::config::generate_key(32))
                .expect("signing key"),
        ),
    };
    adjust(&mut config);
    let pool = db::pool(&database_url);
    let app = Application::build(AppState::new(config.clone(), pool.clone()), listener, Some(1)).expect("build app");
    if background_jobs {
        app.start_background_jobs();
    }
    let state = app.state();
    let authz_base = app.authz_port().map(|p| format!("http://127.0.0.1:{p}"));
    tokio::spawn(app.run_until_stopped());
    TestApp { base, port, database_url, pool, config, mail_dir, state, authz_base, _dir: dir }
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

    /// A visitor logged in as `email`, whose account has a second factor, with `code`.
    pub async fn logged_in_with_code(&self, email: &str, code: &str) -> Visitor {
        let visitor = self.visitor();
        let res = visitor.login(email, PASSWORD).await;
        assert_eq!(visitor::location(&res), "/login/two-factor", "{email} has a second factor");
        let res = visitor.post_form("/login/two-factor", &[("code", code)]).await;
        assert_eq!(res.status(), 303, "second step of {email}");
        visitor
    }

    pub fn conn(&self) -> db::PooledConn {
        self.pool.get().expect("db connection")
    }

    /// Creates a user whose password is [`PASSWORD`].
    pub fn seed_user(&self, email: &str, name: &str, staff: bool) -> users::User {
        let hash = latchkey::infra::password::hash(PASSWORD).expect("hash");
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

/// The `api_key.*` webhook events queued for acme, oldest first: (type, body).
pub fn queued_key_events(app: &TestApp) -> Vec<(String, serde_json::Value)> {
    latchkey::db::outbox::for_org(&mut app.conn(), org_id(app, "acme"))
        .expect("outbox")
        .into_iter()
        .filter(|e| e.event_type.starts_with("api_key."))
        .map(|e| (e.event_type, serde_json::from_str(&e.payload).expect("json")))
        .collect()
}

/// Every event of an organisation's log (org 0 = platform), oldest first.
pub fn events(app: &TestApp, org_id: OrgId) -> Vec<latchkey::db::audit_events::StoredEvent> {
    let filter = latchkey::db::audit_events::Filter::default();
    let mut events = latchkey::db::audit_events::page(&mut app.conn(), org_id, &filter, None, 100_000).expect("events");
    events.reverse();
    events
}

pub fn org_id(app: &TestApp, slug: &str) -> OrgId {
    latchkey::db::orgs::find_by_slug(&mut app.conn(), slug).expect("query").expect("org").id
}

pub const KEYS: &str = "/orgs/acme/settings/api-keys";

/// A key made through the form: its public id and the token the one-time page showed.
pub struct CreatedKey {
    pub id: String,
    pub token: String,
}

/// The key form's explicit access choice for `fields`, unless they make
/// one: `custom` when they tick a scope, permission or role, else `full`
/// (what no box ticked meant before the choice existed).
pub fn access_for(fields: &[(&str, &str)]) -> &'static str {
    match fields.iter().find(|(name, _)| *name == "access") {
        Some((_, "custom")) => "custom",
        Some((_, "full")) => "full",
        Some(_) => "",
        None if fields.iter().any(|(name, _)| matches!(*name, "scopes" | "permissions" | "roles")) => "custom",
        None => "full",
    }
}

/// Creates a key through the form, as a person would.
pub async fn create_key(visitor: &Visitor, fields: &[(&str, &str)]) -> CreatedKey {
    let (status, form) = visitor.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(status, 200, "the create form opens");
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form_id");
    let mut all = vec![("form_id", form_id.as_str())];
    all.extend_from_slice(fields);
    all.push(("access", access_for(fields)));
    let res = visitor.post_form(KEYS, &all).await;
    assert_eq!(res.status(), 200, "key created");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let token = select_all_text(&html, "[data-testid=new-secret]").pop().expect("secret shown");
    let key_id = select_attr(&html, "[data-testid=secret-dialog]", "data-key-id").expect("key id");
    CreatedKey { id: key_id, token }
}

/// Polls `check` every 50 ms until it holds or `limit` passes; returns whether it held.
pub async fn eventually(limit: std::time::Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// After a change made straight in the database (not through Latchkey, so
/// nobody confirmed it): on PostgreSQL, waits until every live instance has
/// acknowledged the current auth generation, as a revoking request does.
pub async fn acknowledged(app: &TestApp) {
    if !db::is_postgres(&app.database_url) {
        return;
    }
    let pool = app.pool.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("conn");
        let latchkey::db::DbConn::Pg(pg) = &mut *conn else { return true };
        let generation = latchkey::db::instances::generation(pg).expect("generation");
        for _ in 0..500 {
            if latchkey::db::instances::lagging(pg, generation).expect("lagging") == 0 {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        false
    })
    .await
    .expect("task");
    assert!(done, "every instance acknowledged the change within 5 s");
}

/// [`eventually`] for a check that has to await (an HTTP request).
pub async fn eventually_async<F: std::future::Future<Output = bool>>(
    limit: std::time::Duration,
    mut check: impl FnMut() -> F,
) -> bool {
    let start = std::time::Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// An endpoint added through the form: its public id and the signing secret shown once.
pub struct AddedWebhook {
    pub id: String,
    pub secret: String,
}

/// Adds a webhook endpoint to org `slug` through its form, as its owner would.
pub async fn add_webhook(owner: &Visitor, slug: &str, url: &str, events: &[&str]) -> AddedWebhook {
    let mut fields = vec![("url", url), ("description", "test receiver")];
    fields.extend(events.iter().map(|e| ("events", *e)));
    let res = owner.post_form(&format!("/orgs/{slug}/settings/webhooks"), &fields).await;
    assert_eq!(res.status(), 200, "endpoint added");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let secret = select_all_text(&html, "[data-testid=new-secret]").pop().expect("secret");
    let id = select_attr(&html, "[data-testid=secret-dialog]", "data-webhook-id").expect("id");
    AddedWebhook { id, secret }
}

/// Stores an endpoint of acme straight in the database, past the save-time URL
/// check (as if its address changed after it was saved), subscribed to `order.created`.
pub fn insert_unchecked_endpoint(app: &TestApp, public_id: &str, url: &str) {
    insert_endpoint_of(app, "acme", public_id, url);
}

/// [`insert_unchecked_endpoint`] for the organisation `slug`.
pub fn insert_endpoint_of(app: &TestApp, slug: &str, public_id: &str, url: &str) {
    let secret = latchkey::app::webhooks::signing::SigningSecret::generate();
    let sealed = latchkey::domain::crypto::seal(&app.config.encryption_key, secret.bytes()).expect("seal");
    let new = latchkey::db::webhooks::NewEndpoint {
        org_id: org_id(app, slug),
        public_id,
        url,
        description: "",
        events: "order.created",
        secret_sealed: &sealed,
        created_by_name: "test",
        created_by_key: None,
    };
    latchkey::db::webhooks::insert(&mut app.conn(), new).expect("insert");
}
