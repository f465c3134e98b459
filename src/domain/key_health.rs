//! A key's health marks (docs/user-guide.md: API keys): what the list and the key's
//! page flag about a key that still matters — expired, rotating, expires
//! soon, rotation recommended, unused, and "violates policy" for a live key
//! made before a rule of the organisation's key policy was tightened.

use super::key_policy::{Candidate, KeyPolicy};
use super::key_settings::IpAllowlist;
use super::key_state::KeyState;
use super::scopes::Scopes;
use chrono::{Duration, NaiveDateTime};

/// The health mark of a key that breaks the org's key policy.
pub const VIOLATES_POLICY: &str = "violates policy";

/// What the marks are read from.
pub struct KeyFacts<'a> {
    pub state: KeyState,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    /// A rotation replaced it (its replacement exists).
    pub replaced: bool,
    pub scopes: &'a Scopes,
    pub allowlist: &'a IpAllowlist,
}

/// Whether a key that still works breaks a rule of `policy` at `at`.
pub fn violates(key: &KeyFacts<'_>, policy: &KeyPolicy, at: NaiveDateTime) -> bool {
    if policy.is_empty() || matches!(key.state, KeyState::Revoked | KeyState::Expired) {
        return false;
    }
    let candidate = Candidate { scopes: key.scopes, expires_at: key.expires_at, allowlist: key.allowlist };
    !policy.breaches(&candidate, at).is_empty()
}

/// The health marks at `at`, for keys that still matter (none for a revoked key).
pub fn health_marks(key: &KeyFacts<'_>, at: NaiveDateTime) -> Vec<&'static str> {
    let mut marks = Vec::new();
    let state = key.state;
    match state {
        KeyState::Revoked => return marks,
        KeyState::Expired => marks.push("expired"),
        KeyState::Rotating => marks.push("rotating"),
        _ => {}
    }
    if state != KeyState::Expired && key.expires_at.is_some_and(|t| t <= at + Duration::days(7)) {
        marks.push("expires soon");
    }
    // No rotation advice on a key that is already being replaced.
    if key.created_at <= at - Duration::days(365) && state != KeyState::Rotating && !key.replaced {
        marks.push("rotation recommended");
    }
    // A young key that was never used shows "Never used" in its last-used cell instead.
    let unused = match key.last_used_at {
        None => key.created_at <= at - Duration::days(7),
        Some(t) => t <= at - Duration::days(90),
    };
    if unused {
        marks.push("unused");
    }
    marks
}
