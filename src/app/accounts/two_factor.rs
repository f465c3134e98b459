//! Use cases for second factors: setting up an authenticator (a pending
//! secret that stays the same until confirmed or cancelled), recovery codes,
//! removing the authenticator, checking a code at login or in sudo mode
//! (each TOTP step and each recovery code works once), and the operator's
//! reset. Every change is audited in each of the user's orgs and mailed.

use super::notices::tell;
use super::org_ids;
use crate::app::audit::{self, Actor, Entry, RequestMeta, SecondFactorChange};
use crate::db::QueryResult;
use crate::db::second_factors as factors;
use crate::db::users::User;
use crate::db::{DbConn, login_failures, sessions};
use crate::domain::UserId;
use crate::domain::second_factor::{Code, TotpSecret, new_recovery_codes, recovery_code_hash};
use crate::infra::config::Config;
use serde_json::json;

/// Why a second-factor change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("That code is not right. Codes change every 30 seconds; use the newest.")]
    WrongCode,
    #[error("An authenticator app is already set up.")]
    AlreadyOn,
    #[error("No authenticator app is set up.")]
    NotOn,
    #[error("the stored authenticator secret cannot be opened with LATCHKEY_ENCRYPTION_KEY")]
    Unreadable,
    #[error(transparent)]
    Db(#[from] crate::db::QueryError),
}

/// How a second step was passed, as `session.login` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Totp,
    RecoveryCode,
    Passkey,
}

impl Method {
    pub fn login_method(self) -> &'static str {
        match self {
            Self::Totp => "password+totp",
            Self::RecoveryCode => "password+recovery_code",
            Self::Passkey => "password+passkey",
        }
    }
}

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

fn open_secret(config: &Config, sealed: &str) -> Result<TotpSecret, TwoFactorError> {
    let bytes = crate::domain::crypto::open(&config.encryption_key, sealed).map_err(|_| TwoFactorError::Unreadable)?;
    TotpSecret::from_bytes(bytes).ok_or(TwoFactorError::Unreadable)
}

fn record(
    conn: &mut DbConn,
    user: &User,
    actor: &Actor,
    meta: &RequestMeta,
    change: SecondFactorChange,
    details: serde_json::Value,
) -> QueryResult<()> {
    let orgs = org_ids(conn, user.id)?;
    audit::record_each(conn, actor, meta, &orgs, |org| Entry::user_second_factor(org, user, change, details.clone()))
}

/// What the set-up page shows: the pending secret (the same on every reload).
pub struct Enrolment {
    pub secret: TotpSecret,
}

/// Starts (or continues) setting up an authenticator app.
pub fn begin_totp(conn: &mut DbConn, config: &Config, user: &User) -> Result<Enrolment, TwoFactorError> {
    crate::db::transaction(conn, |conn| match factors::totp(conn, user.id)? {
        Some(row) if row.confirmed_at.is_some() => Err(TwoFactorError::AlreadyOn),
        Some(row) => Ok(Enrolment { secret: open_secret(config, &row.secret_sealed)? }),
        None => {
            let secret = TotpSecret::generate();
            let sealed = crate::domain::crypto::seal(&config.encryption_key, secret.bytes())
                .map_err(|_| TwoFactorError::Unreadable)?;
            factors::insert_pending_totp(conn, user.id, &sealed)?;
            Ok(Enrolment { secret })
        }
    })
}

/// Drops a set-up that was not confirmed.
pub fn cancel_totp(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    let Some(row) = factors::totp(conn, user.id)? else { return Ok(()) };
    if row.confirmed_at.is_none() {
        factors::delete_totp(conn, user.id)?;
    }
    Ok(())
}

/// Stores a fresh set of recovery codes; returns them (shown once).
fn fresh_recovery_codes(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<String>> {
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_code_hash(&c.replace('-', ""))).collect();
    factors::replace_recovery_codes(conn, user_id, &hashes)?;
    Ok(codes)
}

/// Recovery codes come with a user's first second factor of any kind: with
/// no authenticator app and no unused codes, the first set (shown once, and
/// audited as made). `None` when the user has codes already.
pub fn codes_for_first_factor(conn: &mut DbConn, user: &User, meta: &RequestMeta) -> QueryResult<Option<Vec<String>>> {
    let (app, _) = factors::kinds(conn, user.id)?;
    if app || factors::unused_recovery_codes(conn, user.id)? > 0 {
        return Ok(None);
    }
    let codes = fresh_recovery_codes(conn, user.id)?;
    record(conn, user, &Actor::user(user), meta, SecondFactorChange::RecoveryCodesRegenerated, json!({}))?;
    Ok(Some(codes))
}

/// Confirms the pending authenticator with a code from it; returns the new recovery codes.
pub fn confirm_totp(
    conn: &mut DbConn,
    config: &Config,
    user: &User,
    code: &str,
    meta: &RequestMeta,
) -> Result<Vec<String>, TwoFactorError> {
    crate::db::transaction(conn, |conn| {
        let row = factors::totp(conn, user.id)?.ok_or(TwoFactorError::NotOn)?;
        if row.confirmed_at.is_some() {
            return Err(TwoFactorError::AlreadyOn);
        }
        let secret = open_secret(config, &row.secret_sealed)?;
        let Some(Code::Totp(digits)) = Code::parse(code) else { return Err(TwoFactorError::WrongCode) };
        let step = secret.check(&digits, unix_now()).ok_or(TwoFactorError::WrongCode)?;
        factors::confirm_totp(conn, user.id, i64::try_from(step).unwrap_or(i64::MAX))?;
        let codes = fresh_recovery_codes(conn, user.id)?;
        record(conn, user, &Actor::user(user), meta, SecondFactorChange::TotpEnabled, json!({ "factor": "totp" }))?;
        tell(conn, config, user, "Two-factor authentication was turned on", meta)?;
        Ok(codes)
    })
}

/// Replaces the recovery codes (the old ones stop working); returns the new ones.
pub fn regenerate_recovery_codes(
    conn: &mut DbConn,
    config: &Config,
    user: &User,
    meta: &RequestMeta,
) -> Result<Vec<String>, TwoFactorError> {
    crate::db::transaction(conn, |conn| {
        if !factors::has_any(conn, user.id)? {
            return Err(TwoFactorError::NotOn);
        }
        let codes = fresh_recovery_codes(conn, user.id)?;
        record(conn, user, &Actor::user(user), meta, SecondFactorChange::RecoveryCodesRegenerated, json!({}))?;
        tell(conn, config, user, "New recovery codes were made", meta)?;
        Ok(codes)
    })
}

/// Checks `input` as a second factor of `user` and uses it up: a TOTP code
/// works once (its time step is remembered), a recovery code once (and the
/// user is mailed). `None` when it is not a working code.
pub fn use_code(
    conn: &mut DbConn,
    config: &Config,
    user: &User,
    input: &str,
    meta: &RequestMeta,
) -> Result<Option<Method>, TwoFactorError> {
    crate::db::transaction(conn, |conn| match Code::parse(input) {
        Some(Code::Totp(digits)) => {
            let Some(row) = factors::totp(conn, user.id)?.filter(|r| r.confirmed_at.is_some()) else { return Ok(None) };
            let secret = open_secret(config, &row.secret_sealed)?;
            let Some(step) = secret.check(&digits, unix_now()) else { return Ok(None) };
            let fresh = factors::use_totp_step(conn, user.id, i64::try_from(step).unwrap_or(i64::MAX))?;
            Ok(fresh.then_some(Method::Totp))
        }
        Some(Code::Recovery(letters)) => {
            if !factors::use_recovery_code(conn, user.id, &recovery_code_hash(&letters))? {
                return Ok(None);
            }
            tell(conn, config, user, "A recovery code was used to sign in", meta)?;
            Ok(Some(Method::RecoveryCode))
        }
        None => Ok(None),
    })
}

/// Removes the authenticator (the password and a code were checked by the
/// caller). Recovery codes go too when no passkey is left.
pub fn disable_totp(conn: &mut DbConn, config: &Config, user: &User, meta: &RequestMeta) -> Result<(), TwoFactorError> {
    crate::db::transaction(conn, |conn| {
        if factors::delete_totp(conn, user.id)? == 0 {
            return Err(TwoFactorError::NotOn);
        }
        let passkeys_left = !factors::passkeys(conn, user.id)?.is_empty();
        if !passkeys_left {
            factors::delete_recovery_codes(conn, user.id)?;
        }
        let details = json!({ "factor": "totp", "passkeys_left": passkeys_left });
        record(conn, user, &Actor::user(user), meta, SecondFactorChange::Disabled, details)?;
        tell(conn, config, user, "Two-factor authentication by app was turned off", meta)?;
        Ok(())
    })
}

/// `latchkey user reset-two-factor`: every factor goes, every session ends,
/// the login throttle of the address is cleared.
pub fn reset_by_operator(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        factors::delete_totp(conn, user.id)?;
        factors::delete_recovery_codes(conn, user.id)?;
        factors::delete_passkeys(conn, user.id)?;
        crate::db::users::bump_session_epoch(conn, user.id)?;
        sessions::delete_for_user(conn, user.id)?;
        login_failures::clear_for_email(conn, &user.email)?;
        record(
            conn,
            user,
            &Actor::cli(),
            &RequestMeta::default(),
            SecondFactorChange::Disabled,
            json!({ "factor": "all", "via": "cli" }),
        )
    })
}

/// Where a user's second factors stand (the account page).
pub struct Status {
    pub totp_on: bool,
    pub recovery_codes_left: i64,
    pub passkeys: Vec<factors::PasskeyRow>,
}

pub fn status(conn: &mut DbConn, user_id: UserId) -> QueryResult<Status> {
    Ok(Status {
        totp_on: factors::totp(conn, user_id)?.is_some_and(|r| r.confirmed_at.is_some()),
        recovery_codes_left: factors::unused_recovery_codes(conn, user_id)?,
        passkeys: factors::passkeys(conn, user_id)?,
    })
}
