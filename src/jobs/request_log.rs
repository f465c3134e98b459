//! Writes the per-key request log (docs/user-guide.md: Per-key request log): takes the
//! buffer once a second and writes it as one transaction — so at most one
//! commit a second, which keeps SQLite's key cache (invalidated by every
//! commit) warm. Networks a key was seen using within the last hour are not
//! looked up again.

use crate::app::request_log::{Entry, KeyIdentity, NetworkCheck};
use crate::app::state::AppState;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One batch written per this long, at most.
const WINDOW: Duration = Duration::from_secs(1);
/// A (key, network) confirmed this recently is not checked again.
const RECHECK: Duration = Duration::from_secs(3600);
/// At most one `api_key.new_network` a minute per key.
const QUIET: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Memory {
    /// (key row id, key created at, network) → when it was last confirmed in the database.
    confirmed: HashMap<(i64, chrono::NaiveDateTime, String), Instant>,
    /// Key → when it last got `api_key.new_network`.
    reported: HashMap<KeyIdentity, Instant>,
}

impl Memory {
    /// The networks of this batch to check in the database.
    fn checks(&mut self, batch: &[Entry]) -> Vec<NetworkCheck> {
        let now = Instant::now();
        self.confirmed.retain(|_, at| now.duration_since(*at) < RECHECK);
        let mut checks = Vec::new();
        for (i, e) in batch.iter().enumerate() {
            let Some(ip) = e.ip.filter(|_| e.authenticated) else { continue };
            let network = crate::domain::leak::network_of(ip);
            if let std::collections::hash_map::Entry::Vacant(slot) =
                self.confirmed.entry((e.key_row_id, e.key_created_at, network.clone()))
            {
                slot.insert(now);
                checks.push((i, network));
            }
        }
        checks
    }

    fn quiet(&mut self) -> HashSet<KeyIdentity> {
        let now = Instant::now();
        self.reported.retain(|_, at| now.duration_since(*at) < QUIET);
        self.reported.keys().copied().collect()
    }
}

/// Writes one batch; a failure is logged and the batch counted as dropped.
async fn write(state: &AppState, memory: &mut Memory, batch: Vec<Entry>) {
    let (checks, quiet, count) = (memory.checks(&batch), memory.quiet(), batch.len());
    match state.db.run(move |conn| crate::app::request_log::write(conn, &batch, &checks, &quiet)).await {
        Ok(reported) => {
            let now = Instant::now();
            memory.reported.extend(reported.into_iter().map(|k| (k, now)));
        }
        Err(e) => {
            // The batch is lost (the log is forensic help, not the record of truth); retrying could pile up.
            memory.confirmed.clear();
            tracing::warn!(error = %crate::db::chain(&e), requests = count, "writing the request log failed");
            state.metrics.request_log_dropped(count as u64);
        }
    }
}

/// Takes the buffer once a second and writes it, until the process ends.
pub async fn run_forever(state: Arc<AppState>) {
    if !state.request_log.enabled() {
        return;
    }
    let mut memory = Memory::default();
    let mut tick = tokio::time::interval(WINDOW);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let batch = state.request_log.take();
        if !batch.is_empty() {
            write(&state, &mut memory, batch).await;
        }
    }
}

/// Writes what is buffered now (an orderly stop).
pub async fn flush(state: &AppState) {
    let batch = state.request_log.take();
    if !batch.is_empty() {
        write(state, &mut Memory::default(), batch).await;
    }
}
