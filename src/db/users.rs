//! Accounts: people who log in, some of them platform staff.

use super::schema::users::dsl;
use super::{DbConn, now};
use crate::domain::{Email, PersonName, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub is_staff: bool,
    pub session_epoch: i64,
    pub created_at: NaiveDateTime,
}

/// A `users` row as read (without the password hash).
#[derive(Queryable, Selectable)]
#[diesel(table_name = super::schema::users)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    is_staff: bool,
    session_epoch: i64,
    created_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        let UserRow { id, email, name, is_staff, session_epoch, created_at } = row;
        Self { id: UserId::new(id), email, name, is_staff, session_epoch, created_at }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub fn create(
    conn: &mut DbConn,
    email: &Email,
    name: &PersonName,
    password_hash: &str,
    is_staff: bool,
) -> Result<User, CreateUserError> {
    let id: i64 =
        diesel::insert_into(dsl::users)
            .values((
                dsl::email.eq(email.as_str()),
                dsl::name.eq(name.as_str()),
                dsl::password_hash.eq(password_hash),
                dsl::is_staff.eq(is_staff),
                dsl::session_epoch.eq(0_i64),
                dsl::created_at.eq(now()),
            ))
            .returning(dsl::id)
            .get_result(conn)
            .map_err(|e| {
                if super::is_unique_violation(&e) { CreateUserError::EmailTaken } else { CreateUserError::Db(e) }
            })?;
    Ok(find(conn, UserId::new(id))?.ok_or(diesel::result::Error::NotFound)?)
}

pub fn find(conn: &mut DbConn, id: UserId) -> QueryResult<Option<User>> {
    let row: Option<UserRow> = dsl::users.find(id.get()).select(UserRow::as_select()).first(conn).optional()?;
    Ok(row.map(User::from))
}

/// The user and their password hash, for login.
pub fn find_for_login(conn: &mut DbConn, email: &Email) -> QueryResult<Option<(User, String)>> {
    let row: Option<(UserRow, String)> = dsl::users
        .filter(dsl::email.eq(email.as_str()))
        .select((UserRow::as_select(), dsl::password_hash))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user, hash)| (User::from(user), hash)))
}

pub fn find_by_email(conn: &mut DbConn, email: &Email) -> QueryResult<Option<User>> {
    let row: Option<UserRow> =
        dsl::users.filter(dsl::email.eq(email.as_str())).select(UserRow::as_select()).first(conn).optional()?;
    Ok(row.map(User::from))
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    dsl::users.count().get_result(conn)
}

/// Ends every session of the user: cookies carry the epoch they were issued under.
pub fn bump_session_epoch(conn: &mut DbConn, id: UserId) -> QueryResult<()> {
    diesel::update(dsl::users.find(id.get()))
        .set(dsl::session_epoch.eq(dsl::session_epoch + 1))
        .execute(conn)
        .map(|_| ())
}

/// Stores a new password hash and ends every session of the user (a bumped
/// epoch refuses the cookies; the caller deletes the session rows).
pub fn set_password(conn: &mut DbConn, id: UserId, password_hash: &str) -> QueryResult<()> {
    diesel::update(dsl::users.find(id.get()))
        .set((dsl::password_hash.eq(password_hash), dsl::session_epoch.eq(dsl::session_epoch + 1)))
        .execute(conn)
        .map(|_| ())
}

pub fn set_name(conn: &mut DbConn, id: UserId, name: &PersonName) -> QueryResult<()> {
    diesel::update(dsl::users.find(id.get())).set(dsl::name.eq(name.as_str())).execute(conn).map(|_| ())
}

/// The stored password hash of a user (for checks that run after the read).
pub fn password_hash(conn: &mut DbConn, id: UserId) -> QueryResult<Option<String>> {
    dsl::users.find(id.get()).select(dsl::password_hash).first(conn).optional()
}
