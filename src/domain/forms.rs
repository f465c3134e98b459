//! The console's forms as a browser submits them: every field a string (or
//! a list of them), missing fields empty, so any body decodes or fails
//! cleanly (the fuzz target `form_decoders` holds them to that). The pages
//! parse each field into its typed value and re-render the form with the
//! person's input and an error next to the field. No `Debug`: some carry a
//! password, which must never reach a log line.

use serde::Deserialize;

/// Create or edit a key (`/orgs/{slug}/keys/new`, `…/keys/{id}/edit`).
#[derive(Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub description: String,
    /// The API the key is for (a slug; empty = the sample).
    #[serde(default)]
    pub api: String,
    /// `full` or `custom`: the explicit access choice.
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// The expiry choice: `7`, `30`, `60`, `90` (days), `custom` (then
    /// `expires_at` applies), `never`; empty = `expires_at` alone, as before.
    #[serde(default)]
    pub expires_in: String,
    #[serde(default)]
    pub expires_at: String,
    #[serde(default)]
    pub allowed_ips: String,
    #[serde(default)]
    pub rate_limit_per_minute: String,
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub metadata: String,
    #[serde(default)]
    pub enabled: Option<String>,
    /// The one-time form id that makes a double submit create one key.
    #[serde(default)]
    pub form_id: String,
    /// Widening a key outside sudo mode asks for the password on the form itself.
    #[serde(default)]
    pub password: String,
    /// Stands in for the password for a user with a second factor.
    #[serde(default)]
    pub code: String,
}

/// Log in (`/login`).
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    /// Where to go after logging in (checked to stay on this site).
    #[serde(default)]
    pub next: String,
}

/// Invite someone to the org (`/orgs/{slug}/members`).
#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
}

/// Change a member's role.
#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    pub role: String,
}

/// Add or edit a webhook endpoint.
#[derive(Deserialize)]
pub struct HookForm {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub events: Vec<String>,
}

/// Define a new API (`/orgs/{slug}/settings/apis`).
#[derive(Default, Deserialize)]
pub struct ApiForm {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    /// Host names, separated by commas or new lines.
    #[serde(default)]
    pub hosts: String,
    /// `deny` or `allow`.
    #[serde(default)]
    pub unmatched: String,
}

/// Replace an API's whole definition (the JSON document, pasted or uploaded).
#[derive(Default, Deserialize)]
pub struct DefinitionForm {
    #[serde(default)]
    pub definition: String,
}

/// Import routes and permissions from an OpenAPI document.
#[derive(Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    pub openapi: String,
    /// `preview` shows what would change; `import` saves it.
    #[serde(default)]
    pub action: String,
}
