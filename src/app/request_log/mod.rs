//! The per-key request log's buffer (docs/user-guide.md: Per-key request log): the API hands
//! each request that named a known key to [`RequestLog::record`] and moves
//! on; a task (jobs/request_log.rs) takes the whole buffer once a second and
//! writes it as one batch. A flood cannot grow it: before anything is built,
//! `coalesce` decides whether the request is kept as its own row or only
//! counted on a row that stands for the others like it. A buffer swapped
//! once a second costs a request one short lock — no task wake-up per
//! request, as a channel would.

mod coalesce;
mod memory;

use crate::domain::OrgId;
use chrono::NaiveDateTime;
pub use coalesce::Seen;
pub use memory::WriterMemory;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// Rows one write takes at most — so the log keeps up to this many a
/// second per instance, at a bounded cost (past it, requests are counted).
pub const MAX_PER_WRITE: usize = 10_000;
/// Paths are kept to this many characters (API paths are far shorter; a longer one is junk).
pub const MAX_PATH_CHARS: usize = 256;

/// One request, as the log keeps it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key_row_id: i64,
    /// With the row id, identifies the key (SQLite may reuse a deleted key's id).
    pub key_created_at: NaiveDateTime,
    pub org_id: OrgId,
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
    /// Requests like this one counted since its row was last written (0 when built by the API).
    pub repeats: u64,
    /// Set on a row that counts requests: where its count goes once written.
    pub tally: Option<Arc<Tally>>,
    /// How the request reached Latchkey.
    pub via: Via,
    /// The host a forwarded request was for (none for Latchkey's own API).
    pub host: Option<String>,
}

/// How a request reached Latchkey: the REST API with the key itself, a
/// team's service verifying the key, or a proxy asking through forward auth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Api,
    Verify,
    Authz,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Verify => "verify",
            Self::Authz => "authz",
        }
    }
}

/// The database row a count of requests is written to, once it exists.
#[derive(Debug, Default)]
pub struct Tally {
    row_id: AtomicI64,
}

impl Tally {
    fn row_id(&self) -> Option<i64> {
        Some(self.row_id.load(Ordering::Relaxed)).filter(|id| *id > 0)
    }
}

struct Buffer {
    rows: Vec<Entry>,
    ledger: coalesce::Ledger,
}

pub struct RequestLog {
    buffer: Mutex<Buffer>,
    enabled: bool,
    /// Held by whoever writes a batch: one writer at a time, sharing what it remembers.
    writer: tokio::sync::Mutex<WriterMemory>,
}

impl RequestLog {
    /// `enabled: false` (`LATCHKEY_REQUEST_LOG_DAYS=0`) keeps nothing.
    pub fn new(enabled: bool) -> Self {
        Self {
            buffer: Mutex::new(Buffer { rows: Vec::new(), ledger: Default::default() }),
            enabled,
            writer: Default::default(),
        }
    }

    /// Keeps the request `make` builds, or counts it with the others like it
    /// (`make` is then not called at all); false when it was dropped.
    pub fn record(&self, seen: Seen, make: impl FnOnce() -> Entry) -> bool {
        let now = chrono::Utc::now().timestamp();
        let Ok(mut buffer) = self.buffer.lock() else { return false };
        let room = buffer.rows.len() < MAX_PER_WRITE;
        match buffer.ledger.admit(seen, now, room, make) {
            coalesce::Admitted::Row(entry) => buffer.rows.push(*entry),
            coalesce::Admitted::Counted => {}
            coalesce::Admitted::Dropped => return false,
        }
        true
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The writer's memory; holding it makes this the only writer.
    pub fn writer(&self) -> &tokio::sync::Mutex<WriterMemory> {
        &self.writer
    }

    /// Everything recorded since the last call: the rows kept, then the rows
    /// that count requests (new, or with more to add).
    pub fn take(&self) -> Vec<Entry> {
        let now = chrono::Utc::now().timestamp();
        let Ok(mut buffer) = self.buffer.lock() else { return Vec::new() };
        let mut rows = std::mem::take(&mut buffer.rows);
        rows.extend(buffer.ledger.drain(now));
        rows
    }
}

/// A path as kept: at most [`MAX_PATH_CHARS`] characters.
pub fn clip_path(path: &str) -> String {
    path.chars().take(MAX_PATH_CHARS).collect()
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

/// Writes a batch in one transaction (one commit): the rows (a counted row
/// is written once, then its count added to), and for each network to
/// check, `api_key.new_network` when the key had not used it in the last 30
/// days (unless the key is in `quiet`: it had one in the last minute).
/// Returns the keys that got one.
pub fn write(
    conn: &mut crate::db::DbConn,
    batch: &[Entry],
    checks: &[NetworkCheck],
    quiet: &std::collections::HashSet<KeyIdentity>,
) -> crate::db::QueryResult<Vec<KeyIdentity>> {
    use crate::db::request_log as db;
    let rows: Vec<db::NewRequest> = batch.iter().filter(|e| e.tally.is_none()).map(new_request).collect();
    let counted: Vec<&Entry> = batch.iter().filter(|e| e.tally.is_some()).collect();
    let (reported, written) = crate::db::transaction(conn, |conn| {
        db::insert_batch(conn, &rows)?;
        let written = write_counts(conn, &counted)?;
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
            let meta = crate::app::audit::RequestMeta {
                ip: e.ip.map(|ip| ip.to_string()),
                user_agent: e.user_agent.clone(),
                request_id: Some(e.request_id.clone()),
                trace_id: None,
            };
            let ip = meta.ip.clone().unwrap_or_default();
            let entry = crate::app::audit::Entry::api_key_new_network(&key, network, &ip, e.user_agent.as_deref());
            crate::app::audit::record(conn, &crate::app::audit::Actor::System { label: "api" }, &meta, entry)?;
            reported.push(who);
        }
        Ok::<_, crate::db::QueryError>((reported, written))
    })?;
    // Only now that they are committed: an id from a rolled-back insert may be given again.
    for (tally, id) in written {
        tally.row_id.store(id, Ordering::Relaxed);
    }
    Ok(reported)
}

fn new_request(e: &Entry) -> crate::db::request_log::NewRequest {
    crate::db::request_log::NewRequest {
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
        via: e.via.as_str(),
        host: e.host.clone(),
    }
}

/// Adds each counted row's new requests to its row, writing the row first
/// when it has none yet (or it is gone); the rows written, to remember.
fn write_counts(conn: &mut crate::db::DbConn, counted: &[&Entry]) -> crate::db::QueryResult<Vec<(Arc<Tally>, i64)>> {
    use crate::db::request_log as db;
    let mut written = Vec::new();
    for e in counted {
        let Some(tally) = &e.tally else { continue };
        let more = i64::try_from(e.repeats).unwrap_or(i64::MAX);
        if let Some(id) = tally.row_id()
            && db::add_repeats(conn, id, e.key_row_id, more)?
        {
            continue;
        }
        let id = db::insert_tallied(conn, &new_request(e), more)?;
        written.push((tally.clone(), id));
    }
    Ok(written)
}
