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
use actix_web::http::Method;
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
    pub worker: crate::jobs::deliveries::Worker,
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

/// The whole route table (README: Architecture). Each part has only the middleware it
/// needs: the API and the probes never touch a session cookie.
pub fn routes(cfg: &mut web::ServiceConfig, session: SessionMiddleware<CookieSessionStore>) {
    use pages::*;
    // The API first: the router tries routes in order, and API calls are the hot path.
    cfg.configure(crate::api::routes);
    let probes = [
        ("/healthz", probe(health::healthz)),
        ("/readyz", probe(health::readyz)),
        ("/metrics", probe(health::metrics)),
    ];
    for (path, handler) in probes {
        cfg.service(
            web::resource(path)
                .wrap(middleware::security_headers())
                .route(handler)
                .default_service(refuse("GET, HEAD".into())),
        );
    }
    cfg.service(
        web::scope("")
            .wrap(from_fn(middleware::setup_gate))
            .wrap(session)
            .wrap(middleware::security_headers())
            .configure(console_routes),
    );
}

/// A route for GET and for HEAD: HEAD is answered wherever GET is (load
/// balancers and monitors use it; the server sends the headers only).
pub fn get_or_head() -> actix_web::Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

/// The answer to a method a path does not take: 405 with `Allow`.
fn refuse(allow: String) -> actix_web::Route {
    web::to(move || {
        let allow = allow.clone();
        async move { Err::<actix_web::HttpResponse, _>(AppError::MethodNotAllowed { allow }) }
    })
}

fn probe<F, Args>(handler: F) -> actix_web::Route
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    get_or_head().to(handler)
}

/// Every console route, in matching order. The router is built from this
/// table and the security tests walk it (CSRF on every POST, other orgs'
/// ids on every page), so a new route cannot escape them.
pub fn console_table() -> Vec<(Method, &'static str, actix_web::Route)> {
    use pages::*;
    fn r<F, Args>(method: Method, path: &'static str, handler: F) -> (Method, &'static str, actix_web::Route)
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let route = if method == Method::GET { get_or_head() } else { web::method(method.clone()) };
        (method, path, route.to(handler))
    }
    vec![
        r(Method::GET, "/", home::index),
        r(Method::GET, "/static/{file}", assets::serve),
        r(Method::GET, "/docs/api", docs::api),
        r(Method::GET, "/setup", setup::form),
        r(Method::POST, "/setup", setup::submit),
        r(Method::GET, "/login", login::form),
        r(Method::POST, "/login", login::submit),
        r(Method::GET, "/logout", login::logout_confirm),
        r(Method::POST, "/logout", login::logout),
        r(Method::POST, "/logout/everywhere", login::logout_everywhere),
        r(Method::GET, "/support", support::index),
        r(Method::GET, "/support/platform-log", support::platform_log),
        r(Method::GET, "/support/orgs/{slug}/audit-log", support::org_log),
        r(Method::GET, "/support/orgs/{slug}/audit-log/export.csv", support::org_export_csv),
        r(Method::GET, "/support/orgs/{slug}/audit-log/export.jsonl", support::org_export_jsonl),
        r(Method::GET, "/support/orgs/{slug}/audit-log/verify", support::org_verify),
        r(Method::GET, "/support/orgs/{slug}/api-keys", support::org_keys),
        r(Method::GET, "/support/orgs/{slug}/api-keys/{key_id}", support::org_key),
        r(Method::GET, "/orgs/{slug}", dashboard::show),
        r(Method::GET, "/orgs/{slug}/settings/api-keys", api_keys::list::list),
        r(Method::POST, "/orgs/{slug}/settings/api-keys", api_keys::form::create),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/new", api_keys::form::new),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/{key_id}", api_keys::detail::show),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/{key_id}/edit", api_keys::form::edit),
        r(Method::POST, "/orgs/{slug}/settings/api-keys/{key_id}/edit", api_keys::form::update),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/{key_id}/{action}", api_keys::actions::confirm),
        r(Method::POST, "/orgs/{slug}/settings/api-keys/{key_id}/{action}", api_keys::actions::perform),
        r(Method::GET, "/orgs/{slug}/settings/webhooks", webhooks::list),
        r(Method::POST, "/orgs/{slug}/settings/webhooks", webhooks::create),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/new", webhooks::new),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}", webhooks::show),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/edit", webhooks::edit),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/edit", webhooks::update),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/test", webhooks::test),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/rotate-secret", webhooks::rotate_secret_confirm),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/rotate-secret", webhooks::rotate_secret),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/delete", webhooks::delete_confirm),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/delete", webhooks::delete),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/deliveries/{message_id}/resend", webhooks::resend),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/{action}", webhooks::set_enabled),
        r(Method::GET, "/orgs/{slug}/settings/audit-log", audit_log::list),
        r(Method::GET, "/orgs/{slug}/settings/audit-log/export.csv", audit_log::export_csv),
        r(Method::GET, "/orgs/{slug}/settings/audit-log/export.jsonl", audit_log::export_jsonl),
        r(Method::GET, "/orgs/{slug}/settings/audit-log/verify", audit_log::verify),
        r(Method::GET, "/orgs/{slug}/settings/members", members::list),
        r(Method::POST, "/orgs/{slug}/settings/members", members::add),
        r(Method::POST, "/orgs/{slug}/settings/members/{user_id}/role", members::change_role),
        r(Method::GET, "/orgs/{slug}/settings/members/{user_id}/remove", members::remove_confirm),
        r(Method::POST, "/orgs/{slug}/settings/members/{user_id}/remove", members::remove),
    ]
}

/// (method, path pattern) of every console route.
pub fn console_routes_list() -> Vec<(Method, &'static str)> {
    console_table().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The console: pages behind sessions, CSRF and the first-run gate. Each
/// path is one resource, so a method it does not take answers 405 with
/// `Allow` instead of falling through to a 404.
fn console_routes(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<(&'static str, Vec<Method>, Vec<actix_web::Route>)> = Vec::new();
    for (method, path, route) in console_table() {
        match paths.iter_mut().find(|(p, ..)| *p == path) {
            Some((_, methods, routes)) => {
                methods.push(method);
                routes.push(route);
            }
            None => paths.push((path, vec![method], vec![route])),
        }
    }
    for (path, methods, routes) in paths {
        let mut allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        if methods.contains(&Method::GET) {
            allow.insert(allow.iter().position(|m| *m == "GET").map_or(0, |i| i + 1), "HEAD");
        }
        let refuse = refuse(allow.join(", "));
        let resource = routes.into_iter().fold(web::resource(path), actix_web::Resource::route);
        cfg.service(resource.default_service(refuse));
    }
    cfg.default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
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
        tokio::spawn(crate::jobs::deliveries::run_forever(state.clone()));
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
        crate::jobs::deliveries::hand_back(&self.state, DELIVERY_GRACE).await;
        tracing::info!("stopped");
        Ok(())
    }
}
