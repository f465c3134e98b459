//! Every kind of audit event, one variant per action (docs/user-guide.md: Audit log).

/// What happened. Stored as its dotted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SessionLogin,
    SessionLoginFailed,
    SessionSudoFailed,
    SessionLogout,
    SessionRevoked,
    UserPasswordChanged,
    UserPasswordReset,
    UserProfileChanged,
    MemberInvited,
    MemberInvitationResent,
    MemberInvitationRevoked,
    UserTwoFactorEnabled,
    UserTwoFactorDisabled,
    UserRecoveryCodesRegenerated,
    UserPasskeyAdded,
    UserPasskeyRemoved,
    OrgTwoFactorRequirementChanged,
    OrgKeyPolicyChanged,
    OrgCreated,
    OrgPlanChanged,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    SupportViewedAuditLog,
    SupportViewedApiKeys,
    ApiKeyCreated,
    ApiKeyUpdated,
    ApiKeyScopesChanged,
    ApiKeyDeactivated,
    ApiKeyActivated,
    ApiKeyRotated,
    ApiKeyRevoked,
    ApiKeyDeleted,
    ApiKeyExpired,
    ApiKeyRevokedKeyUsed,
    ApiKeyExposed,
    ApiKeyLookedUp,
    ApiKeyNewNetwork,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WebhookTested,
    WebhookSecretRotated,
    WebhookDisabled,
    WebhookRecovered,
    ApiCreated,
    ApiUpdated,
    ApiDeleted,
    ApiImported,
    AuditArchived,
    SsoConnectionChanged,
    SsoDomainVerified,
    MemberProvisioned,
    MemberDeprovisioned,
    SsoDomainAdded,
    SsoScimTokenCreated,
    OwnerLimitsChanged,
}

impl Action {
    pub const ALL: [Action; 57] = [
        Action::SessionLogin,
        Action::SessionLoginFailed,
        Action::SessionSudoFailed,
        Action::SessionLogout,
        Action::SessionRevoked,
        Action::UserPasswordChanged,
        Action::UserPasswordReset,
        Action::UserProfileChanged,
        Action::MemberInvited,
        Action::MemberInvitationResent,
        Action::MemberInvitationRevoked,
        Action::UserTwoFactorEnabled,
        Action::UserTwoFactorDisabled,
        Action::UserRecoveryCodesRegenerated,
        Action::UserPasskeyAdded,
        Action::UserPasskeyRemoved,
        Action::OrgTwoFactorRequirementChanged,
        Action::OrgKeyPolicyChanged,
        Action::OrgCreated,
        Action::OrgPlanChanged,
        Action::MemberAdded,
        Action::MemberRoleChanged,
        Action::MemberRemoved,
        Action::SupportViewedAuditLog,
        Action::SupportViewedApiKeys,
        Action::ApiKeyCreated,
        Action::ApiKeyUpdated,
        Action::ApiKeyScopesChanged,
        Action::ApiKeyDeactivated,
        Action::ApiKeyActivated,
        Action::ApiKeyRotated,
        Action::ApiKeyRevoked,
        Action::ApiKeyDeleted,
        Action::ApiKeyExpired,
        Action::ApiKeyRevokedKeyUsed,
        Action::ApiKeyExposed,
        Action::ApiKeyLookedUp,
        Action::ApiKeyNewNetwork,
        Action::WebhookCreated,
        Action::WebhookUpdated,
        Action::WebhookDeleted,
        Action::WebhookTested,
        Action::WebhookSecretRotated,
        Action::WebhookDisabled,
        Action::WebhookRecovered,
        Action::ApiCreated,
        Action::ApiUpdated,
        Action::ApiDeleted,
        Action::ApiImported,
        Action::AuditArchived,
        Action::SsoConnectionChanged,
        Action::SsoDomainVerified,
        Action::MemberProvisioned,
        Action::MemberDeprovisioned,
        Action::SsoDomainAdded,
        Action::SsoScimTokenCreated,
        Action::OwnerLimitsChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SessionLogin => "session.login",
            Self::SessionLoginFailed => "session.login_failed",
            Self::SessionSudoFailed => "session.sudo_failed",
            Self::SessionLogout => "session.logout",
            Self::SessionRevoked => "session.revoked",
            Self::UserPasswordChanged => "user.password_changed",
            Self::UserPasswordReset => "user.password_reset",
            Self::UserProfileChanged => "user.profile_changed",
            Self::MemberInvited => "member.invited",
            Self::MemberInvitationResent => "member.invitation_resent",
            Self::MemberInvitationRevoked => "member.invitation_revoked",
            Self::UserTwoFactorEnabled => "user.two_factor_enabled",
            Self::UserTwoFactorDisabled => "user.two_factor_disabled",
            Self::UserRecoveryCodesRegenerated => "user.recovery_codes_regenerated",
            Self::UserPasskeyAdded => "user.passkey_added",
            Self::UserPasskeyRemoved => "user.passkey_removed",
            Self::OrgTwoFactorRequirementChanged => "org.two_factor_requirement_changed",
            Self::OrgKeyPolicyChanged => "org.key_policy_changed",
            Self::OrgCreated => "org.created",
            Self::OrgPlanChanged => "org.plan_changed",
            Self::MemberAdded => "member.added",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::SupportViewedAuditLog => "support.viewed_audit_log",
            Self::SupportViewedApiKeys => "support.viewed_api_keys",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyUpdated => "api_key.updated",
            Self::ApiKeyScopesChanged => "api_key.scopes_changed",
            Self::ApiKeyDeactivated => "api_key.deactivated",
            Self::ApiKeyActivated => "api_key.activated",
            Self::ApiKeyRotated => "api_key.rotated",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::ApiKeyDeleted => "api_key.deleted",
            Self::ApiKeyExpired => "api_key.expired",
            Self::ApiKeyRevokedKeyUsed => "api_key.revoked_key_used",
            Self::ApiKeyExposed => "api_key.exposed",
            Self::ApiKeyLookedUp => "api_key.looked_up",
            Self::ApiKeyNewNetwork => "api_key.new_network",
            Self::WebhookCreated => "webhook.created",
            Self::WebhookUpdated => "webhook.updated",
            Self::WebhookDeleted => "webhook.deleted",
            Self::WebhookTested => "webhook.tested",
            Self::WebhookSecretRotated => "webhook.secret_rotated",
            Self::WebhookDisabled => "webhook.disabled",
            Self::WebhookRecovered => "webhook.recovered",
            Self::ApiCreated => "api.created",
            Self::ApiUpdated => "api.updated",
            Self::ApiDeleted => "api.deleted",
            Self::ApiImported => "api.imported",
            Self::AuditArchived => "audit.archived",
            Self::SsoConnectionChanged => "sso.connection_changed",
            Self::SsoDomainVerified => "sso.domain_verified",
            Self::MemberProvisioned => "member.provisioned",
            Self::MemberDeprovisioned => "member.deprovisioned",
            Self::SsoDomainAdded => "sso.domain_added",
            Self::SsoScimTokenCreated => "sso.scim_token_created",
            Self::OwnerLimitsChanged => "owner.limits_changed",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == input)
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("session.hijacked"), None);
    }
}

/// A person's name for an action code: `api_key.revoked` → "API key revoked".
/// Derived from the code, so every action (new ones included) has one.
pub fn human_label(code: &str) -> String {
    let (subject, verb) = code.split_once('.').unwrap_or(("", code));
    let subject = match subject {
        "api_key" => "API key",
        "api" => "API",
        "audit" => "Audit log",
        "sso" => "Single sign-on",
        "webhook" => "Webhook",
        "session" => "Session",
        "member" => "Member",
        "org" => "Organisation",
        "support" => "Support",
        "user" => "User",
        other => other,
    };
    let verb = verb.replace('_', " ");
    if subject.is_empty() { verb } else { format!("{subject} {verb}") }
}

#[cfg(test)]
mod label_tests {
    #[test]
    fn codes_read_as_words() {
        assert_eq!(super::human_label("api_key.revoked"), "API key revoked");
        assert_eq!(super::human_label("session.login_failed"), "Session login failed");
        assert_eq!(super::human_label("support.viewed_audit_log"), "Support viewed audit log");
    }
}
