//! The console's URLs, spelled once: handlers redirect to them, templates
//! link to them (`{{ crate::domain::urls::keys(org.slug) }}`) and mail puts them
//! after the public origin. The route patterns themselves are in routes.rs.

pub const LOGIN: &str = "/login";
/// The second step of a login (a code or a passkey).
pub const LOGIN_SECOND_STEP: &str = "/login/two-factor";
pub const TWO_FACTOR: &str = "/account/two-factor";
pub const SETUP: &str = "/setup";
pub const SUPPORT: &str = "/support";
pub const PLATFORM_LOG: &str = "/support/platform-log";

/// An organisation's overview.
pub fn org(slug: &str) -> String {
    format!("/orgs/{slug}")
}

pub fn keys(slug: &str) -> String {
    format!("/orgs/{slug}/settings/api-keys")
}

pub fn key(slug: &str, key_id: &str) -> String {
    format!("/orgs/{slug}/settings/api-keys/{key_id}")
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

pub fn security(slug: &str) -> String {
    format!("/orgs/{slug}/settings/security")
}

pub fn members(slug: &str) -> String {
    format!("/orgs/{slug}/settings/members")
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
