//! Use cases for passwords: changing one (current password known), the
//! reset link (asking for one, using it) and the operator's CLI reset. Every
//! route to a new password ends the user's sessions and voids unused reset
//! links in the same transaction. Hashing happens before these calls.

use super::notices::{queue, tell};
use super::org_ids;
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::QueryResult;
use crate::db::users::{self, User};
use crate::db::{DbConn, login_failures, now, password_resets, sessions};
use crate::domain::link_token::{LinkKind, LinkToken};
use crate::domain::{Email, UserId};
use crate::infra::config::Config;
use crate::infra::mail::account::{self, PasswordResetLink};
use chrono::Duration;

/// How long a reset link works.
pub const RESET_VALID_MINUTES: i64 = 30;
/// Reset mails one address may receive per hour…
pub const RESET_MAILS_PER_ADDRESS_PER_HOUR: i64 = 3;
/// …and reset requests one client address may make per hour (several people behind one NAT).
pub const RESET_REQUESTS_PER_IP_PER_HOUR: i64 = 20;

/// Stores the new hash, ends every session of the user, voids reset links,
/// and records `via` in each of the user's orgs.
fn replace_password(
    conn: &mut DbConn,
    user: &User,
    hash: &str,
    actor: &Actor,
    meta: &RequestMeta,
    via: &str,
) -> QueryResult<()> {
    users::set_password(conn, user.id, hash)?;
    password_resets::void_for_user(conn, user.id)?;
    sessions::delete_for_user(conn, user.id)?;
    let orgs = org_ids(conn, user.id)?;
    audit::record_each(conn, actor, meta, &orgs, |org| Entry::user_password_changed(org, user, via))
}

/// The signed-in user changed their password (the current one was checked):
/// other sessions end, this one continues as `new_sid_hash`. Returns the
/// user's new session epoch, for the renewed cookie.
pub fn change(
    conn: &mut DbConn,
    config: &Config,
    user: &User,
    new_hash: &str,
    new_sid_hash: &str,
    meta: &RequestMeta,
) -> QueryResult<i64> {
    crate::db::transaction(conn, |conn| {
        replace_password(conn, user, new_hash, &Actor::user(user), meta, "account")?;
        sessions::insert(conn, user.id, new_sid_hash, &meta.session_origin())?;
        tell(conn, config, user, "Your password was changed", meta)?;
        Ok(users::find(conn, user.id)?.map_or(user.session_epoch + 1, |u| u.session_epoch))
    })
}

/// "Forgot your password?": records the request and, unless a throttle
/// applies or the address has no account, queues a sealed mail with a new
/// link. The caller answers the same page whatever happened; the return
/// value (whether a mail was queued) is for waking the sender only.
pub fn request_reset(conn: &mut DbConn, config: &Config, email: &Email, ip: &str) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        let hour_ago = now() - Duration::hours(1);
        let (by_address, by_ip) = password_resets::requests_since(conn, email.as_str(), ip, hour_ago)?;
        password_resets::record_request(conn, email.as_str(), ip)?;
        if by_address >= RESET_MAILS_PER_ADDRESS_PER_HOUR || by_ip >= RESET_REQUESTS_PER_IP_PER_HOUR {
            return Ok(false);
        }
        let Some(user) = users::find_by_email(conn, email)? else { return Ok(false) };
        let token = LinkToken::generate(LinkKind::PasswordReset);
        password_resets::insert(conn, user.id, &token.hash(), now() + Duration::minutes(RESET_VALID_MINUTES))?;
        let message = PasswordResetLink {
            name: user.name.clone(),
            email: user.email.clone(),
            link: format!("{}{}", config.public_url.origin(), crate::domain::urls::password_reset_link(token.expose())),
        };
        let composed = account::password_reset(&message).map_err(crate::db::other_error)?;
        queue(conn, config, "password_reset", &user.email, composed, true)?;
        Ok(true)
    })
}

/// Whether a reset link can still be used, and whose it is.
pub fn reset_link_user(conn: &mut DbConn, token: &LinkToken) -> QueryResult<Option<User>> {
    let Some(reset) = password_resets::find_by_token_hash(conn, &token.hash())? else { return Ok(None) };
    if reset.used_at.is_some() || reset.expires_at <= now() {
        return Ok(None);
    }
    users::find(conn, UserId::new(reset.user_id))
}

/// Sets the password through a reset link: single use, and only while it is
/// valid (checked again here, under the write lock). `None` when the link no
/// longer works. Every session of the user ends; the user is mailed.
pub fn complete_reset(
    conn: &mut DbConn,
    config: &Config,
    token: &LinkToken,
    new_hash: &str,
    meta: &RequestMeta,
) -> QueryResult<Option<User>> {
    crate::db::transaction(conn, |conn| {
        let Some(reset) = password_resets::find_by_token_hash(conn, &token.hash())? else { return Ok(None) };
        if reset.expires_at <= now() || !password_resets::mark_used(conn, reset.id)? {
            return Ok(None);
        }
        let Some(user) = users::find(conn, UserId::new(reset.user_id))? else { return Ok(None) };
        replace_password(conn, &user, new_hash, &Actor::user(&user), meta, "reset_link")?;
        tell(conn, config, &user, "Your password was reset", meta)?;
        Ok(Some(user))
    })
}

/// `latchkey user set-password`: the operator sets a password. Every
/// session ends and the login throttle of the address is cleared.
pub fn set_by_operator(conn: &mut DbConn, user: &User, new_hash: &str) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        replace_password(conn, user, new_hash, &Actor::cli(), &RequestMeta::default(), "cli")?;
        login_failures::clear_for_email(conn, &user.email)
    })
}

/// "Forgot your password?" (see [`request_reset`]); the mail, if any, leaves at once.
pub async fn ask_reset(ctx: &crate::app::state::AppState, email: Email, ip: String) -> Result<(), crate::db::Error> {
    let config = ctx.config.clone();
    if ctx.db.run(move |conn| request_reset(conn, &config, &email, &ip)).await? {
        ctx.wake_mail_sender();
    }
    Ok(())
}

/// Whose a reset link is, while it can still be used.
pub async fn link_user(ctx: &crate::app::state::AppState, token: &LinkToken) -> Result<Option<User>, crate::db::Error> {
    let token = token.clone();
    ctx.db.run(move |conn| reset_link_user(conn, &token)).await
}

/// Sets the password through a reset link (hashed off the database thread;
/// see [`complete_reset`]); `None` when the link no longer works. The user is mailed at once.
pub async fn reset(
    ctx: &crate::app::state::AppState,
    token: LinkToken,
    new: &crate::domain::Password,
    meta: &RequestMeta,
) -> Result<Option<User>, super::AccountError> {
    let hash = crate::infra::password::hash_off_thread(new).await?;
    let (config, meta) = (ctx.config.clone(), meta.clone());
    let done = ctx.db.run(move |conn| complete_reset(conn, &config, &token, &hash, &meta)).await?;
    if done.is_some() {
        ctx.wake_mail_sender();
    }
    Ok(done)
}
