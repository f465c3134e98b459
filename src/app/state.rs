//! What every request handler and background job shares: the database
//! handle, the configuration, and each instance's caches and counters.
//! Nothing here knows HTTP; the server wraps it for actix (server.rs).

use crate::db::{self, Db, Pool};
use crate::infra::config::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Requests a minute one address may make to the public revocation endpoint.
const REPORTS_PER_MINUTE: u32 = 10;

/// The passkey relying party for the public URL, or `None` when its host is
/// an IP address (browsers refuse one there: no passkeys then).
fn relying_party(config: &Config) -> Option<webauthn_rs::Webauthn> {
    let origin = url::Url::parse(config.public_url.origin()).ok()?;
    let rp_id = origin.domain()?.to_owned();
    webauthn_rs::WebauthnBuilder::new(&rp_id, &origin).ok()?.rp_name("Latchkey").build().ok()
}

pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub usage: crate::infra::usage::Usage,
    pub limits: crate::infra::rate_limit::RateLimits,
    /// The per-key request log's queue (written by jobs/request_log.rs).
    pub request_log: crate::app::request_log::RequestLog,
    /// Reports to the public revocation endpoint, per client address (10 a minute).
    pub report_limits: crate::infra::rate_limit::AddressLimits,
    /// Authenticated keys, valid while the database is unchanged.
    pub key_cache: crate::infra::key_cache::KeyCache,
    /// The organisations' API definitions, under the same stamp.
    pub api_cache: crate::infra::api_cache::DefinitionCache,
    /// The webhook delivery worker's per-instance state.
    pub worker: crate::infra::in_flight::InFlight,
    /// Sends queued mail (SMTP or `.eml` files).
    pub mailer: crate::infra::mail::Transport,
    /// Wakes this instance's mail sender (jobs/send_mail.rs) when a message is queued.
    pub mail_queued: tokio::sync::Notify,
    /// The passkey relying party, when the public URL names a host (not an IP).
    pub passkeys: Option<webauthn_rs::Webauthn>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<crate::infra::metrics::Metrics>,
    /// Becomes true once any user exists; never goes back (setup is closed for good).
    setup_done: AtomicBool,
}

impl AppState {
    pub fn new(config: Config, pool: Pool) -> Self {
        crate::infra::password::configure(config.password_cost);
        // Config::from_env already refused a bad SMTP URL; a hand-built config falls back to files.
        let mailer = crate::infra::mail::Transport::new(&config.mail).unwrap_or_else(|e| {
            tracing::error!(error = %e, "mail transport unusable; writing .eml files instead");
            crate::infra::mail::Transport::Files(config.mail.dir.clone())
        });
        let metrics = Arc::new(crate::infra::metrics::Metrics::default());
        let key_cache = crate::infra::key_cache::KeyCache::new(
            &config.database_url,
            config.scale.listen_database_url.as_deref(),
            metrics.clone(),
        );
        let db = Db::new(pool);
        let limits = match key_cache.registry() {
            Some((instance, live)) if config.scale.cluster_rate_limits => {
                let lessor = crate::app::lease::lessor(db.clone(), instance.to_owned());
                crate::infra::rate_limit::RateLimits::cluster(lessor, live)
            }
            _ => crate::infra::rate_limit::RateLimits::default(),
        };
        let request_log = crate::app::request_log::RequestLog::new(config.leak.request_log_days > 0);
        let passkeys = relying_party(&config);
        Self {
            mailer,
            db,
            config: Arc::new(config),
            usage: crate::infra::usage::Usage::default(),
            limits,
            report_limits: crate::infra::rate_limit::AddressLimits::new(REPORTS_PER_MINUTE),
            request_log,
            key_cache,
            api_cache: Default::default(),
            worker: Default::default(),
            metrics,
            mail_queued: tokio::sync::Notify::new(),
            passkeys,
            setup_done: AtomicBool::new(false),
        }
    }

    /// Whether first-run setup has happened; asks the database until it has.
    pub async fn setup_done(&self) -> Result<bool, db::Error> {
        if self.setup_done.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let open = self.db.run(db::setup::is_open).await?;
        if !open {
            self.setup_done.store(true, Ordering::Relaxed);
        }
        Ok(!open)
    }

    /// Runs `f` in one writer transaction (`db::transaction`) on the blocking
    /// pool: the use cases' checks and their change commit together or not at
    /// all. `E` is the use case's own error, which takes database failures.
    pub async fn transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut db::DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<crate::db::QueryError> + From<db::Error> + Send + 'static,
    {
        self.db.run(move |conn| Ok::<_, crate::db::QueryError>(db::transaction(conn, f))).await?
    }

    /// Call after queueing mail a person waits for: it leaves within seconds,
    /// not at the scheduler's next run.
    pub fn wake_mail_sender(&self) {
        self.mail_queued.notify_one();
    }

    /// Whether the database answers (`/readyz`).
    pub async fn database_ready(&self) -> Result<(), db::Error> {
        self.db.run(db::ping).await
    }

    /// Reads the shared queues' depths and oldest waits into the metrics
    /// now (`/metrics`), so any instance reports them.
    pub async fn measure_queues(&self) -> Result<(), db::Error> {
        let stats = self
            .db
            .run(|conn| {
                db::Queue::ALL
                    .into_iter()
                    .map(|queue| db::queue_stats(conn, queue).map(|stats| (queue, stats)))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let now = db::now();
        for (queue, stats) in stats {
            let waited = stats.oldest_due.map_or(0.0, |due| (now - due).num_milliseconds().max(0) as f64 / 1000.0);
            self.metrics.set_queue(queue.table(), stats.depth, waited);
        }
        Ok(())
    }

    pub fn mark_setup_done(&self) {
        self.setup_done.store(true, Ordering::Relaxed);
    }
}
