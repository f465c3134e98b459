//! The application: shared state, the whole route table, and the HTTP server.

use crate::config::Config;
use crate::db::{self, DbConn, Pool};
use crate::error::AppError;
use crate::{middleware, pages};
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs blocking Diesel work on actix's blocking pool, never on the async executor.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    pub async fn run<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(AppError::internal)?
    }
}

pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub usage: crate::usage::Usage,
    pub limits: crate::api::rate_limit::RateLimits,
    /// Authenticated keys, valid while the database is unchanged.
    pub key_cache: crate::api::key_cache::KeyCache,
    /// The webhook delivery worker's per-instance state.
    pub worker: crate::webhooks::worker::Worker,
    /// Sends queued mail (SMTP or `.eml` files).
    pub mailer: crate::mail::Transport,
    /// Counters and histograms for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// Becomes true once any user exists; never goes back (setup is closed for good).
    setup_done: AtomicBool,
}

impl AppState {
    pub fn new(config: Config, pool: Pool) -> Self {
        // Config::from_env already refused a bad SMTP URL; a hand-built config falls back to files.
        let mailer = crate::mail::Transport::new(&config.mail).unwrap_or_else(|e| {
            tracing::error!(error = %e, "mail transport unusable; writing .eml files instead");
            crate::mail::Transport::Files(config.mail.dir.clone())
        });
        let key_cache = crate::api::key_cache::KeyCache::new(&config.database_url);
        Self {
            mailer,
            db: Db::new(pool),
            config: Arc::new(config),
            usage: crate::usage::Usage::default(),
            limits: crate::api::rate_limit::RateLimits::default(),
            key_cache,
            worker: Default::default(),
            metrics: Default::default(),
            setup_done: AtomicBool::new(false),
        }
    }

    /// Whether first-run setup has happened; asks the database until it has.
    pub async fn setup_done(&self) -> Result<bool, AppError> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let open = self.db.run(db::setup::is_open).await?;
        if !open {
            self.setup_done.store(true, Ordering::Relaxed);
        }
        Ok(!open)
    }

    pub fn mark_setup_done(&self) {
        self.setup_done.store(true, Ordering::Relaxed);
    }
}

/// The whole route table (SPEC §7). Each part has only the middleware it
/// needs: the API and the probes never touch a session cookie.
pub fn routes(cfg: &mut web::ServiceConfig, session: SessionMiddleware<CookieSessionStore>) {
    use pages::*;
    // The API first: the router tries routes in order, and API calls are the hot path.
    cfg.configure(crate::api::routes);
    cfg.service(web::resource("/healthz").wrap(middleware::security_headers()).get(health::healthz));
    cfg.service(web::resource("/readyz").wrap(middleware::security_headers()).get(health::readyz));
    cfg.service(web::resource("/metrics").wrap(middleware::security_headers()).get(health::metrics));
    cfg.service(
        web::scope("")
            .wrap(from_fn(middleware::setup_gate))
            .wrap(session)
            .wrap(middleware::security_headers())
            .configure(console_routes),
    );
}

/// The console: pages behind sessions, CSRF and the first-run gate.
fn console_routes(cfg: &mut web::ServiceConfig) {
    use pages::*;
    cfg.route("/", web::get().to(home::index))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/docs/api", web::get().to(docs::api))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::submit))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::get().to(login::logout_confirm))
        .route("/logout", web::post().to(login::logout))
        .route("/logout/everywhere", web::post().to(login::logout_everywhere))
        .route("/support", web::get().to(support::index))
        .route("/support/platform-log", web::get().to(support::platform_log))
        .route("/support/orgs/{slug}/audit-log", web::get().to(support::org_log))
        .route("/support/orgs/{slug}/audit-log/export.csv", web::get().to(support::org_export_csv))
        .route("/support/orgs/{slug}/audit-log/export.jsonl", web::get().to(support::org_export_jsonl))
        .route("/support/orgs/{slug}/audit-log/verify", web::get().to(support::org_verify))
        .route("/support/orgs/{slug}/api-keys", web::get().to(support::org_keys))
        .route("/support/orgs/{slug}/api-keys/{key_id}", web::get().to(support::org_key))
        .service(
            web::scope("/orgs/{slug}")
                .route("", web::get().to(dashboard::show))
                .route("/settings/api-keys", web::get().to(api_keys::list::list))
                .route("/settings/api-keys", web::post().to(api_keys::form::create))
                .route("/settings/api-keys/new", web::get().to(api_keys::form::new))
                .route("/settings/api-keys/{key_id}", web::get().to(api_keys::detail::show))
                .route("/settings/api-keys/{key_id}/edit", web::get().to(api_keys::form::edit))
                .route("/settings/api-keys/{key_id}/edit", web::post().to(api_keys::form::update))
                .route("/settings/api-keys/{key_id}/{action}", web::get().to(api_keys::actions::confirm))
                .route("/settings/api-keys/{key_id}/{action}", web::post().to(api_keys::actions::perform))
                .route("/settings/webhooks", web::get().to(webhooks::list))
                .route("/settings/webhooks", web::post().to(webhooks::create))
                .route("/settings/webhooks/new", web::get().to(webhooks::new))
                .route("/settings/webhooks/{id}", web::get().to(webhooks::show))
                .route("/settings/webhooks/{id}/edit", web::get().to(webhooks::edit))
                .route("/settings/webhooks/{id}/edit", web::post().to(webhooks::update))
                .route("/settings/webhooks/{id}/test", web::post().to(webhooks::test))
                .route("/settings/webhooks/{id}/rotate-secret", web::post().to(webhooks::rotate_secret))
                .route("/settings/webhooks/{id}/delete", web::get().to(webhooks::delete_confirm))
                .route("/settings/webhooks/{id}/delete", web::post().to(webhooks::delete))
                .route("/settings/webhooks/{id}/deliveries/{message_id}/resend", web::post().to(webhooks::resend))
                .route("/settings/webhooks/{id}/{action}", web::post().to(webhooks::set_enabled))
                .route("/settings/audit-log", web::get().to(audit_log::list))
                .route("/settings/audit-log/export.csv", web::get().to(audit_log::export_csv))
                .route("/settings/audit-log/export.jsonl", web::get().to(audit_log::export_jsonl))
                .route("/settings/audit-log/verify", web::get().to(audit_log::verify))
                .route("/settings/members", web::get().to(members::list))
                .route("/settings/members", web::post().to(members::add))
                .route("/settings/members/{user_id}/role", web::post().to(members::change_role))
                .route("/settings/members/{user_id}/remove", web::get().to(members::remove_confirm))
                .route("/settings/members/{user_id}/remove", web::post().to(members::remove)),
        )
        .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}

/// A server bound to its listener, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

/// After SIGTERM and the HTTP drain, how long webhook sends in flight may
/// still finish before they are handed back to the queue.
const DELIVERY_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl Application {
    /// Binds `listener` and builds the server; `workers` defaults to one per core.
    pub fn build(state: AppState, listener: TcpListener, workers: Option<usize>) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let config = state.config.clone();
        let session_key = Key::from(&config.session_key);
        let state = web::Data::new(state);
        let app_state = state.clone();
        tokio::spawn(crate::jobs::run_forever(state.clone()));
        tokio::spawn(crate::webhooks::worker::run_forever(state.clone()));
        let mut server = HttpServer::new(move || {
            let session = SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
                .cookie_name("latchkey_session".into())
                .cookie_content_security(CookieContentSecurity::Private)
                .cookie_secure(config.secure_cookies)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(CookieDuration::seconds(crate::auth::session::ABSOLUTE_LIFETIME_SECS)),
                )
                .build();
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .wrap(from_fn(middleware::request_id))
                .configure(|cfg| routes(cfg, session))
        })
        .listen(listener)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        // SIGTERM/SIGINT: stop accepting, let requests in flight finish (up to 30 s).
        let server = server.shutdown_timeout(30);
        Ok(Self { port, server: server.run(), state: app_state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until a stop signal; then drains requests in flight and hands
    /// unfinished webhook deliveries back to the queue.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await?;
        crate::webhooks::worker::hand_back(&self.state, DELIVERY_GRACE).await;
        tracing::info!("stopped");
        Ok(())
    }
}
