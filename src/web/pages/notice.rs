//! The one-time notices a page shows after a change ("Key revoked."). The
//! handler that made the change keeps one in the session and redirects; the
//! page it lands on takes it (once) and shows its text. Never from the URL,
//! so a link cannot make the console claim something happened.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    KeyDeactivated,
    KeyActivated,
    KeyRevoked,
    KeyDeleted,
    KeyUpdated,
    WebhookUpdated,
    WebhookEnabled,
    WebhookDisabled,
    WebhookDeleted,
    RoleChanged,
    MemberRemoved,
    InvitationSent,
    InvitationRefreshed,
    InvitationResent,
    InvitationRevoked,
    ProfileSaved,
    PasswordChanged,
    SessionEnded,
    PasswordReset,
    SecondStepEnded,
    TwoFactorRequired,
    TwoFactorOff,
    PasskeyAdded,
    PasskeyRemoved,
    RequirementSaved,
    DomainAdded,
    DomainVerified,
    ApiCreated,
    ApiSaved,
    ApiImported,
    ApiDeleted,
    KeyCreated,
    KeyRotated,
    Joined,
}

impl Notice {
    pub fn text(self) -> &'static str {
        match self {
            Self::KeyDeactivated => "Key deactivated. Requests with it are refused until you activate it.",
            Self::KeyActivated => "Key activated.",
            Self::KeyRevoked => "Key revoked. Requests with it are refused from now on.",
            Self::KeyDeleted => "Key deleted. The audit log keeps its label and prefix.",
            Self::KeyUpdated | Self::WebhookUpdated => "Changes saved.",
            Self::WebhookEnabled => "Endpoint enabled.",
            Self::WebhookDisabled => "Endpoint disabled; nothing is sent to it.",
            Self::WebhookDeleted => "Webhook endpoint deleted.",
            Self::RoleChanged => "Role changed.",
            Self::MemberRemoved => "Member removed.",
            Self::InvitationSent => "Invitation sent. The link in it works for 7 days.",
            Self::InvitationRefreshed => {
                "This address was already invited: a new link was sent and the earlier one no longer works."
            }
            Self::InvitationResent => "Invitation sent again with a new link; the earlier one no longer works.",
            Self::InvitationRevoked => "Invitation revoked. Its link no longer works.",
            Self::ProfileSaved => "Profile saved.",
            Self::PasswordChanged => "Password changed. Your other sessions have been logged out.",
            Self::SessionEnded => "That session has been logged out.",
            Self::PasswordReset => "Your password has been reset. Log in with the new one.",
            Self::SecondStepEnded => "Too many wrong codes. Log in again.",
            Self::TwoFactorRequired => {
                "An organisation you belong to requires two-factor authentication. Add an authenticator app or a passkey below to open its pages."
            }
            Self::TwoFactorOff => "The authenticator app was removed from your account.",
            Self::PasskeyAdded => "Passkey added.",
            Self::PasskeyRemoved => "Passkey removed.",
            Self::RequirementSaved => "Saved.",
            Self::DomainAdded => "Domain added: publish its TXT record, then verify it.",
            Self::DomainVerified => "Domain verified.",
            Self::ApiCreated => {
                "API created. Declare its permissions, roles and routes below, or import them from OpenAPI."
            }
            Self::ApiSaved => "Definition saved. Keys holding its roles follow the change from their next request.",
            Self::ApiImported => "Imported: the routes and permissions are part of the API now.",
            Self::ApiDeleted => "API deleted.",
            Self::KeyCreated => "Key created. Its secret is not shown again.",
            Self::KeyRotated => "Key rotated. The old key keeps working until its grace period ends.",
            Self::Joined => "You have joined this organisation.",
        }
    }
}

const SESSION_KEY: &str = "notice";

/// Keeps `notice` for the next page this session loads.
pub fn set(session: &actix_session::Session, notice: Notice) {
    let _ = session.insert(SESSION_KEY, notice);
}

/// The kept notice, once: taking it removes it.
pub fn take(session: &actix_session::Session) -> Option<Notice> {
    session.remove_as::<Notice>(SESSION_KEY).and_then(Result::ok)
}
