//! What every use of a key passes once the key itself is in order (the
//! REST API, a verification, forward auth): its rate limit and its owner's,
//! the stricter deciding (docs/api-guide.md: Rate limits), then one of its
//! credits, spent last so a refused request spends none (docs/api-guide.md:
//! Credits).

use crate::app::keys::ApiKey;
use crate::app::state::AppState;
use crate::db;
use crate::domain::timefmt::now;
use crate::infra::rate_limit::{Bucket, Decision};

/// Counts one request against the key's limit (or the default) and, when
/// its owner has a limit, against the owner's; the stricter answer wins. An
/// owner's limit is not charged for a request the key's own limit refused.
pub async fn rate(ctx: &AppState, key: &ApiKey) -> Decision {
    let own = key.rate_limit_per_minute.and_then(|n| u32::try_from(n).ok()).unwrap_or(ctx.config.default_rate_limit);
    let decision = ctx.limits.check(&Bucket::Key(key.id), own).await;
    if matches!(decision, Decision::Limited { .. }) {
        return decision;
    }
    match (&key.owner_id, key.limits.owner_rate_limit) {
        (Some(owner), Some(limit)) => {
            let owners = ctx.limits.check(&Bucket::Owner(key.org_id, owner.clone()), limit).await;
            decision.stricter(owners)
        }
        _ => decision,
    }
}

/// What spending a credit came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    /// The key has no credits: unlimited.
    Unmetered,
    /// One was spent; this many are left.
    Spent(u64),
    /// None was left: the request is refused.
    Exhausted,
}

/// Spends one of the key's credits, if it has credits.
pub async fn spend_credit(ctx: &AppState, key: &ApiKey) -> Result<Credit, db::Error> {
    if !key.limits.metered {
        return Ok(Credit::Unmetered);
    }
    let (id, refill) = (key.id, key.limits.refill);
    let left = ctx.db.run(move |conn| db::credits::spend(conn, id, refill, now())).await?;
    Ok(left.map_or(Credit::Exhausted, |n| Credit::Spent(u64::try_from(n).unwrap_or(0))))
}

/// Gives back the credit a request spent when it was refused after all
/// (a missing scope, a bad body, a server error): refused requests spend none.
pub async fn refund_credit(ctx: &AppState, key_row_id: i64) -> Result<(), db::Error> {
    ctx.db.run(move |conn| db::credits::refund(conn, key_row_id)).await
}

/// Forgets rate-limit buckets nobody touched for an hour (the scheduler).
pub async fn forget_idle_buckets(ctx: &AppState) -> Result<(), db::Error> {
    ctx.db.run(db::rate_buckets::forget_idle).await
}
