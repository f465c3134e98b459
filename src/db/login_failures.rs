//! Failed logins, counted per account and per IP address for throttling.
//! Kept in the database so every server instance sees the same counts.

use super::schema::login_failures::dsl;
use super::{DbConn, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Records a failure (or reserves one for a check about to run); its row id.
pub fn record(conn: &mut DbConn, email: &str, ip: &str) -> QueryResult<i64> {
    diesel::insert_into(dsl::login_failures)
        .values((dsl::email.eq(email), dsl::ip.eq(ip), dsl::created_at.eq(now())))
        .returning(dsl::id)
        .get_result(conn)
}

/// Takes back one reserved failure: the check it was reserved for passed.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(dsl::login_failures.find(id)).execute(conn).map(|_| ())
}

/// Makes this transaction the only one counting and reserving failures
/// until it ends. SQLite's writer transaction already is; PostgreSQL takes
/// a transaction-scoped advisory lock, so two requests cannot both read a
/// count under the limit and both go on.
pub fn serialise(conn: &mut DbConn) -> QueryResult<()> {
    const THROTTLE_LOCK: i64 = 0x4c6b_5468; // "LkTh"
    match conn {
        DbConn::Pg(_) => diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(THROTTLE_LOCK)
            .execute(conn)
            .map(|_| ()),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Failures of this account since `since` (a pending login's start).
pub fn count_for_email_since(conn: &mut DbConn, email: &str, since: NaiveDateTime) -> QueryResult<i64> {
    dsl::login_failures.filter(dsl::email.eq(email)).filter(dsl::created_at.ge(since)).count().get_result(conn)
}

/// Failures since `since`: (for this email, from this IP).
pub fn count_since(conn: &mut DbConn, email: &str, ip: &str, since: NaiveDateTime) -> QueryResult<(i64, i64)> {
    let by_email =
        dsl::login_failures.filter(dsl::email.eq(email)).filter(dsl::created_at.gt(since)).count().get_result(conn)?;
    let by_ip =
        dsl::login_failures.filter(dsl::ip.eq(ip)).filter(dsl::created_at.gt(since)).count().get_result(conn)?;
    Ok((by_email, by_ip))
}

/// A successful login forgives the account's earlier failures.
pub fn clear_for_email(conn: &mut DbConn, email: &str) -> QueryResult<()> {
    diesel::delete(dsl::login_failures.filter(dsl::email.eq(email))).execute(conn).map(|_| ())
}

/// Drops rows older than `before`; they no longer count.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(dsl::login_failures.filter(dsl::created_at.lt(before))).execute(conn)
}

/// When a throttle lifts: the count of failures since `since` for this email
/// (or IP) drops below `max` once its `count - max + 1`-th oldest failure
/// leaves the window. Returns that failure's time; `None` when not throttled.
pub fn lifts_after(
    conn: &mut DbConn,
    email: Option<&str>,
    ip: Option<&str>,
    since: NaiveDateTime,
    max: i64,
) -> QueryResult<Option<NaiveDateTime>> {
    let mut query = dsl::login_failures.filter(dsl::created_at.gt(since)).into_boxed();
    if let Some(email) = email {
        query = query.filter(dsl::email.eq(email.to_owned()));
    }
    if let Some(ip) = ip {
        query = query.filter(dsl::ip.eq(ip.to_owned()));
    }
    let times: Vec<NaiveDateTime> = query.order(dsl::created_at.asc()).select(dsl::created_at).load(conn)?;
    let count = times.len() as i64;
    Ok((count >= max).then(|| times[(count - max) as usize]))
}
