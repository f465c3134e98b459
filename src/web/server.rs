//! The HTTP server: binding, the session cookie, background jobs, and an
//! orderly stop (drain requests, hand unfinished webhook sends back).
//! `serve` starts the background loops ([`Application::start_background_jobs`]);
//! a server built without them (the tests) does that work when told
//! (`jobs::run_once`, `jobs::deliveries::drain`, …).

use crate::app::state::AppState;
use crate::{web::middleware, web::routes};
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;

/// A server bound to its listener, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    /// Forward auth's own listener (`LATCHKEY_AUTHZ_BIND`), and its port.
    authz: Option<(u16, Server)>,
    state: Arc<AppState>,
}

/// `/authz` alone, on the listener only a proxy reaches (docs/operator-guide.md: Forward auth).
fn authz_server(
    state: web::Data<AppState>,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<(u16, Server)> {
    let port = listener.local_addr()?.port();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(middleware::request_id))
            .route("/authz", web::route().to(crate::web::authz::authz))
    })
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok((port, server.shutdown_timeout(30).run()))
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
        let app_state = Arc::new(state);
        // Not a background job: the cache is only trusted while this instance
        // hears (and acknowledges) every change, so it listens from the start.
        app_state.key_cache.start();
        // Likewise: shares of cluster-wide rate limits are only right while they are synced.
        tokio::spawn(crate::jobs::rate_limits::run_forever(app_state.clone()));
        let state = web::Data::from(app_state.clone());
        let authz = match &config.authz.bind {
            Some(addr) => Some(authz_server(state.clone(), TcpListener::bind(addr)?, workers)?),
            None => None,
        };
        let mut server = HttpServer::new(move || {
            let session = SessionMiddleware::builder(CookieSessionStore::default(), session_key.clone())
                .cookie_name("latchkey_session".into())
                .cookie_content_security(CookieContentSecurity::Private)
                .cookie_secure(config.secure_cookies)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .session_lifecycle(
                    PersistentSession::default()
                        .session_ttl(CookieDuration::seconds(crate::web::auth::session::ABSOLUTE_LIFETIME_SECS)),
                )
                .build();
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(64 * 1024))
                .wrap(from_fn(middleware::request_id))
                .wrap(Condition::new(config.public_url.is_https(), middleware::strict_transport_security()))
                .configure(|cfg| routes::all(cfg, session))
        })
        .listen(listener)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        // SIGTERM/SIGINT: stop accepting, let requests in flight finish (up to 30 s).
        let server = server.shutdown_timeout(30);
        Ok(Self { port, server: server.run(), authz, state: app_state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Forward auth's port, when it listens.
    pub fn authz_port(&self) -> Option<u16> {
        self.authz.as_ref().map(|(port, _)| *port)
    }

    /// The state every request handler shares, for whoever drives the background work itself.
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Starts the background loops `serve` runs: the scheduler, webhook
    /// delivery, mail, the request-log writer and checkpoint signing.
    pub fn start_background_jobs(&self) {
        tokio::spawn(crate::jobs::run_forever(self.state.clone()));
        tokio::spawn(crate::jobs::deliveries::run_forever(self.state.clone()));
        tokio::spawn(crate::jobs::send_mail::run_forever(self.state.clone()));
        tokio::spawn(crate::jobs::request_log::run_forever(self.state.clone()));
        tokio::spawn(crate::jobs::checkpoints::run_forever(self.state.clone()));
    }

    /// Serves until a stop signal; then drains requests in flight and hands
    /// unfinished webhook deliveries back to the queue.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.authz {
            Some((_, authz)) => {
                let (main, authz) = futures_util::future::join(self.server, authz).await;
                main?;
                authz?;
            }
            None => self.server.await?,
        }
        crate::jobs::deliveries::hand_back(&self.state, DELIVERY_GRACE).await;
        crate::jobs::request_log::flush(&self.state).await;
        crate::jobs::checkpoints::sign_moved_heads(&self.state).await;
        // Nobody need wait for this instance's acknowledgements any more.
        let state = self.state.clone();
        let _ = tokio::task::spawn_blocking(move || state.key_cache.leave()).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Serves on `listener` with every background loop until a stop signal, on
/// an actix runtime started here: `latchkey serve` (the CLI) is not async.
pub fn run_blocking(
    config: crate::infra::config::Config,
    pool: crate::db::Pool,
    listener: TcpListener,
) -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(AppState::new(config, pool), listener, None)?;
        app.start_background_jobs();
        app.run_until_stopped().await
    })
}
