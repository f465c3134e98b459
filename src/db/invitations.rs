//! Invitations to join an organisation: one open row per (org, address) at
//! most, kept with the SHA-256 of the link's token. Accepting or revoking
//! closes a row; both are guarded updates, so only one of two racing
//! requests wins.

use super::schema::invitations::dsl;
use super::{DbConn, now};
use crate::domain::{OrgId, Role, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::invitations)]
pub struct Invitation {
    pub id: i64,
    pub public_id: String,
    pub org_id: i64,
    pub email: String,
    #[diesel(deserialize_as = String)]
    pub role: StoredRole,
    pub token_hash: String,
    pub invited_by_id: Option<i64>,
    pub invited_by_name: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A role read from a row; an unknown name (impossible unless edited by
/// hand) reads as `read_only`, the least it could mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRole(pub Role);

impl From<String> for StoredRole {
    fn from(stored: String) -> Self {
        Self(Role::parse(&stored).unwrap_or(Role::ReadOnly))
    }
}

impl Invitation {
    pub fn role(&self) -> Role {
        self.role.0
    }

    pub fn is_open(&self) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none()
    }

    pub fn is_expired(&self, at: NaiveDateTime) -> bool {
        self.expires_at <= at
    }
}

/// A fresh or refreshed invitation.
pub struct Offer<'a> {
    pub org_id: OrgId,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by_id: UserId,
    pub invited_by_name: &'a str,
    pub expires_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, public_id: &str, offer: &Offer<'_>) -> QueryResult<Invitation> {
    diesel::insert_into(dsl::invitations)
        .values((
            dsl::public_id.eq(public_id),
            dsl::org_id.eq(offer.org_id.get()),
            dsl::email.eq(offer.email),
            dsl::role.eq(offer.role.as_str()),
            dsl::token_hash.eq(offer.token_hash),
            dsl::invited_by_id.eq(offer.invited_by_id.get()),
            dsl::invited_by_name.eq(offer.invited_by_name),
            dsl::created_at.eq(now()),
            dsl::expires_at.eq(offer.expires_at),
        ))
        .execute(conn)?;
    find_by_public_id(conn, offer.org_id, public_id)?.ok_or(diesel::result::Error::NotFound)
}

/// Gives an open invitation a new token, role, inviter and expiry (the old link stops working).
pub fn refresh(conn: &mut DbConn, id: i64, offer: &Offer<'_>) -> QueryResult<()> {
    diesel::update(dsl::invitations.find(id))
        .set((
            dsl::role.eq(offer.role.as_str()),
            dsl::token_hash.eq(offer.token_hash),
            dsl::invited_by_id.eq(offer.invited_by_id.get()),
            dsl::invited_by_name.eq(offer.invited_by_name),
            dsl::created_at.eq(now()),
            dsl::expires_at.eq(offer.expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The open invitation of `email` to the org, if any.
pub fn find_open(conn: &mut DbConn, org_id: OrgId, email: &str) -> QueryResult<Option<Invitation>> {
    dsl::invitations
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::email.eq(email))
        .filter(dsl::accepted_at.is_null())
        .filter(dsl::revoked_at.is_null())
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_public_id(conn: &mut DbConn, org_id: OrgId, public_id: &str) -> QueryResult<Option<Invitation>> {
    dsl::invitations
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::public_id.eq(public_id))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_token_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<Invitation>> {
    dsl::invitations.filter(dsl::token_hash.eq(token_hash)).select(Invitation::as_select()).first(conn).optional()
}

/// The org's open invitations (expired ones too: they can be resent), newest first.
pub fn list_open(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<Invitation>> {
    dsl::invitations
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::accepted_at.is_null())
        .filter(dsl::revoked_at.is_null())
        .order(dsl::created_at.desc())
        .select(Invitation::as_select())
        .load(conn)
}

/// Closes an open invitation as accepted; false when it was no longer open.
pub fn mark_accepted(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    diesel::update(open(id)).set(dsl::accepted_at.eq(Some(now()))).execute(conn).map(|n| n > 0)
}

/// Closes an open invitation as revoked; false when it was no longer open.
pub fn mark_revoked(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    diesel::update(open(id)).set(dsl::revoked_at.eq(Some(now()))).execute(conn).map(|n| n > 0)
}

#[diesel::dsl::auto_type]
fn open(id: i64) -> _ {
    dsl::invitations.find(id).filter(dsl::accepted_at.is_null()).filter(dsl::revoked_at.is_null())
}
