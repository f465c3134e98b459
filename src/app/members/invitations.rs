//! Use cases for invitations: inviting an address (or adding its account
//! at once), resending, revoking, and accepting — as a new account or as
//! the account the address already has. Each runs in one transaction with
//! its audit entry and, where a link is sent, a sealed mail.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::invitations::{self, Invitation, Offer};
use crate::db::mail::{self, NewMail};
use crate::db::memberships::{self, MembershipError};
use crate::db::orgs::{self, Org};
use crate::db::users::{self, CreateUserError, User};
use crate::db::{DbConn, QueryError, QueryResult, now, other_error, sessions};
use crate::domain::link_token::{LinkKind, LinkToken};
use crate::domain::token::random_base62;
use crate::domain::{Email, OrgId, PersonName, Role};
use crate::infra::config::Config;
use chrono::Duration;

/// How long an invitation link works.
pub const VALID_DAYS: i64 = 7;

/// What inviting an address did.
#[derive(Debug)]
pub enum Invited {
    /// A new invitation was mailed.
    Invited(Invitation),
    /// The open invitation of that address got a new link (and role).
    Refreshed(Invitation),
}

/// The person sending an invitation, and where the request came from.
pub struct Inviter<'a> {
    pub user: &'a User,
    pub meta: &'a RequestMeta,
}

/// Mails a fresh link for `invitation` (sealed in the outbox).
fn send_link(
    conn: &mut DbConn,
    config: &Config,
    org: &Org,
    invitation: &Invitation,
    token: &LinkToken,
) -> QueryResult<()> {
    let message = crate::infra::mail::account::Invitation {
        inviter: invitation.invited_by_name.clone(),
        org_name: org.name.clone(),
        role: invitation.role().label(),
        expires: crate::domain::timefmt::exact(&invitation.expires_at),
        link: format!("{}{}", config.public_url.origin(), crate::domain::urls::invitation_link(token.expose())),
    };
    let composed = crate::infra::mail::account::invitation(&message).map_err(other_error)?;
    let key = &config.encryption_key;
    let mail = NewMail {
        org_id: org.id,
        dedupe_key: format!("invitation:{}:{}", invitation.public_id, random_base62(16)),
        kind: "invitation",
        recipient: invitation.email.clone(),
        subject: composed.subject,
        text_body: crate::infra::mail::seal_body(key, &composed.text).map_err(other_error)?,
        html_body: crate::infra::mail::seal_body(key, &composed.html).map_err(other_error)?,
        sealed: true,
    };
    mail::enqueue(conn, &mail).map(|_| ())
}

fn offer<'a>(org: &Org, email: &'a str, role: Role, token_hash: &'a str, by: &'a User) -> Offer<'a> {
    Offer {
        org_id: org.id,
        email,
        role,
        token_hash,
        invited_by_id: by.id,
        invited_by_name: &by.name,
        expires_at: now() + Duration::days(VALID_DAYS),
    }
}

/// Invites the address with `role` — whether or not it has an account, so
/// nobody becomes a member (and shows up in this org's audit log) without
/// accepting, and the answer does not tell which addresses have accounts.
/// Inviting it again refreshes the open invitation: new link, the old one
/// stops working. Refused for an address that is a member already.
pub fn invite(
    conn: &mut DbConn,
    config: &Config,
    org: &Org,
    email: &Email,
    role: Role,
    by: &Inviter<'_>,
) -> Result<Invited, MembershipError> {
    crate::db::transaction(conn, |conn| {
        // One open invitation per address, even when two owners invite at once.
        crate::db::lock_org(conn, org.id)?;
        let actor = Actor::user(by.user);
        if let Some(user) = users::find_by_email(conn, email)?
            && orgs::for_user(conn, user.id)?.iter().any(|(o, _)| o.id == org.id)
        {
            return Err(MembershipError::AlreadyMember);
        }
        let token = LinkToken::generate(LinkKind::Invitation);
        let hash = token.hash();
        let terms = offer(org, email.as_str(), role, &hash, by.user);
        let (invitation, refreshed) = match invitations::find_open(conn, org.id, email.as_str())? {
            Some(open) => {
                invitations::refresh(conn, open.id, &terms)?;
                let fresh =
                    invitations::find_by_public_id(conn, org.id, &open.public_id)?.ok_or(QueryError::NotFound)?;
                (fresh, true)
            }
            None => (invitations::insert(conn, &format!("inv_{}", random_base62(16)), &terms)?, false),
        };
        audit::record(conn, &actor, by.meta, Entry::member_invited(org.id, &invitation))?;
        send_link(conn, config, org, &invitation, &token)?;
        Ok(if refreshed { Invited::Refreshed(invitation) } else { Invited::Invited(invitation) })
    })
}

/// Mails an open invitation again with a new link, valid 7 days from now
/// (the old link stops working). `None` when no open invitation has that id.
pub fn resend(
    conn: &mut DbConn,
    config: &Config,
    org: &Org,
    public_id: &str,
    by: &Inviter<'_>,
) -> QueryResult<Option<Invitation>> {
    crate::db::transaction(conn, |conn| {
        let Some(open) = invitations::find_by_public_id(conn, org.id, public_id)?.filter(Invitation::is_open) else {
            return Ok(None);
        };
        let token = LinkToken::generate(LinkKind::Invitation);
        let hash = token.hash();
        invitations::refresh(conn, open.id, &offer(org, &open.email, open.role(), &hash, by.user))?;
        let fresh = invitations::find_by_public_id(conn, org.id, public_id)?.ok_or(QueryError::NotFound)?;
        audit::record(conn, &Actor::user(by.user), by.meta, Entry::member_invitation_resent(org.id, &fresh))?;
        send_link(conn, config, org, &fresh, &token)?;
        Ok(Some(fresh))
    })
}

/// Revokes an open invitation (its link stops working); false when there was none.
pub fn revoke(conn: &mut DbConn, org: &Org, public_id: &str, by: &Inviter<'_>) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        let Some(open) = invitations::find_by_public_id(conn, org.id, public_id)?.filter(Invitation::is_open) else {
            return Ok(false);
        };
        if !invitations::mark_revoked(conn, open.id)? {
            return Ok(false);
        }
        audit::record(conn, &Actor::user(by.user), by.meta, Entry::member_invitation_revoked(org.id, &open))?;
        Ok(true)
    })
}

/// An invitation a link can still accept, with its organisation and whether
/// its address has an account by now.
pub struct Valid {
    pub invitation: Invitation,
    pub org: Org,
    pub has_account: bool,
}

/// What a link opens: `None` when the token is unknown, or the invitation
/// was accepted, revoked or has expired.
pub fn look_up(conn: &mut DbConn, token: &LinkToken) -> QueryResult<Option<Valid>> {
    let Some(invitation) = invitations::find_by_token_hash(conn, &token.hash())? else { return Ok(None) };
    if !invitation.is_open() || invitation.is_expired(now()) {
        return Ok(None);
    }
    let Some(org) = orgs::find(conn, OrgId::new(invitation.org_id))? else { return Ok(None) };
    let email = Email::parse(&invitation.email).map_err(other_error)?;
    let has_account = users::find_by_email(conn, &email)?.is_some();
    Ok(Some(Valid { invitation, org, has_account }))
}

/// Why an acceptance did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("This invitation link is no longer valid.")]
    Invalid,
    /// The address has an account now: that account must log in and accept.
    #[error("An account with this address exists; log in to accept.")]
    HasAccount,
    /// A different account is logged in than the one invited.
    #[error("This invitation is for another address.")]
    WrongAccount,
    #[error(transparent)]
    Db(#[from] QueryError),
}

impl From<MembershipError> for AcceptError {
    fn from(e: MembershipError) -> Self {
        match e {
            MembershipError::Db(e) => Self::Db(e),
            _ => Self::Invalid,
        }
    }
}

/// Reads the invitation under the write lock and closes it, or says why not.
fn claim(conn: &mut DbConn, token: &LinkToken) -> Result<(Invitation, Org), AcceptError> {
    let invitation = invitations::find_by_token_hash(conn, &token.hash())?.ok_or(AcceptError::Invalid)?;
    if !invitation.is_open() || invitation.is_expired(now()) || !invitations::mark_accepted(conn, invitation.id)? {
        return Err(AcceptError::Invalid);
    }
    let org = orgs::find(conn, OrgId::new(invitation.org_id))?.ok_or(AcceptError::Invalid)?;
    Ok((invitation, org))
}

/// The invited person has no account: creates it (the address is the
/// invitation's, never the form's), adds the membership with the
/// invitation's role, and starts the session `sid_hash`.
pub fn accept_as_new(
    conn: &mut DbConn,
    token: &LinkToken,
    name: &PersonName,
    password_hash: &str,
    sid_hash: &str,
    meta: &RequestMeta,
) -> Result<(User, Org), AcceptError> {
    crate::db::transaction(conn, |conn| {
        let (invitation, org) = claim(conn, token)?;
        let email = Email::parse(&invitation.email).map_err(|_| AcceptError::Invalid)?;
        if users::find_by_email(conn, &email)?.is_some() {
            return Err(AcceptError::HasAccount);
        }
        let user = users::create(conn, &email, name, password_hash, false).map_err(|e| match e {
            CreateUserError::EmailTaken => AcceptError::HasAccount,
            CreateUserError::Db(e) => AcceptError::Db(e),
        })?;
        memberships::add(conn, org.id, user.id, invitation.role())?;
        let actor = Actor::user(&user);
        audit::record(conn, &actor, meta, Entry::member_added_by_invitation(org.id, &user, &invitation))?;
        sessions::insert(conn, user.id, sid_hash, &meta.session_origin())?;
        audit::record(conn, &actor, meta, Entry::session_login(org.id))?;
        Ok((user, org))
    })
}

/// The logged-in `user` accepts an invitation made out to their address.
pub fn accept_as_user(
    conn: &mut DbConn,
    token: &LinkToken,
    user: &User,
    meta: &RequestMeta,
) -> Result<Org, AcceptError> {
    crate::db::transaction(conn, |conn| {
        let (invitation, org) = claim(conn, token)?;
        if !invitation.email.eq_ignore_ascii_case(&user.email) {
            return Err(AcceptError::WrongAccount);
        }
        // Already a member (added by an owner meanwhile): the invitation is simply used up.
        if !orgs::for_user(conn, user.id)?.iter().any(|(o, _)| o.id == org.id) {
            memberships::add(conn, org.id, user.id, invitation.role())?;
            audit::record(
                conn,
                &Actor::user(user),
                meta,
                Entry::member_added_by_invitation(org.id, user, &invitation),
            )?;
        }
        Ok(org)
    })
}
