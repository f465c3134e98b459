//! Use cases of the account page besides passwords: the person's name and
//! ending one of their sessions.

use super::org_ids;
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::QueryResult;
use crate::db::users::{self, User};
use crate::db::{DbConn, sessions};
use crate::domain::PersonName;

/// Renames the user, recording the change in each of their orgs (no event when unchanged).
pub fn rename(conn: &mut DbConn, user: &User, name: &PersonName, meta: &RequestMeta) -> QueryResult<()> {
    if user.name == name.as_str() {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        users::set_name(conn, user.id, name)?;
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
            Entry::user_profile_changed(org, user, &user.name, name.as_str())
        })
    })
}

/// Ends one of the user's own sessions (`session.revoked` in each org);
/// false when no such session of this user exists.
pub fn revoke_session(conn: &mut DbConn, user: &User, session_id: i64, meta: &RequestMeta) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        if !sessions::delete_own(conn, user.id, session_id)? {
            return Ok(false);
        }
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| Entry::session_revoked(org, user, session_id))?;
        Ok(true)
    })
}
