//! First-run setup: the first owner and organisation, exactly once.

use super::orgs::{self, CreateOrgError, Org};
use super::schema::instance_setup::dsl;
use super::users::{self, CreateUserError, User};
use super::{DbConn, now};
use crate::domain::{Email, OrgName, OrgSlug, PersonName, Plan};
use diesel::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("setup has already been completed")]
    AlreadyDone,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Setup is open only while there are no users at all.
pub fn is_open(conn: &mut DbConn) -> QueryResult<bool> {
    Ok(users::count(conn)? == 0)
}

pub struct NewInstance<'a> {
    pub org_name: &'a OrgName,
    pub org_slug: &'a OrgSlug,
    pub name: &'a PersonName,
    pub email: &'a Email,
    pub password_hash: &'a str,
}

/// Creates the first user and organisation. The single-row `instance_setup`
/// table makes a second, concurrent setup fail on its primary key.
pub fn complete(conn: &mut DbConn, new: NewInstance<'_>) -> Result<(User, Org), SetupError> {
    crate::db::transaction(conn, |conn| {
        diesel::insert_into(dsl::instance_setup)
            .values((dsl::id.eq(1_i64), dsl::completed_at.eq(now())))
            .execute(conn)
            .map_err(|e| if super::is_unique_violation(&e) { SetupError::AlreadyDone } else { SetupError::Db(e) })?;
        if !is_open(conn)? {
            return Err(SetupError::AlreadyDone);
        }
        let user = users::create(conn, new.email, new.name, new.password_hash, false).map_err(|e| match e {
            CreateUserError::EmailTaken => SetupError::AlreadyDone,
            CreateUserError::Db(e) => SetupError::Db(e),
        })?;
        let org =
            orgs::create_with_owner(conn, new.org_slug, new.org_name, Plan::Paid, user.id).map_err(|e| match e {
                CreateOrgError::SlugTaken => SetupError::AlreadyDone,
                CreateOrgError::Db(e) => SetupError::Db(e),
            })?;
        Ok((user, org))
    })
}
