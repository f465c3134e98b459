//! The console's URLs, spelled once: handlers redirect to them, templates
//! link to them (`{{ crate::domain::urls::keys(org.slug) }}`, every `href`,
//! `action` and `src` of a template) and mail puts them after the public
//! origin. The route patterns themselves are in routes.rs. The pages of an
//! organisation's keys, webhooks and audit log, each with many links, are
//! [`KeyPages`], [`WebhookPages`] and [`AuditLogPages`].

mod pages;

pub use pages::{ApiPages, AuditLogPages, KeyPages, WebhookPages};

/// The console's front door (the dashboard, or the login).
pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
/// The second step of a login (a code or a passkey).
pub const LOGIN_SECOND_STEP: &str = "/login/two-factor";
pub const LOGIN_PASSKEY_OPTIONS: &str = "/login/two-factor/passkey/options";
pub const LOGIN_PASSKEY: &str = "/login/two-factor/passkey";
/// Log out (GET asks, POST does it).
pub const LOGOUT: &str = "/logout";
pub const LOGOUT_EVERYWHERE: &str = "/logout/everywhere";
pub const TWO_FACTOR: &str = "/account/two-factor";
pub const TWO_FACTOR_TOTP: &str = "/account/two-factor/totp";
pub const TWO_FACTOR_CANCEL: &str = "/account/two-factor/cancel";
pub const TWO_FACTOR_RECOVERY_CODES: &str = "/account/two-factor/recovery-codes";
pub const TWO_FACTOR_DISABLE: &str = "/account/two-factor/disable";
/// Registering a passkey: POST the options, then the credential.
pub const PASSKEY_OPTIONS: &str = "/account/passkeys/options";
pub const PASSKEYS: &str = "/account/passkeys";
/// Sudo mode by passkey: POST the options, then the assertion.
pub const PASSKEY_SUDO_OPTIONS: &str = "/account/passkeys/sudo/options";
pub const PASSKEY_SUDO: &str = "/account/passkeys/sudo";
pub const SETUP: &str = "/setup";
pub const SUPPORT: &str = "/support";
pub const PLATFORM_LOG: &str = "/support/platform-log";
pub const API_DOCS: &str = "/docs/api";
pub const OPENAPI: &str = "/api/v1/openapi.json";
/// The public key the audit log's checkpoints verify under.
pub const AUDIT_PUBLIC_KEY: &str = "/.well-known/latchkey-audit-key";
/// Where static assets are served.
pub const STATIC: &str = "/static";

/// A static asset's URL with its version in the name: `/static/app.<version>.css`.
pub fn asset(file: &str, version: &str) -> String {
    match file.rsplit_once('.') {
        Some((stem, ext)) => format!("{STATIC}/{stem}.{version}.{ext}"),
        None => format!("{STATIC}/{file}.{version}"),
    }
}

/// `path` with a query string: `query` is one already encoded (a page's
/// filters; may be empty) and `pairs` are appended to it, encoded.
pub fn with_query(path: &str, query: &str, pairs: &[(&str, &str)]) -> String {
    let mut extra = url::form_urlencoded::Serializer::new(String::new());
    extra.extend_pairs(pairs);
    let extra = extra.finish();
    match (query.is_empty(), extra.is_empty()) {
        (true, true) => path.to_owned(),
        (false, true) => format!("{path}?{query}"),
        (true, false) => format!("{path}?{extra}"),
        (false, false) => format!("{path}?{query}&{extra}"),
    }
}

/// The login, then back to `path`: a local path of URL-safe characters (an
/// invitation link), put in `next` as it is.
pub fn login_returning_to(path: &str) -> String {
    format!("{LOGIN}?next={path}")
}

pub fn passkey_remove(public_id: &str) -> String {
    format!("{PASSKEYS}/{public_id}/remove")
}

/// An organisation's overview.
pub fn org(slug: &str) -> String {
    format!("/orgs/{slug}")
}

pub fn keys(slug: &str) -> String {
    format!("/orgs/{slug}/settings/api-keys")
}

/// The organisation's keys filtered by `query` (`state`, `sort`, …).
pub fn keys_where(slug: &str, query: &[(&str, &str)]) -> String {
    with_query(&keys(slug), "", query)
}

pub fn key(slug: &str, key_id: &str) -> String {
    format!("/orgs/{slug}/settings/api-keys/{key_id}")
}

/// A key's edit form, with the expiry field focused.
pub fn key_renew(slug: &str, key_id: &str) -> String {
    format!("{}/edit?focus=expires_at#expires_at", key(slug, key_id))
}

/// A key's request log, on its page.
pub fn key_requests(slug: &str, key_id: &str) -> String {
    format!("{}#requests", key(slug, key_id))
}

pub fn apis(slug: &str) -> String {
    format!("/orgs/{slug}/settings/apis")
}

pub fn webhooks(slug: &str) -> String {
    format!("/orgs/{slug}/settings/webhooks")
}

pub fn webhook(slug: &str, public_id: &str) -> String {
    format!("/orgs/{slug}/settings/webhooks/{public_id}")
}

pub fn audit_log(slug: &str) -> String {
    format!("/orgs/{slug}/settings/audit-log")
}

/// The organisation's audit log filtered by `query` (`action`, `target`, …).
pub fn audit_log_where(slug: &str, query: &[(&str, &str)]) -> String {
    with_query(&audit_log(slug), "", query)
}

pub fn security(slug: &str) -> String {
    format!("/orgs/{slug}/settings/security")
}

/// POST: the organisation's two-factor requirement.
pub fn security_two_factor(slug: &str) -> String {
    format!("{}/two-factor", security(slug))
}

/// POST: the organisation's key policy.
pub fn security_key_policy(slug: &str) -> String {
    format!("{}/key-policy", security(slug))
}

pub fn members(slug: &str) -> String {
    format!("/orgs/{slug}/settings/members")
}

/// POST: a member's new role.
pub fn member_role(slug: &str, user_id: impl std::fmt::Display) -> String {
    format!("{}/{user_id}/role", members(slug))
}

/// Removing a member (GET asks, POST does it).
pub fn member_remove(slug: &str, user_id: impl std::fmt::Display) -> String {
    format!("{}/{user_id}/remove", members(slug))
}

/// Staff's read-only view of an organisation's audit log.
pub fn support_audit_log(slug: &str) -> String {
    format!("/support/orgs/{slug}/audit-log")
}

/// Staff's read-only view of an organisation's keys.
pub fn support_keys(slug: &str) -> String {
    format!("/support/orgs/{slug}/api-keys")
}

pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_PROFILE: &str = "/account/profile";
pub const ACCOUNT_PASSWORD: &str = "/account/password";

/// POST: ends one of the account's sessions.
pub fn session_revoke(session_id: impl std::fmt::Display) -> String {
    format!("{ACCOUNT}/sessions/{session_id}/revoke")
}
/// "Forgot your password?" (the request form).
pub const PASSWORD_RESET: &str = "/password-reset";

/// The link a reset mail carries.
pub fn password_reset_link(token: &str) -> String {
    format!("{PASSWORD_RESET}/{token}")
}

/// The link an invitation mail carries.
pub fn invitation_link(token: &str) -> String {
    format!("/invitations/{token}")
}

pub fn invitations(slug: &str) -> String {
    format!("/orgs/{slug}/settings/members/invitations")
}

/// POST: mails a pending invitation again.
pub fn invitation_resend(slug: &str, public_id: &str) -> String {
    format!("{}/{public_id}/resend", invitations(slug))
}

/// POST: withdraws a pending invitation.
pub fn invitation_revoke(slug: &str, public_id: &str) -> String {
    format!("{}/{public_id}/revoke", invitations(slug))
}

/// An organisation's single sign-on settings.
pub fn sso(slug: &str) -> String {
    format!("/orgs/{slug}/settings/sso")
}

pub fn sso_domains(slug: &str) -> String {
    format!("{}/domains", sso(slug))
}

pub fn sso_domain_verify(slug: &str, domain: &str) -> String {
    format!("{}/domains/{domain}/verify", sso(slug))
}

/// Where a single sign-on login starts.
pub const SSO_START: &str = "/sso/start";

pub fn sso_scim_token(slug: &str) -> String {
    format!("{}/scim-token", sso(slug))
}
