//! The scheduler's use cases (docs/ARCHITECTURE.md: Layers): flushing the
//! in-memory last-used times and usage counts, recording key expiries, and
//! pruning what has aged out (request log, webhook attempts, ended sessions,
//! login failures, reset links). `jobs` decides when; these decide what,
//! each in its own transaction, safe when several instances run them at once.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db;
use crate::db::{api_keys, login_failures, now};
use crate::domain::OrgId;
use crate::domain::event_type::EventType;
use std::collections::HashMap;
use std::hash::Hash;

/// Deletes logged requests older than `LATCHKEY_REQUEST_LOG_DAYS`, and networks unused for 30 days.
pub async fn prune_request_log(state: &AppState) -> Result<usize, crate::db::Error> {
    let days = i64::from(state.config.leak.request_log_days.max(1));
    let now = crate::db::now();
    let networks = now - chrono::Duration::days(crate::app::request_log::NETWORK_MEMORY_DAYS);
    state
        .db
        .run(move |conn| {
            let pruned = db::request_log::prune(conn, now - chrono::Duration::days(days))?;
            db::request_log::prune_networks(conn, networks)?;
            Ok::<_, crate::db::QueryError>(pruned)
        })
        .await
}

/// Deletes webhook attempts older than `LATCHKEY_DELIVERY_LOG_DAYS` (those of
/// deliveries still pending stay), and the finished deliveries left without one.
pub async fn prune_delivery_log(state: &AppState) -> Result<usize, crate::db::Error> {
    let days = i64::from(state.config.compliance.delivery_log_days.max(1));
    let before = crate::db::now() - chrono::Duration::days(days);
    state.db.run(move |conn| db::deliveries::prune_attempts(conn, before)).await
}

/// What one retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retained {
    pub audit_events: usize,
    pub outbox_events: usize,
    pub usage_days: usize,
}

/// Deletes what is older than the retention settings allow: audit events
/// (only when `LATCHKEY_AUDIT_RETENTION_DAYS` is set, and only up to a
/// signed checkpoint), outbox events no delivery refers to any more, and
/// daily usage counts (docs/operator-guide.md: Retention).
pub async fn apply_retention(state: &AppState) -> Result<Retained, crate::db::Error> {
    let compliance = &state.config.compliance;
    let now = crate::db::now();
    let audit_before = compliance.audit_retention_days.map(|d| now - chrono::Duration::days(i64::from(d)));
    let outbox_before = now - chrono::Duration::days(i64::from(compliance.outbox_retention_days));
    let usage_before = now.date() - chrono::Duration::days(i64::from(compliance.usage_retention_days));
    state
        .db
        .run(move |conn| {
            let audit_events = match audit_before {
                Some(before) => crate::app::audit::archive::apply_retention(conn, before)?,
                None => 0,
            };
            let outbox_events = db::outbox::prune(conn, outbox_before)?;
            let usage_days = db::usage::prune(conn, usage_before)?;
            Ok::<_, crate::db::QueryError>(Retained { audit_events, outbox_events, usage_days })
        })
        .await
}

/// Writes the coalesced last-used times: one UPDATE per key used since the last flush.
pub async fn flush_last_used(state: &AppState) -> Result<usize, crate::db::Error> {
    let pending = state.usage.take_last_used();
    write_batch(
        state,
        pending,
        |conn, id, (at, ip)| {
            let ip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            api_keys::touch_last_used(conn, *id, *at, &ip)
        },
        |batch| state.usage.restore(batch),
    )
    .await
}

/// Adds the counted requests to the daily usage table (one upsert per key and day).
pub async fn flush_usage_counts(state: &AppState) -> Result<usize, crate::db::Error> {
    let pending = state.usage.take_counts();
    write_batch(
        state,
        pending,
        |conn, (key, org, day), counts| crate::db::usage::add(conn, *key, *org, *day, *counts),
        |batch| state.usage.restore_counts(batch),
    )
    .await
}

/// Writes a batch taken from the in-memory counters in one transaction, one
/// row at a time; when it fails the batch goes back to `restore`, so the
/// next run writes it and nothing counted is lost. Returns the rows written.
async fn write_batch<K, V>(
    state: &AppState,
    pending: HashMap<K, V>,
    write: fn(&mut db::DbConn, &K, &V) -> db::QueryResult<()>,
    restore: impl FnOnce(HashMap<K, V>),
) -> Result<usize, crate::db::Error>
where
    K: Clone + Eq + Hash + Send + 'static,
    V: Clone + Send + 'static,
{
    if pending.is_empty() {
        return Ok(0);
    }
    let batch = pending.clone();
    let written = state
        .db
        .run(move |conn| crate::db::transaction(conn, |conn| batch.iter().try_for_each(|(k, v)| write(conn, k, v))))
        .await;
    match written {
        Ok(()) => Ok(pending.len()),
        Err(e) => {
            restore(pending);
            Err(e)
        }
    }
}

/// Records `api_key.expired` once for each key whose expiry has passed.
pub async fn record_expiries(state: &AppState) -> Result<usize, crate::db::Error> {
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
                        if let Some(expired) = api_keys::find(conn, OrgId::new(key.org_id), &key.key_id)? {
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
                    Ok::<_, crate::db::QueryError>(())
                })?;
            }
            Ok::<_, crate::db::QueryError>(recorded)
        })
        .await
}

/// Sessions past their idle timeout or absolute lifetime are refused anyway; drop their rows.
pub async fn prune_sessions(state: &AppState) -> Result<usize, crate::db::Error> {
    use crate::app::accounts::{ABSOLUTE_LIFETIME_SECS, IDLE_TIMEOUT_SECS};
    let at = now();
    let (idle, started) =
        (at - chrono::Duration::seconds(IDLE_TIMEOUT_SECS), at - chrono::Duration::seconds(ABSOLUTE_LIFETIME_SECS));
    state.db.run(move |conn| crate::db::sessions::prune(conn, idle, started)).await
}

pub async fn prune_login_failures(state: &AppState) -> Result<usize, crate::db::Error> {
    let before = now() - chrono::Duration::days(1);
    state
        .db
        .run(move |conn| {
            let n = login_failures::prune(conn, before)?;
            // Reset links live 30 minutes and their requests count for an hour: a day is plenty.
            Ok::<_, crate::db::QueryError>(
                n + crate::db::password_resets::prune(conn, now() - chrono::Duration::days(1))?,
            )
        })
        .await
}
