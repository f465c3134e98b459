//! PostgreSQL: how an instance keeps its key cache without a read per
//! request (docs/operator-guide.md: Scale-out). A thread holds one connection that
//! `LISTEN`s on `latchkey_auth`; every key or organisation change announces
//! its new auth generation there at commit. The thread applies it (cached
//! keys read under an older generation are never served again) and
//! acknowledges it in `api_instances` at once, and heartbeats every second.
//!
//! The cache is trusted only while this works: any error, or two seconds
//! without a successful round trip (a connection that hangs), and requests
//! read the generation from the database again, as before — so a partitioned
//! instance never serves a revoked key. It is trusted again once the thread
//! has re-listened and caught up. An instance is *live* for others while its
//! heartbeat is under 5 s old; it stops trusting itself after 2 s, before
//! anyone stops waiting for it.

use crate::db::QueryResult;
use crate::db::instances::{self, Listener};
use crate::infra::metrics::Metrics;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How long the cache stays trusted after the last successful round trip.
const TRUST: Duration = Duration::from_secs(2);
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How often the connection is checked for notifications.
const POLL: Duration = Duration::from_millis(10);
const RECONNECT: Duration = Duration::from_millis(500);

/// What the thread shares with requests.
pub struct Live {
    pub id: String,
    generation: AtomicU64,
    /// Milliseconds after `epoch` of the last successful round trip; 0 = not trusted.
    last_ok_ms: AtomicU64,
    epoch: Instant,
}

impl Live {
    pub fn new() -> Self {
        let id = format!("inst_{}", crate::domain::token::random_base62(16));
        Self { id, generation: AtomicU64::new(0), last_ok_ms: AtomicU64::new(0), epoch: Instant::now() }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    /// The generation to cache under, while the channel is known to work.
    pub fn trusted_generation(&self) -> Option<u64> {
        let last = self.last_ok_ms.load(Ordering::Acquire);
        (last != 0 && self.now_ms().saturating_sub(last) < TRUST.as_millis() as u64)
            .then(|| self.generation.load(Ordering::Acquire))
    }

    pub fn is_trusted(&self) -> bool {
        self.trusted_generation().is_some()
    }

    fn ok(&self) {
        self.last_ok_ms.store(self.now_ms(), Ordering::Release);
    }

    fn distrust(&self) {
        self.last_ok_ms.store(0, Ordering::Release);
    }

    /// Moves to `generation` (never back); true when it was new.
    fn apply(&self, generation: u64) -> bool {
        self.generation.fetch_max(generation, Ordering::AcqRel) < generation
    }
}

/// Starts the listening thread; it ends when `live` is dropped (the server is gone).
pub fn start(url: String, live: &Arc<Live>, metrics: Arc<Metrics>) {
    let weak = Arc::downgrade(live);
    let spawned = std::thread::Builder::new().name("latchkey-listen".into()).spawn(move || {
        while weak.upgrade().is_some() {
            if let Err(e) = listen(&url, &weak, &metrics) {
                tracing::warn!(error = %e, "the key cache's notification channel failed; reading per request until it is back");
            }
            if let Some(live) = weak.upgrade() {
                live.distrust();
                metrics.channel_lost();
            }
            std::thread::sleep(RECONNECT);
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the key cache's listener; reading per request");
    }
}

/// One connection's life: listen, catch up, then apply and acknowledge
/// notifications and heartbeat until something fails or the server is gone.
fn listen(url: &str, weak: &Weak<Live>, metrics: &Metrics) -> QueryResult<()> {
    let mut conn = Listener::connect(url)?;
    let Some(live) = weak.upgrade() else { return Ok(()) };
    // Caught up: everything committed before LISTEN is in this read; everything after arrives as a notification.
    let caught_up = instances::generation(&mut conn)?;
    live.apply(caught_up);
    instances::heartbeat(&mut conn, &live.id, live.generation.load(Ordering::Acquire))?;
    live.ok();
    metrics.channel_heard();
    tracing::info!(instance = %live.id, generation = caught_up, "key cache listening for changes");
    let id = live.id.clone();
    drop(live);
    let mut last_beat = Instant::now();
    loop {
        let Some(live) = weak.upgrade() else {
            let _ = instances::leave(&mut conn, &id);
            return Ok(());
        };
        let newest = conn.newest_announced()?;
        let changed = newest.is_some_and(|g| live.apply(g));
        if changed {
            metrics.invalidated();
        }
        if changed || last_beat.elapsed() >= HEARTBEAT {
            instances::heartbeat(&mut conn, &live.id, live.generation.load(Ordering::Acquire))?;
            if changed {
                metrics.acknowledged();
            }
            last_beat = Instant::now();
            live.ok();
        }
        drop(live);
        std::thread::sleep(POLL);
    }
}

/// Takes this instance out of the registry (an orderly stop), so nobody waits for it.
pub fn leave(url: &str, id: &str) {
    let _ = instances::leave_via(url, id);
}
