//! Scheduled work inside `latchkey serve` (docs/ARCHITECTURE.md: Layers): at start-up and then
//! every 30 seconds: last-used and usage flush, grace-period revocation,
//! expiry records and warnings, mail (and mail retries). Webhook delivery
//! has its own faster loop (`jobs::deliveries`). Each job is idempotent and safe when several instances
//! run it at once (guarded updates; only the instance whose update changed a
//! row records the event).

pub mod checkpoints;
pub mod deliveries;
pub mod expiry;
pub mod request_log;
pub mod send_mail;

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db;
use crate::db::{api_keys, login_failures, now};
use crate::domain::event_type::EventType;

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

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
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
    state.report_limits.forget_idle();
}

/// Deletes logged requests older than `LATCHKEY_REQUEST_LOG_DAYS`, and networks unused for 30 days.
pub async fn prune_request_log(state: &AppState) -> Result<usize, Error> {
    let days = i64::from(state.config.leak.request_log_days.max(1));
    let now = crate::db::now();
    let networks = now - chrono::Duration::days(crate::app::request_log::NETWORK_MEMORY_DAYS);
    Ok(state
        .db
        .run(move |conn| {
            let pruned = db::request_log::prune(conn, now - chrono::Duration::days(days))?;
            db::request_log::prune_networks(conn, networks)?;
            Ok::<_, diesel::result::Error>(pruned)
        })
        .await?)
}

/// Deletes webhook attempts older than `LATCHKEY_DELIVERY_LOG_DAYS` (those of
/// deliveries still pending stay), and the finished deliveries left without one.
pub async fn prune_delivery_log(state: &AppState) -> Result<usize, Error> {
    let days = i64::from(state.config.compliance.delivery_log_days.max(1));
    let before = crate::db::now() - chrono::Duration::days(days);
    Ok(state.db.run(move |conn| db::deliveries::prune_attempts(conn, before)).await?)
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

/// Writes the coalesced last-used times: one UPDATE per key used since the last flush.
pub async fn flush_last_used(state: &AppState) -> Result<usize, Error> {
    let pending = state.usage.take_last_used();
    if pending.is_empty() {
        return Ok(0);
    }
    let count = pending.len();
    let batch = pending.clone();
    let written = state
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                for (id, (at, ip)) in &batch {
                    let ip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
                    api_keys::touch_last_used(conn, *id, *at, &ip)?;
                }
                Ok::<_, diesel::result::Error>(())
            })
        })
        .await;
    if let Err(e) = written {
        state.usage.restore(pending);
        return Err(e.into());
    }
    Ok(count)
}

/// Adds the counted requests to the daily usage table (one upsert per key and day).
pub async fn flush_usage_counts(state: &AppState) -> Result<usize, Error> {
    let pending = state.usage.take_counts();
    if pending.is_empty() {
        return Ok(0);
    }
    let count = pending.len();
    let batch = pending.clone();
    let written = state
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                for ((key, org, day), counts) in &batch {
                    crate::db::usage::add(conn, *key, *org, *day, *counts)?;
                }
                Ok::<_, diesel::result::Error>(())
            })
        })
        .await;
    if let Err(e) = written {
        state.usage.restore_counts(pending);
        return Err(e.into());
    }
    Ok(count)
}

/// Revokes rotated-out keys whose grace period has ended (the use case
/// confirms the key cache when it revoked any).
pub async fn revoke_after_grace(state: &AppState) -> Result<usize, Error> {
    Ok(crate::app::keys::revoke_after_grace(state).await?)
}

/// Records `api_key.expired` once for each key whose expiry has passed.
pub async fn record_expiries(state: &AppState) -> Result<usize, Error> {
    state
        .db
        .run(|conn| {
            let due = api_keys::newly_expired(conn, now(), 500)?;
            let mut recorded = 0;
            for key in due {
                crate::db::transaction(conn, |conn| {
                    if api_keys::claim_expired_event(conn, key.id)? {
                        let scheduler = Actor::System { label: "scheduler" };
                        let seq =
                            audit::record_seq(conn, &scheduler, &RequestMeta::default(), Entry::api_key_expired(&key))?;
                        // Read after the chain-head lock: the key as of this seq.
                        if let Some(expired) = api_keys::find(conn, key.org_id, &key.key_id)? {
                            crate::app::webhooks::events::key_event(
                                conn,
                                EventType::ApiKeyExpired,
                                &expired,
                                &scheduler,
                                seq,
                            )?;
                        }
                        recorded += 1;
                    }
                    Ok::<_, diesel::result::Error>(())
                })?;
            }
            Ok::<_, diesel::result::Error>(recorded)
        })
        .await
        .map_err(Error::from)
}

/// Sessions past their idle timeout or absolute lifetime are refused anyway; drop their rows.
async fn prune_sessions(state: &AppState) -> Result<usize, Error> {
    use crate::app::accounts::{ABSOLUTE_LIFETIME_SECS, IDLE_TIMEOUT_SECS};
    let at = now();
    let (idle, started) =
        (at - chrono::Duration::seconds(IDLE_TIMEOUT_SECS), at - chrono::Duration::seconds(ABSOLUTE_LIFETIME_SECS));
    state.db.run(move |conn| crate::db::sessions::prune(conn, idle, started)).await.map_err(Error::from)
}

async fn prune_login_failures(state: &AppState) -> Result<usize, Error> {
    let before = now() - chrono::Duration::days(1);
    state
        .db
        .run(move |conn| {
            let n = login_failures::prune(conn, before)?;
            // Reset links live 30 minutes and their requests count for an hour: a day is plenty.
            Ok::<_, diesel::result::Error>(
                n + crate::db::password_resets::prune(conn, now() - chrono::Duration::days(1))?,
            )
        })
        .await
        .map_err(Error::from)
}
