//! `/api/v1/keys`: the organisation's API keys for keys holding `keys:read`
//! / `keys:write`, and `/api/v1/keys/self` for any key (docs/api-guide.md: Management
//! API → Keys). Reading here; changes in `write.rs`.

pub mod verify;
pub mod write;

use super::auth::BearerKey;
use super::error::ApiError;
use super::management::time;
use crate::app::audit::RequestMeta;
use crate::app::keys::{self, ApiKey, Op};
use crate::app::state::AppState;
use crate::domain::key_state::KeyState;
use crate::domain::records::FieldError;
use crate::domain::timefmt::now;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// One key as the management API shows it, with its credits left.
pub async fn shown(state: &AppState, key: &ApiKey) -> Result<Value, ApiError> {
    let left = keys::credits_left(state, &[key]).await?;
    Ok(object(key, left.get(&key.id).copied()))
}

/// A key as the management API shows it (never its token or hash), with
/// `credits_left` when it has credits.
pub fn object(key: &ApiKey, credits_left: Option<u64>) -> Value {
    let scopes = key.scopes();
    let created_by = match &key.created_by_key {
        Some(id) => json!({"type": "api_key", "id": id, "name": key.created_by_name}),
        None => json!({"type": "user", "email": key.created_by_email, "name": key.created_by_name}),
    };
    json!({
        "id": key.key_id,
        "label": key.label,
        "description": key.description,
        "prefix": key.display_prefix,
        "scopes": scopes.effective_names(),
        "full_access": scopes.is_full_access(),
        "api": scopes.api().as_str(),
        "permissions": scopes.access().grants,
        "roles": scopes.access().roles,
        "owner_id": key.owner_id,
        "metadata": key.metadata_value(),
        "state": key.state(now()).as_str(),
        "enabled": key.enabled,
        "expires_at": time(key.expires_at),
        "allowed_ips": key.allowlist().ranges(),
        "rate_limit_per_minute": key.rate_limit_per_minute,
        "owner_rate_limit_per_minute": key.limits.owner_rate_limit,
        "credits_remaining": credits_left.filter(|_| key.limits.metered),
        "credits_refill": key.limits.refill.map(crate::domain::credits::Refill::to_json),
        "created_at": time(Some(key.created_at)),
        "created_by": created_by,
        "created_by_key": key.created_by_key,
        "last_used_at": time(key.last_used_at),
        "last_used_ip": key.last_used_ip,
        "revoked_at": time(key.revoked_at),
        "rotated_from": key.rotated_from,
        "replaced_by": key.replaced_by,
    })
}

/// (search, state, owner) of a list request.
type Filters = (Option<String>, Option<KeyState>, Option<String>);

/// `?state=`, `?q=` and `?owner_id=` of the list (limit and cursor are read like every list's).
fn filters(query: &str) -> Result<Filters, Vec<FieldError>> {
    let pairs: Vec<(String, String)> = serde_html_form::from_str(query).unwrap_or_default();
    let (mut state, mut search, mut owner) = (None, None, None);
    for (name, value) in pairs {
        match name.as_str() {
            "state" if !value.is_empty() => match KeyState::parse(&value) {
                Some(s) => state = Some(s),
                None => {
                    let names: Vec<&str> = KeyState::ALL.iter().map(|s| s.as_str()).collect();
                    return Err(vec![FieldError {
                        field: "state".into(),
                        message: format!("must be one of {}", names.join(", ")),
                    }]);
                }
            },
            "q" if !value.trim().is_empty() => search = Some(value.trim().to_owned()),
            "owner_id" if !value.is_empty() => owner = Some(value),
            _ => {}
        }
    }
    Ok((search, state, owner))
}

/// `GET /api/v1/keys` (`keys:read`): oldest first, keyset pages.
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    keys::authorize(&caller, Op::Read)?;
    let (limit, after) = super::resources::list_params(req.query_string()).map_err(ApiError::query_validation)?;
    let filters = filters(req.query_string()).map_err(ApiError::query_validation)?;
    let rows = keys::list_for_api(&state, &caller, filters, (limit + 1, after)).await?;
    let refs: Vec<&ApiKey> = rows.iter().collect();
    let left = keys::credits_left(&state, &refs).await?;
    Ok(HttpResponse::Ok().json(super::page_body(&rows, limit, |k| k.id, |k| object(k, left.get(&k.id).copied()))))
}

/// `GET /api/v1/keys/{key_id}` (`keys:read`).
pub async fn get(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = keys::find(&state, &key.caller(meta), Op::Read, &path).await?;
    Ok(HttpResponse::Ok().json(shown(&state, &found).await?))
}

/// `GET /api/v1/keys/self`: the calling key, for any key.
pub async fn get_self(state: web::Data<AppState>, key: BearerKey, meta: RequestMeta) -> Result<HttpResponse, ApiError> {
    let own = keys::find_own(&state, &key.caller(meta)).await?;
    Ok(HttpResponse::Ok().json(shown(&state, &own).await?))
}
