//! What every management API handler shares (docs/api-guide.md: Management API):
//! `Idempotency-Key`, time stamps as the API writes them, `Location`. The
//! management-scope check and the no-escalation rule are the use cases'
//! (`app::keys`, `app::webhooks`, `app::audit::reads`); `refusals.rs` words them.

use super::error::ApiError;
use crate::domain::records::FieldError;
use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use serde_json::{Value, json};

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
