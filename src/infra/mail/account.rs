//! The messages about a person's own account: a change to how it signs in
//! (password, second factors), a reset link, an invitation. The last two carry a one-time link, so they are
//! queued sealed (see `seal_body`).

use super::compose::{ComposeError, Composed};
use askama::Template;

pub struct PasswordResetLink {
    pub name: String,
    pub email: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordResetText<'a> {
    m: &'a PasswordResetLink,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    m: &'a PasswordResetLink,
}

pub fn password_reset(m: &PasswordResetLink) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: "[Latchkey] Reset your password".into(),
        text: PasswordResetText { m }.render()?,
        html: PasswordResetHtml { m }.render()?,
    })
}

pub struct Invitation {
    pub inviter: String,
    pub org_name: String,
    pub role: &'static str,
    pub expires: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    m: &'a Invitation,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a Invitation,
}

pub fn invitation(m: &Invitation) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: format!("[Latchkey] {} invited you to {}", m.inviter, m.org_name),
        text: InvitationText { m }.render()?,
        html: InvitationHtml { m }.render()?,
    })
}

/// A change to how the account signs in ("Two-factor authentication was turned on").
pub struct SecurityNotice {
    pub name: String,
    pub email: String,
    pub what: &'static str,
    pub at: String,
    pub ip: String,
    pub reset_url: String,
}

#[derive(Template)]
#[template(path = "mail/security_notice.txt")]
struct SecurityNoticeText<'a> {
    m: &'a SecurityNotice,
}

#[derive(Template)]
#[template(path = "mail/security_notice.html")]
struct SecurityNoticeHtml<'a> {
    m: &'a SecurityNotice,
}

pub fn security_notice(m: &SecurityNotice) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: format!("[Latchkey] {}", m.what),
        text: SecurityNoticeText { m }.render()?,
        html: SecurityNoticeHtml { m }.render()?,
    })
}
