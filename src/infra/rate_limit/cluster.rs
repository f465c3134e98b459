//! Rate limits that hold across instances (PostgreSQL). The database keeps
//! one token bucket per key or owner (capacity = the limit, refilled at the
//! limit per minute); each instance spends from a *share* it holds in
//! memory and, at most once a second, reports in one statement what it
//! spent and takes its next share: what the bucket holds, divided among the
//! instances that spent from it in the last 3 s. A request never waits for
//! the database, and a busy cluster costs one transaction per instance per
//! second, however many requests it serves.
//!
//! Between two syncs the instances together spend at most what the bucket
//! held, so N instances allow what one would, give or take the refill of a
//! second. A share a bucket never had before is the instance's part of a
//! full bucket (among the live instances); a share that was not synced for a
//! while is re-estimated from its last sync plus the refill since.

use super::{Bucket, Decision};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A share not synced for this long is re-estimated before use.
const STALE: Duration = Duration::from_secs(3);
/// A share nobody asked for in this long is forgotten.
const IDLE: Duration = Duration::from_secs(60);

pub struct Shares {
    instance: String,
    shares: Mutex<HashMap<Bucket, Share>>,
    /// Live instances, as the key cache's listener last counted them.
    live: Arc<AtomicU32>,
}

#[derive(Debug, Clone)]
struct Share {
    limit: u32,
    /// Tokens this instance may spend since `synced`.
    budget: f64,
    /// Spent since `synced` (counted against `budget`).
    spent: u32,
    /// Spent and not yet reported.
    unreported: u32,
    /// The cluster's tokens at the last sync.
    tokens: f64,
    /// Instances sharing the bucket at the last sync.
    sharers: u32,
    synced: Instant,
    asked: Instant,
}

impl Share {
    /// A share of a full bucket among `sharers`.
    fn fresh(limit: u32, sharers: u32, now: Instant) -> Self {
        let tokens = f64::from(limit);
        Self {
            limit,
            budget: tokens / f64::from(sharers.max(1)),
            spent: 0,
            unreported: 0,
            tokens,
            sharers,
            synced: now,
            asked: now,
        }
    }

    /// Tokens refilled a second, cluster-wide.
    fn refill_rate(&self) -> f64 {
        f64::from(self.limit) / 60.0
    }

    /// A share not synced for a while: the bucket as last seen plus the
    /// refill since (others may have spent it, but not more than it held).
    fn refresh_if_stale(&mut self, now: Instant) {
        let elapsed = now.duration_since(self.synced);
        if elapsed < STALE {
            return;
        }
        let tokens = (self.tokens.max(0.0) + self.refill_rate() * elapsed.as_secs_f64()).min(f64::from(self.limit));
        self.tokens = tokens;
        self.budget = tokens / f64::from(self.sharers.max(1));
        self.spent = 0;
        self.synced = now;
    }

    fn take(&mut self) -> Decision {
        let limit = self.limit;
        if f64::from(self.spent + 1) <= self.budget + 1e-9 {
            self.spent += 1;
            self.unreported += 1;
            let remaining = (self.tokens - f64::from(self.spent)).max(0.0).floor() as u32;
            return Decision::Allowed { limit, remaining };
        }
        // The next share comes with a sync (each second); a slow refill takes longer.
        let per_token = 60.0 * f64::from(self.sharers.max(1)) / f64::from(limit);
        Decision::Limited { limit, retry_after_secs: (per_token.ceil() as u64).clamp(1, 60) }
    }
}

impl Shares {
    pub fn new(instance: &str, live: Arc<AtomicU32>) -> Self {
        Self { instance: instance.to_owned(), shares: Mutex::default(), live }
    }

    pub fn check(&self, bucket: &Bucket, per_minute: u32) -> Decision {
        let now = Instant::now();
        let Ok(mut shares) = self.shares.lock() else { return Decision::Unlimited };
        let live = self.live.load(Ordering::Relaxed);
        let share = shares.entry(bucket.clone()).or_insert_with(|| Share::fresh(per_minute, live, now));
        if share.limit != per_minute {
            // A new limit starts afresh (the bucket does too, at the next sync).
            *share = Share::fresh(per_minute, live, now);
        }
        share.asked = now;
        share.refresh_if_stale(now);
        share.take()
    }

    /// Reports every share asked for since the last sync and takes the next.
    pub async fn sync(&self, db: &crate::db::Db) -> Result<(), crate::db::Error> {
        let taken: Vec<(Bucket, String, i64, i64)> = {
            let Ok(mut shares) = self.shares.lock() else { return Ok(()) };
            let now = Instant::now();
            shares.retain(|_, s| now.duration_since(s.asked) < IDLE);
            shares
                .iter_mut()
                .filter(|(_, s)| s.unreported > 0 || now.duration_since(s.synced) >= Duration::from_secs(1))
                .filter(|(_, s)| now.duration_since(s.asked) < STALE)
                .map(|(bucket, s)| {
                    let spent = std::mem::take(&mut s.unreported);
                    (bucket.clone(), bucket.name(), i64::from(s.limit), i64::from(spent))
                })
                .collect()
        };
        if taken.is_empty() {
            return Ok(());
        }
        let report: Vec<(String, i64, i64)> =
            taken.iter().map(|(_, name, cap, spent)| (name.clone(), *cap, *spent)).collect();
        let instance = self.instance.clone();
        let synced = db.run(move |conn| crate::db::rate_buckets::sync(conn, &instance, &report)).await;
        let Ok(mut shares) = self.shares.lock() else { return Ok(()) };
        let synced = match synced {
            Ok(rows) => rows,
            Err(e) => {
                // Nothing was recorded: report it again next time.
                for (bucket, _, _, spent) in &taken {
                    if let Some(s) = shares.get_mut(bucket) {
                        s.unreported += u32::try_from(*spent).unwrap_or(u32::MAX);
                    }
                }
                return Err(e);
            }
        };
        let by_name: HashMap<&str, &crate::db::rate_buckets::Synced> =
            synced.iter().map(|s| (s.bucket.as_str(), s)).collect();
        let now = Instant::now();
        for (bucket, name, limit, _) in &taken {
            let (Some(row), Some(share)) = (by_name.get(name.as_str()), shares.get_mut(bucket)) else { continue };
            if i64::from(share.limit) != *limit {
                continue;
            }
            self.live.store(u32::try_from(row.live).unwrap_or(1).max(1), Ordering::Relaxed);
            share.sharers = u32::try_from(row.sharers).unwrap_or(1).max(1);
            share.tokens = row.tokens;
            share.budget = row.tokens.max(0.0) / f64::from(share.sharers);
            // What was spent during the sync counts against the new share.
            share.spent = share.unreported;
            share.synced = now;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_share_is_a_part_of_a_full_bucket() {
        let shares = Shares::new("inst_a", Arc::new(AtomicU32::new(3)));
        let key = Bucket::Key(7);
        let allowed = (0..30).filter(|_| matches!(shares.check(&key, 30), Decision::Allowed { .. })).count();
        assert_eq!(allowed, 10, "a third of the bucket among three live instances");
        match shares.check(&key, 30) {
            Decision::Limited { limit: 30, retry_after_secs } => assert_eq!(retry_after_secs, 6),
            other => panic!("{other:?}"),
        }
    }
}
