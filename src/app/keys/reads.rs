//! Reading keys for the console, the support console and the management
//! API (each read checks the caller first and looks only in its
//! organisation), and the two small jobs that act on keys without a caller:
//! recording the use of a revoked key, and revoking rotated-out keys when
//! their grace period ends.

use super::access::{Op, authorize};
use super::errors::FindError;
use super::writes;
use crate::app::audit::{Actor, RequestMeta};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::db::api_keys::{self, ApiKey};
use crate::db::{self, now};
use crate::domain::key_health::{self, KeyFacts};
use crate::domain::key_policy::KeyPolicy;
use crate::domain::key_state::RevokeCause;
use crate::domain::token::KeyHash;

pub use crate::db::key_list::{Concern, ListQuery, Sort};
pub use crate::db::request_log::{RequestFilter, RequestRow};

/// One of the organisation's keys, if the caller may do `op`.
pub async fn find(ctx: &AppState, caller: &Caller, op: Op, key_id: &str) -> Result<ApiKey, FindError> {
    authorize(caller, op)?;
    let (org_id, key_id) = (caller.org().id, key_id.to_owned());
    ctx.db.run(move |conn| api_keys::find(conn, org_id, &key_id)).await?.ok_or(FindError::NotFound)
}

/// How many credits each of these keys has left now (keys with credits only).
pub async fn credits_left(ctx: &AppState, keys: &[&ApiKey]) -> Result<std::collections::HashMap<i64, u64>, db::Error> {
    let metered: Vec<(i64, Option<crate::domain::credits::Refill>)> =
        keys.iter().filter(|k| k.limits.metered).map(|k| (k.id, k.limits.refill)).collect();
    if metered.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<i64> = metered.iter().map(|(id, _)| *id).collect();
    let counts = ctx.db.run(move |conn| db::credits::counts(conn, &ids)).await?;
    let at = now();
    Ok(metered
        .into_iter()
        .filter_map(|(id, refill)| {
            counts.get(&id).map(|(n, since)| (id, crate::domain::credits::shown(*n, *since, refill, at)))
        })
        .collect())
}

/// The calling key itself (`/api/v1/keys/self`: any key).
pub async fn find_own(ctx: &AppState, caller: &Caller) -> Result<ApiKey, FindError> {
    let own = caller.calling_key().map(|k| k.key_id.to_string()).ok_or(FindError::NotFound)?;
    find(ctx, caller, Op::ReadSelf, &own).await
}

/// The keys matching `query`, for the console (or, read-only, for staff).
pub async fn list_for_console(ctx: &AppState, caller: &Caller, query: ListQuery) -> Result<Listing, FindError> {
    authorize(caller, Op::Read)?;
    let org_id = caller.org().id;
    Ok(ctx
        .db
        .run(move |conn| {
            let at = now();
            let keys = crate::db::key_list::list(conn, org_id, &query, at)?;
            Ok::<_, crate::db::QueryError>(Listing {
                keys,
                total: crate::db::key_list::count(conn, org_id, &query, at)?,
            })
        })
        .await?)
}

/// A page of the console's key list, and how many keys match in all.
pub struct Listing {
    pub keys: Vec<ApiKey>,
    pub total: i64,
}

/// How many keys a whole-list check reads at most (the "violates policy"
/// filter and the dashboard's count): the policy is checked key by key.
pub const POLICY_SCAN_LIMIT: i64 = 10_000;

/// The console's "violates policy" filter: the page `query` asks for, of
/// the keys that still work and break the org's key policy. The policy reads
/// each key's scopes, so it is checked here rather than in SQL.
pub async fn list_violating(ctx: &AppState, caller: &Caller, query: ListQuery) -> Result<Listing, FindError> {
    let policy = caller.org().key_policy;
    let (offset, limit) = (usize::try_from(query.offset).unwrap_or(0), usize::try_from(query.limit).unwrap_or(0));
    let keys = matching(ctx, caller, ListQuery { offset: 0, limit: POLICY_SCAN_LIMIT, ..query }).await?;
    let violating: Vec<ApiKey> = keys.into_iter().filter(|k| violates(k, &policy)).collect();
    let total = i64::try_from(violating.len()).unwrap_or(i64::MAX);
    Ok(Listing { keys: violating.into_iter().skip(offset).take(limit).collect(), total })
}

/// A key's recent audit events (the 50 newest) and its usage per day over the last 30 days.
pub struct Activity {
    pub events: Vec<crate::db::audit_events::StoredEvent>,
    pub usage: Vec<(chrono::NaiveDate, [i64; 3])>,
}

/// What the key's page shows of its history (usage not yet flushed included).
pub async fn activity(ctx: &AppState, caller: &Caller, key: &ApiKey) -> Result<Activity, FindError> {
    authorize(caller, Op::Read)?;
    let filter = crate::db::audit_events::Filter { target: Some(key.key_id.to_string()), ..Default::default() };
    let (org_id, key_row, today) = (caller.org().id, key.id, now().date());
    let (events, mut usage) = ctx
        .db
        .run(move |conn| {
            let events = crate::db::audit_events::page(conn, org_id, &filter, None, 50)?;
            let usage = crate::db::usage::daily(conn, org_id, Some(key_row), today - chrono::Duration::days(29))?;
            Ok::<_, crate::db::QueryError>((events, usage))
        })
        .await?;
    ctx.usage.add_pending(org_id, Some(key_row), &mut usage);
    Ok(Activity { events, usage })
}

/// Up to `limit` of the key's logged requests matching `filter`, newest
/// first, before row `cursor` (docs/user-guide.md: Per-key request log).
pub async fn requests(
    ctx: &AppState,
    caller: &Caller,
    key: &ApiKey,
    (filter, cursor): (RequestFilter, Option<i64>),
    limit: i64,
) -> Result<Vec<RequestRow>, FindError> {
    authorize(caller, Op::Read)?;
    if key.org_id != caller.org().id.get() {
        return Err(FindError::NotFound);
    }
    let key_row = key.id;
    Ok(ctx.db.run(move |conn| crate::db::request_log::page(conn, key_row, &filter, cursor, limit)).await?)
}

/// A keyset page for `GET /api/v1/keys`: oldest first, after row `after`.
pub async fn list_for_api(
    ctx: &AppState,
    caller: &Caller,
    (search, state, owner): (Option<String>, Option<crate::domain::key_state::KeyState>, Option<String>),
    (limit, after): (i64, i64),
) -> Result<Vec<ApiKey>, FindError> {
    let (sort, after_id) = (Sort::Oldest, Some(after));
    let concern = Concern::Any;
    matching(ctx, caller, ListQuery { search, state, concern, sort, offset: 0, limit, after_id, owner }).await
}

/// The caller's organisation's keys matching `query` (one page of it).
async fn matching(ctx: &AppState, caller: &Caller, query: ListQuery) -> Result<Vec<ApiKey>, FindError> {
    authorize(caller, Op::Read)?;
    let org_id = caller.org().id;
    Ok(ctx.db.run(move |conn| crate::db::key_list::list(conn, org_id, &query, now())).await?)
}

/// What a key's health marks are read from, at `at`.
fn facts(key: &ApiKey, at: chrono::NaiveDateTime) -> KeyFacts<'_> {
    KeyFacts {
        state: key.state(at),
        created_at: key.created_at,
        last_used_at: key.last_used_at,
        expires_at: key.expires_at,
        replaced: key.replaced_by.is_some(),
        scopes: key.scopes(),
        allowlist: key.allowlist(),
    }
}

/// The key's health marks at `at` (docs/user-guide.md: API keys).
pub fn health_marks(key: &ApiKey, at: chrono::NaiveDateTime) -> Vec<&'static str> {
    key_health::health_marks(&facts(key, at), at)
}

/// Whether a live key breaks a rule of `policy` (made before the rule was tightened: it keeps working).
pub fn violates(key: &ApiKey, policy: &KeyPolicy) -> bool {
    let at = now();
    key_health::violates(&facts(key, at), policy, at)
}

/// The key a presented token belongs to, with its organisation (bearer
/// authentication): from the key cache while the database is unchanged,
/// else read (and cached). The token's shape and checksum were checked by
/// the caller; only its hash is used here.
pub async fn by_token(
    ctx: &AppState,
    hash: KeyHash,
) -> Result<Option<std::sync::Arc<(ApiKey, crate::db::orgs::Org)>>, db::Error> {
    // Cached keys are used only while the database is unchanged (see key_cache).
    let stamp = ctx.key_cache.stamp(&ctx.db).await;
    if let Some(hit) = stamp.and_then(|s| ctx.key_cache.get(&hash, s)) {
        return Ok(Some(hit));
    }
    let found = ctx.db.run(move |conn| api_keys::find_by_hash(conn, &hash)).await?.map(std::sync::Arc::new);
    if let (Some(stamp), Some(found)) = (stamp, &found) {
        ctx.key_cache.put(hash, stamp, found.clone());
    }
    Ok(found)
}

/// A revoked or rotated-out key was presented: `api_key.revoked_key_used`
/// (with the caller's IP; at most once a minute per key and instance) and a
/// mail to owners and admins (once a day per key).
pub async fn record_revoked_use(ctx: &AppState, key: &ApiKey, meta: &RequestMeta) -> Result<(), db::Error> {
    if !ctx.usage.should_report_revoked_use(key.id) {
        return Ok(());
    }
    let (key, meta, public_url) = (key.clone(), meta.clone(), ctx.config.public_url.origin().to_owned());
    ctx.db.run(move |conn| writes::record_revoked_use(conn, &key, &public_url, &meta)).await
}

/// Revokes rotated-out keys whose grace period has ended, with their audit
/// events; answers how many. Another instance may get there first: only the
/// one whose update changed a row records it.
pub async fn revoke_after_grace(ctx: &AppState) -> Result<usize, db::Error> {
    let revoked = ctx
        .db
        .run(|conn| {
            let due = api_keys::grace_ended(conn, now(), 500)?;
            let mut revoked = 0;
            for key in due {
                let actor = Actor::System { label: "scheduler" };
                let by = "system (rotation grace ended)";
                if writes::revoke(conn, &key, by, &actor, &RequestMeta::default(), RevokeCause::RotationGraceEnded)? {
                    revoked += 1;
                }
            }
            Ok::<_, crate::db::QueryError>(revoked)
        })
        .await?;
    if revoked > 0 {
        // Like a revocation in the console: every live instance refuses the old keys before this run ends.
        ctx.key_cache.confirm(&ctx.db).await;
    }
    Ok(revoked)
}
