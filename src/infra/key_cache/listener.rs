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
//! has re-listened, caught up and heard its own probe.
//!
//! A channel can also connect and never deliver: through a pooler in
//! transaction mode, `LISTEN` holds for one transaction only. So with every
//! heartbeat a second connection announces a probe on the channel, and the
//! cache is trusted only while the latest came back within 2 s and the
//! heartbeat ran in the listening server session; else
//! the channel counts as *silent*: a WARN, the metric
//! `key_cache_channel_silent`, reads per batch, and another try in 10 s
//! (docs/operator-guide.md: Scale-out → Connection poolers). An instance is *live* for others while its
//! heartbeat is under 5 s old; it stops trusting itself after 2 s, before
//! anyone stops waiting for it.

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
    /// Live instances at the last heartbeat, this one included (cluster-wide rate limits share by it).
    pub instances: Arc<std::sync::atomic::AtomicU32>,
    generation: AtomicU64,
    /// Milliseconds after `epoch` of the last successful round trip; 0 = not trusted.
    last_ok_ms: AtomicU64,
    epoch: Instant,
}

impl Live {
    pub fn new() -> Self {
        let id = format!("inst_{}", crate::domain::token::random_base62(16));
        Self {
            id,
            instances: Arc::new(std::sync::atomic::AtomicU32::new(1)),
            generation: AtomicU64::new(0),
            last_ok_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
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

/// How long a probe may take to come back before the channel counts as silent.
const PROBE_WAIT: Duration = Duration::from_secs(2);
/// How long a silent channel waits before it is tried again.
const SILENT_RETRY: Duration = Duration::from_secs(10);

/// Why a connection's life ended.
enum Ended {
    Failed(crate::db::QueryError),
    /// Connected, but its own probe never came back, or a statement ran in
    /// another server process: a pooler in transaction mode is in between.
    Silent(&'static str),
}

impl From<crate::db::QueryError> for Ended {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Failed(e)
    }
}

/// Starts the listening thread; it ends when `live` is dropped (the server is gone).
pub fn start(url: String, live: &Arc<Live>, metrics: Arc<Metrics>) {
    let weak = Arc::downgrade(live);
    let spawned = std::thread::Builder::new().name("latchkey-listen".into()).spawn(move || {
        while weak.upgrade().is_some() {
            let mut pause = RECONNECT;
            match listen(&url, &weak, &metrics) {
                Ok(()) => {}
                Err(Ended::Failed(e)) => {
                    tracing::warn!(error = %e, "the key cache's notification channel failed; reading per request until it is back");
                    metrics.channel_lost();
                }
                Err(Ended::Silent(why)) => {
                    tracing::warn!(
                        why,
                        "the key cache's notification channel is silent (is LATCHKEY_LISTEN_DATABASE_URL, or DATABASE_URL, going through a pooler in transaction mode?); reading per batch of requests, trying again in 10 s"
                    );
                    metrics.channel_silent();
                    if let Some(live) = weak.upgrade() {
                        // Distrust first: once the row is gone nobody waits for this instance.
                        live.distrust();
                        // Nobody should wait for the acknowledgements of an instance that reads per batch.
                        let _ = instances::leave_via(&url, &live.id);
                    }
                    pause = SILENT_RETRY;
                }
            }
            if let Some(live) = weak.upgrade() {
                live.distrust();
            }
            std::thread::sleep(pause);
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the key cache's listener; reading per request");
    }
}

/// This session's probes: each heartbeat announces the next on the channel
/// once the last came back, so a channel that stops delivering is noticed
/// within `PROBE_WAIT`.
struct Probes {
    sent: u64,
    heard: u64,
    sent_at: Instant,
}

/// One connection's life: listen, catch up, prove the channel delivers,
/// then apply and acknowledge notifications and heartbeat (each with a probe)
/// until something fails or the server is gone. The cache is trusted only
/// while the latest probe came back in time on this very server session.
fn listen(url: &str, weak: &Weak<Live>, metrics: &Metrics) -> Result<(), Ended> {
    let mut conn = Listener::connect(url)?;
    let session = conn.backend_pid()?;
    let Some(live) = weak.upgrade() else { return Ok(()) };
    // Caught up: everything committed before LISTEN is in this read; everything after arrives as a notification.
    let caught_up = instances::generation(&mut conn)?;
    live.apply(caught_up);
    let id = live.id.clone();
    drop(live);
    let mut probes = Probes { sent: 0, heard: 0, sent_at: Instant::now() };
    let mut trusted = false;
    let mut last_beat: Option<Instant> = None;
    loop {
        let Some(live) = weak.upgrade() else {
            let _ = instances::leave(&mut conn, &id);
            return Ok(());
        };
        let (newest, heard) = conn.newest_announced(&id)?;
        probes.heard = probes.heard.max(heard.unwrap_or(0));
        if probes.heard < probes.sent && probes.sent_at.elapsed() >= PROBE_WAIT {
            return Err(Ended::Silent("the channel's own probe did not come back within 2 s"));
        }
        if !trusted && probes.heard > 0 {
            trusted = true;
            metrics.channel_heard();
            tracing::info!(instance = %live.id, generation = caught_up, "key cache listening for changes");
        }
        let changed = newest.is_some_and(|g| live.apply(g));
        if changed {
            metrics.invalidated();
        }
        if changed || last_beat.is_none_or(|t| t.elapsed() >= HEARTBEAT) {
            let acked = live.generation.load(Ordering::Acquire);
            let (ran_in, count) = instances::heartbeat_counted(&mut conn, &live.id, acked)?;
            let count = u32::try_from(count).unwrap_or(1).max(1);
            live.instances.store(count, Ordering::Relaxed);
            metrics.instances_live(count);
            if ran_in != session {
                return Err(Ended::Silent("statements on the listening connection ran in another server session"));
            }
            if probes.heard == probes.sent {
                conn.probe(&live.id, probes.sent + 1)?;
                probes.sent += 1;
                probes.sent_at = Instant::now();
            }
            if changed {
                metrics.acknowledged();
            }
            last_beat = Some(Instant::now());
            if trusted {
                live.ok();
            }
        }
        drop(live);
        std::thread::sleep(POLL);
    }
}

/// Takes this instance out of the registry (an orderly stop), so nobody waits for it.
pub fn leave(url: &str, id: &str) {
    let _ = instances::leave_via(url, id);
}
