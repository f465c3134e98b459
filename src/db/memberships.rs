//! Who belongs to which organisation, with which role; and the last-owner rule.

use super::schema::{memberships, users};
use super::{DbConn, lock_org, now};
use crate::domain::{OrgId, Role, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Reads a stored role; the CHECK constraint admits only valid ones, and the
/// least-privileged role is the safe reading of anything else.
pub(super) fn role(stored: &str) -> Role {
    Role::parse(stored).unwrap_or(Role::ReadOnly)
}

#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("This person is already a member.")]
    AlreadyMember,
    #[error("This person is not a member of the organisation.")]
    NotMember,
    #[error("An organisation needs at least one owner. Make someone else an owner first.")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub(super) fn insert(conn: &mut DbConn, org_id: OrgId, user_id: UserId, role: Role) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::org_id.eq(org_id.get()),
            memberships::user_id.eq(user_id.get()),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The organisation's members, owners first, then by name.
pub fn list(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<Member>> {
    let rows: Vec<(i64, String, String, String, NaiveDateTime)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::org_id.eq(org_id.get()))
        .order((users::name.asc(), users::id.asc()))
        .select((users::id, users::name, users::email, memberships::role, memberships::created_at))
        .load(conn)?;
    let mut members: Vec<Member> = rows
        .into_iter()
        .map(|(user_id, name, email, r, joined_at)| Member {
            user_id: UserId::new(user_id),
            name,
            email,
            role: role(&r),
            joined_at,
        })
        .collect();
    members.sort_by_key(|m| Role::ALL.iter().position(|r| *r == m.role));
    Ok(members)
}

pub fn add(conn: &mut DbConn, org_id: OrgId, user_id: UserId, role: Role) -> Result<(), MembershipError> {
    insert(conn, org_id, user_id, role).map_err(|e| {
        if super::is_unique_violation(&e) { MembershipError::AlreadyMember } else { MembershipError::Db(e) }
    })
}

/// Changes a member's role, refusing to demote the last owner. Returns the previous role.
pub fn change_role(conn: &mut DbConn, org_id: OrgId, user_id: UserId, new_role: Role) -> Result<Role, MembershipError> {
    crate::db::transaction(conn, |conn| {
        lock_org(conn, org_id)?;
        let old = current_role(conn, org_id, user_id)?;
        if old == Role::Owner && new_role != Role::Owner && owner_count(conn, org_id)? <= 1 {
            return Err(MembershipError::LastOwner);
        }
        diesel::update(
            memberships::table
                .filter(memberships::org_id.eq(org_id.get()))
                .filter(memberships::user_id.eq(user_id.get())),
        )
        .set(memberships::role.eq(new_role.as_str()))
        .execute(conn)?;
        Ok(old)
    })
}

/// Removes a member, refusing to remove the last owner. Returns the role they had.
pub fn remove(conn: &mut DbConn, org_id: OrgId, user_id: UserId) -> Result<Role, MembershipError> {
    crate::db::transaction(conn, |conn| {
        lock_org(conn, org_id)?;
        let old = current_role(conn, org_id, user_id)?;
        if old == Role::Owner && owner_count(conn, org_id)? <= 1 {
            return Err(MembershipError::LastOwner);
        }
        diesel::delete(
            memberships::table
                .filter(memberships::org_id.eq(org_id.get()))
                .filter(memberships::user_id.eq(user_id.get())),
        )
        .execute(conn)?;
        Ok(old)
    })
}

fn current_role(conn: &mut DbConn, org_id: OrgId, user_id: UserId) -> Result<Role, MembershipError> {
    let stored: Option<String> = memberships::table
        .filter(memberships::org_id.eq(org_id.get()))
        .filter(memberships::user_id.eq(user_id.get()))
        .select(memberships::role)
        .first(conn)
        .optional()?;
    stored.map(|r| role(&r)).ok_or(MembershipError::NotMember)
}

fn owner_count(conn: &mut DbConn, org_id: OrgId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::org_id.eq(org_id.get()))
        .filter(memberships::role.eq(Role::Owner.as_str()))
        .count()
        .get_result(conn)
}
