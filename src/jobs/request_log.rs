//! Writes the per-key request log (README: Leak response): drains the
//! queue into a buffer all the time and writes the buffer as one
//! transaction at most once a second — which keeps SQLite's key cache
//! (invalidated by every commit) warm. Networks a key was seen using within
//! the last hour are not looked up again.

use crate::request_log::{Entry, KeyIdentity, NetworkCheck};
use crate::state::AppState;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// At most one batch written per this long.
const WINDOW: Duration = Duration::from_secs(1);
/// Requests held waiting for the next write, at most; more are dropped and counted.
const MAX_BUFFER: usize = 60_000;
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

/// What writing one batch came to: how many requests, and the keys that got `api_key.new_network`.
type Written = (usize, Result<Vec<KeyIdentity>, crate::db::Error>);

impl Memory {
    fn settle(&mut self, state: &AppState, written: Result<Written, tokio::task::JoinError>) {
        match written {
            Ok((_, Ok(reported))) => {
                let now = Instant::now();
                self.reported.extend(reported.into_iter().map(|k| (k, now)));
            }
            Ok((count, Err(e))) => {
                // The batch is lost (the log is forensic help, not the record of truth); retrying could pile up.
                self.confirmed.clear();
                tracing::warn!(error = %crate::db::chain(&e), requests = count, "writing the request log failed");
                state.metrics.request_log_dropped(count as u64);
            }
            Err(e) => tracing::warn!(error = %e, "the request-log write task failed"),
        }
    }

    /// Starts writing `batch` on the blocking pool.
    fn write(&mut self, state: &AppState, batch: Vec<Entry>) -> tokio::task::JoinHandle<Written> {
        let (checks, quiet, db) = (self.checks(&batch), self.quiet(), state.db.clone());
        tokio::spawn(async move {
            let count = batch.len();
            (count, db.run(move |conn| crate::request_log::write(conn, &batch, &checks, &quiet)).await)
        })
    }
}

/// Runs until the queue closes (the process ends). The queue is drained all
/// the time, also while a batch is being written; a batch starts at most
/// once a second, and only when the one before has been written.
pub async fn run_forever(state: Arc<AppState>) {
    let Some(mut rx) = state.request_log.take_receiver() else { return };
    let mut memory = Memory::default();
    let mut buffer: Vec<Entry> = Vec::new();
    let mut writing: Option<tokio::task::JoinHandle<Written>> = None;
    let mut tick = tokio::time::interval(WINDOW);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            entry = rx.recv() => match entry {
                Some(entry) if buffer.len() < MAX_BUFFER => buffer.push(entry),
                Some(_) => state.metrics.request_log_dropped(1),
                None => break,
            },
            written = async {
                match writing.as_mut() {
                    Some(handle) => handle.await,
                    None => std::future::pending().await,
                }
            } => {
                writing = None;
                memory.settle(&state, written);
            }
            _ = tick.tick(), if writing.is_none() && !buffer.is_empty() => {
                writing = Some(memory.write(&state, std::mem::take(&mut buffer)));
            }
        }
    }
    if let Some(handle) = writing.take() {
        memory.settle(&state, handle.await);
    }
    if !buffer.is_empty() {
        let handle = memory.write(&state, buffer);
        memory.settle(&state, handle.await);
    }
}
