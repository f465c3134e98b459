//! What an audit event says: one constructor per action, each naming its
//! target and the details a reader needs (docs/user-guide.md: Audit log).

mod identity;

use super::{Action, chain};
use crate::db::api_keys::ApiKey;
use crate::db::invitations::Invitation;
use crate::db::now;
use crate::db::users::User;
use crate::db::webhooks::Endpoint;
use crate::domain::access::ApiDefinition;
use crate::domain::key_policy::KeyPolicy;
use crate::domain::key_state::RevokeCause;
use crate::domain::{OrgId, Role, UserId};
use serde_json::{Value, json};

/// What happened to what, in which organisation's log. One constructor per action.
#[derive(Debug, Clone)]
pub struct Entry {
    pub org_id: OrgId,
    pub action: Action,
    pub target: Option<(&'static str, String, String)>,
    pub details: Value,
}

/// What happened to a user's second factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorChange {
    TotpEnabled,
    /// Every factor gone (TOTP removed and no passkey left, or the operator's reset).
    Disabled,
    RecoveryCodesRegenerated,
    PasskeyAdded,
    PasskeyRemoved,
}

impl Entry {
    fn new(org_id: OrgId, action: Action) -> Self {
        Self { org_id, action, target: None, details: json!({}) }
    }

    fn target(mut self, kind: &'static str, id: impl ToString, label: impl Into<String>) -> Self {
        self.target = Some((kind, id.to_string(), label.into()));
        self
    }

    fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn session_login(org_id: OrgId) -> Self {
        Self::new(org_id, Action::SessionLogin)
    }

    /// A login that passed a second factor: `method` is `password+totp`,
    /// `password+recovery_code` or `password+passkey`.
    pub fn session_login_with(org_id: OrgId, method: &str) -> Self {
        Self::new(org_id, Action::SessionLogin).details(json!({ "method": method }))
    }

    /// A second factor added or removed, or recovery codes replaced; `what`
    /// names it (`totp`, `passkey`, …) and `via` how (`account`, `cli`).
    pub fn user_second_factor(org_id: OrgId, user: &User, change: SecondFactorChange, details: Value) -> Self {
        let action = match change {
            SecondFactorChange::TotpEnabled => Action::UserTwoFactorEnabled,
            SecondFactorChange::Disabled => Action::UserTwoFactorDisabled,
            SecondFactorChange::RecoveryCodesRegenerated => Action::UserRecoveryCodesRegenerated,
            SecondFactorChange::PasskeyAdded => Action::UserPasskeyAdded,
            SecondFactorChange::PasskeyRemoved => Action::UserPasskeyRemoved,
        };
        Self::new(org_id, action).target("user", user.id, user.email.clone()).details(details)
    }

    pub fn org_key_policy_changed(org_id: OrgId, slug: &str, before: &KeyPolicy, after: &KeyPolicy) -> Self {
        let json = |p: &KeyPolicy| {
            json!({
                "max_key_lifetime_days": p.max_lifetime_days,
                "require_key_expiry": p.require_expiry,
                "forbid_full_access": p.forbid_full_access,
                "require_ip_allowlist": p.require_ip_allowlist,
            })
        };
        Self::new(org_id, Action::OrgKeyPolicyChanged)
            .target("org", slug, slug)
            .details(json!({ "before": json(before), "after": json(after) }))
    }

    pub fn org_two_factor_requirement_changed(org_id: OrgId, slug: &str, required: bool) -> Self {
        Self::new(org_id, Action::OrgTwoFactorRequirementChanged)
            .target("org", slug, slug)
            .details(json!({ "before": { "required": !required }, "after": { "required": required } }))
    }

    /// `attempted_email` is what was typed; the password never appears.
    /// `user` is the account it names, when one exists.
    pub fn session_login_failed(org_id: OrgId, attempted_email: &str, user: Option<&User>, reason: &str) -> Self {
        let entry = Self::new(org_id, Action::SessionLoginFailed)
            .details(json!({ "attempted_email": attempted_email, "reason": reason }));
        match user {
            Some(user) => entry.target("user", user.id, user.email.clone()),
            None => entry,
        }
    }

    /// A wrong (or throttled) answer to a sudo prompt or a form that asks
    /// for the password or a code again; `prompt` says which.
    pub fn session_sudo_failed(org_id: OrgId, user: &User, prompt: &str, reason: &str) -> Self {
        Self::new(org_id, Action::SessionSudoFailed)
            .target("user", user.id, user.email.clone())
            .details(json!({ "prompt": prompt, "reason": reason }))
    }

    pub fn session_logout(org_id: OrgId, everywhere: bool) -> Self {
        Self::new(org_id, Action::SessionLogout).details(json!({ "everywhere": everywhere }))
    }

    /// One session ended from the account page (not the one in use).
    pub fn session_revoked(org_id: OrgId, user: &User, session_id: i64) -> Self {
        Self::new(org_id, Action::SessionRevoked)
            .target("user", user.id, user.email.clone())
            .details(json!({ "session_id": session_id }))
    }

    /// `via`: "account" (current password given), "reset_link" or "cli".
    pub fn user_password_changed(org_id: OrgId, user: &User, via: &str) -> Self {
        let action = if via == "account" { Action::UserPasswordChanged } else { Action::UserPasswordReset };
        Self::new(org_id, action).target("user", user.id, user.email.clone()).details(json!({ "via": via }))
    }

    pub fn user_profile_changed(org_id: OrgId, user: &User, before: &str, after: &str) -> Self {
        Self::new(org_id, Action::UserProfileChanged)
            .target("user", user.id, user.email.clone())
            .details(json!({ "before": { "name": before }, "after": { "name": after } }))
    }

    pub fn member_invited(org_id: OrgId, invitation: &Invitation) -> Self {
        Self::invitation(org_id, Action::MemberInvited, invitation)
    }

    pub fn member_invitation_resent(org_id: OrgId, invitation: &Invitation) -> Self {
        Self::invitation(org_id, Action::MemberInvitationResent, invitation)
    }

    pub fn member_invitation_revoked(org_id: OrgId, invitation: &Invitation) -> Self {
        Self::invitation(org_id, Action::MemberInvitationRevoked, invitation)
    }

    fn invitation(org_id: OrgId, action: Action, invitation: &Invitation) -> Self {
        Self::new(org_id, action).target("invitation", &invitation.public_id, invitation.email.clone()).details(
            json!({ "email": invitation.email, "role": invitation.role().as_str(), "expires_at": chain::format_time(&invitation.expires_at) }),
        )
    }

    /// Acceptance of an invitation: `member.added`, saying where it came from.
    pub fn member_added_by_invitation(org_id: OrgId, user: &User, invitation: &Invitation) -> Self {
        Self::new(org_id, Action::MemberAdded).target("user", user.id, user.email.clone()).details(json!({
            "role": invitation.role().as_str(),
            "via": "invitation",
            "invitation_id": invitation.public_id,
            "invited_by": invitation.invited_by_name,
        }))
    }

    pub fn org_created(org_id: OrgId, slug: &str, name: &str, plan: &str) -> Self {
        Self::new(org_id, Action::OrgCreated)
            .target("org", slug, name)
            .details(json!({ "slug": slug, "name": name, "plan": plan }))
    }

    pub fn org_plan_changed(org_id: OrgId, slug: &str, before: &str, after: &str) -> Self {
        Self::new(org_id, Action::OrgPlanChanged)
            .target("org", slug, slug)
            .details(json!({ "before": { "plan": before }, "after": { "plan": after } }))
    }

    /// The chain's events up to `through_seq` (ending at a signed
    /// checkpoint) left the database: written to an archive (`reason`
    /// `archive`, with the file's SHA-256) or aged out (`retention`).
    pub fn audit_archived(org_id: OrgId, through_seq: i64, events: usize, reason: &str, sha256: Option<&str>) -> Self {
        Self::new(org_id, Action::AuditArchived)
            .target("audit_log", through_seq, format!("events through #{through_seq}"))
            .details(
                json!({ "through_seq": through_seq, "events": events, "reason": reason, "archive_sha256": sha256 }),
            )
    }

    pub fn member_added(org_id: OrgId, user_id: UserId, email: &str, role: Role) -> Self {
        Self::new(org_id, Action::MemberAdded).target("user", user_id, email).details(json!({ "role": role.as_str() }))
    }

    pub fn member_role_changed(org_id: OrgId, user_id: UserId, email: &str, before: Role, after: Role) -> Self {
        Self::new(org_id, Action::MemberRoleChanged)
            .target("user", user_id, email)
            .details(json!({ "before": { "role": before.as_str() }, "after": { "role": after.as_str() } }))
    }

    pub fn member_removed(org_id: OrgId, user_id: UserId, email: &str, role: Role) -> Self {
        Self::new(org_id, Action::MemberRemoved)
            .target("user", user_id, email)
            .details(json!({ "role": role.as_str() }))
    }

    /// `view` says what was opened: the page, an export, or verification.
    pub fn support_viewed_audit_log(org_id: OrgId, view: &str) -> Self {
        Self::new(org_id, Action::SupportViewedAuditLog).details(json!({ "view": view }))
    }
}

/// The public fields of a key, as audit details and webhook data show them (docs/api-guide.md: Events and usage).
pub fn key_snapshot(key: &ApiKey) -> Value {
    json!({
        "key_id": key.key_id,
        "label": key.label,
        "prefix": key.display_prefix,
        "scopes": key.scopes().effective_names(),
        "full_access": key.scopes().is_full_access(),
        "state": key.state(now()).as_str(),
        "expires_at": key.expires_at.map(|t| chain::format_time(&t)),
    })
}

impl Entry {
    fn key(org_id: OrgId, action: Action, key: &ApiKey) -> Self {
        Self::new(org_id, action).target("api_key", &key.key_id, format!("{} ({})", key.label, key.display_prefix))
    }

    /// An entry about `key`, in its own organisation's log.
    fn own_key(action: Action, key: &ApiKey) -> Self {
        Self::key(OrgId::new(key.org_id), action, key)
    }

    pub fn api_key_created(key: &ApiKey) -> Self {
        Self::own_key(Action::ApiKeyCreated, key).details(key_snapshot(key))
    }

    /// `before`/`after` hold only the fields that changed.
    pub fn api_key_updated(key: &ApiKey, before: Value, after: Value) -> Self {
        Self::own_key(Action::ApiKeyUpdated, key).details(json!({ "before": before, "after": after }))
    }

    pub fn api_key_scopes_changed<S: serde::Serialize>(key: &ApiKey, before: &[S], after: &[S]) -> Self {
        Self::own_key(Action::ApiKeyScopesChanged, key)
            .details(json!({ "before": { "scopes": before }, "after": { "scopes": after } }))
    }

    pub fn api_key_deactivated(key: &ApiKey) -> Self {
        Self::own_key(Action::ApiKeyDeactivated, key)
    }

    pub fn api_key_activated(key: &ApiKey) -> Self {
        Self::own_key(Action::ApiKeyActivated, key)
    }

    pub fn api_key_rotated(old: &ApiKey, new_key_id: &str, grace: &str) -> Self {
        Self::own_key(Action::ApiKeyRotated, old).details(json!({ "replaced_by": new_key_id, "grace": grace }))
    }

    pub fn api_key_revoked(key: &ApiKey, cause: RevokeCause) -> Self {
        Self::own_key(Action::ApiKeyRevoked, key).details(json!({ "reason": cause.as_str() }))
    }

    /// The log keeps a snapshot of what was deleted.
    pub fn api_key_deleted(key: &ApiKey) -> Self {
        Self::own_key(Action::ApiKeyDeleted, key).details(key_snapshot(key))
    }

    pub fn api_key_expired(key: &ApiKey) -> Self {
        Self::own_key(Action::ApiKeyExpired, key)
    }

    pub fn api_key_revoked_key_used(key: &ApiKey, state: &str) -> Self {
        Self::own_key(Action::ApiKeyRevokedKeyUsed, key).details(json!({ "state": state }))
    }

    /// Reported exposed: `details` says by whom (source, reporter address and user agent) and what was done.
    pub fn api_key_exposed(key: &ApiKey, details: Value) -> Self {
        Self::own_key(Action::ApiKeyExposed, key).details(details)
    }

    /// A token was looked up in the console: the key it belongs to, or none (never the token).
    pub fn api_key_looked_up(org_id: OrgId, key: Option<&ApiKey>) -> Self {
        match key {
            Some(key) => Self::key(org_id, Action::ApiKeyLookedUp, key).details(json!({ "found": true })),
            None => Self::new(org_id, Action::ApiKeyLookedUp).details(json!({ "found": false })),
        }
    }

    /// First use from a network the key had not used in 30 days.
    pub fn api_key_new_network(key: &ApiKey, network: &str, ip: &str, user_agent: Option<&str>) -> Self {
        Self::own_key(Action::ApiKeyNewNetwork, key)
            .details(json!({ "network": network, "ip": ip, "user_agent": user_agent }))
    }

    fn webhook(action: Action, hook: &Endpoint) -> Self {
        Self::new(OrgId::new(hook.org_id), action).target("webhook", &hook.public_id, hook.url.clone())
    }

    pub fn webhook_created(hook: &Endpoint) -> Self {
        Self::webhook(Action::WebhookCreated, hook).details(json!({ "url": hook.url, "events": hook.event_list() }))
    }

    pub fn webhook_updated(hook: &Endpoint, before: Value, after: Value) -> Self {
        Self::webhook(Action::WebhookUpdated, hook).details(json!({ "before": before, "after": after }))
    }

    pub fn webhook_deleted(hook: &Endpoint) -> Self {
        Self::webhook(Action::WebhookDeleted, hook).details(json!({ "url": hook.url, "events": hook.event_list() }))
    }

    pub fn webhook_tested(hook: &Endpoint, status: Option<u16>, error: Option<&str>, latency_ms: u64) -> Self {
        Self::webhook(Action::WebhookTested, hook)
            .details(json!({ "status": status, "error": error, "latency_ms": latency_ms }))
    }

    /// `overlap`: how long the previous secret keeps signing (`1h`, `24h`, `7d`).
    pub fn webhook_secret_rotated(hook: &Endpoint, overlap: &str) -> Self {
        Self::webhook(Action::WebhookSecretRotated, hook).details(json!({ "overlap": overlap }))
    }

    /// Recover: `count` failed messages created since `since` (RFC 3339) queued again.
    pub fn webhook_recovered(hook: &Endpoint, since: &str, count: usize) -> Self {
        Self::webhook(Action::WebhookRecovered, hook).details(json!({ "since": since, "count": count }))
    }

    pub fn webhook_disabled(hook: &Endpoint, reason: &str) -> Self {
        Self::webhook(Action::WebhookDisabled, hook).details(json!({ "reason": reason }))
    }

    fn api(org_id: OrgId, action: Action, slug: &str, name: &str) -> Self {
        Self::new(org_id, action).target("api", slug, name)
    }

    /// What the new API holds, counted.
    pub fn api_created(org_id: OrgId, api: &ApiDefinition) -> Self {
        Self::api(org_id, Action::ApiCreated, api.slug().as_str(), api.name()).details(api_counts(api))
    }

    /// `summary`: what changed (`domain::access::diff`).
    pub fn api_updated(org_id: OrgId, api: &ApiDefinition, summary: Value) -> Self {
        Self::api(org_id, Action::ApiUpdated, api.slug().as_str(), api.name()).details(json!({ "changes": summary }))
    }

    /// An OpenAPI import: what it added, and what changed as a result.
    pub fn api_imported(org_id: OrgId, api: &ApiDefinition, added: (usize, usize), summary: Value) -> Self {
        Self::api(org_id, Action::ApiImported, api.slug().as_str(), api.name())
            .details(json!({ "permissions_added": added.0, "routes_added": added.1, "changes": summary }))
    }

    /// The log keeps the deleted definition's size.
    pub fn api_deleted(org_id: OrgId, api: &ApiDefinition) -> Self {
        Self::api(org_id, Action::ApiDeleted, api.slug().as_str(), api.name()).details(api_counts(api))
    }

    pub fn support_viewed_api_keys(org_id: OrgId, view: &str) -> Self {
        Self::new(org_id, Action::SupportViewedApiKeys).details(json!({ "view": view }))
    }
}

/// How many permissions, roles and routes an API has.
fn api_counts(api: &ApiDefinition) -> Value {
    json!({
        "permissions": api.permissions().len(),
        "roles": api.roles().len(),
        "routes": api.routes().routes().len(),
    })
}
