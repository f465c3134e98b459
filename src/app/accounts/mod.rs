//! Use cases for people's accounts. This file: signing in and out (the login
//! throttle, recording a login's outcome — session row + audit events in
//! every org of the user — and logging out), an account the operator
//! makes, and first-run setup;
//! password.rs: changing and resetting passwords; profile.rs: the name and
//! one's sessions. Password checks (argon2, tens of milliseconds) happen
//! between these calls, never while a database connection is held.

pub mod ceremony;
pub mod factors;
pub mod login;
mod notices;
pub mod passkeys;
pub mod password;
pub mod profile;
pub mod signed_in;
pub mod sudo;
pub mod throttle;
pub mod two_factor;

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::QueryResult;
use crate::db::orgs::Org;
use crate::db::setup::{self, NewInstance, SetupError};
use crate::db::users::{self, CreateUserError, User};
use crate::db::{DbConn, login_failures, orgs, sessions};
use crate::domain::{Email, OrgId, PersonName, UserId};

/// Why an account use case could not run: the database, or hashing a new password.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Db(#[from] crate::db::Error),
    #[error(transparent)]
    Hash(#[from] crate::infra::password::HashError),
}

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
    /// The attempt's place in the throttle, or how long until it lifts.
    pub gate: throttle::Gate,
    /// Whether the account has a second factor: then a right password passes
    /// the per-IP throttle to the second step (never the per-account one).
    pub second_factor: bool,
    /// The account and its password hash, when the address has one.
    pub account: Option<(User, String)>,
}

/// Reads the account and takes the attempt's place in the throttle
/// (throttle.rs): a place is reserved before the password is checked.
pub fn check_login(conn: &mut DbConn, attempted: &str, ip: &str) -> QueryResult<LoginCheck> {
    let account = match Email::parse(attempted) {
        Ok(email) => users::find_for_login(conn, &email)?,
        Err(_) => None,
    };
    let second_factor = match &account {
        Some((user, _)) => crate::db::second_factors::has_any(conn, user.id)?,
        None => false,
    };
    let limits = throttle::Limits::AccountAndAddressUnlessSecondFactor { second_factor };
    let gate = throttle::reserve(conn, attempted, ip, limits)?;
    Ok(LoginCheck { gate, second_factor, account })
}

impl LoginCheck {
    /// Whether the password may be checked at all (a place was reserved).
    pub fn may_try(&self) -> bool {
        matches!(self.gate, throttle::Gate::Open(_))
    }

    /// Seconds until the throttle lifts, when it applies.
    pub fn throttled_for(&self) -> Option<i64> {
        match self.gate {
            throttle::Gate::Throttled { seconds, .. } => Some(seconds),
            throttle::Gate::Open(_) => None,
        }
    }
}

fn org_ids(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<OrgId>> {
    Ok(orgs::for_user(conn, user_id)?.into_iter().map(|(org, _)| org.id).collect())
}

/// A right password of an account with a second factor: the attempt's
/// place in the throttle is given back; the second step comes next.
pub fn password_passed(conn: &mut DbConn, gate: throttle::Gate) -> QueryResult<()> {
    match gate {
        throttle::Gate::Open(reservation) => throttle::release(conn, reservation),
        throttle::Gate::Throttled { .. } => Ok(()),
    }
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
        // An owner's password login into an organisation that requires single sign-on is its break-glass way in.
        let break_glass = crate::db::sso::requiring(conn, &orgs)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
            let method = second.map_or("password", |m| m.login_method());
            match second {
                _ if break_glass.contains(&org) => Entry::session_login_break_glass(org, method),
                Some(method) => Entry::session_login_with(org, method.login_method()),
                None => Entry::session_login(org),
            }
        })
    })
}

/// A wrong code at the second step (already counted: its place in the
/// throttle stays) recorded as `session.login_failed` (`bad_second_factor`).
pub fn second_factor_failed(conn: &mut DbConn, user: &User, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
            Entry::session_login_failed(org, &user.email, Some(user), "bad_second_factor")
        })
    })
}

/// A failed or throttled attempt (a failed one is already counted: its
/// place in the throttle stays), recorded as `session.login_failed` in the
/// user's orgs (or the platform log).
pub fn login_failed(
    conn: &mut DbConn,
    attempted: &str,
    user: Option<&User>,
    throttled: bool,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
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
    orgs: &[OrgId],
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

/// An account the operator makes (`latchkey user create`): `staff` =
/// platform staff. `password_hash` was made before, without a connection held.
pub fn create(
    conn: &mut DbConn,
    email: &Email,
    name: &PersonName,
    password_hash: &str,
    staff: bool,
) -> Result<User, CreateUserError> {
    users::create(conn, email, name, password_hash, staff)
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
