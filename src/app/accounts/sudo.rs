//! Re-authentication of a signed-in user ("sudo mode", docs/user-guide.md: API keys):
//! the prompts before sensitive key actions and the password and code that
//! second-factor changes ask for. Each answer takes a place in the login
//! throttle before it is checked (throttle.rs); a right one gives it back, a
//! wrong or throttled one is recorded as `session.sudo_failed` in every org
//! of the user (`check`). The password is checked between the steps, with
//! no connection held.

use super::factors::FactorError;
use super::org_ids;
use super::throttle::{self, Gate, Limits, Reservation};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::state::AppState;
use crate::db::DbConn;
use crate::db::QueryResult;
use crate::db::users::{self, User};

/// Which form asked (recorded with a failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Before a sensitive key action (revoke, delete, rotate, widening).
    KeyAction,
    /// Adding, replacing or removing a second factor, or new recovery codes.
    SecondFactor,
}

impl Prompt {
    fn as_str(self) -> &'static str {
        match self {
            Self::KeyAction => "key_action",
            Self::SecondFactor => "second_factor",
        }
    }
}

/// Takes the answer's place in the throttle, and the password hash to check
/// it against (the caller checks off the database thread).
pub(super) fn begin(conn: &mut DbConn, user: &User, ip: &str) -> QueryResult<(Gate, Option<String>)> {
    let gate = throttle::reserve(conn, &user.email, ip, Limits::AccountAndAddress)?;
    Ok((gate, users::password_hash(conn, user.id)?))
}

/// The answer was right: its place in the throttle is given back.
pub(super) fn passed(conn: &mut DbConn, reservation: Reservation) -> QueryResult<()> {
    throttle::release(conn, reservation)
}

/// A wrong answer (its place in the throttle stays, counted) or one refused
/// by the throttle: `session.sudo_failed` in each of the user's orgs.
fn failed(conn: &mut DbConn, user: &User, prompt: Prompt, throttled: bool, meta: &RequestMeta) -> QueryResult<()> {
    let reason = if throttled { "throttled" } else { "wrong_answer" };
    crate::db::transaction(conn, |conn| {
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
            Entry::session_sudo_failed(org, user, prompt.as_str(), reason)
        })
    })
}

/// How a re-authentication came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Confirmed,
    /// A field it needs was left empty (nothing counted).
    Missing,
    Wrong,
    /// The login throttle applies: seconds until it lifts.
    Throttled(i64),
}

/// What a prompt asks of this user: the password, a code from their
/// authenticator app, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asks {
    pub password: bool,
    pub code: bool,
}

/// Checks a sudo answer (`password`, `code`) of `user`: first a place in the
/// login throttle, then the password (argon2, no connection held), then the
/// code (used up); a right answer gives the place back, a wrong or throttled
/// one is audited as `session.sudo_failed`. Opening the sudo window on
/// `Confirmed` is the caller's (it lives in the session).
pub async fn check(
    ctx: &AppState,
    (user, prompt, asks): (&User, Prompt, Asks),
    (password, code): (&str, &str),
    meta: &RequestMeta,
) -> Result<Outcome, FactorError> {
    if (asks.password && password.is_empty()) || (asks.code && code.trim().is_empty()) {
        return Ok(Outcome::Missing);
    }
    // 1. A place in the throttle (before anything is checked).
    let (who, ip) = (user.clone(), meta.ip.clone().unwrap_or_default());
    let (gate, hash) = ctx.db.run(move |conn| begin(conn, &who, &ip)).await?;
    let reservation = match gate {
        Gate::Open(reservation) => reservation,
        Gate::Throttled { seconds, .. } => {
            record_failure(ctx, user, prompt, true, meta).await?;
            return Ok(Outcome::Throttled(seconds));
        }
    };
    // 2. The password (argon2, no connection held), then the code.
    let mut right = !asks.password || crate::infra::password::verify_off_thread(password.to_owned(), hash).await;
    if right && asks.code {
        right = super::factors::use_code(ctx, user, code, meta).await?.is_some();
    }
    // 3. Give the place back, or record the failure.
    if !right {
        record_failure(ctx, user, prompt, false, meta).await?;
        return Ok(Outcome::Wrong);
    }
    ctx.db.run(move |conn| passed(conn, reservation)).await?;
    Ok(Outcome::Confirmed)
}

async fn record_failure(
    ctx: &AppState,
    user: &User,
    prompt: Prompt,
    throttled: bool,
    meta: &RequestMeta,
) -> Result<(), crate::db::Error> {
    let (user, meta) = (user.clone(), meta.clone());
    ctx.db.run(move |conn| failed(conn, &user, prompt, throttled, &meta)).await
}
