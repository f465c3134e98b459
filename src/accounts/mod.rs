//! Use cases for people's accounts. This file: signing in and out (the login
//! throttle, recording a login's outcome — session row + audit events in
//! every org of the user — and logging out) and first-run setup;
//! password.rs: changing and resetting passwords; profile.rs: the name and
//! one's sessions. Password checks (argon2, tens of milliseconds) happen
//! between these calls, never while a database connection is held.

mod notices;
pub mod passkeys;
pub mod password;
pub mod profile;
pub mod two_factor;

use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::db::orgs::Org;
use crate::db::setup::{self, NewInstance, SetupError};
use crate::db::users::{self, User};
use crate::db::{DbConn, login_failures, memberships, sessions};
use crate::domain::Email;
use chrono::Duration;
use diesel::QueryResult;

/// A session ends after this long without a request…
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// …and this long after sign-in, whatever happens.
pub const ABSOLUTE_LIFETIME_SECS: i64 = 12 * 60 * 60;

/// Failures counted over this window…
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// …lock the account after this many…
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// …and the client address after this many (several accounts from one IP).
pub const MAX_FAILURES_PER_IP: i64 = 20;

/// What a login attempt meets before the password is checked.
pub struct LoginCheck {
    /// Seconds until the throttle that applies lifts; `None` when not throttled.
    pub throttled_for: Option<i64>,
    /// Whether the account's own throttle applies (not only the client address's).
    pub account_throttled: bool,
    /// Whether the account has a second factor: then a right password passes
    /// the per-IP throttle to the second step (never the per-account one).
    pub second_factor: bool,
    /// The account and its password hash, when the address has one.
    pub account: Option<(User, String)>,
}

/// Reads the throttle counts for this address and IP, and the account.
pub fn check_login(conn: &mut DbConn, attempted: &str, ip: &str) -> QueryResult<LoginCheck> {
    let now = crate::db::now();
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let (by_email, by_ip) = login_failures::count_since(conn, attempted, ip, since)?;
    let throttled_for = if by_email >= MAX_FAILURES_PER_ACCOUNT || by_ip >= MAX_FAILURES_PER_IP {
        let by_email = login_failures::lifts_after(conn, Some(attempted), None, since, MAX_FAILURES_PER_ACCOUNT)?;
        let by_ip = login_failures::lifts_after(conn, None, Some(ip), since, MAX_FAILURES_PER_IP)?;
        let lifts = by_email.max(by_ip).map(|oldest| oldest + Duration::minutes(THROTTLE_WINDOW_MINUTES));
        Some(lifts.map_or(1, |at| (at - now).num_seconds().max(1)))
    } else {
        None
    };
    let account = match Email::parse(attempted) {
        Ok(email) => users::find_for_login(conn, &email)?,
        Err(_) => None,
    };
    let second_factor = match &account {
        Some((user, _)) => crate::db::second_factors::has_any(conn, user.id)?,
        None => false,
    };
    Ok(LoginCheck { throttled_for, account_throttled: by_email >= MAX_FAILURES_PER_ACCOUNT, second_factor, account })
}

impl LoginCheck {
    /// Whether the password may be checked at all: not while a throttle
    /// applies, except the per-IP one for an account with a second factor
    /// (someone else's failures behind the same address should not lock it out).
    pub fn may_try(&self) -> bool {
        self.throttled_for.is_none() || (!self.account_throttled && self.second_factor)
    }
}

fn org_ids(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<i64>> {
    Ok(memberships::for_user(conn, user_id)?.into_iter().map(|(org, _)| org.id).collect())
}

/// A correct password: forgives the address's failures, starts the session
/// row (`sid_hash`) and records `session.login` in each of the user's orgs.
pub fn logged_in(
    conn: &mut DbConn,
    user: &User,
    attempted: &str,
    sid_hash: &str,
    second: Option<two_factor::Method>,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        login_failures::clear_for_email(conn, attempted)?;
        sessions::insert(conn, user.id, sid_hash, &meta.session_origin())?;
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| match second {
            Some(method) => Entry::session_login_with(org, method.login_method()),
            None => Entry::session_login(org),
        })
    })
}

/// A wrong code at the second step: counted by the login throttle and
/// recorded as `session.login_failed` (`bad_second_factor`).
pub fn second_factor_failed(conn: &mut DbConn, user: &User, ip: &str, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        login_failures::record(conn, &user.email, ip)?;
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
            Entry::session_login_failed(org, &user.email, Some(user), "bad_second_factor")
        })
    })
}

/// A failed or throttled attempt: counted (unless throttled) and recorded as
/// `session.login_failed` in the user's orgs (or the platform log).
pub fn login_failed(
    conn: &mut DbConn,
    attempted: &str,
    ip: &str,
    user: Option<&User>,
    throttled: bool,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        if !throttled {
            login_failures::record(conn, attempted, ip)?;
        }
        let orgs = match user {
            Some(user) => org_ids(conn, user.id)?,
            None => Vec::new(),
        };
        let reason = if throttled { "throttled" } else { "invalid_credentials" };
        audit::record_each(conn, &Actor::Anonymous, meta, &orgs, |org| {
            Entry::session_login_failed(org, attempted, user, reason)
        })
    })
}

/// Ends this session (`sid_hash`), or with `everywhere` every session of the
/// user, recording `session.logout` in each org the user belongs to.
pub fn logout(
    conn: &mut DbConn,
    user: &User,
    orgs: &[i64],
    sid_hash: &str,
    everywhere: bool,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        if everywhere {
            users::bump_session_epoch(conn, user.id)?;
            sessions::delete_for_user(conn, user.id)?;
        } else {
            sessions::delete(conn, sid_hash)?;
        }
        audit::record_each(conn, &Actor::user(user), meta, orgs, |org| Entry::session_logout(org, everywhere))
    })
}

/// First-run setup: the first owner and organisation, the owner's session
/// row (`sid_hash`), `org.created` and `session.login`. Fails with
/// `SetupError::AlreadyDone` once any user exists.
pub fn complete_setup(
    conn: &mut DbConn,
    new: NewInstance<'_>,
    sid_hash: &str,
    meta: &RequestMeta,
) -> Result<(User, Org), SetupError> {
    crate::db::transaction(conn, |conn| {
        let (user, org) = setup::complete(conn, new)?;
        sessions::insert(conn, user.id, sid_hash, &meta.session_origin())?;
        let actor = Actor::user(&user);
        audit::record(conn, &actor, meta, Entry::org_created(org.id, &org.slug, &org.name, org.plan.as_str()))?;
        audit::record(conn, &actor, meta, Entry::session_login(org.id))?;
        Ok((user, org))
    })
}
