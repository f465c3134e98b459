//! The messages Latchkey sends, from askama templates (a text and an HTML
//! part each). They name keys by label, prefix and id — never a secret.

use crate::domain::expiry::ExpiryWarning;
use askama::Template;
use chrono::NaiveDateTime;

/// Subject and both bodies of one message.
#[derive(Debug, Clone)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A message that could not be composed: one of its templates failed to
/// render (the cause is kept).
#[derive(Debug, thiserror::Error)]
#[error("the message could not be composed")]
pub struct ComposeError(#[from] askama::Error);

/// A key, as a message describes it.
#[derive(Debug, Clone)]
pub struct KeyFacts {
    pub label: String,
    pub prefix: String,
    pub key_id: String,
    pub created_by: String,
    pub created_at: String,
    pub last_used: String,
    pub expires_at: String,
}

pub struct KeyExpiring {
    pub recipient_name: String,
    pub org_name: String,
    pub key: KeyFacts,
    /// "expires in 7 days", "has expired".
    pub headline: String,
    pub expired: bool,
    pub renew_url: String,
    pub key_url: String,
}

impl KeyExpiring {
    /// "expires in 7 days" (whole days, rounded up), "expires within a day", "has expired".
    pub fn headline(warning: ExpiryWarning, expires_at: NaiveDateTime, now: NaiveDateTime) -> String {
        match warning {
            ExpiryWarning::Expired => "has expired".into(),
            _ => match crate::domain::expiry::days_left(expires_at, now) {
                ..=1 => "expires within a day".into(),
                days => format!("expires in {days} days"),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "mail/key_expiring.txt")]
struct KeyExpiringText<'a> {
    m: &'a KeyExpiring,
}

#[derive(Template)]
#[template(path = "mail/key_expiring.html")]
struct KeyExpiringHtml<'a> {
    m: &'a KeyExpiring,
}

pub fn key_expiring(m: &KeyExpiring) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: format!("[Latchkey] API key \"{}\" {}", m.key.label, m.headline),
        text: KeyExpiringText { m }.render()?,
        html: KeyExpiringHtml { m }.render()?,
    })
}

pub struct WebhookDisabled {
    pub recipient_name: String,
    pub org_name: String,
    pub url: String,
    pub description: String,
    pub why: String,
    pub endpoint_page: String,
}

#[derive(Template)]
#[template(path = "mail/webhook_disabled.txt")]
struct WebhookDisabledText<'a> {
    m: &'a WebhookDisabled,
}

#[derive(Template)]
#[template(path = "mail/webhook_disabled.html")]
struct WebhookDisabledHtml<'a> {
    m: &'a WebhookDisabled,
}

pub fn webhook_disabled(m: &WebhookDisabled) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: format!("[Latchkey] Webhook endpoint disabled: {}", m.url),
        text: WebhookDisabledText { m }.render()?,
        html: WebhookDisabledHtml { m }.render()?,
    })
}

pub struct RevokedKeyUsed {
    pub recipient_name: String,
    pub org_name: String,
    pub key: KeyFacts,
    /// "revoked" or "rotated out".
    pub state: String,
    pub ip: String,
    pub at: String,
    pub key_url: String,
    pub audit_url: String,
}

#[derive(Template)]
#[template(path = "mail/revoked_key_used.txt")]
struct RevokedKeyUsedText<'a> {
    m: &'a RevokedKeyUsed,
}

#[derive(Template)]
#[template(path = "mail/revoked_key_used.html")]
struct RevokedKeyUsedHtml<'a> {
    m: &'a RevokedKeyUsed,
}

pub fn revoked_key_used(m: &RevokedKeyUsed) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: format!("[Latchkey] A {} API key was used: \"{}\"", m.state, m.key.label),
        text: RevokedKeyUsedText { m }.render()?,
        html: RevokedKeyUsedHtml { m }.render()?,
    })
}

pub struct KeyExposed {
    pub recipient_name: String,
    pub org_name: String,
    pub key: KeyFacts,
    /// "a public report" or "GitHub secret scanning".
    pub source: String,
    /// Where the token was found, when the reporter said.
    pub found_at: Option<String>,
    /// "revoked", "deactivated" or "left working".
    pub outcome: String,
    pub ip: String,
    pub at: String,
    pub key_url: String,
    pub requests_url: String,
}

#[derive(Template)]
#[template(path = "mail/key_exposed.txt")]
struct KeyExposedText<'a> {
    m: &'a KeyExposed,
}

#[derive(Template)]
#[template(path = "mail/key_exposed.html")]
struct KeyExposedHtml<'a> {
    m: &'a KeyExposed,
}

pub fn key_exposed(m: &KeyExposed) -> Result<Composed, ComposeError> {
    Ok(Composed {
        subject: format!("[Latchkey] API key \"{}\" was reported exposed and {}", m.key.label, m.outcome),
        text: KeyExposedText { m }.render()?,
        html: KeyExposedHtml { m }.render()?,
    })
}
