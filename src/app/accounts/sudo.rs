//! Re-authentication of a signed-in user ("sudo mode", docs/user-guide.md: API keys):
//! the prompts before sensitive key actions and the password and code that
//! second-factor changes ask for. Each answer takes a place in the login
//! throttle before it is checked (throttle.rs); a right one gives it back, a
//! wrong or throttled one is recorded as `session.sudo_failed` in every org
//! of the user. The password itself is checked by the caller, between these
//! calls, with no connection held.

use super::org_ids;
use super::throttle::{self, Gate, Limits, Reservation};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
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
pub fn begin(conn: &mut DbConn, user: &User, ip: &str) -> QueryResult<(Gate, Option<String>)> {
    let gate = throttle::reserve(conn, &user.email, ip, Limits::AccountAndAddress)?;
    Ok((gate, users::password_hash(conn, user.id)?))
}

/// The answer was right: its place in the throttle is given back.
pub fn passed(conn: &mut DbConn, reservation: Reservation) -> QueryResult<()> {
    throttle::release(conn, reservation)
}

/// A wrong answer (its place in the throttle stays, counted) or one refused
/// by the throttle: `session.sudo_failed` in each of the user's orgs.
pub fn failed(conn: &mut DbConn, user: &User, prompt: Prompt, throttled: bool, meta: &RequestMeta) -> QueryResult<()> {
    let reason = if throttled { "throttled" } else { "wrong_answer" };
    crate::db::transaction(conn, |conn| {
        let orgs = org_ids(conn, user.id)?;
        audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
            Entry::session_sudo_failed(org, user, prompt.as_str(), reason)
        })
    })
}
