//! Use cases of the account page besides second factors: what it lists
//! (the person's sessions), the name, ending one of their sessions, and
//! changing the password (the current one checked like a login: a place in
//! the throttle first).

use super::sudo::{begin, passed};
use super::throttle::Gate;
use super::{AccountError, org_ids};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db::users::{self, User};
use crate::db::{self, sessions};
use crate::domain::{Password, PersonName};

pub use crate::db::sessions::SessionRow;

/// The user's sessions (devices), and whether they have a second factor.
pub async fn overview(ctx: &AppState, user: &User) -> Result<(Vec<SessionRow>, bool), db::Error> {
    let user_id = user.id;
    ctx.db
        .run(move |conn| {
            let rows = sessions::for_user(conn, user_id)?;
            Ok::<_, crate::db::QueryError>((rows, db::second_factors::has_any(conn, user_id)?))
        })
        .await
}

/// Renames the user, recording the change in each of their orgs (nothing recorded when unchanged).
pub async fn rename(ctx: &AppState, user: &User, name: PersonName, meta: &RequestMeta) -> Result<(), db::Error> {
    if user.name == name.as_str() {
        return Ok(());
    }
    let (user, meta) = (user.clone(), meta.clone());
    ctx.db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                users::set_name(conn, user.id, &name)?;
                let orgs = org_ids(conn, user.id)?;
                audit::record_each(conn, &Actor::user(&user), &meta, &orgs, |org| {
                    Entry::user_profile_changed(org, &user, &user.name, name.as_str())
                })
            })
        })
        .await
}

/// Ends one of the user's own sessions (`session.revoked` in each org);
/// false when no such session of this user exists.
pub async fn revoke_session(
    ctx: &AppState,
    user: &User,
    session_id: i64,
    meta: &RequestMeta,
) -> Result<bool, db::Error> {
    let (user, meta) = (user.clone(), meta.clone());
    ctx.db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                if !sessions::delete_own(conn, user.id, session_id)? {
                    return Ok::<_, crate::db::QueryError>(false);
                }
                let orgs = org_ids(conn, user.id)?;
                audit::record_each(conn, &Actor::user(&user), &meta, &orgs, |org| {
                    Entry::session_revoked(org, &user, session_id)
                })?;
                Ok(true)
            })
        })
        .await
}

/// How a check of the current password came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Right,
    /// Wrong: its place in the login throttle stays, counted.
    Wrong,
    /// The login throttle applies: seconds until it lifts.
    Throttled(i64),
}

/// Checks `given` as the user's current password, as a login would (a place
/// in the throttle first, argon2 with no connection held).
pub async fn check_password(
    ctx: &AppState,
    user: &User,
    ip: String,
    given: String,
) -> Result<PasswordCheck, db::Error> {
    let who = user.clone();
    let (gate, hash) = ctx.db.run(move |conn| begin(conn, &who, &ip)).await?;
    let reservation = match gate {
        Gate::Open(reservation) => reservation,
        Gate::Throttled { seconds, .. } => return Ok(PasswordCheck::Throttled(seconds)),
    };
    if !crate::infra::password::verify_off_thread(given, hash).await {
        return Ok(PasswordCheck::Wrong);
    }
    ctx.db.run(move |conn| passed(conn, reservation)).await?;
    Ok(PasswordCheck::Right)
}

/// The signed-in user changes their password (the current one was checked):
/// other sessions end, this one continues as `new_sid_hash`, the user is
/// mailed at once. Answers the user's new session epoch, for the renewed cookie.
pub async fn change_password(
    ctx: &AppState,
    user: &User,
    (new, new_sid_hash): (Password, String),
    meta: &RequestMeta,
) -> Result<i64, AccountError> {
    let new_hash = crate::infra::password::hash_off_thread(&new).await?;
    let (config, user, meta) = (ctx.config.clone(), user.clone(), meta.clone());
    let epoch =
        ctx.db.run(move |conn| super::password::change(conn, &config, &user, &new_hash, &new_sid_hash, &meta)).await?;
    ctx.wake_mail_sender();
    Ok(epoch)
}
