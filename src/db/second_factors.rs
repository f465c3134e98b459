//! A user's second factors: the TOTP authenticator (secret sealed; pending
//! until confirmed, and the last time step accepted, so a code works once),
//! recovery codes (SHA-256 only, each used once) and passkeys.

use super::schema::passkeys::dsl as pk;
use super::schema::recovery_codes::dsl as rc;
use super::schema::totp_factors::dsl as totp;
use super::{DbConn, now};
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::totp_factors)]
pub struct TotpRow {
    pub id: i64,
    pub user_id: i64,
    pub secret_sealed: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::passkeys)]
pub struct PasskeyRow {
    pub id: i64,
    pub public_id: String,
    pub user_id: i64,
    pub name: String,
    pub credential_id: String,
    /// The crate's serialised credential (public key and sign counter; no secret).
    pub credential: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn totp(conn: &mut DbConn, user_id: UserId) -> QueryResult<Option<TotpRow>> {
    totp::totp_factors.filter(totp::user_id.eq(user_id.get())).select(TotpRow::as_select()).first(conn).optional()
}

/// Starts setting up an authenticator: a pending (unconfirmed) secret.
pub fn insert_pending_totp(conn: &mut DbConn, user_id: UserId, secret_sealed: &str) -> QueryResult<()> {
    diesel::insert_into(totp::totp_factors)
        .values((totp::user_id.eq(user_id.get()), totp::secret_sealed.eq(secret_sealed), totp::created_at.eq(now())))
        .execute(conn)
        .map(|_| ())
}

/// Confirms the pending authenticator with the step of the code that confirmed it.
pub fn confirm_totp(conn: &mut DbConn, user_id: UserId, step: i64) -> QueryResult<bool> {
    diesel::update(totp::totp_factors.filter(totp::user_id.eq(user_id.get())).filter(totp::confirmed_at.is_null()))
        .set((totp::confirmed_at.eq(Some(now())), totp::last_step.eq(step)))
        .execute(conn)
        .map(|n| n > 0)
}

/// Accepts a code's time step once: false when this step (or a later one) was used already.
pub fn use_totp_step(conn: &mut DbConn, user_id: UserId, step: i64) -> QueryResult<bool> {
    diesel::update(totp::totp_factors.filter(totp::user_id.eq(user_id.get())).filter(totp::last_step.lt(step)))
        .set(totp::last_step.eq(step))
        .execute(conn)
        .map(|n| n > 0)
}

pub fn delete_totp(conn: &mut DbConn, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(totp::totp_factors.filter(totp::user_id.eq(user_id.get()))).execute(conn)
}

/// Replaces the user's recovery codes with these hashes.
pub fn replace_recovery_codes(conn: &mut DbConn, user_id: UserId, hashes: &[String]) -> QueryResult<()> {
    diesel::delete(rc::recovery_codes.filter(rc::user_id.eq(user_id.get()))).execute(conn)?;
    for hash in hashes {
        diesel::insert_into(rc::recovery_codes)
            .values((rc::user_id.eq(user_id.get()), rc::code_hash.eq(hash)))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses one recovery code: false when no unused code has this hash.
pub fn use_recovery_code(conn: &mut DbConn, user_id: UserId, hash: &str) -> QueryResult<bool> {
    diesel::update(
        rc::recovery_codes
            .filter(rc::user_id.eq(user_id.get()))
            .filter(rc::code_hash.eq(hash))
            .filter(rc::used_at.is_null()),
    )
    .set(rc::used_at.eq(Some(now())))
    .execute(conn)
    .map(|n| n > 0)
}

pub fn unused_recovery_codes(conn: &mut DbConn, user_id: UserId) -> QueryResult<i64> {
    rc::recovery_codes.filter(rc::user_id.eq(user_id.get())).filter(rc::used_at.is_null()).count().get_result(conn)
}

pub fn delete_recovery_codes(conn: &mut DbConn, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(rc::recovery_codes.filter(rc::user_id.eq(user_id.get()))).execute(conn)
}

pub fn passkeys(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<PasskeyRow>> {
    pk::passkeys
        .filter(pk::user_id.eq(user_id.get()))
        .order(pk::created_at.asc())
        .select(PasskeyRow::as_select())
        .load(conn)
}

/// A new passkey of `user_id`.
pub struct NewPasskey<'a> {
    pub public_id: &'a str,
    pub name: &'a str,
    pub credential_id: &'a str,
    pub credential: &'a str,
}

pub fn insert_passkey(conn: &mut DbConn, user_id: UserId, new: &NewPasskey<'_>) -> QueryResult<()> {
    diesel::insert_into(pk::passkeys)
        .values((
            pk::public_id.eq(new.public_id),
            pk::user_id.eq(user_id.get()),
            pk::name.eq(new.name),
            pk::credential_id.eq(new.credential_id),
            pk::credential.eq(new.credential),
            pk::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Stores a passkey's updated credential (its sign counter) after a use.
pub fn touch_passkey(conn: &mut DbConn, id: i64, credential: Option<&str>) -> QueryResult<()> {
    let target = pk::passkeys.find(id);
    match credential {
        Some(c) => diesel::update(target).set((pk::credential.eq(c), pk::last_used_at.eq(Some(now())))).execute(conn),
        None => diesel::update(target).set(pk::last_used_at.eq(Some(now()))).execute(conn),
    }
    .map(|_| ())
}

/// Removes one passkey of the user; the row it was, if any.
pub fn delete_passkey(conn: &mut DbConn, user_id: UserId, public_id: &str) -> QueryResult<Option<PasskeyRow>> {
    let found = pk::passkeys
        .filter(pk::user_id.eq(user_id.get()))
        .filter(pk::public_id.eq(public_id))
        .select(PasskeyRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = &found {
        diesel::delete(pk::passkeys.find(row.id)).execute(conn)?;
    }
    Ok(found)
}

pub fn delete_passkeys(conn: &mut DbConn, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(pk::passkeys.filter(pk::user_id.eq(user_id.get()))).execute(conn)
}

/// Whether the user has a second factor in use (a confirmed authenticator or a passkey).
pub fn has_any(conn: &mut DbConn, user_id: UserId) -> QueryResult<bool> {
    let (app, passkeys) = kinds(conn, user_id)?;
    Ok(app || passkeys)
}

/// (a confirmed authenticator app, at least one passkey), in one query: every console request asks.
pub fn kinds(conn: &mut DbConn, user_id: UserId) -> QueryResult<(bool, bool)> {
    use diesel::dsl::exists;
    diesel::select((
        exists(totp::totp_factors.filter(totp::user_id.eq(user_id.get())).filter(totp::confirmed_at.is_not_null())),
        exists(pk::passkeys.filter(pk::user_id.eq(user_id.get()))),
    ))
    .get_result(conn)
}
