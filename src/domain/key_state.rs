//! A key's state (docs/user-guide.md: API keys), derived in this order: revoked › disabled ›
//! expired › rotating › active. Only active and rotating keys authenticate.

use chrono::NaiveDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Revoked,
    Disabled,
    Expired,
    Rotating,
    Active,
}

impl KeyState {
    pub const ALL: [KeyState; 5] =
        [KeyState::Active, KeyState::Rotating, KeyState::Disabled, KeyState::Expired, KeyState::Revoked];

    pub fn derive(
        revoked: bool,
        enabled: bool,
        expires_at: Option<NaiveDateTime>,
        grace_until: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Self {
        if revoked {
            Self::Revoked
        } else if !enabled {
            Self::Disabled
        } else if expires_at.is_some_and(|t| t <= now) {
            Self::Expired
        } else if grace_until.is_some_and(|t| t > now) {
            Self::Rotating
        } else {
            Self::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
            Self::Rotating => "rotating",
            Self::Active => "active",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    pub fn authenticates(self) -> bool {
        matches!(self, Self::Active | Self::Rotating)
    }
}

/// Why a key was revoked, as webhook events name it (`data.reason`). The
/// audit entry keeps its own, finer words ([`RevokeCause`]); this is the
/// contract receivers see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// A person in the console or a key through the management API.
    Manual,
    /// Rotated with no grace: the old key ended with its rotation.
    Rotated,
    /// Reported exposed (leak response).
    Exposed,
    /// A rotation's grace period ended.
    ExpiredGrace,
}

impl RevokeReason {
    pub const ALL: [RevokeReason; 4] =
        [RevokeReason::Manual, RevokeReason::Rotated, RevokeReason::Exposed, RevokeReason::ExpiredGrace];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Rotated => "rotated",
            Self::Exposed => "exposed",
            Self::ExpiredGrace => "expired_grace",
        }
    }
}

/// Who or what revoked a key, in the audit entry's own, finer words
/// (`details.reason` of `api_key.revoked`); [`reason`](Self::reason) is what
/// receivers see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeCause {
    /// A person in the console.
    ByUser,
    /// A key through the management API.
    ByApiKey,
    /// Rotated with no grace.
    RotatedWithoutGrace,
    /// Reported exposed (leak response).
    Exposed,
    /// The scheduler, when a rotation's grace period ended.
    RotationGraceEnded,
}

impl RevokeCause {
    pub const ALL: [RevokeCause; 5] =
        [Self::ByUser, Self::ByApiKey, Self::RotatedWithoutGrace, Self::Exposed, Self::RotationGraceEnded];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ByUser => "revoked_by_user",
            Self::ByApiKey => "revoked_by_api_key",
            Self::RotatedWithoutGrace => "rotated_without_grace",
            Self::Exposed => "exposed",
            Self::RotationGraceEnded => "rotation_grace_ended",
        }
    }

    /// The reason webhook events give: a person or a key deciding is `manual`.
    pub fn reason(self) -> RevokeReason {
        match self {
            Self::ByUser | Self::ByApiKey => RevokeReason::Manual,
            Self::RotatedWithoutGrace => RevokeReason::Rotated,
            Self::Exposed => RevokeReason::Exposed,
            Self::RotationGraceEnded => RevokeReason::ExpiredGrace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyState;
    use chrono::{Duration, NaiveDateTime};

    #[test]
    fn states_are_derived_in_the_spec_order() {
        let now = NaiveDateTime::default();
        let past = Some(now - Duration::hours(1));
        let future = Some(now + Duration::hours(1));
        assert_eq!(KeyState::derive(true, false, past, future, now), KeyState::Revoked);
        assert_eq!(KeyState::derive(false, false, past, future, now), KeyState::Disabled);
        assert_eq!(KeyState::derive(false, true, Some(now), future, now), KeyState::Expired, "expires_at <= now");
        assert_eq!(KeyState::derive(false, true, future, future, now), KeyState::Rotating);
        assert_eq!(KeyState::derive(false, true, future, past, now), KeyState::Active);
        assert_eq!(KeyState::derive(false, true, None, None, now), KeyState::Active);
        assert!(KeyState::Rotating.authenticates() && !KeyState::Expired.authenticates());
    }

    #[test]
    fn revoke_reasons_name_what_receivers_see() {
        use super::RevokeCause;
        let audit: Vec<&str> = RevokeCause::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            audit,
            ["revoked_by_user", "revoked_by_api_key", "rotated_without_grace", "exposed", "rotation_grace_ended"]
        );
        let seen: Vec<&str> = RevokeCause::ALL.iter().map(|c| c.reason().as_str()).collect();
        assert_eq!(seen, ["manual", "manual", "rotated", "exposed", "expired_grace"]);
    }
}
