//! A key's credits and its owner's rate limit. The count of credits left
//! is a row of its own (`key_credits`), spent with one conditional UPDATE:
//! the database serialises concurrent spends of one key, so no two requests
//! can take the last credit (docs/api-guide.md: Credits).

use super::schema::{api_keys, key_credits, owner_limits};
use super::{DbConn, QueryResult};
use crate::domain::OrgId;
use crate::domain::credits::{KeyLimits, Refill};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(QueryableByName)]
struct Left {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    remaining: i64,
}

/// Whose count key `$3` spends from: its own, or its replacement's while it is rotated out.
const ACCOUNT: &str = "COALESCE((SELECT r.id FROM api_keys k JOIN api_keys r ON r.key_id = k.replaced_by \
     AND r.org_id = k.org_id WHERE k.id = $3), $3)";

/// Gives back the credit a request of key `key_row_id` spent when the request was refused after all.
pub fn refund(conn: &mut DbConn, key_row_id: i64) -> QueryResult<()> {
    // $1 and $2 keep the account's parameter at $3, as in `spend`.
    diesel::sql_query(format!(
        "UPDATE key_credits SET remaining = remaining + 1 WHERE $1 AND $2 AND key_row_id = {ACCOUNT}"
    ))
    .bind::<diesel::sql_types::Bool, _>(true)
    .bind::<diesel::sql_types::Bool, _>(true)
    .bind::<diesel::sql_types::BigInt, _>(key_row_id)
    .execute(conn)
    .map(|_| ())
}

/// Spends one credit of key `key_row_id` (refilling it first when a new
/// period began): `Some(count left)`, or `None` when none was left.
pub fn spend(
    conn: &mut DbConn,
    key_row_id: i64,
    refill: Option<Refill>,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    // Without a refill, no period start lies after the stored one.
    let (period, amount) = match refill {
        Some(r) => (r.interval.period_start(now), i64::try_from(r.amount).unwrap_or(i64::MAX)),
        // A time every backend stores (PostgreSQL's range ends long before chrono's MIN).
        None => (chrono::DateTime::UNIX_EPOCH.naive_utc(), 0),
    };
    // Parameters in order of first use: SQLite numbers `$n` by first appearance.
    // A key rotated out but still in its grace period spends from its replacement's count.
    let left: Option<Left> = diesel::sql_query(format!(
        "UPDATE key_credits SET \
           remaining = CASE WHEN refilled_at < $1 THEN $2 - 1 ELSE remaining - 1 END, \
           refilled_at = CASE WHEN refilled_at < $1 THEN $1 ELSE refilled_at END \
         WHERE key_row_id = {ACCOUNT} AND (remaining > 0 OR (refilled_at < $1 AND $2 > 0)) \
         RETURNING remaining"
    ))
    .bind::<diesel::sql_types::Timestamp, _>(period)
    .bind::<diesel::sql_types::BigInt, _>(amount)
    .bind::<diesel::sql_types::BigInt, _>(key_row_id)
    .get_result(conn)
    .optional()?;
    Ok(left.map(|l| l.remaining))
}

/// Sets a key's credits: `metered` false drops them; otherwise the refill,
/// and the count when `remaining` is given (a key new to credits starts at
/// its refill amount, or 0).
pub fn set(
    conn: &mut DbConn,
    key_row_id: i64,
    (metered, refill, remaining): (bool, Option<Refill>, Option<u64>),
    now: NaiveDateTime,
) -> QueryResult<()> {
    let refill = refill.filter(|_| metered);
    amend_limits(conn, key_row_id, |limits| KeyLimits { metered, refill, ..limits })?;
    if !metered {
        diesel::delete(key_credits::table.find(key_row_id)).execute(conn)?;
        return Ok(());
    }
    let period = refill.map_or(now, |r| r.interval.period_start(now));
    match remaining {
        Some(n) => put_count(conn, key_row_id, (i64::try_from(n).unwrap_or(i64::MAX), period), true),
        None => {
            let start = refill.map_or(0, |r| i64::try_from(r.amount).unwrap_or(i64::MAX));
            put_count(conn, key_row_id, (start, period), false)
        }
    }
}

/// Writes a key's count (`replace` false: only when it has none yet).
fn put_count(
    conn: &mut DbConn,
    key_row_id: i64,
    (remaining, refilled_at): (i64, NaiveDateTime),
    replace: bool,
) -> QueryResult<()> {
    let on_conflict = if replace {
        "DO UPDATE SET remaining = excluded.remaining, refilled_at = excluded.refilled_at"
    } else {
        "DO NOTHING"
    };
    diesel::sql_query(format!(
        "INSERT INTO key_credits (key_row_id, remaining, refilled_at) VALUES ($1, $2, $3) ON CONFLICT (key_row_id) {on_conflict}"
    ))
    .bind::<diesel::sql_types::BigInt, _>(key_row_id)
    .bind::<diesel::sql_types::BigInt, _>(remaining)
    .bind::<diesel::sql_types::Timestamp, _>(refilled_at)
    .execute(conn)
    .map(|_| ())
}

/// Moves the credits of key `from` to key `to`: whether it has them, their
/// refill and the count (a rotation's replacement carries on; the old key,
/// while its grace period lasts, spends from the replacement's count).
pub fn move_to(conn: &mut DbConn, from: i64, to: i64) -> QueryResult<()> {
    let old = limits_of(conn, from)?;
    if !old.metered {
        return Ok(());
    }
    amend_limits(conn, to, |limits| KeyLimits { metered: true, refill: old.refill, ..limits })?;
    let row: Option<(i64, NaiveDateTime)> = key_credits::table
        .find(from)
        .select((key_credits::remaining, key_credits::refilled_at))
        .first(conn)
        .optional()?;
    if let Some(count) = row {
        put_count(conn, to, count, true)?;
        diesel::delete(key_credits::table.find(from)).execute(conn)?;
    }
    Ok(())
}

/// The stored count and its period's start, for each of these keys that has credits.
pub fn counts(conn: &mut DbConn, key_row_ids: &[i64]) -> QueryResult<HashMap<i64, (i64, NaiveDateTime)>> {
    let rows: Vec<(i64, i64, NaiveDateTime)> = key_credits::table
        .filter(key_credits::key_row_id.eq_any(key_row_ids))
        .select((key_credits::key_row_id, key_credits::remaining, key_credits::refilled_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, n, at)| (id, (n, at))).collect())
}

/// The rate limit set on an owner of the organisation, if any.
pub fn owner_limit(conn: &mut DbConn, org_id: OrgId, owner_id: &str) -> QueryResult<Option<i64>> {
    owner_limits::table
        .filter(owner_limits::org_id.eq(org_id.get()))
        .filter(owner_limits::owner_id.eq(owner_id))
        .select(owner_limits::rate_limit_per_minute)
        .first(conn)
        .optional()
}

/// Sets (`Some`) or removes an owner's limit, and copies it onto each of
/// the owner's keys; answers how many keys the owner has.
pub fn set_owner_limit(
    conn: &mut DbConn,
    org_id: OrgId,
    owner_id: &str,
    limit: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    match limit {
        Some(n) => {
            diesel::sql_query(
                "INSERT INTO owner_limits (org_id, owner_id, rate_limit_per_minute, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id, owner_id) DO UPDATE SET rate_limit_per_minute = excluded.rate_limit_per_minute, \
                 updated_at = excluded.updated_at",
            )
            .bind::<diesel::sql_types::BigInt, _>(org_id.get())
            .bind::<diesel::sql_types::Text, _>(owner_id)
            .bind::<diesel::sql_types::BigInt, _>(n)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(conn)?;
        }
        None => {
            diesel::delete(
                owner_limits::table
                    .filter(owner_limits::org_id.eq(org_id.get()))
                    .filter(owner_limits::owner_id.eq(owner_id)),
            )
            .execute(conn)?;
        }
    }
    let keys: Vec<i64> = api_keys::table
        .filter(api_keys::org_id.eq(org_id.get()))
        .filter(api_keys::owner_id.eq(owner_id))
        .select(api_keys::id)
        .load(conn)?;
    let owner_rate_limit = limit.and_then(|n| u32::try_from(n).ok());
    for id in &keys {
        // Under the key's row lock, so an edit of its credits in flight is read, not overwritten.
        super::lock_key(conn, *id)?;
        amend_limits(conn, *id, |limits| KeyLimits { owner_rate_limit, ..limits })?;
    }
    Ok(i64::try_from(keys.len()).unwrap_or(i64::MAX))
}

/// A key's credits settings and owner's limit, as stored.
fn limits_of(conn: &mut DbConn, key_row_id: i64) -> QueryResult<KeyLimits> {
    let stored: Option<String> = api_keys::table.find(key_row_id).select(api_keys::limits).first(conn)?;
    Ok(KeyLimits::from(stored))
}

/// Rewrites a key's `limits` column with `change` applied to what it holds.
fn amend_limits(conn: &mut DbConn, key_row_id: i64, change: impl FnOnce(KeyLimits) -> KeyLimits) -> QueryResult<()> {
    let limits = change(limits_of(conn, key_row_id)?);
    diesel::update(api_keys::table.find(key_row_id)).set(api_keys::limits.eq(limits.to_stored())).execute(conn)?;
    Ok(())
}
