//! What every management API handler shares (docs/api-guide.md: Management API): the
//! management-scope check, the acting key as an audit actor, the
//! no-escalation rule, `Idempotency-Key`, and time stamps as the API writes them.

use super::auth::BearerKey;
use super::error::{ApiError, Code};
use crate::app::audit::Actor;
use crate::db::api_keys::KeySettings;
use crate::domain::records::FieldError;
use crate::domain::scopes::{Management, Scopes};
use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use serde_json::{Value, json};

/// 403 `insufficient_scope` naming the management scope needed, unless the key holds it.
pub fn require(key: &BearerKey, scope: Management) -> Result<(), ApiError> {
    if key.key().scopes().grants(scope) {
        return Ok(());
    }
    Err(ApiError::with_message(
        Code::InsufficientScope,
        format!(
            "This API key needs the {} scope for this request (management scopes are never part of full access).",
            scope.name()
        ),
    ))
}

/// The calling key, as the audit log and webhook events record it.
pub fn actor(key: &BearerKey) -> Actor {
    let k = key.key();
    Actor::ApiKey { key_id: k.key_id.to_string(), prefix: k.display_prefix.clone(), label: k.label.clone() }
}

/// 403 `scope_escalation` unless the calling key holds every scope of `target`.
pub fn within(key: &BearerKey, target: &Scopes) -> Result<(), ApiError> {
    if key.key().scopes().covers(target) { Ok(()) } else { Err(ApiError::new(Code::ScopeEscalation)) }
}

/// 403 `scope_escalation`, naming the JSON field, unless a key with
/// `target`'s settings would be at most as capable as the calling key in
/// every setting (scopes, allowlist, expiry, rate limit). A key changing
/// itself is held to its own settings, so it cannot loosen them either.
pub fn within_settings(key: &BearerKey, target: &KeySettings, default_limit: u32) -> Result<(), ApiError> {
    match target.wider_than(&key.key().settings(), default_limit) {
        None => Ok(()),
        Some(field) => Err(ApiError::with_message(
            Code::ScopeEscalation,
            format!(
                "`{field}` would give the key more than the calling key has; an API key can only create, \
                 change or rotate keys at most as capable as itself. Nothing was changed."
            ),
        )),
    }
}

/// The `Idempotency-Key` header: absent, or 1–255 visible ASCII characters.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else { return Ok(None) };
    match value.to_str() {
        Ok(v) if (1..=255).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(v.to_owned())),
        _ => Err(ApiError::validation(vec![FieldError {
            field: "Idempotency-Key".into(),
            message: "must be 1 to 255 visible ASCII characters".into(),
        }])),
    }
}

/// A time as the API writes it (RFC 3339, UTC, whole seconds), or null.
pub fn time(t: Option<NaiveDateTime>) -> Value {
    json!(t.map(|t| t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
}

/// Where an object now lives, for `Location`.
pub fn location(path: &str, id: &str) -> (&'static str, String) {
    ("Location", format!("/api/v1/{path}/{id}"))
}
