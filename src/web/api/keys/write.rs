//! Changing keys through the management API: create, PATCH, delete, revoke,
//! rotate (and a key rotating itself). Each handler reads the request and
//! calls the same use case as the console (`app::keys`), which checks the
//! scope, escalation (403 `scope_escalation`) and the org's key policy (422)
//! and records the change as the calling key; `refusals.rs` says how each
//! refusal is answered.

use super::shown;
use crate::app::audit::RequestMeta;
use crate::app::keys::{self, Change, Once, Op};
use crate::app::state::AppState;
use crate::domain::key_json;
use crate::domain::key_settings::Grace;
use crate::domain::records::FieldError;
use crate::domain::timefmt::now;
use crate::domain::token::ApiKeySecret;
use crate::web::api::auth::BearerKey;
use crate::web::api::body::json_object;
use crate::web::api::error::ApiError;
use crate::web::api::management::{idempotency_key, location};
use crate::web::api::refusals;
use actix_web::{HttpRequest, HttpResponse, web};

/// What the request's `Idempotency-Key` makes of it.
fn once(req: &HttpRequest, key: &BearerKey) -> Result<Once, ApiError> {
    Ok(match idempotency_key(req)? {
        Some(k) => Once::Idempotency { caller: key.key().key_id.to_string(), key: k },
        None => Once::Unique,
    })
}

/// 201 with the new key and its token (the only time it is shown), or 409
/// `already_created` naming the key an earlier request with the same
/// `Idempotency-Key` made.
async fn created(state: &AppState, result: keys::Issued) -> Result<HttpResponse, ApiError> {
    let (new, secret): (_, ApiKeySecret) = refusals::issued(result)?;
    let mut body = shown(state, &new).await?;
    body["token"] = secret.expose().into();
    Ok(HttpResponse::Created().insert_header(location("keys", new.key_id.as_str())).json(body))
}

/// `POST /api/v1/keys` (`keys:write`).
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    keys::authorize(&caller, Op::Create)?;
    let body = json_object(&req, payload).await?;
    let change = key_json::parse(&body, (None, false), now()).map_err(ApiError::validation)?;
    created(&state, keys::create(&state, &caller, (change.settings, change.credits), once(&req, &key)?).await?).await
}

/// `PATCH /api/v1/keys/{key_id}` (`keys:write`): the create fields plus `enabled`.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    // An unknown key is 404 whatever the body says.
    keys::find(&state, &caller, Op::Edit, &path).await?;
    let body = json_object(&req, payload).await?;
    let changed = keys::edit(&state, &caller, &path, Change::Patch(body)).await?;
    Ok(HttpResponse::Ok().json(shown(&state, &changed).await?))
}

/// `DELETE /api/v1/keys/{key_id}` (`keys:write`): 204.
pub async fn delete(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    keys::delete(&state, &key.caller(meta), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/keys/{key_id}/revoke` (`keys:write`): 200 with the revoked key.
pub async fn revoke(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let revoked = keys::revoke(&state, &key.caller(meta), &path).await?;
    Ok(HttpResponse::Ok().json(shown(&state, &revoked).await?))
}

/// The `grace` of a rotation body.
async fn grace(req: &HttpRequest, payload: web::Payload) -> Result<Grace, ApiError> {
    let body = json_object(req, payload).await?;
    let mut errors: Vec<FieldError> = body
        .keys()
        .filter(|k| *k != "grace")
        .map(|k| FieldError { field: k.clone(), message: "is not a field this request takes".into() })
        .collect();
    let grace = match body.get("grace").and_then(|g| g.as_str()).map(Grace::parse) {
        Some(Ok(grace)) => Some(grace),
        _ => {
            errors.push(FieldError { field: "grace".into(), message: "must be one of none, 1h, 24h, 7d".into() });
            None
        }
    };
    match grace {
        Some(grace) if errors.is_empty() => Ok(grace),
        _ => Err(ApiError::validation(errors)),
    }
}

/// `POST /api/v1/keys/{key_id}/rotate` (`keys:write`) with `{"grace": …}`: 201, the replacement and its token.
pub async fn rotate(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    keys::find(&state, &caller, Op::Rotate, &path).await?;
    let grace = grace(&req, payload).await?;
    created(&state, keys::rotate(&state, &caller, &path, grace, once(&req, &key)?).await?).await
}

/// `POST /api/v1/keys/self/rotate` (`keys:self_rotate`): the calling key rotates itself.
pub async fn rotate_self(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    keys::authorize(&caller, Op::RotateSelf)?;
    let grace = grace(&req, payload).await?;
    created(&state, keys::rotate_self(&state, &caller, grace, once(&req, &key)?).await?).await
}
