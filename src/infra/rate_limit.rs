//! Per-key rate limits (requests per minute) with governor's GCRA limiter.
//! Limits are kept per instance: with N instances the worst case is N × the
//! limit (docs/api-guide.md: Rate limits).

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

#[derive(Default)]
pub struct RateLimits {
    /// Key row id → (its limit, its limiter). A changed limit gets a fresh limiter.
    limiters: Mutex<HashMap<i64, (u32, Arc<Limiter>)>>,
}

impl RateLimits {
    /// Counts one request of key `id` against `per_minute` (0 = unlimited).
    pub fn check(&self, id: i64, per_minute: u32) -> Decision {
        let Some(rate) = NonZeroU32::new(per_minute) else { return Decision::Unlimited };
        let limiter = {
            let Ok(mut map) = self.limiters.lock() else { return Decision::Unlimited };
            match map.get(&id) {
                Some((limit, limiter)) if *limit == per_minute => limiter.clone(),
                _ => {
                    let limiter = Arc::new(
                        governor::RateLimiter::direct(Quota::per_minute(rate))
                            .with_middleware::<StateInformationMiddleware>(),
                    );
                    map.insert(id, (per_minute, limiter.clone()));
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
    use super::{Decision, RateLimits};

    #[test]
    fn a_key_gets_its_burst_then_waits() {
        let limits = RateLimits::default();
        assert_eq!(limits.check(1, 3), Decision::Allowed { limit: 3, remaining: 2 });
        assert_eq!(limits.check(1, 3), Decision::Allowed { limit: 3, remaining: 1 });
        assert_eq!(limits.check(1, 3), Decision::Allowed { limit: 3, remaining: 0 });
        match limits.check(1, 3) {
            Decision::Limited { limit: 3, retry_after_secs } => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(limits.check(2, 3), Decision::Allowed { .. }), "keys are independent");
        assert_eq!(limits.check(1, 0), Decision::Unlimited);
        assert!(matches!(limits.check(1, 5), Decision::Allowed { limit: 5, .. }), "a new limit starts afresh");
    }
}
