//! Use cases for an organisation's members: the members page (list, invite,
//! change a role, remove), the organisation's security settings (the
//! two-factor requirement, the key policy) — owners only — and adding a
//! member from the CLI. Each async entry point checks the caller and runs in
//! one transaction with its audit entry; the last-owner rule is enforced
//! under the organisation's lock (`db::memberships`), and mail an invitation
//! queued is woken after the commit. Invitations (invite, resend, revoke,
//! accept) are written in invitations.rs; accepting is in accept.rs.

pub mod accept;
pub mod invitations;

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::caller::{Caller, Denied, Who};
use crate::app::state::AppState;
use crate::db::DbConn;
use crate::db::memberships::{self, MembershipError};
use crate::db::users::{self, User};
use crate::domain::key_policy::KeyPolicy;
use crate::domain::{Email, OrgId, Role, UserId};
use invitations::{Invited, Inviter};

pub use crate::db::invitations::Invitation;
pub use crate::db::memberships::Member;

/// Why a members use case changed nothing. The messages are the ones the
/// members page shows next to a field or a row.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("This person is not a member of the organisation.")]
    NotMember,
    #[error("This person is already a member.")]
    AlreadyMember,
    #[error("An organisation needs at least one owner. Make someone else an owner first.")]
    LastOwner,
    /// No open invitation has that id in this organisation.
    #[error("no open invitation with this id")]
    NoInvitation,
    /// Requiring a second factor of everyone needs one of the owner who asks (or they are locked out too).
    #[error("Set up a second factor for your own account first, or you would be locked out too.")]
    NoSecondFactor,
    #[error(transparent)]
    Db(#[from] crate::db::Error),
}

impl From<crate::db::QueryError> for MemberError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

impl From<MembershipError> for MemberError {
    fn from(e: MembershipError) -> Self {
        match e {
            MembershipError::AlreadyMember => Self::AlreadyMember,
            MembershipError::NotMember => Self::NotMember,
            MembershipError::LastOwner => Self::LastOwner,
            MembershipError::Db(e) => e.into(),
        }
    }
}

/// Members, invitations and the security settings are the owners' (docs/security-model.md: Roles; owner only).
pub fn authorize(caller: &Caller) -> Result<(), Denied> {
    match &caller.who {
        Who::Member { role, .. } if role.can_manage_members() => Ok(()),
        _ => Err(Denied::Role),
    }
}

/// The member who asks, as the one who invites.
fn inviter(caller: &Caller) -> Result<&User, Denied> {
    match &caller.who {
        Who::Member { user, .. } => Ok(user),
        _ => Err(Denied::Role),
    }
}

/// The members page's lists: the members, and the open invitations.
pub async fn overview(ctx: &AppState, caller: &Caller) -> Result<(Vec<Member>, Vec<Invitation>), MemberError> {
    authorize(caller)?;
    let org_id = caller.org().id;
    Ok(ctx
        .db
        .run(move |conn| {
            let members = memberships::list(conn, org_id)?;
            Ok::<_, crate::db::QueryError>((members, crate::db::invitations::list_open(conn, org_id)?))
        })
        .await?)
}

/// One member of the organisation (the removal's confirmation shows them).
pub async fn find(ctx: &AppState, caller: &Caller, user_id: UserId) -> Result<Member, MemberError> {
    let (members, _) = overview(ctx, caller).await?;
    members.into_iter().find(|m| m.user_id == user_id).ok_or(MemberError::NotMember)
}

/// Invites `email` with `role` (docs/security-model.md: Rules; nobody becomes a
/// member without accepting); the link leaves at once.
pub async fn invite(ctx: &AppState, caller: &Caller, email: Email, role: Role) -> Result<Invited, MemberError> {
    authorize(caller)?;
    let (caller, config) = (caller.clone(), ctx.config.clone());
    let invited = ctx
        .transaction(move |conn| {
            let by = Inviter { user: inviter(&caller)?, meta: &caller.meta };
            Ok::<_, MemberError>(invitations::invite(conn, &config, caller.org(), &email, role, &by)?)
        })
        .await?;
    ctx.wake_mail_sender();
    Ok(invited)
}

/// Mails an open invitation again with a new link (the old one stops working).
pub async fn resend_invitation(ctx: &AppState, caller: &Caller, public_id: &str) -> Result<(), MemberError> {
    authorize(caller)?;
    let (caller, config, id) = (caller.clone(), ctx.config.clone(), public_id.to_owned());
    ctx.transaction(move |conn| {
        let by = Inviter { user: inviter(&caller)?, meta: &caller.meta };
        invitations::resend(conn, &config, caller.org(), &id, &by)?.ok_or(MemberError::NoInvitation)
    })
    .await?;
    ctx.wake_mail_sender();
    Ok(())
}

/// Revokes an open invitation: its link stops working.
pub async fn revoke_invitation(ctx: &AppState, caller: &Caller, public_id: &str) -> Result<(), MemberError> {
    authorize(caller)?;
    let (caller, id) = (caller.clone(), public_id.to_owned());
    ctx.transaction(move |conn| {
        let by = Inviter { user: inviter(&caller)?, meta: &caller.meta };
        if invitations::revoke(conn, caller.org(), &id, &by)? { Ok(()) } else { Err(MemberError::NoInvitation) }
    })
    .await
}

/// Adds `user` to the organisation with `role` (the CLI).
pub fn add(
    conn: &mut DbConn,
    org_id: OrgId,
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

fn member_email(conn: &mut DbConn, user_id: UserId) -> Result<String, MemberError> {
    users::find(conn, user_id)?.map(|u| u.email).ok_or(MemberError::NotMember)
}

/// Gives a member another role; answers the role they had (nothing is
/// recorded when it is the same). The last owner cannot be demoted.
pub async fn change_role(ctx: &AppState, caller: &Caller, user_id: UserId, role: Role) -> Result<Role, MemberError> {
    authorize(caller)?;
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let org_id = caller.org().id;
        let before = memberships::change_role(conn, org_id, user_id, role)?;
        if before != role {
            let email = member_email(conn, user_id)?;
            let entry = Entry::member_role_changed(org_id, user_id, &email, before, role);
            audit::record(conn, &caller.actor(), &caller.meta, entry)?;
        }
        Ok(before)
    })
    .await
}

/// Removes a member (an owner may remove themselves, unless they are the
/// last owner); answers the role they had.
pub async fn remove(ctx: &AppState, caller: &Caller, user_id: UserId) -> Result<Role, MemberError> {
    authorize(caller)?;
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let org_id = caller.org().id;
        let email = member_email(conn, user_id)?;
        let before = memberships::remove(conn, org_id, user_id)?;
        audit::record(conn, &caller.actor(), &caller.meta, Entry::member_removed(org_id, user_id, &email, before))?;
        Ok(before)
    })
    .await
}

/// Turns the organisation's two-factor requirement on or off
/// (`org.two_factor_requirement_changed`; nothing recorded when unchanged).
/// An owner without a second factor cannot turn it on.
pub async fn set_two_factor_requirement(ctx: &AppState, caller: &Caller, required: bool) -> Result<(), MemberError> {
    authorize(caller)?;
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let (org, user_id) = (caller.org(), inviter(&caller)?.id);
        if required && !crate::db::second_factors::has_any(conn, user_id)? {
            return Err(MemberError::NoSecondFactor);
        }
        if org.require_two_factor == required {
            return Ok(());
        }
        crate::db::orgs::set_require_two_factor(conn, org.id, required)?;
        let entry = Entry::org_two_factor_requirement_changed(org.id, &org.slug, required);
        Ok(audit::record(conn, &caller.actor(), &caller.meta, entry)?)
    })
    .await
}

/// Replaces the organisation's key policy (`org.key_policy_changed` with
/// before and after; nothing recorded when unchanged). Keys made before keep working.
pub async fn set_key_policy(ctx: &AppState, caller: &Caller, policy: KeyPolicy) -> Result<(), MemberError> {
    authorize(caller)?;
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let org = caller.org();
        if org.key_policy == policy {
            return Ok(());
        }
        crate::db::orgs::set_key_policy(conn, org.id, &policy)?;
        let entry = Entry::org_key_policy_changed(org.id, &org.slug, &org.key_policy, &policy);
        Ok::<_, MemberError>(audit::record(conn, &caller.actor(), &caller.meta, entry)?)
    })
    .await
}
