//! Password-reset links (kept as the SHA-256 of their token) and the record
//! of reset requests the throttle counts.

use super::schema::password_reset_requests::dsl as requests;
use super::schema::password_resets::dsl;
use super::{DbConn, now};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::password_resets)]
pub struct PasswordReset {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, user_id: UserId, token_hash: &str, expires_at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(dsl::password_resets)
        .values((
            dsl::user_id.eq(user_id.get()),
            dsl::token_hash.eq(token_hash),
            dsl::created_at.eq(now()),
            dsl::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_token_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<PasswordReset>> {
    dsl::password_resets
        .filter(dsl::token_hash.eq(token_hash))
        .select(PasswordReset::as_select())
        .first(conn)
        .optional()
}

/// Uses a link once: false when it was used (or voided) since it was read.
pub fn mark_used(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    diesel::update(dsl::password_resets.find(id).filter(dsl::used_at.is_null()))
        .set(dsl::used_at.eq(Some(now())))
        .execute(conn)
        .map(|n| n > 0)
}

/// Voids every unused link of a user (the password changed by some route).
pub fn void_for_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<usize> {
    diesel::update(dsl::password_resets.filter(dsl::user_id.eq(user_id.get())).filter(dsl::used_at.is_null()))
        .set(dsl::used_at.eq(Some(now())))
        .execute(conn)
}

/// Notes a reset request (for the per-address and per-IP throttle).
pub fn record_request(conn: &mut DbConn, email: &str, ip: &str) -> QueryResult<()> {
    diesel::insert_into(requests::password_reset_requests)
        .values((requests::email.eq(email), requests::ip.eq(ip), requests::created_at.eq(now())))
        .execute(conn)
        .map(|_| ())
}

/// Requests since `since`: (for this address, from this IP).
pub fn requests_since(conn: &mut DbConn, email: &str, ip: &str, since: NaiveDateTime) -> QueryResult<(i64, i64)> {
    let recent = requests::password_reset_requests.filter(requests::created_at.ge(since));
    let by_email = recent.filter(requests::email.eq(email)).count().get_result(conn)?;
    let by_ip = recent.filter(requests::ip.eq(ip)).count().get_result(conn)?;
    Ok((by_email, by_ip))
}

/// Drops request records and links older than `before` (the scheduler's pruning).
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let requests =
        diesel::delete(requests::password_reset_requests.filter(requests::created_at.lt(before))).execute(conn)?;
    let links = diesel::delete(dsl::password_resets.filter(dsl::expires_at.lt(before))).execute(conn)?;
    Ok(requests + links)
}
