//! Who a console request is from: the session's server-side row must exist
//! (logout deletes it) and be within its lifetimes (30 idle minutes, 12
//! hours in all); its last-seen time moves on at most once a minute. The
//! user and their memberships are read again on every request, so a removed
//! member or a demoted admin loses access at once.

use super::{ABSOLUTE_LIFETIME_SECS, IDLE_TIMEOUT_SECS};
use crate::app::state::AppState;
use crate::db::orgs::Org;
use crate::db::users::User;
use crate::db::{self, now, orgs, second_factors, sessions, users};
use crate::domain::{Role, UserId};
use chrono::NaiveDateTime;

/// Writes of `last_seen_at` are coalesced to this granularity.
pub const SEEN_GRANULARITY_SECS: i64 = 60;

/// Whether the server-side row of a session is still within both lifetimes at `at`.
fn row_alive(created_at: NaiveDateTime, last_seen_at: NaiveDateTime, at: NaiveDateTime) -> bool {
    (at - last_seen_at).num_seconds() <= IDLE_TIMEOUT_SECS && (at - created_at).num_seconds() <= ABSOLUTE_LIFETIME_SECS
}

/// A signed-in user as every console request sees them.
pub struct SignedIn {
    pub user: User,
    /// Every organisation they belong to, with their role (by name).
    pub orgs: Vec<(Org, Role)>,
    /// A confirmed authenticator app.
    pub has_authenticator_app: bool,
    /// At least one passkey.
    pub has_passkey: bool,
}

/// The user `user_id` of the session whose id hashes to `sid_hash`, if that
/// session's row is theirs and alive; `None` otherwise.
pub async fn signed_in(ctx: &AppState, user_id: UserId, sid_hash: String) -> Result<Option<SignedIn>, db::Error> {
    ctx.db
        .run(move |conn| {
            let Some(row) = sessions::find(conn, &sid_hash)? else { return Ok(None) };
            let at = chrono::Utc::now().naive_utc();
            if row.user_id != user_id.get() || !row_alive(row.created_at, row.last_seen_at, at) {
                return Ok(None);
            }
            if (at - row.last_seen_at).num_seconds() >= SEEN_GRANULARITY_SECS {
                sessions::touch(conn, row.id, now())?;
            }
            let Some(user) = users::find(conn, user_id)? else {
                return Ok::<_, crate::db::QueryError>(None);
            };
            let orgs = orgs::for_user(conn, user.id)?;
            let (has_authenticator_app, has_passkey) = second_factors::kinds(conn, user.id)?;
            Ok(Some(SignedIn { user, orgs, has_authenticator_app, has_passkey }))
        })
        .await
}
