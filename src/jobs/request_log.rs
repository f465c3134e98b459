//! Writes the per-key request log (README: Leak response): waits for the
//! first queued request, gathers what arrives in the next second, and
//! writes it as one transaction — so at most one commit a second, which
//! keeps SQLite's key cache (invalidated by every commit) warm. Networks a
//! key was seen using within the last hour are not looked up again.

use crate::request_log::{Entry, NetworkCheck};
use crate::state::AppState;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a batch gathers after its first request.
const WINDOW: Duration = Duration::from_secs(1);
/// Most requests in one batch.
const MAX_BATCH: usize = 5_000;
/// A (key, network) confirmed this recently is not checked again.
const RECHECK: Duration = Duration::from_secs(3600);
/// At most one `api_key.new_network` a minute per key.
const QUIET: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Memory {
    /// (key row id, network) → when it was last confirmed in the database.
    confirmed: HashMap<(i64, String), Instant>,
    /// Key row id → when it last got `api_key.new_network`.
    reported: HashMap<i64, Instant>,
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
                self.confirmed.entry((e.key_row_id, network.clone()))
            {
                slot.insert(now);
                checks.push((i, network));
            }
        }
        checks
    }

    fn quiet(&mut self) -> HashSet<i64> {
        let now = Instant::now();
        self.reported.retain(|_, at| now.duration_since(*at) < QUIET);
        self.reported.keys().copied().collect()
    }
}

/// Runs until the queue closes (the process ends).
pub async fn run_forever(state: Arc<AppState>) {
    let Some(mut rx) = state.request_log.take_receiver() else { return };
    let mut memory = Memory::default();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + WINDOW;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(entry)) => batch.push(entry),
                Ok(None) | Err(_) => break,
            }
        }
        let (checks, quiet) = (memory.checks(&batch), memory.quiet());
        let count = batch.len();
        match state.db.run(move |conn| crate::request_log::write(conn, &batch, &checks, &quiet)).await {
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
}
