//! What the request-log writer remembers between batches (jobs/request_log.rs):
//! the (key, network) pairs confirmed in the database within the last hour,
//! not looked up again, and the keys that got `api_key.new_network` within
//! the last minute, which get no other. Kept in the shared state, so the
//! writer's loop and a one-off flush (an orderly stop, a test) share it.

use super::{Entry, KeyIdentity, NetworkCheck};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// A (key, network) confirmed this recently is not checked again.
const RECHECK: Duration = Duration::from_secs(3600);
/// At most one `api_key.new_network` a minute per key.
const QUIET: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct WriterMemory {
    /// (key row id, key created at, network) → when it was last confirmed in the database.
    confirmed: HashMap<(i64, chrono::NaiveDateTime, String), Instant>,
    /// Key → when it last got `api_key.new_network`.
    reported: HashMap<KeyIdentity, Instant>,
}

impl WriterMemory {
    /// The networks of this batch to check in the database.
    pub fn checks(&mut self, batch: &[Entry]) -> Vec<NetworkCheck> {
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

    /// The keys that got `api_key.new_network` within the last minute.
    pub fn quiet(&mut self) -> HashSet<KeyIdentity> {
        let now = Instant::now();
        self.reported.retain(|_, at| now.duration_since(*at) < QUIET);
        self.reported.keys().copied().collect()
    }

    /// Keys that just got `api_key.new_network`.
    pub fn reported(&mut self, keys: impl IntoIterator<Item = KeyIdentity>) {
        let now = Instant::now();
        self.reported.extend(keys.into_iter().map(|k| (k, now)));
    }

    /// After a failed write: nothing of the batch was confirmed after all.
    pub fn forget_confirmed(&mut self) {
        self.confirmed.clear();
    }
}
