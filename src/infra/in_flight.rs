//! What one instance's webhook sender holds at a moment: its claims, a
//! send limit per endpoint, and whether it is stopping. Kept apart from the
//! sender (`jobs::deliveries`, `app::webhooks::delivery`) so the shared state can own it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};

/// Sends in flight to one endpoint at a time, per instance: a slow endpoint
/// queues its own messages and never takes every sender.
const PER_ENDPOINT: usize = 4;

/// This instance's delivery bookkeeping: one semaphore per endpoint (created
/// on first use), the deliveries it holds claims on, and whether it is stopping.
#[derive(Default)]
pub struct InFlight {
    limits: Mutex<HashMap<i64, Arc<tokio::sync::Semaphore>>>,
    in_flight: Mutex<HashSet<i64>>,
    pub stopping: AtomicBool,
    /// Wakes the sender before its next tick: a streamed audit event was
    /// delivered, so the next one to that endpoint may go now.
    pub wake: tokio::sync::Notify,
}

impl InFlight {
    pub fn for_endpoint(&self, id: i64) -> Arc<tokio::sync::Semaphore> {
        let mut map = self.limits.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(id).or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(PER_ENDPOINT))).clone()
    }

    pub fn claims(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.in_flight.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
