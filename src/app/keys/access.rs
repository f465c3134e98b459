//! Who may do what to an organisation's keys, and how capable a key may be
//! made: checked by every key use case inside its transaction, and offered
//! to handlers that must refuse before they read a form or a body (so a
//! refusal never depends on what was typed). Owners and admins in the
//! console, keys holding the management scope in the API; creating,
//! rotating and activating need a paid plan; a key never makes a key wider
//! than itself; the organisation's key policy binds everyone.

use crate::app::caller::{Caller, Denied, Who};
use crate::db::api_keys::{ApiKey, KeySettings};
use crate::domain::Plan;
use crate::domain::access::ApiDefinition;
use crate::domain::access::OwnerId;
use crate::domain::key_policy::{Breach, Candidate};
use crate::domain::key_state::KeyState;
use crate::domain::records::FieldError;
use crate::domain::scopes::{Management, Scopes};
use chrono::NaiveDateTime;

/// What a caller asks to do with keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// See the organisation's keys.
    Read,
    /// See the calling key itself (any key may).
    ReadSelf,
    Create,
    Edit,
    Rotate,
    /// A key rotating itself (`keys:self_rotate`).
    RotateSelf,
    Revoke,
    Delete,
    Activate,
    Deactivate,
    /// Find which key a pasted token is (console only).
    LookUp,
}

impl Op {
    /// Creating, rotating and activating need a paid plan; viewing, revoking and deleting do not.
    fn needs_paid_plan(self) -> bool {
        matches!(self, Self::Create | Self::Rotate | Self::RotateSelf | Self::Activate)
    }

    /// The management scope a calling key needs (`None`: any key).
    fn scope(self) -> Option<Management> {
        match self {
            Self::ReadSelf => None,
            Self::Read | Self::LookUp => Some(Management::KeysRead),
            Self::RotateSelf => Some(Management::KeysSelfRotate),
            _ => Some(Management::KeysWrite),
        }
    }

    /// Whether a member must be in sudo mode (docs/user-guide.md: API keys; sudo mode); widening
    /// a key's scopes on an edit is sensitive too (decided by the edit).
    pub fn sensitive(self) -> bool {
        matches!(self, Self::Rotate | Self::Revoke | Self::Delete)
    }

    /// Whether the action applies to `key` as it is at `at` (the console
    /// offers, and takes, only these).
    pub fn applies(self, key: &ApiKey, at: NaiveDateTime) -> bool {
        let state = key.state(at);
        match self {
            Self::Deactivate => key.enabled && state != KeyState::Revoked,
            Self::Activate => !key.enabled && state != KeyState::Revoked,
            Self::Rotate | Self::RotateSelf => key.can_rotate(at),
            Self::Revoke => state != KeyState::Revoked,
            _ => true,
        }
    }
}

/// The caller may do `op` in its organisation (before anything is read).
pub fn authorize(caller: &Caller, op: Op) -> Result<(), Denied> {
    match &caller.who {
        Who::Member { role, .. } if !role.can_manage_settings() => return Err(Denied::Role),
        Who::Key { key, .. } => {
            if let Some(scope) = op.scope().filter(|s| !key.scopes().grants(*s)) {
                return Err(Denied::Scope(scope));
            }
        }
        Who::Member { .. } => {}
        // Staff read, and nothing else (docs/security-model.md: Roles).
        Who::Staff { .. } if op != Op::Read => return Err(Denied::Role),
        Who::Staff { .. } => {}
    }
    if op.needs_paid_plan() { require_paid(caller) } else { Ok(()) }
}

/// Refused unless the organisation is on the paid plan.
pub fn require_paid(caller: &Caller) -> Result<(), Denied> {
    if caller.org().plan == Plan::Paid { Ok(()) } else { Err(Denied::Plan) }
}

/// A key would come out more capable than the key that asks for it (docs/api-guide.md:
/// Management API → No escalation). Nothing is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Escalation {
    /// The target key holds scopes the calling key does not.
    #[error("the key holds scopes the calling key does not")]
    Scopes,
    /// This setting (its JSON field name) would be wider than the calling key's.
    #[error("`{0}` would be wider than the calling key's")]
    Setting(&'static str),
}

/// A calling key may only act on keys whose scopes it holds itself (`api`:
/// the definition of the target's API, whose roles count as their grants).
pub(super) fn within_scopes(caller: &Caller, target: &Scopes, api: &ApiDefinition) -> Result<(), Escalation> {
    match caller.calling_key() {
        Some(key) if !key.scopes().covers(target, api) => Err(Escalation::Scopes),
        _ => Ok(()),
    }
}

/// A calling key may only make keys at most as capable as itself in every
/// setting; a key changing itself is held to its own settings.
pub(super) fn within_settings(
    caller: &Caller,
    target: &KeySettings,
    api: &ApiDefinition,
    default_limit: u32,
) -> Result<(), Escalation> {
    match caller.calling_key().and_then(|key| target.wider_than(&key.settings(), api, default_limit)) {
        Some(field) => Err(Escalation::Setting(field)),
        None => Ok(()),
    }
}

/// What a key's credits and owner add to "at most as capable as itself": a
/// calling key with credits makes and leaves keys with credits only (it
/// cannot make itself or a child unlimited), and one under an owner's limit
/// keeps its keys under that owner (it cannot move itself or a child out of
/// the shared limit).
pub(super) fn within_limits(caller: &Caller, owner: Option<&OwnerId>, metered: bool) -> Result<(), Escalation> {
    let Some(key) = caller.calling_key() else { return Ok(()) };
    if key.limits.metered && !metered {
        return Err(Escalation::Setting("credits_remaining"));
    }
    if key.limits.owner_rate_limit.is_some() && owner.map(OwnerId::as_str) != key.owner_id.as_deref() {
        return Err(Escalation::Setting("owner_id"));
    }
    Ok(())
}

/// The definition of the API `settings` are for, and whether it declares
/// every permission they name exactly and every role: a field error for
/// `api`, `permissions` or `roles` otherwise.
pub(super) fn reach_of(
    conn: &mut crate::db::DbConn,
    caller: &Caller,
    settings: &KeySettings,
) -> Result<Result<ApiDefinition, Vec<FieldError>>, crate::db::QueryError> {
    let slug = settings.scopes.api().as_str();
    let Some(api) = crate::app::apis::definition(conn, caller.org().id, slug)? else {
        let message = format!("{slug} is not an API of this organisation");
        return Ok(Err(vec![FieldError { field: "api".into(), message }]));
    };
    let errors: Vec<FieldError> = api
        .undeclared(settings.scopes.access())
        .into_iter()
        .map(|(field, message)| FieldError { field: field.into(), message })
        .collect();
    Ok(if errors.is_empty() { Ok(api) } else { Err(errors) })
}

/// Every rule of the organisation's key policy that `settings` break.
pub(super) fn meets_policy(caller: &Caller, settings: &KeySettings, at: NaiveDateTime) -> Result<(), Vec<Breach>> {
    let breaches = caller.org().key_policy.breaches(&Candidate::of(settings), at);
    if breaches.is_empty() { Ok(()) } else { Err(breaches) }
}
