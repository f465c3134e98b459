//! Settings → API keys (docs/user-guide.md: API keys; docs/ARCHITECTURE.md): list, create with a one-time secret,
//! detail, edit, and the actions of the three-dot menu.

pub mod actions;
pub mod detail;
pub mod form;
pub mod list;
pub mod lookup;
pub mod reach;
pub mod requests;

use super::sudo::{Answer, Needs, Sudo};
use crate::app::keys::{self, ApiKey};
use crate::app::state::AppState;
use crate::domain::key_policy::KeyPolicy;
use crate::domain::key_state::KeyState;
use crate::domain::timefmt::{self, now};
use crate::domain::urls::KeyPages;
use crate::web::auth::{OrgMember, session};
use crate::web::error::AppError;
use actix_session::Session;
use chrono::NaiveDateTime;

pub use crate::domain::key_health::VIOLATES_POLICY;

/// The mark of a live key whose maker the identity provider deprovisioned.
pub const CREATOR_DEPROVISIONED: &str = "deprovisioned creator";

/// The links of the organisation's key pages (Settings → API keys).
pub fn links(slug: &str) -> KeyPages {
    KeyPages::org(slug)
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
    pub scopes: Vec<String>,
    pub state: &'static str,
    pub marks: Vec<&'static str>,
    pub created_iso: String,
    pub created_exact: String,
    pub created_relative: String,
    pub created_by: String,
    pub last_used: Option<(String, String, String)>,
    pub last_used_ip: String,
    /// When it stops working: its expiry, or the end of its rotation's grace when that comes first.
    pub expires: Option<(String, String, String)>,
    /// The end shown is the rotation's grace ("Ends in 23 hours (rotation)").
    pub ends_by_rotation: bool,
    pub revoked: Option<(String, String)>,
    pub allowed_ips: Vec<String>,
    pub rate_limit: String,
    pub rotated_from: String,
    pub replaced_by: String,
    pub grace_until: Option<String>,
    pub enabled: bool,
    /// The API it belongs to, and the grants and roles it holds there.
    pub api: String,
    pub permissions: Vec<String>,
    pub roles: Vec<String>,
    pub owner_id: String,
    /// Pretty-printed JSON; empty when it has none.
    pub metadata: String,
}

/// (iso, exact, relative) of a time.
fn times(t: &NaiveDateTime, at: &NaiveDateTime) -> (String, String, String) {
    (timefmt::iso(t), timefmt::exact(t), timefmt::relative(t, at))
}

impl KeyView {
    /// Adds the "violates policy" mark to a live key that breaks a rule of
    /// `policy` (made before the rule was tightened: it keeps working).
    pub fn with_policy(mut self, key: &ApiKey, policy: &KeyPolicy) -> Self {
        if keys::violates(key, policy) {
            self.marks.push(VIOLATES_POLICY);
        }
        self
    }

    pub fn new(key: &ApiKey, default_rate_limit: u32) -> Self {
        let at = now();
        let state = key.state(at);
        let scopes = key.scopes();
        let grace = key.grace_until.filter(|_| state == KeyState::Rotating);
        let end = match (key.expires_at, grace) {
            (Some(expiry), Some(grace)) => Some(expiry.min(grace)),
            (expiry, grace) => expiry.or(grace),
        };
        Self {
            key_id: key.key_id.to_string(),
            label: key.label.clone(),
            description: key.description.clone(),
            prefix: key.display_prefix.clone(),
            full_access: scopes.is_full_access(),
            admin_key: scopes.has_management(),
            scopes: scopes.effective_names(),
            state: state.as_str(),
            marks: {
                let mut marks = keys::health_marks(key, at);
                if key.creator_deprovisioned_at.is_some() && key.revoked_at.is_none() {
                    marks.push(CREATOR_DEPROVISIONED);
                }
                marks
            },
            created_iso: timefmt::iso(&key.created_at),
            created_exact: timefmt::exact(&key.created_at),
            created_relative: timefmt::relative(&key.created_at, &at),
            created_by: key.created_by_name.clone(),
            last_used: key.last_used_at.map(|t| times(&t, &at)),
            last_used_ip: key.last_used_ip.clone().unwrap_or_default(),
            expires: end.map(|t| times(&t, &at)),
            ends_by_rotation: grace.is_some_and(|g| key.expires_at.is_none_or(|e| g <= e)),
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
            api: scopes.api().to_string(),
            permissions: scopes.access().grants.iter().map(ToString::to_string).collect(),
            roles: scopes.access().roles.iter().map(ToString::to_string).collect(),
            owner_id: key.owner_id.clone().unwrap_or_default(),
            metadata: key.metadata_value().and_then(|m| serde_json::to_string_pretty(&m).ok()).unwrap_or_default(),
        }
    }

    pub fn is_revoked(&self) -> bool {
        self.state == "revoked"
    }
}
