//! `/api/v1/owners/{owner_id}/limits` (`keys:write`; docs/api-guide.md:
//! Rate limits → Owner limits): the rate limit all of an owner's keys share.

use super::auth::BearerKey;
use super::body::json_object;
use super::error::ApiError;
use crate::app::audit::RequestMeta;
use crate::app::keys;
use crate::app::state::AppState;
use crate::domain::key_settings::parse_rate_limit;
use crate::domain::records::{FieldError, whole_number};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// `{"rate_limit_per_minute": n}`: `Some(n)`, or `None` for null or 0 (no owner limit).
fn limit(body: &serde_json::Map<String, Value>) -> Result<Option<u32>, Vec<FieldError>> {
    let field = |message: &str| vec![FieldError { field: "rate_limit_per_minute".into(), message: message.into() }];
    if let Some(name) = body.keys().find(|k| *k != "rate_limit_per_minute") {
        return Err(vec![FieldError { field: name.clone(), message: "is not a field this request takes".into() }]);
    }
    match body.get("rate_limit_per_minute") {
        None => Err(field("is required (null removes the owner's limit)")),
        Some(Value::Null) => Ok(None),
        Some(value) => match whole_number(value) {
            Some(whole) => {
                let parsed = parse_rate_limit(&whole.to_string()).map_err(|e| field(&e.0))?;
                Ok(parsed.filter(|n| *n > 0))
            }
            None => Err(field("must be a whole number of requests per minute, or null for none")),
        },
    }
}

/// An owner id as this path takes it: 1–128 letters, digits and `. _ : @ -`
/// (what ids of customers, accounts and e-mail addresses are made of; the
/// OpenAPI document says the same).
fn path_owner(raw: &str) -> Result<&str, Vec<FieldError>> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_:@".contains(c);
    if (1..=128).contains(&raw.len()) && raw.chars().all(allowed) {
        Ok(raw)
    } else {
        let message = "must be 1 to 128 letters, digits and . _ : @ - (set limits for such owner ids)";
        Err(vec![FieldError { field: "owner_id".into(), message: message.into() }])
    }
}

/// `PUT /api/v1/owners/{owner_id}/limits`.
pub async fn put_limits(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    keys::authorize(&caller, keys::Op::Edit)?;
    let owner = path_owner(&path).map_err(ApiError::validation)?;
    let body = json_object(&req, payload).await?;
    let limit = limit(&body).map_err(ApiError::validation)?;
    let set = keys::set_owner_limit(&state, &caller, owner, limit).await?;
    Ok(HttpResponse::Ok().json(json!({
        "owner_id": set.owner_id.as_str(),
        "rate_limit_per_minute": set.rate_limit_per_minute,
        "keys": set.keys,
    })))
}
