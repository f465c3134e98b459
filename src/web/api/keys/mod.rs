//! `/api/v1/keys`: the organisation's API keys for keys holding `keys:read`
//! / `keys:write`, and `/api/v1/keys/self` for any key (docs/api-guide.md: Management
//! API → Keys). Reading here; changes in `write.rs`.

pub mod write;

use super::auth::BearerKey;
use super::error::{ApiError, Code};
use super::management::{require, time};
use crate::app::state::AppState;
use crate::db::api_keys::{self, ApiKey, ListQuery, Sort};
use crate::db::now;
use crate::domain::key_state::KeyState;
use crate::domain::records::FieldError;
use crate::domain::scopes::Management;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// A key as the management API shows it (never its token or hash).
pub fn object(key: &ApiKey) -> Value {
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
        "state": key.state(now()).as_str(),
        "enabled": key.enabled,
        "expires_at": time(key.expires_at),
        "allowed_ips": key.allowlist().ranges(),
        "rate_limit_per_minute": key.rate_limit_per_minute,
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

/// One of the caller's organisation's keys, or 404.
pub async fn load(state: &AppState, key: &BearerKey, key_id: String) -> Result<ApiKey, ApiError> {
    let org_id = key.org().id;
    let found = state.db.run(move |conn| api_keys::find(conn, org_id, &key_id)).await?;
    found.ok_or_else(|| ApiError::new(Code::NotFound))
}

/// `?state=` and `?q=` of the list (limit and cursor are read like every list's).
fn filters(query: &str) -> Result<(Option<KeyState>, Option<String>), Vec<FieldError>> {
    let pairs: Vec<(String, String)> = serde_html_form::from_str(query).unwrap_or_default();
    let (mut state, mut search) = (None, None);
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
            _ => {}
        }
    }
    Ok((state, search))
}

/// `GET /api/v1/keys` (`keys:read`): oldest first, keyset pages.
pub async fn list(req: HttpRequest, state: web::Data<AppState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    require(&key, Management::KeysRead)?;
    let (limit, after) = super::resources::list_params(req.query_string()).map_err(ApiError::query_validation)?;
    let (key_state, search) = filters(req.query_string()).map_err(ApiError::query_validation)?;
    let org_id = key.org().id;
    let query = ListQuery {
        search,
        state: key_state,
        attention: false,
        sort: Sort::Oldest,
        offset: 0,
        limit: limit + 1,
        after_id: Some(after),
    };
    let rows = state.db.run(move |conn| api_keys::list(conn, org_id, &query, now())).await?;
    Ok(HttpResponse::Ok().json(super::page_body(&rows, limit, |k| k.id, object)))
}

/// `GET /api/v1/keys/{key_id}` (`keys:read`).
pub async fn get(
    state: web::Data<AppState>,
    key: BearerKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&key, Management::KeysRead)?;
    let found = load(&state, &key, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(object(&found)))
}

/// `GET /api/v1/keys/self`: the calling key, for any key.
pub async fn get_self(state: web::Data<AppState>, key: BearerKey) -> Result<HttpResponse, ApiError> {
    let own = load(&state, &key, key.key().key_id.to_string()).await?;
    Ok(HttpResponse::Ok().json(object(&own)))
}
