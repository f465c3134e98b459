//! Server-side sessions: one row per login, named by the SHA-256 of the
//! random id the (encrypted) cookie carries. A cookie whose row is gone is
//! refused, so logging out ends that session even for a copied cookie.

use super::schema::sessions::dsl;
use super::{DbConn, now};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::sessions)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Where a session was started from (the account page lists it).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub fn insert(conn: &mut DbConn, user_id: UserId, token_hash: &str, origin: &Origin) -> QueryResult<()> {
    let at = now();
    let user_agent = origin.user_agent.as_deref().map(|ua| ua.chars().take(256).collect::<String>());
    diesel::insert_into(dsl::sessions)
        .values((
            dsl::user_id.eq(user_id.get()),
            dsl::token_hash.eq(token_hash),
            dsl::created_at.eq(at),
            dsl::last_seen_at.eq(at),
            dsl::ip.eq(origin.ip.as_deref()),
            dsl::user_agent.eq(user_agent),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<SessionRow>> {
    dsl::sessions.filter(dsl::token_hash.eq(token_hash)).select(SessionRow::as_select()).first(conn).optional()
}

/// Moves `last_seen_at` on (the caller coalesces: at most once a minute per session).
pub fn touch(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(dsl::sessions.filter(dsl::id.eq(id))).set(dsl::last_seen_at.eq(at)).execute(conn).map(|_| ())
}

/// Ends one session; true when it existed.
pub fn delete(conn: &mut DbConn, token_hash: &str) -> QueryResult<bool> {
    diesel::delete(dsl::sessions.filter(dsl::token_hash.eq(token_hash))).execute(conn).map(|n| n > 0)
}

/// Ends one session of `user_id` by its row id; false when the user has no such session.
pub fn delete_own(conn: &mut DbConn, user_id: UserId, id: i64) -> QueryResult<bool> {
    diesel::delete(dsl::sessions.filter(dsl::id.eq(id)).filter(dsl::user_id.eq(user_id.get())))
        .execute(conn)
        .map(|n| n > 0)
}

/// Ends every session of a user ("log out everywhere", a new password).
pub fn delete_for_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(dsl::sessions.filter(dsl::user_id.eq(user_id.get()))).execute(conn)
}

/// The user's live sessions, most recently seen first.
pub fn for_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<SessionRow>> {
    dsl::sessions
        .filter(dsl::user_id.eq(user_id.get()))
        .order(dsl::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Drops sessions idle since `idle_before` or started before `started_before`.
pub fn prune(conn: &mut DbConn, idle_before: NaiveDateTime, started_before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(dsl::sessions.filter(dsl::last_seen_at.lt(idle_before).or(dsl::created_at.lt(started_before))))
        .execute(conn)
}
