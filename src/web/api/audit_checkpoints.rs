//! `GET /api/v1/audit-checkpoints` (`audit:read`) — the organisation's
//! signed checkpoints, newest first in keyset pages — and
//! `GET /.well-known/latchkey-audit-key`, the public key that verifies them
//! (docs/user-guide.md: Audit log → Your own verifiable copy).

use super::auth::BearerKey;
use super::error::ApiError;
use crate::app::audit::RequestMeta;
use crate::app::audit_log::{self as reads, StoredCheckpoint};
use crate::app::state::AppState;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde_json::{Value, json};

fn json(c: &StoredCheckpoint) -> Value {
    let mut value = c.checkpoint().to_json();
    value["id"] = json!(c.id.to_string());
    value["public_key"] = json!(c.public_key);
    value
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    reads::authorize(&caller)?;
    let (limit, before) = super::resources::list_params(req.query_string()).map_err(ApiError::query_validation)?;
    let rows = reads::checkpoints(&state, &caller, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let page = &rows[..rows.len().min(limit as usize)];
    Ok(HttpResponse::Ok().json(json!({
        "data": page.iter().map(json).collect::<Vec<_>>(),
        "next_cursor": more.then(|| page.last().map(|c| c.id.to_string())).flatten(),
        "has_more": more,
    })))
}

/// The base64 Ed25519 public key, as plain text.
pub async fn public_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(state.config.compliance.audit_signer.public_key())
}
