//! Every kind of audit event, one variant per action (SPEC §6).

/// What happened. Stored as its dotted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SessionLogin,
    SessionLoginFailed,
    SessionLogout,
    OrgCreated,
    OrgPlanChanged,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    SupportViewedAuditLog,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::SessionLogin,
        Action::SessionLoginFailed,
        Action::SessionLogout,
        Action::OrgCreated,
        Action::OrgPlanChanged,
        Action::MemberAdded,
        Action::MemberRoleChanged,
        Action::MemberRemoved,
        Action::SupportViewedAuditLog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SessionLogin => "session.login",
            Self::SessionLoginFailed => "session.login_failed",
            Self::SessionLogout => "session.logout",
            Self::OrgCreated => "org.created",
            Self::OrgPlanChanged => "org.plan_changed",
            Self::MemberAdded => "member.added",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::SupportViewedAuditLog => "support.viewed_audit_log",
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
