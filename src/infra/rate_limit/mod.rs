//! Per-key and per-owner rate limits (requests per minute: a burst of the
//! whole limit, refilled continuously). On one instance (SQLite, or
//! `LATCHKEY_RATE_LIMIT_SCOPE=instance`) governor's GCRA limiter decides
//! alone; on PostgreSQL the limit holds across instances (cluster.rs:
//! leases from a bucket in the database).

mod cluster;

pub use cluster::Lessor;

use governor::clock::Clock;
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

type Limiter = DefaultDirectRateLimiter<StateInformationMiddleware>;

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Unlimited,
    Allowed { limit: u32, remaining: u32 },
    Limited { limit: u32, retry_after_secs: u64 },
}

impl Decision {
    /// The stricter of two answers: a refusal over an allowance, then the fewer remaining.
    pub fn stricter(self, other: Self) -> Self {
        match (self, other) {
            (Self::Limited { .. }, _) | (Self::Allowed { .. }, Self::Unlimited) => self,
            (_, Self::Limited { .. }) | (Self::Unlimited, _) => other,
            (Self::Allowed { remaining: a, .. }, Self::Allowed { remaining: b, .. }) => {
                if b < a {
                    other
                } else {
                    self
                }
            }
        }
    }
}

/// What a limit is counted against: a key, or an owner of an organisation (all its keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bucket {
    Key(i64),
    Owner(i64, String),
}

impl Bucket {
    /// Its name in the cluster's table.
    fn name(&self) -> String {
        match self {
            Self::Key(id) => format!("k:{id}"),
            Self::Owner(org, owner) => format!("o:{org}:{owner}"),
        }
    }
}

pub struct RateLimits {
    scope: Scope,
}

enum Scope {
    /// Bucket → (its limit, its limiter). A changed limit gets a fresh limiter.
    Instance(Mutex<HashMap<Bucket, (u32, Arc<Limiter>)>>),
    Cluster(cluster::Shares),
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { scope: Scope::Instance(Mutex::default()) }
    }
}

impl RateLimits {
    /// Limits that hold across the instances sharing the database, this one
    /// registered as `instance` (call [`RateLimits::sync`] every second).
    /// `lessor` leases from the buckets in the database; `live`: how many
    /// instances are live, kept up to date by the key cache's listener.
    pub fn cluster(lessor: Lessor, live: Arc<std::sync::atomic::AtomicU32>) -> Self {
        Self { scope: Scope::Cluster(cluster::Shares::new(lessor, live)) }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.scope, Scope::Cluster(_))
    }

    /// Counts one request against `bucket`'s `per_minute` (0 = unlimited).
    /// On the cluster, a request waits for the database only to lease (see cluster.rs).
    pub async fn check(&self, bucket: &Bucket, per_minute: u32) -> Decision {
        if per_minute == 0 {
            return Decision::Unlimited;
        }
        match &self.scope {
            Scope::Instance(limiters) => check_here(limiters, bucket, per_minute),
            Scope::Cluster(shares) => shares.check(bucket, per_minute).await,
        }
    }

    /// Reports what this instance spent and takes its next shares (cluster
    /// limits; nothing otherwise). Nothing is sent when nothing was asked.
    pub async fn sync(&self) -> Result<(), crate::db::Error> {
        match &self.scope {
            Scope::Instance(_) => Ok(()),
            Scope::Cluster(shares) => shares.sync().await,
        }
    }
}

fn check_here(limiters: &Mutex<HashMap<Bucket, (u32, Arc<Limiter>)>>, bucket: &Bucket, per_minute: u32) -> Decision {
    let Some(rate) = NonZeroU32::new(per_minute) else { return Decision::Unlimited };
    let limiter = {
        let Ok(mut map) = limiters.lock() else { return Decision::Unlimited };
        match map.get(bucket) {
            Some((limit, limiter)) if *limit == per_minute => limiter.clone(),
            _ => {
                let limiter = Arc::new(
                    governor::RateLimiter::direct(Quota::per_minute(rate))
                        .with_middleware::<StateInformationMiddleware>(),
                );
                map.insert(bucket.clone(), (per_minute, limiter.clone()));
                limiter
            }
        }
    };
    match limiter.check() {
        Ok(state) => Decision::Allowed { limit: per_minute, remaining: state.remaining_burst_capacity() },
        Err(not_until) => {
            let wait = not_until.wait_time_from(limiter.clock().now());
            Decision::Limited {
                limit: per_minute,
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        }
    }
}

/// A per-client-address limit for unauthenticated endpoints (the public
/// revocation endpoint): `per_minute` requests a minute from each address.
pub struct AddressLimits {
    limiter: governor::DefaultKeyedRateLimiter<std::net::IpAddr>,
    per_minute: u32,
}

impl AddressLimits {
    /// `per_minute` is at least 1.
    pub fn new(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self { limiter: governor::RateLimiter::keyed(Quota::per_minute(rate)), per_minute: rate.get() }
    }

    /// `Err(seconds to wait)` when `ip` is over its limit.
    pub fn check(&self, ip: std::net::IpAddr) -> Result<(), u64> {
        self.limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Forgets addresses back at their full allowance, so memory follows recent callers only.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::{Bucket, Decision, check_here};

    #[test]
    fn a_key_gets_its_burst_then_waits() {
        let limiters = Default::default();
        let check = |bucket: &Bucket, limit| check_here(&limiters, bucket, limit);
        let (one, two) = (Bucket::Key(1), Bucket::Key(2));
        assert_eq!(check(&one, 3), Decision::Allowed { limit: 3, remaining: 2 });
        assert_eq!(check(&one, 3), Decision::Allowed { limit: 3, remaining: 1 });
        assert_eq!(check(&one, 3), Decision::Allowed { limit: 3, remaining: 0 });
        match check(&one, 3) {
            Decision::Limited { limit: 3, retry_after_secs } => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(check(&two, 3), Decision::Allowed { .. }), "keys are independent");
        assert_eq!(check(&one, 0), Decision::Unlimited);
        assert!(matches!(check(&one, 5), Decision::Allowed { limit: 5, .. }), "a new limit starts afresh");
    }

    #[test]
    fn the_stricter_answer_wins() {
        let (few, many) = (Decision::Allowed { limit: 9, remaining: 1 }, Decision::Allowed { limit: 9, remaining: 5 });
        let limited = Decision::Limited { limit: 9, retry_after_secs: 3 };
        assert_eq!(few.stricter(many), few);
        assert_eq!(many.stricter(few), few);
        assert_eq!(many.stricter(limited), limited);
        assert_eq!(Decision::Unlimited.stricter(many), many);
        assert_eq!(limited.stricter(Decision::Unlimited), limited);
    }
}
