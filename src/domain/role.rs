use super::ParseError;
use std::fmt;

/// A member's role in an organisation (docs/security-model.md: Roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Member,
    ReadOnly,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::ReadOnly];

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            "read_only" => Ok(Self::ReadOnly),
            _ => Err(ParseError::new("Choose a role: owner, admin, member or read_only.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::ReadOnly => "read_only",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Member => "Member",
            Self::ReadOnly => "Read-only",
        }
    }

    /// API keys, webhooks and the audit log (docs/security-model.md: Roles; owner and admin).
    pub fn can_manage_settings(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }

    /// The members page (docs/security-model.md: Roles; owner only).
    pub fn can_manage_members(self) -> bool {
        self == Self::Owner
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An organisation's plan. API keys and the API exist on `paid` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Trial,
    Paid,
}

impl Plan {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "free" => Ok(Self::Free),
            "trial" => Ok(Self::Trial),
            "paid" => Ok(Self::Paid),
            _ => Err(ParseError::new("Choose a plan: free, trial or paid.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Trial => "trial",
            Self::Paid => "paid",
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_gate_as_the_spec_table_says() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
        let settings: Vec<bool> = Role::ALL.iter().map(|r| r.can_manage_settings()).collect();
        assert_eq!(settings, [true, true, false, false]);
        let members: Vec<bool> = Role::ALL.iter().map(|r| r.can_manage_members()).collect();
        assert_eq!(members, [true, false, false, false]);
    }

    #[test]
    fn plans_round_trip() {
        for plan in [Plan::Free, Plan::Trial, Plan::Paid] {
            assert_eq!(Plan::parse(plan.as_str()), Ok(plan));
        }
        assert!(Plan::parse("gold").is_err());
    }
}
