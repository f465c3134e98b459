//! Claims of expiry warnings: one row per key, expiry and threshold. The
//! unique index makes the warning happen once, with any number of schedulers;
//! a new expiry date starts a fresh set of warnings.

use super::api_keys::ApiKey;
use super::schema::api_keys::dsl as keys;
use super::schema::key_expiry_notices::dsl;
use super::{DbConn, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Keys that may need a warning: not revoked, enabled, not rotated out, and
/// expiring in `(from, to]`.
pub fn candidates(conn: &mut DbConn, from: NaiveDateTime, to: NaiveDateTime, limit: i64) -> QueryResult<Vec<ApiKey>> {
    keys::api_keys
        .filter(keys::revoked_at.is_null())
        .filter(keys::enabled.eq(true))
        .filter(keys::replaced_by.is_null())
        .filter(keys::expires_at.gt(from))
        .filter(keys::expires_at.le(to))
        .order((keys::expires_at.asc(), keys::id.asc()))
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// The (key, expiry, threshold) claims already made for these keys.
pub fn existing(conn: &mut DbConn, key_ids: &[i64]) -> QueryResult<Vec<(i64, NaiveDateTime, String)>> {
    dsl::key_expiry_notices
        .filter(dsl::api_key_id.eq_any(key_ids))
        .select((dsl::api_key_id, dsl::expires_at, dsl::threshold))
        .load(conn)
}

/// Claims one warning; false when it was claimed before.
pub fn claim(conn: &mut DbConn, api_key_id: i64, expires_at: NaiveDateTime, threshold: &str) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let inserted = diesel::sql_query(
        "INSERT INTO key_expiry_notices (api_key_id, expires_at, threshold, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (api_key_id, expires_at, threshold) DO NOTHING",
    )
    .bind::<BigInt, _>(api_key_id)
    .bind::<Timestamp, _>(expires_at)
    .bind::<Text, _>(threshold)
    .bind::<Timestamp, _>(now())
    .execute(conn)?;
    Ok(inserted == 1)
}
