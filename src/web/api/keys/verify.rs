//! `POST /api/v1/keys/verify` (`keys:verify`; docs/api-guide.md: Verifying
//! keys): a team's service asks whether a key it was given may make a
//! request. Always 200 for a well-formed body; the answer's `code` says why
//! not. The verified key must belong to the calling key's organisation.

use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::app::verify::{Asker, Verdict, verify as verify_key};
use crate::domain::scopes::Management;
use crate::domain::verify::{VerifyCode, parse};
use crate::infra::rate_limit::Decision;
use crate::web::api::auth::BearerKey;
use crate::web::api::body::json_object;
use crate::web::api::error::ApiError;
use crate::web::api::management::time;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// `{"limit","remaining","reset"}`: `reset` is the seconds until the limit
/// is whole again (until the next request is allowed, when limited).
fn rate(decision: Option<Decision>) -> Value {
    match decision {
        Some(Decision::Allowed { limit, remaining }) => {
            let reset = u64::from(limit.saturating_sub(remaining)) * 60 / u64::from(limit.max(1));
            json!({"limit": limit, "remaining": remaining, "reset": reset})
        }
        Some(Decision::Limited { limit, retry_after_secs }) => {
            json!({"limit": limit, "remaining": 0, "reset": retry_after_secs})
        }
        Some(Decision::Unlimited) | None => Value::Null,
    }
}

/// The answer: the code, and what is known of the key (nothing for a key not found).
pub fn answer(verdict: &Verdict) -> Value {
    let names = |list: &[crate::domain::access::PermissionSlug]| list.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let key = verdict.found.as_deref();
    json!({
        "valid": verdict.code == VerifyCode::Valid,
        "code": verdict.code.as_str(),
        "key_id": key.map(|(k, _)| k.key_id.to_string()),
        "org": key.map(|(_, org)| org.slug.to_string()),
        "api": key.map(|(k, _)| k.scopes().api().to_string()),
        "owner_id": key.and_then(|(k, _)| k.owner_id.clone()),
        "metadata": key.and_then(|(k, _)| k.metadata_value()),
        "permissions": names(&verdict.permissions),
        "roles": key.map_or_else(Vec::new, |(k, _)| k.scopes().access().roles.iter().map(ToString::to_string).collect()),
        "expires_at": key.map_or(Value::Null, |(k, _)| time(k.expires_at)),
        "missing": names(&verdict.missing),
        "ratelimit": rate(verdict.rate),
    })
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The scope alone decides (no caller to build: this path is as hot as the API's).
    if !key.key().scopes().grants(Management::KeysVerify) {
        return Err(crate::app::caller::Denied::Scope(Management::KeysVerify).into());
    }
    let body = json_object(&req, payload).await?;
    let input = parse(&body).map_err(ApiError::validation)?;
    let verdict = verify_key(&state, Asker::Service(key.org().id), &input, &meta).await?;
    Ok(HttpResponse::Ok().json(answer(&verdict)))
}
