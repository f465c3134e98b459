//! Passkey ceremonies in progress: the relying party's state between the
//! challenge and the browser's answer, kept here rather than in the cookie
//! (a copied cookie could answer an old challenge again). Taking one deletes it.

use super::schema::webauthn_ceremonies::dsl;
use super::{DbConn, now};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, handle_hash: &str, user_id: UserId, purpose: &str, state: &str) -> QueryResult<()> {
    // One ceremony per handle: a new challenge replaces an unanswered one.
    diesel::delete(dsl::webauthn_ceremonies.filter(dsl::handle_hash.eq(handle_hash))).execute(conn)?;
    diesel::insert_into(dsl::webauthn_ceremonies)
        .values((
            dsl::handle_hash.eq(handle_hash),
            dsl::user_id.eq(user_id.get()),
            dsl::purpose.eq(purpose),
            dsl::state.eq(state),
            dsl::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Takes (reads and deletes) the ceremony of `handle_hash` for this user
/// and purpose if it began after `since`; its state.
pub fn take(
    conn: &mut DbConn,
    handle_hash: &str,
    user_id: UserId,
    purpose: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let found: Option<(i64, String, NaiveDateTime)> = dsl::webauthn_ceremonies
        .filter(dsl::handle_hash.eq(handle_hash))
        .filter(dsl::user_id.eq(user_id.get()))
        .filter(dsl::purpose.eq(purpose))
        .select((dsl::id, dsl::state, dsl::created_at))
        .first(conn)
        .optional()?;
    let Some((id, state, created_at)) = found else { return Ok(None) };
    let deleted = diesel::delete(dsl::webauthn_ceremonies.find(id)).execute(conn)?;
    Ok((deleted == 1 && created_at > since).then_some(state))
}

/// Drops ceremonies nobody finished.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(dsl::webauthn_ceremonies.filter(dsl::created_at.lt(before))).execute(conn)
}
