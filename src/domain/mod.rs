//! Typed domain values. Each is parsed once at the edge (form, CLI flag,
//! database row) so the rest of the code cannot hold an invalid one.
//! No I/O lives here.

pub mod access;
pub mod audit_chain;
pub mod backup_manifest;
pub mod checkpoint;
pub mod credits;
pub mod crypto;
pub mod delivery_state;
mod email;
pub mod event_type;
pub mod expiry;
pub mod expiry_choice;
pub mod export_check;
pub mod forms;
pub mod ids;
pub mod key_health;
pub mod key_json;
pub mod key_policy;
pub mod key_reach;
pub mod key_settings;
pub mod key_state;
pub mod leak;
pub mod link_token;
mod names;
pub mod nav;
mod password;
pub mod records;
pub mod resource;
mod role;
pub mod scim;
pub mod scopes;
pub mod second_factor;
mod slug;
pub mod sso;
pub mod ssrf;
pub mod timefmt;
pub mod token;
pub mod urls;
pub mod user_agent;
pub mod verify;
pub mod webhook_url;

pub use email::Email;
pub use ids::{OrgId, UserId};
pub use names::{OrgName, PersonName};
pub use password::Password;
pub use role::{Plan, Role};
pub use slug::OrgSlug;

/// Why a value was refused; the message is written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
