//! The per-key request log's buffer (README: Leak response): the API adds
//! each request that named a known key to a bounded in-memory buffer and
//! moves on; a task (jobs/request_log.rs) takes the whole buffer once a
//! second and writes it as one batch. When the buffer is full the entry is
//! dropped and counted (`/metrics`) rather than slowing the API down. A
//! buffer swapped once a second costs a request one short lock — no task
//! wake-up per request, as a channel would.

use chrono::NaiveDateTime;
use std::sync::Mutex;

/// Requests one write takes at most — so the log keeps up to this many a
/// second per instance, at a bounded cost.
pub const MAX_PER_WRITE: usize = 10_000;

/// One request, as the log keeps it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key_row_id: i64,
    /// With the row id, identifies the key (SQLite may reuse a deleted key's id).
    pub key_created_at: NaiveDateTime,
    pub org_id: i64,
    pub at: NaiveDateTime,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub error_code: Option<&'static str>,
    pub latency_ms: u64,
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    pub request_id: String,
    /// The key got past authentication (a use of the key, for new-network detection).
    pub authenticated: bool,
}

pub struct RequestLog {
    buffer: Mutex<Vec<Entry>>,
    enabled: bool,
}

impl RequestLog {
    /// `enabled: false` (`LATCHKEY_REQUEST_LOG_DAYS=0`) keeps nothing.
    pub fn new(enabled: bool) -> Self {
        Self { buffer: Mutex::new(Vec::new()), enabled }
    }

    /// Adds the entry `make` builds — only when there is room, so a full
    /// buffer costs nothing more; false when it was dropped.
    pub fn record(&self, make: impl FnOnce() -> Entry) -> bool {
        let Ok(mut buffer) = self.buffer.lock() else { return false };
        if buffer.len() >= MAX_PER_WRITE {
            return false;
        }
        buffer.push(make());
        true
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Everything recorded since the last call.
    pub fn take(&self) -> Vec<Entry> {
        self.buffer.lock().map(|mut buffer| std::mem::take(&mut *buffer)).unwrap_or_default()
    }
}

/// A user agent as kept: at most 256 characters.
pub fn clip_user_agent(ua: &str) -> String {
    ua.chars().take(256).collect()
}

/// A key, told apart from a deleted one whose row id SQLite gave again: (row id, created at).
pub type KeyIdentity = (i64, NaiveDateTime);

/// A network to check for one entry of a batch: (index in the batch, network).
pub type NetworkCheck = (usize, String);

/// How long a network counts as known after a key was last used from it.
pub const NETWORK_MEMORY_DAYS: i64 = 30;

/// Writes a batch in one transaction (one commit): the rows, and for each
/// network to check, `api_key.new_network` when the key had not used it in
/// the last 30 days (unless the key is in `quiet`: it had one in the last
/// minute). Returns the keys that got one.
pub fn write(
    conn: &mut crate::db::DbConn,
    batch: &[Entry],
    checks: &[NetworkCheck],
    quiet: &std::collections::HashSet<KeyIdentity>,
) -> diesel::QueryResult<Vec<KeyIdentity>> {
    use crate::db::request_log::{self as db, NewRequest};
    let rows: Vec<NewRequest> = batch
        .iter()
        .map(|e| NewRequest {
            org_id: e.org_id,
            api_key_id: e.key_row_id,
            at: e.at,
            method: e.method.clone(),
            path: e.path.clone(),
            status: i64::from(e.status),
            error_code: e.error_code.map(str::to_owned),
            latency_ms: i64::try_from(e.latency_ms).unwrap_or(i64::MAX),
            ip: e.ip.map(|ip| ip.to_string()),
            user_agent: e.user_agent.clone(),
            request_id: e.request_id.clone(),
        })
        .collect();
    crate::db::transaction(conn, |conn| {
        db::insert_batch(conn, &rows)?;
        let mut reported = Vec::new();
        let forgotten = crate::db::now() - chrono::Duration::days(NETWORK_MEMORY_DAYS);
        for (i, network) in checks {
            let Some(e) = batch.get(*i) else { continue };
            let known = db::network_last_seen(conn, e.key_row_id, network)?.is_some_and(|t| t >= forgotten);
            db::touch_network(conn, e.key_row_id, network, e.at)?;
            let who = (e.key_row_id, e.key_created_at);
            if known || quiet.contains(&who) || reported.contains(&who) {
                continue;
            }
            let Some(key) = crate::db::api_keys::find_by_row(conn, e.key_row_id)? else { continue };
            let meta = crate::audit::RequestMeta {
                ip: e.ip.map(|ip| ip.to_string()),
                user_agent: e.user_agent.clone(),
                request_id: Some(e.request_id.clone()),
                trace_id: None,
            };
            let ip = meta.ip.clone().unwrap_or_default();
            let entry = crate::audit::Entry::api_key_new_network(&key, network, &ip, e.user_agent.as_deref());
            crate::audit::record(conn, &crate::audit::Actor::System { label: "api" }, &meta, entry)?;
            reported.push(who);
        }
        Ok(reported)
    })
}
