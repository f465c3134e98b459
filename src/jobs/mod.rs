//! Scheduled work inside `latchkey serve` (docs/ARCHITECTURE.md: Layers): at start-up and then
//! every 30 seconds: last-used and usage flush, grace-period revocation,
//! expiry records and warnings, mail (and mail retries). Webhook delivery
//! has its own faster loop (`jobs::deliveries`). Each job is idempotent and safe when several instances
//! run it at once (guarded updates; only the instance whose update changed a
//! row records the event).

pub mod checkpoints;
pub mod deliveries;
pub use crate::app::expiry_warnings as expiry;
pub mod rate_limits;
pub mod request_log;
pub mod send_mail;

pub use crate::app::maintenance::{
    apply_retention, flush_last_used, flush_usage_counts, prune_delivery_log, prune_login_failures, prune_request_log,
    prune_sessions, record_expiries,
};
use crate::app::state::AppState;
use crate::db;

pub use crate::infra::config::DEFAULT_SCHEDULER_INTERVAL as INTERVAL;

/// Why a job (or one webhook send) could not finish; logged with its causes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] db::Error),
    /// One webhook send could not run.
    #[error(transparent)]
    Send(#[from] crate::app::webhooks::delivery::SendError),
    #[error("background task failed")]
    Task(#[from] tokio::task::JoinError),
}

impl From<db::QueryError> for Error {
    fn from(e: db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

/// Runs every job once; a failing job is logged and does not stop the others.
pub async fn run_once(state: &AppState) {
    if let Err(e) = flush_last_used(state).await {
        tracing::warn!(error = %db::chain(&e), "last-used flush failed");
    }
    if let Err(e) = flush_usage_counts(state).await {
        tracing::warn!(error = %db::chain(&e), "usage flush failed");
    }
    if let Err(e) = revoke_after_grace(state).await {
        tracing::warn!(error = %db::chain(&e), "grace-period revocation failed");
    }
    if let Err(e) = record_expiries(state).await {
        tracing::warn!(error = %db::chain(&e), "recording key expiries failed");
    }
    if let Err(e) = expiry::warn_expiring(state).await {
        tracing::warn!(error = %db::chain(&e), "expiry warnings failed");
    }
    if let Err(e) = crate::jobs::send_mail::send_due(state, &state.mailer).await {
        tracing::warn!(error = %db::chain(&e), "sending mail failed");
    }
    if let Err(e) = prune_login_failures(state).await {
        tracing::warn!(error = %db::chain(&e), "pruning login failures failed");
    }
    if let Err(e) = prune_sessions(state).await {
        tracing::warn!(error = %db::chain(&e), "pruning ended sessions failed");
    }
    if let Err(e) = prune_request_log(state).await {
        tracing::warn!(error = %db::chain(&e), "pruning the request log failed");
    }
    if let Err(e) = prune_delivery_log(state).await {
        tracing::warn!(error = %db::chain(&e), "pruning the webhook delivery log failed");
    }
    if let Err(e) = apply_retention(state).await {
        tracing::warn!(error = %db::chain(&e), "applying the retention settings failed");
    }
    state.report_limits.forget_idle();
    if let Err(e) = crate::app::admit::forget_idle_buckets(state).await {
        tracing::warn!(error = %db::chain(&e), "forgetting idle rate-limit buckets failed");
    }
}

/// Runs the jobs now and then every `scheduler_interval` (default [`INTERVAL`]), until the process ends.
pub async fn run_forever(state: std::sync::Arc<AppState>) {
    let mut ticker = tokio::time::interval(state.config.scheduler_interval);
    loop {
        let due = ticker.tick().await;
        let lag = due.elapsed().as_secs_f64();
        run_once(&state).await;
        state.metrics.scheduler_ran(lag);
    }
}

/// Revokes rotated-out keys whose grace period has ended (the use case
/// confirms the key cache when it revoked any).
pub async fn revoke_after_grace(state: &AppState) -> Result<usize, Error> {
    Ok(crate::app::keys::revoke_after_grace(state).await?)
}
