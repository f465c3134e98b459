//! Settings → API keys (docs/user-guide.md: API keys; docs/ARCHITECTURE.md): list, create with a one-time secret,
//! detail, edit, and the actions of the three-dot menu.

pub mod actions;
pub mod detail;
pub mod form;
pub mod list;
pub mod lookup;
pub mod requests;

use super::sudo::{Answer, Needs, Sudo};
use crate::app::state::AppState;
use crate::db::api_keys::{self, ApiKey};
use crate::db::now;
use crate::domain::key_policy::{Candidate, KeyPolicy};
use crate::domain::key_state::KeyState;
use crate::domain::timefmt;
use crate::domain::urls::KeyPages;
use crate::domain::{Plan, Role};
use crate::web::auth::{OrgMember, session};
use crate::web::error::AppError;
use actix_session::Session;
use chrono::{Duration, NaiveDateTime};

/// The links of the organisation's key pages (Settings → API keys).
pub fn links(slug: &str) -> KeyPages {
    KeyPages::org(slug)
}

/// Owners and admins only (docs/security-model.md: Roles).
pub fn require_admin(member: &OrgMember) -> Result<(), AppError> {
    member.require(Role::can_manage_settings)
}

/// Creating, rotating and activating need a paid plan; viewing, revoking and deleting do not.
pub fn require_paid(member: &OrgMember) -> Result<(), AppError> {
    if member.org.plan == Plan::Paid { Ok(()) } else { Err(AppError::PlanRequired) }
}

/// Loads one of this organisation's keys, or 404.
pub async fn load_key(state: &AppState, member: &OrgMember, key_id: String) -> Result<ApiKey, AppError> {
    let org_id = member.org.id;
    state.db.run(move |conn| api_keys::find(conn, org_id, &key_id)).await?.ok_or(AppError::NotFound)
}

/// Sudo mode for a key action (docs/user-guide.md: API keys): confirmed when the
/// password (or, for a user with an authenticator app, a code) was confirmed
/// in the last 10 minutes, or the form's `password` / `code` is right now.
pub async fn key_sudo(
    state: &AppState,
    member: &OrgMember,
    session: &Session,
    meta: &crate::app::audit::RequestMeta,
    password: &str,
    code: &str,
) -> Result<Sudo, AppError> {
    let asks = (crate::app::accounts::sudo::Prompt::KeyAction, Needs::OneFactor);
    super::sudo::confirm(state, &member.current, session, meta, asks, Answer { password, code }).await
}

/// Whether a sensitive action on this page must ask for the password.
pub fn needs_sudo(member: &OrgMember) -> bool {
    !session::sudo_fresh(&member.current.login)
}

/// A key as the pages show it.
pub struct KeyView {
    pub key_id: String,
    pub label: String,
    pub description: String,
    pub prefix: String,
    pub full_access: bool,
    /// Holds a management scope: it can change keys, webhooks or read the audit log.
    pub admin_key: bool,
    pub scopes: Vec<&'static str>,
    pub state: &'static str,
    pub marks: Vec<&'static str>,
    pub created_iso: String,
    pub created_exact: String,
    pub created_relative: String,
    pub created_by: String,
    pub last_used: Option<(String, String, String)>,
    pub last_used_ip: String,
    pub expires: Option<(String, String, String)>,
    pub revoked: Option<(String, String)>,
    pub allowed_ips: Vec<String>,
    pub rate_limit: String,
    pub rotated_from: String,
    pub replaced_by: String,
    pub grace_until: Option<String>,
    pub enabled: bool,
}

/// (iso, exact, relative) of a time.
fn times(t: &NaiveDateTime, at: &NaiveDateTime) -> (String, String, String) {
    (timefmt::iso(t), timefmt::exact(t), timefmt::relative(t, at))
}

/// The health mark of a key that breaks the org's key policy.
pub const VIOLATES_POLICY: &str = "violates policy";

/// Whether a key that still works breaks a rule of `policy`.
pub fn violates(key: &ApiKey, policy: &KeyPolicy) -> bool {
    let at = now();
    if policy.is_empty() || matches!(key.state(at), KeyState::Revoked | KeyState::Expired) {
        return false;
    }
    let candidate = Candidate { scopes: key.scopes(), expires_at: key.expires_at, allowlist: key.allowlist() };
    !policy.breaches(&candidate, at).is_empty()
}

/// The health marks (docs/user-guide.md: API keys), for keys that still matter.
pub fn health_marks(key: &ApiKey, state: KeyState, at: NaiveDateTime) -> Vec<&'static str> {
    let mut marks = Vec::new();
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
    if key.created_at <= at - Duration::days(365) && state != KeyState::Rotating && key.replaced_by.is_none() {
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

impl KeyView {
    /// Adds the "violates policy" mark to a live key that breaks a rule of
    /// `policy` (made before the rule was tightened: it keeps working).
    pub fn with_policy(mut self, key: &ApiKey, policy: &KeyPolicy) -> Self {
        if violates(key, policy) {
            self.marks.push(VIOLATES_POLICY);
        }
        self
    }

    pub fn new(key: &ApiKey, default_rate_limit: u32) -> Self {
        let at = now();
        let state = key.state(at);
        let scopes = key.scopes();
        Self {
            key_id: key.key_id.to_string(),
            label: key.label.clone(),
            description: key.description.clone(),
            prefix: key.display_prefix.clone(),
            full_access: scopes.is_full_access(),
            admin_key: scopes.has_management(),
            scopes: scopes.effective_names(),
            state: state.as_str(),
            marks: health_marks(key, state, at),
            created_iso: timefmt::iso(&key.created_at),
            created_exact: timefmt::exact(&key.created_at),
            created_relative: timefmt::relative(&key.created_at, &at),
            created_by: key.created_by_name.clone(),
            last_used: key.last_used_at.map(|t| times(&t, &at)),
            last_used_ip: key.last_used_ip.clone().unwrap_or_default(),
            expires: key.expires_at.map(|t| times(&t, &at)),
            revoked: key.revoked_at.map(|t| (timefmt::exact(&t), key.revoked_by_name.clone().unwrap_or_default())),
            allowed_ips: key.allowlist().ranges(),
            rate_limit: match key.rate_limit_per_minute {
                None => format!("{default_rate_limit}/min (default)"),
                Some(0) => "Unlimited".into(),
                Some(n) => format!("{n}/min"),
            },
            rotated_from: key.rotated_from.clone().unwrap_or_default(),
            replaced_by: key.replaced_by.clone().unwrap_or_default(),
            grace_until: key.grace_until.filter(|_| state == KeyState::Rotating).map(|t| timefmt::exact(&t)),
            enabled: key.enabled,
        }
    }

    pub fn is_revoked(&self) -> bool {
        self.state == "revoked"
    }
}
