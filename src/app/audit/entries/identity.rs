//! The entries of single sign-on and SCIM: a connection saved, a domain
//! proven, members provisioned and deprovisioned by the identity
//! provider, and logins through it (or past it, as break-glass).

use super::{Action, Entry};
use crate::db::users::User;
use crate::domain::{OrgId, Role};
use serde_json::{Value, json};

impl Entry {
    /// The organisation's single sign-on connection was saved: what it is now (never its secret).
    pub fn sso_connection_changed(org_id: OrgId, issuer: &str, details: Value) -> Self {
        Self::new(org_id, Action::SsoConnectionChanged).target("sso", issuer, issuer).details(details)
    }

    /// An owner's rate limit was set or removed (`None`), shared by `keys` keys.
    pub fn owner_limits_changed(
        org_id: OrgId,
        owner_id: &str,
        (before, after): (Option<i64>, Option<i64>),
        keys: i64,
    ) -> Self {
        Self::new(org_id, Action::OwnerLimitsChanged).target("owner", owner_id, owner_id).details(json!({
            "before": { "rate_limit_per_minute": before },
            "after": { "rate_limit_per_minute": after },
            "keys": keys,
        }))
    }

    pub fn sso_domain_added(org_id: OrgId, domain: &str) -> Self {
        Self::new(org_id, Action::SsoDomainAdded).target("domain", domain, domain)
    }

    /// A SCIM token was made (`replaced`: an older one stopped working); never the token.
    pub fn sso_scim_token_created(org_id: OrgId, replaced: bool) -> Self {
        Self::new(org_id, Action::SsoScimTokenCreated).details(json!({ "replaced": replaced }))
    }

    pub fn sso_domain_verified(org_id: OrgId, domain: &str) -> Self {
        Self::new(org_id, Action::SsoDomainVerified).target("domain", domain, domain)
    }

    /// A first single sign-on login made this person a member (just in time), with `role`.
    pub fn member_provisioned(org_id: OrgId, user: &User, role: Role, groups: &[String]) -> Self {
        Self::new(org_id, Action::MemberProvisioned)
            .target("user", user.id, user.email.clone())
            .details(json!({ "role": role.as_str(), "via": "sso", "groups": groups }))
    }

    /// The identity provider (`via`: `scim`) made this person a member, with `role`.
    pub fn member_provisioned_by(org_id: OrgId, user: &User, role: Role, via: &str) -> Self {
        Self::new(org_id, Action::MemberProvisioned)
            .target("user", user.id, user.email.clone())
            .details(json!({ "role": role.as_str(), "via": via }))
    }

    /// The identity provider deprovisioned a member: the keys they made are now marked.
    pub fn member_deprovisioned(org_id: OrgId, user: &User, keys: &[String]) -> Self {
        Self::new(org_id, Action::MemberDeprovisioned)
            .target("user", user.id, user.email.clone())
            .details(json!({ "keys_marked": keys }))
    }

    /// An owner's password login where single sign-on is required: the break-glass way in.
    pub fn session_login_break_glass(org_id: OrgId, method: &str) -> Self {
        Self::new(org_id, Action::SessionLogin).details(json!({ "method": method, "break_glass": true }))
    }

    /// A login through the organisation's identity provider.
    pub fn session_login_sso(org_id: OrgId, issuer: &str) -> Self {
        Self::new(org_id, Action::SessionLogin).details(json!({ "method": "sso", "issuer": issuer }))
    }
}
