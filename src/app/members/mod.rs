//! Use cases for an organisation's members: add, change a role, remove.
//! Each runs in one transaction with its audit entry; the last-owner rule
//! is enforced under the organisation's lock (`db::memberships`).
//! Invitations (invite, resend, revoke, accept) are in invitations.rs.

pub mod invitations;

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::DbConn;
use crate::db::memberships::{self, MembershipError};
use crate::db::users::{self, User};
use crate::domain::Role;

/// Adds `user` to the organisation with `role` (the console and the CLI).
pub fn add(
    conn: &mut DbConn,
    org_id: i64,
    user: &User,
    role: Role,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<(), MembershipError> {
    crate::db::transaction(conn, |conn| {
        memberships::add(conn, org_id, user.id, role)?;
        audit::record(conn, actor, meta, Entry::member_added(org_id, user.id, &user.email, role))?;
        Ok(())
    })
}

fn member_email(conn: &mut DbConn, user_id: i64) -> Result<String, MembershipError> {
    users::find(conn, user_id)?.map(|u| u.email).ok_or(MembershipError::NotMember)
}

/// Gives a member another role; returns the role they had (no event when it is the same).
pub fn change_role(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    role: Role,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<Role, MembershipError> {
    crate::db::transaction(conn, |conn| {
        let before = memberships::change_role(conn, org_id, user_id, role)?;
        if before != role {
            let email = member_email(conn, user_id)?;
            audit::record(conn, actor, meta, Entry::member_role_changed(org_id, user_id, &email, before, role))?;
        }
        Ok(before)
    })
}

/// Removes a member; returns the role they had.
pub fn remove(
    conn: &mut DbConn,
    org_id: i64,
    user_id: i64,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<Role, MembershipError> {
    crate::db::transaction(conn, |conn| {
        let email = member_email(conn, user_id)?;
        let before = memberships::remove(conn, org_id, user_id)?;
        audit::record(conn, actor, meta, Entry::member_removed(org_id, user_id, &email, before))?;
        Ok(before)
    })
}

/// Turns the organisation's two-factor requirement on or off
/// (`org.two_factor_requirement_changed`; no event when unchanged).
pub fn set_two_factor_requirement(
    conn: &mut DbConn,
    org: &crate::db::orgs::Org,
    required: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> crate::db::QueryResult<()> {
    if org.require_two_factor == required {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        crate::db::orgs::set_require_two_factor(conn, org.id, required)?;
        audit::record(conn, actor, meta, Entry::org_two_factor_requirement_changed(org.id, &org.slug, required))
    })
}

/// Replaces the organisation's key policy (`org.key_policy_changed` with
/// before and after; no event when unchanged). Keys made before keep working.
pub fn set_key_policy(
    conn: &mut DbConn,
    org: &crate::db::orgs::Org,
    policy: &crate::domain::key_policy::KeyPolicy,
    actor: &Actor,
    meta: &RequestMeta,
) -> crate::db::QueryResult<()> {
    if org.key_policy == *policy {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        crate::db::orgs::set_key_policy(conn, org.id, policy)?;
        audit::record(conn, actor, meta, Entry::org_key_policy_changed(org.id, &org.slug, &org.key_policy, policy))
    })
}
