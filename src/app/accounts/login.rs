//! Signing in and out as the console does it, one async entry point per
//! step: the password step (throttle first, argon2 with no connection held,
//! then the outcome recorded), the second step with a code, finishing a
//! login after a second factor, logging out, and first-run setup. The
//! session cookie is the caller's; the session's row and the audit trail are
//! written here.

use super::AccountError;
use super::factors::{self, FactorError};
use super::throttle::{self, Gate, Limits};
use super::two_factor::Method;
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::db::orgs::Org;
use crate::db::setup::{NewInstance, SetupError};
use crate::db::users::User;
use crate::db::{self, second_factors, users};
use crate::domain::{Email, OrgId, OrgName, OrgSlug, Password, PersonName, UserId};

/// How a password step came out.
pub enum LoginOutcome {
    LoggedIn(User),
    /// The password was right; the user's second factor comes next.
    SecondStep(User),
    Failed,
    /// Seconds until a throttle that applies lifts (for `Retry-After`).
    Throttled(i64),
    /// The password was right, but an organisation of this member (not as
    /// owner) requires single sign-on: its slug.
    SsoRequired(String),
}

/// The password step: `attempted` (the address as typed, lower-cased) and
/// the password, from `ip`; a login without a second factor starts the
/// session row `sid_hash`.
pub async fn log_in(
    ctx: &AppState,
    (attempted, password): (String, String),
    ip: String,
    sid_hash: String,
    meta: &RequestMeta,
) -> Result<LoginOutcome, db::Error> {
    // 1. The throttle and the account; 2. the password, with no connection held; 3. the outcome.
    let check = {
        let attempted = attempted.clone();
        ctx.db.run(move |conn| super::check_login(conn, &attempted, &ip)).await?
    };
    let (throttled, gate, throttled_for) = (!check.may_try(), check.gate, check.throttled_for());
    let (account, second_factor) = (check.account, check.second_factor);
    let verified = tokio::task::spawn_blocking(move || {
        let ok = match &account {
            Some((_, hash)) => !throttled && crate::infra::password::verify(&password, hash),
            None => {
                // An unknown address costs the same time as a known one.
                if !throttled {
                    crate::infra::password::verify_dummy(&password);
                }
                false
            }
        };
        (account.map(|(user, _)| user), ok)
    })
    .await
    .map_err(db::Error::Task)?;
    let meta = meta.clone();
    ctx.db
        .run(move |conn| -> crate::db::QueryResult<LoginOutcome> {
            if let (Some(user), true) = &verified
                && let Some(slug) = crate::db::sso::required_of(conn, user.id)?
            {
                super::password_passed(conn, gate)?;
                return Ok(LoginOutcome::SsoRequired(slug));
            }
            match verified {
                (Some(user), true) if second_factor => {
                    super::password_passed(conn, gate)?;
                    Ok(LoginOutcome::SecondStep(user))
                }
                (Some(user), true) => {
                    super::logged_in(conn, &user, &attempted, &sid_hash, None, &meta)?;
                    Ok(LoginOutcome::LoggedIn(user))
                }
                (user, _) => {
                    super::login_failed(conn, &attempted, user.as_ref(), throttled, &meta)?;
                    Ok(throttled_for.map_or(LoginOutcome::Failed, LoginOutcome::Throttled))
                }
            }
        })
        .await
}

/// The user of a pending login (the second step), and whether they have a passkey.
pub async fn pending_user(ctx: &AppState, user_id: UserId) -> Result<Option<(User, bool)>, db::Error> {
    ctx.db
        .run(move |conn| {
            let Some(user) = users::find(conn, user_id)? else { return Ok(None) };
            let passkeys = !second_factors::passkeys(conn, user_id)?.is_empty();
            Ok::<_, crate::db::QueryError>(Some((user, passkeys)))
        })
        .await
}

/// How a code at the second step came out.
pub enum SecondStep {
    /// The account's throttle applies: nothing was checked.
    Throttled,
    Passed(Method),
    /// A wrong code (counted, and recorded); how many failures since the pending login began.
    Wrong {
        failures: i64,
    },
}

/// Checks a code at the second step of a login that began at `started`:
/// a place in the account's throttle first, so of any burst of codes at most
/// the limit is ever checked.
pub async fn second_step(
    ctx: &AppState,
    (user, ip): (&User, String),
    code: &str,
    started: chrono::NaiveDateTime,
    meta: &RequestMeta,
) -> Result<SecondStep, FactorError> {
    let email = user.email.clone();
    let gate = ctx.db.run(move |conn| throttle::reserve(conn, &email, &ip, Limits::Account)).await?;
    if let Gate::Throttled { .. } = gate {
        return Ok(SecondStep::Throttled);
    }
    if let Some(method) = factors::use_code(ctx, user, code, meta).await? {
        return Ok(SecondStep::Passed(method));
    }
    let (who, meta) = (user.clone(), meta.clone());
    let failures = ctx
        .db
        .run(move |conn| {
            super::second_factor_failed(conn, &who, &meta)?;
            throttle::failures_since(conn, &who.email, started)
        })
        .await?;
    Ok(SecondStep::Wrong { failures })
}

/// Logs `user` in after a passed second step: the session row `sid_hash`
/// and `session.login` with the method; mail (a recovery code's use) leaves at once.
pub async fn finish_second_step(
    ctx: &AppState,
    user: &User,
    (sid_hash, method): (String, Method),
    meta: &RequestMeta,
) -> Result<(), db::Error> {
    let (who, meta) = (user.clone(), meta.clone());
    ctx.db.run(move |conn| super::logged_in(conn, &who, &who.email, &sid_hash, Some(method), &meta)).await?;
    ctx.wake_mail_sender();
    Ok(())
}

/// Ends this session (`sid_hash`), or with `everywhere` every session of the
/// user, recording `session.logout` in each of `orgs`.
pub async fn log_out(
    ctx: &AppState,
    (user, orgs): (&User, Vec<OrgId>),
    sid_hash: String,
    everywhere: bool,
    meta: &RequestMeta,
) -> Result<(), db::Error> {
    let (user, meta) = (user.clone(), meta.clone());
    ctx.db.run(move |conn| super::logout(conn, &user, &orgs, &sid_hash, everywhere, &meta)).await
}

/// What first-run setup is given: the organisation, and its first owner.
pub struct Setup {
    pub org_name: OrgName,
    pub org_slug: OrgSlug,
    pub name: PersonName,
    pub email: Email,
    pub password: Password,
}

/// First-run setup: the first owner (password hashed off the database
/// thread) and organisation, and the owner's session row `sid_hash`. `None`
/// once setup is done (any user exists).
pub async fn set_up(
    ctx: &AppState,
    setup: Setup,
    sid_hash: String,
    meta: &RequestMeta,
) -> Result<Option<(User, Org)>, AccountError> {
    let hash = crate::infra::password::hash_off_thread(&setup.password).await?;
    let meta = meta.clone();
    let created = ctx
        .db
        .run(move |conn| {
            let new = NewInstance {
                org_name: &setup.org_name,
                org_slug: &setup.org_slug,
                name: &setup.name,
                email: &setup.email,
                password_hash: &hash,
            };
            match super::complete_setup(conn, new, &sid_hash, &meta) {
                Ok(done) => Ok(Some(done)),
                Err(SetupError::AlreadyDone) => Ok(None),
                Err(SetupError::Db(e)) => Err(e),
            }
        })
        .await?;
    if created.is_some() {
        ctx.mark_setup_done();
    }
    Ok(created)
}
