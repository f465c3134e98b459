//! Rate limits that hold across instances (PostgreSQL). The database keeps
//! one token bucket per key or owner (capacity = the limit, refilled at the
//! limit per minute). Each instance *leases* tokens from a bucket and spends
//! them in memory. A sync (one transaction) moves a lease towards about two
//! periods of the instance's demand, never beyond its fair part (the bucket
//! and the lease together, divided among the instances holding leases):
//! once a second for every bucket asked for, and in the request itself when
//! its lease ran out while the bucket should hold a token (at most ten
//! times a second per bucket). A lease nobody asked for in 3 s goes back.
//! A token is spent only once leased, so the instances together never allow
//! more than the bucket held, and one instance alone allows exactly the
//! burst-then-refill of the limit. A busy cluster costs about one
//! transaction per instance per second, however many requests it serves.

use super::{Bucket, Decision};
use crate::db::rate_buckets::{Ask, Lease};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A lease nobody asked for in this long goes back to its bucket.
const IDLE: Duration = Duration::from_secs(3);
/// Top-ups in requests, at most one per bucket in this long.
const TOP_UP_GAP: Duration = Duration::from_millis(100);

/// Leases tokens for this instance: moves each asked bucket's lease and
/// answers the leases by bucket name. The application provides it (it is a
/// write, which belongs to a use case).
pub type Lessor = Arc<
    dyn Fn(Vec<Ask>) -> futures_util::future::BoxFuture<'static, Result<HashMap<String, Lease>, crate::db::Error>>
        + Send
        + Sync,
>;

pub struct Shares {
    lessor: Lessor,
    shares: Mutex<HashMap<Bucket, Share>>,
    /// Live instances, as the key cache's listener last counted them.
    live: Arc<AtomicU32>,
}

#[derive(Debug, Clone)]
struct Share {
    limit: u32,
    /// Leased tokens not spent yet (negative: owed, after a lease was given back while in use).
    lease: f64,
    /// The bucket's unleased tokens at the last sync (infinite: not synced yet).
    unleased: f64,
    synced_at: Instant,
    /// Instances holding a lease at the last sync.
    sharers: u32,
    /// Requests asked (served or not) since the last sync.
    demand: u32,
    last_asked: Instant,
    /// Held while a request tops the lease up, so concurrent ones wait for it instead of each asking.
    topping_up: Arc<tokio::sync::Mutex<()>>,
}

impl Share {
    fn new(limit: u32) -> Self {
        let now = Instant::now();
        Self {
            limit,
            lease: 0.0,
            unleased: f64::INFINITY,
            synced_at: now,
            sharers: 1,
            demand: 0,
            last_asked: now,
            topping_up: Arc::default(),
        }
    }

    fn apply(&mut self, lease: &Lease) {
        self.lease += lease.granted;
        self.unleased = lease.unleased;
        self.sharers = u32::try_from(lease.sharers).unwrap_or(1).max(1);
        self.synced_at = Instant::now();
    }

    /// Whether a request should top the lease up now: it is spent, and the
    /// bucket held a token at the last sync, or should by now through its
    /// refill (asked at most every `TOP_UP_GAP` then, as a flood waits for it).
    fn wants_top_up(&self) -> bool {
        if self.lease >= 1.0 - 1e-9 {
            return false;
        }
        let elapsed = self.synced_at.elapsed();
        let refill = f64::from(self.limit) / 60.0 * elapsed.as_secs_f64();
        // In debt, or waiting for the refill: at most every TOP_UP_GAP (a flood must not become a transaction each).
        let prompt = self.lease >= 0.0 && self.unleased >= 1.0;
        prompt || (self.lease + self.unleased + refill >= 1.0 && elapsed >= TOP_UP_GAP)
    }

    /// The smallest lease worth asking for: a tenth of the instance's part.
    fn chunk(&self, live: u32) -> f64 {
        (f64::from(self.limit) / (10.0 * f64::from(live.max(1)))).max(1.0)
    }

    /// What to ask of the bucket now: about two periods of demand, or (idle) nothing.
    fn ask(&mut self, bucket: &Bucket, live: u32) -> Ask {
        let want =
            if self.last_asked.elapsed() >= IDLE { 0.0 } else { (2.0 * f64::from(self.demand)).max(self.chunk(live)) };
        self.demand = 0;
        Ask { bucket: bucket.name(), capacity: i64::from(self.limit), unused: self.lease, want }
    }

    fn take(&mut self) -> Decision {
        let limit = self.limit;
        self.demand = self.demand.saturating_add(1);
        self.last_asked = Instant::now();
        if self.lease >= 1.0 - 1e-9 {
            self.lease -= 1.0;
            let remaining = (self.lease + self.unleased).max(0.0).floor() as u32;
            return Decision::Allowed { limit, remaining: remaining.min(limit) };
        }
        // More comes with a sync, as the bucket refills.
        let per_token = 60.0 * f64::from(self.sharers) / f64::from(limit.max(1));
        Decision::Limited { limit, retry_after_secs: (per_token.ceil() as u64).clamp(1, 60) }
    }
}

impl Shares {
    pub fn new(lessor: Lessor, live: Arc<AtomicU32>) -> Self {
        Self { lessor, shares: Mutex::default(), live }
    }

    pub async fn check(&self, bucket: &Bucket, per_minute: u32) -> Decision {
        let topping_up = {
            let Ok(mut shares) = self.shares.lock() else { return Decision::Unlimited };
            let share = shares.entry(bucket.clone()).or_insert_with(|| Share::new(per_minute));
            if share.limit != per_minute {
                *share = Share::new(per_minute);
            }
            if !share.wants_top_up() {
                return share.take();
            }
            // Asked for now: the sync must not take this share for idle meanwhile.
            share.last_asked = Instant::now();
            share.topping_up.clone()
        };
        let _one_at_a_time = topping_up.lock().await;
        let ask = {
            let Ok(mut shares) = self.shares.lock() else { return Decision::Unlimited };
            let Some(share) = shares.get_mut(bucket) else { return Decision::Unlimited };
            // Another request may have topped it up meanwhile.
            if !share.wants_top_up() {
                return share.take();
            }
            share.demand = share.demand.saturating_add(1);
            share.ask(bucket, self.live.load(Ordering::Relaxed))
        };
        let leased = (self.lessor)(vec![ask]).await;
        let Ok(mut shares) = self.shares.lock() else { return Decision::Unlimited };
        let share = shares.entry(bucket.clone()).or_insert_with(|| Share::new(per_minute));
        match leased.map(|mut l| l.remove(&bucket.name())) {
            Ok(Some(lease)) => share.apply(&lease),
            Ok(None) => {}
            Err(e) => {
                // Nothing leased, nothing invented: refused until a sync gets through.
                tracing::warn!(error = %e, "could not lease from a cluster-wide rate limit; refusing until it can");
                share.unleased = 0.0;
                share.synced_at = Instant::now();
            }
        }
        share.take()
    }

    /// Moves the lease of every bucket asked for since the last sync towards
    /// its demand, and gives back the leases of buckets nobody asked for in 3 s.
    pub async fn sync(&self) -> Result<(), crate::db::Error> {
        let live = self.live.load(Ordering::Relaxed);
        let asks: Vec<(Bucket, Ask)> = {
            let Ok(mut shares) = self.shares.lock() else { return Ok(()) };
            shares
                .iter_mut()
                .filter(|(_, s)| s.demand > 0 || s.last_asked.elapsed() >= IDLE)
                .map(|(bucket, s)| (bucket.clone(), s.ask(bucket, live)))
                .collect()
        };
        if asks.is_empty() {
            return Ok(());
        }
        let sent: Vec<Ask> = asks.iter().map(|(_, a)| a.clone()).collect();
        let leases = (self.lessor)(sent).await;
        let Ok(mut shares) = self.shares.lock() else { return Ok(()) };
        let leases = match leases {
            Ok(leases) => leases,
            Err(e) => {
                for (bucket, _) in &asks {
                    if let Some(share) = shares.get_mut(bucket) {
                        share.demand = share.demand.max(1);
                    }
                }
                return Err(e);
            }
        };
        for (bucket, ask) in asks {
            let Some(lease) = leases.get(&ask.bucket) else { continue };
            let Some(share) = shares.get_mut(&bucket).filter(|s| i64::from(s.limit) == ask.capacity) else { continue };
            // Spending went on during the sync: the lease moves by what was granted or taken back.
            share.apply(lease);
            if ask.want <= 0.0 && share.demand == 0 {
                shares.remove(&bucket);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_spends_its_lease_then_waits_for_the_next() {
        let mut share = Share::new(30);
        share.apply(&Lease { granted: 2.0, unleased: 10.0, sharers: 3 });
        assert_eq!(share.take(), Decision::Allowed { limit: 30, remaining: 11 });
        assert_eq!(share.take(), Decision::Allowed { limit: 30, remaining: 10 });
        assert_eq!(share.take(), Decision::Limited { limit: 30, retry_after_secs: 6 });
        // It asks for two periods of what was asked of it (three requests), at least a chunk.
        let ask = share.ask(&Bucket::Key(1), 3);
        assert_eq!((ask.want, ask.unused), (6.0, 0.0));
        assert_eq!(share.ask(&Bucket::Key(1), 3).want, 1.0, "a tenth of its part of 30 a minute, at least 1");
    }
}
