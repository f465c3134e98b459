//! Use cases for passkeys (WebAuthn through `webauthn-rs`): registering one
//! (a challenge, then the browser's answer), removing one, and using one as
//! the second step of a login. The relying party is the host of
//! `LATCHKEY_PUBLIC_URL`; browsers refuse an IP address there, so with an
//! IP public URL there are no passkeys (`AppState::passkeys` is `None`).

use super::notices::tell;
use super::org_ids;
use crate::app::audit::{self, Actor, Entry, RequestMeta, SecondFactorChange};
use crate::db::QueryResult;
use crate::db::second_factors::{self as factors, NewPasskey, PasskeyRow};
use crate::db::users::User;
use crate::db::{DbConn, ceremonies, now};
use crate::domain::UserId;
use crate::infra::config::Config;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::{Value, json};
use webauthn_rs::prelude::*;

/// A ceremony must be answered within this long.
const CEREMONY_MINUTES: i64 = 5;
const REGISTER: &str = "register";

/// What a passkey assertion is for: the second step of a login, or sudo mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Login,
    Sudo,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Sudo => "sudo",
        }
    }
}

/// Why a passkey ceremony failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("Passkeys need a host name in LATCHKEY_PUBLIC_URL (such as http://localhost:8080), not an IP address.")]
    Unavailable,
    #[error("This passkey request has expired or was already used. Try again.")]
    NoCeremony,
    #[error("The browser's answer did not check out: {0}")]
    Refused(String),
    #[error("Name the passkey (at most 100 characters).")]
    BadName,
    #[error(transparent)]
    Db(#[from] crate::db::QueryError),
}

/// WebAuthn's opaque user handle: fixed per account, says nothing about it.
fn user_handle(user: &User) -> Uuid {
    Uuid::from_u64_pair(0x6c61_7463_686b_6579, u64::try_from(user.id.get()).unwrap_or_default())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|e| PasskeyError::Refused(e.to_string()))
}

fn stored<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|_| PasskeyError::NoCeremony)
}

fn since() -> chrono::NaiveDateTime {
    now() - chrono::Duration::minutes(CEREMONY_MINUTES)
}

fn record(
    conn: &mut DbConn,
    user: &User,
    meta: &RequestMeta,
    change: SecondFactorChange,
    details: Value,
) -> QueryResult<()> {
    let orgs = org_ids(conn, user.id)?;
    audit::record_each(conn, &Actor::user(user), meta, &orgs, |org| {
        Entry::user_second_factor(org, user, change, details.clone())
    })
}

/// Starts registering a passkey: the options for `navigator.credentials.create`.
pub fn begin_registration(
    conn: &mut DbConn,
    rp: &Webauthn,
    user: &User,
    handle_hash: &str,
) -> Result<Value, PasskeyError> {
    let existing: Vec<CredentialID> =
        factors::passkeys(conn, user.id)?.iter().filter_map(|row| B64URL.decode(&row.credential_id).ok()).collect();
    let (options, state) = rp
        .start_passkey_registration(user_handle(user), &user.email, &user.name, Some(existing))
        .map_err(|e| PasskeyError::Refused(e.to_string()))?;
    ceremonies::insert(conn, handle_hash, user.id, REGISTER, &to_json(&state)?)?;
    serde_json::to_value(&options).map_err(|e| PasskeyError::Refused(e.to_string()))
}

/// A passkey the browser made: the name the person gave it and the browser's answer (JSON).
pub struct Added<'a> {
    pub name: &'a str,
    pub answer: &'a str,
}

/// Checks the browser's answer and stores the passkey under its name.
pub fn finish_registration(
    conn: &mut DbConn,
    rp: &Webauthn,
    config: &Config,
    user: &User,
    handle_hash: &str,
    added: &Added<'_>,
    meta: &RequestMeta,
) -> Result<Option<Vec<String>>, PasskeyError> {
    let (name, answer) = (added.name.trim(), added.answer);
    if name.is_empty() || name.chars().count() > 100 {
        return Err(PasskeyError::BadName);
    }
    crate::db::transaction(conn, |conn| {
        let state = ceremonies::take(conn, handle_hash, user.id, REGISTER, since())?.ok_or(PasskeyError::NoCeremony)?;
        let state: PasskeyRegistration = stored(&state)?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(answer).map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let passkey =
            rp.finish_passkey_registration(&answer, &state).map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let public_id = format!("pk_{}", crate::domain::token::random_base62(16));
        let new = NewPasskey {
            public_id: &public_id,
            name,
            credential_id: &B64URL.encode(passkey.cred_id()),
            credential: &to_json(&passkey)?,
        };
        factors::insert_passkey(conn, user.id, &new)?;
        record(
            conn,
            user,
            meta,
            SecondFactorChange::PasskeyAdded,
            json!({ "factor": "passkey", "name": name, "passkey_id": public_id }),
        )?;
        tell(conn, config, user, "A passkey was added", meta)?;
        Ok(super::two_factor::codes_for_first_factor(conn, user, meta)?)
    })
}

/// Removes one of the user's passkeys; false when they have none with this id.
pub fn remove(
    conn: &mut DbConn,
    config: &Config,
    user: &User,
    public_id: &str,
    meta: &RequestMeta,
) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        let Some(row) = factors::delete_passkey(conn, user.id, public_id)? else { return Ok(false) };
        record(
            conn,
            user,
            meta,
            SecondFactorChange::PasskeyRemoved,
            json!({ "factor": "passkey", "name": row.name, "passkey_id": row.public_id }),
        )?;
        tell(conn, config, user, "A passkey was removed", meta)?;
        Ok(true)
    })
}

/// Starts a passkey assertion (a login's second step, or sudo mode): options for `navigator.credentials.get`.
pub fn begin_assertion(
    conn: &mut DbConn,
    rp: &Webauthn,
    user_id: UserId,
    handle_hash: &str,
    purpose: Purpose,
) -> Result<Value, PasskeyError> {
    let keys = credentials(&factors::passkeys(conn, user_id)?);
    if keys.is_empty() {
        return Err(PasskeyError::NoCeremony);
    }
    let (options, state) = rp.start_passkey_authentication(&keys).map_err(|e| PasskeyError::Refused(e.to_string()))?;
    ceremonies::insert(conn, handle_hash, user_id, purpose.as_str(), &to_json(&state)?)?;
    serde_json::to_value(&options).map_err(|e| PasskeyError::Refused(e.to_string()))
}

fn credentials(rows: &[PasskeyRow]) -> Vec<Passkey> {
    rows.iter().filter_map(|row| serde_json::from_str(&row.credential).ok()).collect()
}

/// Checks the browser's signed answer (origin, RP id, challenge and
/// signature by the crate) and keeps the authenticator's sign counter.
pub fn finish_assertion(
    conn: &mut DbConn,
    rp: &Webauthn,
    user_id: UserId,
    handle_hash: &str,
    purpose: Purpose,
    answer: &str,
) -> Result<(), PasskeyError> {
    crate::db::transaction(conn, |conn| {
        let state =
            ceremonies::take(conn, handle_hash, user_id, purpose.as_str(), since())?.ok_or(PasskeyError::NoCeremony)?;
        let state: PasskeyAuthentication = stored(&state)?;
        let answer: PublicKeyCredential =
            serde_json::from_str(answer).map_err(|e| PasskeyError::Refused(e.to_string()))?;
        let result =
            rp.finish_passkey_authentication(&answer, &state).map_err(|e| PasskeyError::Refused(e.to_string()))?;
        for row in factors::passkeys(conn, user_id)? {
            let Ok(mut key) = serde_json::from_str::<Passkey>(&row.credential) else { continue };
            match key.update_credential(&result) {
                Some(true) => factors::touch_passkey(conn, row.id, Some(&to_json(&key)?))?,
                Some(false) => factors::touch_passkey(conn, row.id, None)?,
                None => {}
            }
        }
        Ok(())
    })
}
