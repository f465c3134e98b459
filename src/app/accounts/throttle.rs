//! The login throttle, shared by every check of something only the account
//! holder knows: the password at login, the second step's code, sudo
//! prompts, the account page's current password and the two-factor forms.
//!
//! A check first takes a place in the throttle — a failure row reserved in
//! a serialised writer transaction, after counting the failures already in
//! the window — and only then runs (argon2, a TOTP check). A right answer
//! gives the place back; a wrong one leaves it as the failure it is. So a
//! burst of concurrent guesses can never have more checks evaluated than
//! the limit allows: the count and the reservation are one step.

use super::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP, THROTTLE_WINDOW_MINUTES};
use crate::db::QueryResult;
use crate::db::{DbConn, login_failures};
use chrono::{Duration, NaiveDateTime};

/// Which of the throttle's limits a check is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limits {
    /// The account's limit and the client address's.
    AccountAndAddress,
    /// The account's limit, and the address's too unless the account has a
    /// second factor: someone else's failures behind the same address must
    /// not lock out an account that a password alone cannot open.
    AccountAndAddressUnlessSecondFactor { second_factor: bool },
    /// The account's limit only (the second step: the password was right).
    Account,
}

/// A place taken in the throttle for one check (a reserved failure row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation(i64);

/// What a check meets at the throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The check may run; give the place back when it passes.
    Open(Reservation),
    /// The account's own limit applies (`true`) or only the address's, and
    /// the seconds until it lifts (for `Retry-After`).
    Throttled { account: bool, seconds: i64 },
}

/// Counts the failures in the window and, under the limits, reserves one
/// more — in one serialised transaction.
pub fn reserve(conn: &mut DbConn, email: &str, ip: &str, limits: Limits) -> QueryResult<Gate> {
    crate::db::transaction(conn, |conn| {
        login_failures::serialise(conn)?;
        let now = crate::db::now();
        let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let (by_email, by_ip) = login_failures::count_since(conn, email, ip, since)?;
        let account = by_email >= MAX_FAILURES_PER_ACCOUNT;
        let address = by_ip >= MAX_FAILURES_PER_IP
            && match limits {
                Limits::AccountAndAddress => true,
                Limits::AccountAndAddressUnlessSecondFactor { second_factor } => !second_factor,
                Limits::Account => false,
            };
        if account || address {
            let seconds = lifts_in(conn, email, ip, since, now)?;
            return Ok(Gate::Throttled { account, seconds });
        }
        Ok(Gate::Open(Reservation(login_failures::record(conn, email, ip)?)))
    })
}

/// Seconds until the failures of the window drop under both limits.
fn lifts_in(conn: &mut DbConn, email: &str, ip: &str, since: NaiveDateTime, now: NaiveDateTime) -> QueryResult<i64> {
    let by_email = login_failures::lifts_after(conn, Some(email), None, since, MAX_FAILURES_PER_ACCOUNT)?;
    let by_ip = login_failures::lifts_after(conn, None, Some(ip), since, MAX_FAILURES_PER_IP)?;
    let lifts = by_email.max(by_ip).map(|oldest| oldest + Duration::minutes(THROTTLE_WINDOW_MINUTES));
    Ok(lifts.map_or(1, |at| (at - now).num_seconds().max(1)))
}

/// The check passed: its place is given back (it was no failure).
pub fn release(conn: &mut DbConn, reservation: Reservation) -> QueryResult<()> {
    login_failures::delete(conn, reservation.0)
}

/// Failures of the account since `since` (the start of a pending login):
/// the second step ends after five of them, however many copies of the
/// session cookie send codes.
pub fn failures_since(conn: &mut DbConn, email: &str, since: NaiveDateTime) -> QueryResult<i64> {
    login_failures::count_for_email_since(conn, email, since)
}
