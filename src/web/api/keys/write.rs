//! Changing keys through the management API: create, PATCH, delete, revoke,
//! rotate (and a key rotating itself). Each calls the same use case as the
//! console, so audit entries and webhook events are the same; the caller is
//! recorded as an `api_key` actor. A key can never issue or change a key
//! wider than itself (403 `scope_escalation`), and the org's key policy
//! applies as in the console (422 naming the field and the policy).

use super::{load, object};
use crate::app::audit::RequestMeta;
use crate::app::keys::{self, Issue, Issued, Once};
use crate::app::state::AppState;
use crate::db::api_keys::{ApiKey, KeySettings};
use crate::db::now;
use crate::domain::key_json;
use crate::domain::key_policy::Candidate;
use crate::domain::key_settings::Grace;
use crate::domain::key_state::RevokeCause;
use crate::domain::records::FieldError;
use crate::domain::scopes::Management;
use crate::domain::token::ApiKeySecret;
use crate::web::api::auth::BearerKey;
use crate::web::api::body::json_object;
use crate::web::api::error::{ApiError, Code};
use crate::web::api::management::{actor, idempotency_key, location, require, within, within_settings};
use actix_web::{HttpRequest, HttpResponse, web};

/// 422 naming each rule of the org's key policy that `settings` break.
fn meets_policy(key: &BearerKey, settings: &KeySettings) -> Result<(), ApiError> {
    let breaches = key.org().key_policy.breaches(&Candidate::of(settings), now());
    if breaches.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(
        breaches.into_iter().map(|b| FieldError { field: b.field.into(), message: b.message }).collect(),
    ))
}

/// 422 on `key_id` when the key cannot be changed any more.
fn state_conflict(message: &str) -> ApiError {
    ApiError::validation(vec![FieldError { field: "key_id".into(), message: message.into() }])
}

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
fn issued(result: Issued, secret: ApiKeySecret) -> Result<HttpResponse, ApiError> {
    match result {
        Issued::Created(new) => {
            let mut body = object(&new);
            body["token"] = secret.expose().into();
            Ok(HttpResponse::Created().insert_header(location("keys", new.key_id.as_str())).json(body))
        }
        Issued::AlreadySubmitted(first) => Err(already_created(first)),
        Issued::NotRotatable => Err(not_rotatable()),
    }
}

/// 409 for a key that is revoked or was rotated already (perhaps by a
/// concurrent request a moment ago).
fn not_rotatable() -> ApiError {
    state_conflict("is revoked or was already rotated; rotate its replacement instead")
}

/// 409 `already_created`, naming the key the first request made.
fn already_created(first: Option<String>) -> ApiError {
    let mut err = ApiError::new(Code::AlreadyCreated);
    err.key_id = first.map(String::into_boxed_str);
    err
}

/// `POST /api/v1/keys` (`keys:write`).
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require(&key, Management::KeysWrite)?;
    let body = json_object(&req, payload).await?;
    let change = key_json::parse(&body, None, now()).map_err(ApiError::validation)?;
    within_settings(&key, &change.settings, state.config.default_rate_limit)?;
    meets_policy(&key, &change.settings)?;
    let (new, secret) =
        Issue::new(key.org().id, &state.config.key_prefix, once(&req, &key)?, change.settings, actor(&key));
    let by = actor(&key);
    let result = state.db.run(move |conn| keys::create(conn, &new, &by, &meta)).await?;
    issued(result, secret)
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
    require(&key, Management::KeysWrite)?;
    let old = load(&state, &key, path.into_inner()).await?;
    let body = json_object(&req, payload).await?;
    if old.revoked_at.is_some() {
        return Err(state_conflict("is revoked; a revoked key cannot be changed"));
    }
    let change = key_json::parse(&body, Some((&old.settings(), old.enabled)), now()).map_err(ApiError::validation)?;
    within(&key, old.scopes())?;
    within_settings(&key, &change.settings, state.config.default_rate_limit)?;
    meets_policy(&key, &change.settings)?;
    let (enabled, by) = (change.enabled.unwrap_or(old.enabled), actor(&key));
    let changed = state
        .db
        .run(move |conn| {
            keys::update(conn, &old, &change.settings, enabled, &by, &meta)?;
            keys::reload(conn, &old)
        })
        .await?;
    // Narrower scopes, a new allowlist or `enabled: false` hold on every instance before the answer.
    state.key_cache.confirm(&state.db).await;
    Ok(HttpResponse::Ok().json(object(&changed)))
}

/// `DELETE /api/v1/keys/{key_id}` (`keys:write`): 204.
pub async fn delete(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&key, Management::KeysWrite)?;
    let old = load(&state, &key, path.into_inner()).await?;
    let by = actor(&key);
    state.db.run(move |conn| keys::delete(conn, &old, &by, &meta)).await?;
    state.key_cache.confirm(&state.db).await;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/keys/{key_id}/revoke` (`keys:write`): 200 with the revoked key.
pub async fn revoke(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    require(&key, Management::KeysWrite)?;
    let old = load(&state, &key, path.into_inner()).await?;
    let by = actor(&key);
    let revoked = state
        .db
        .run(move |conn| {
            keys::revoke(conn, &old, &by.display_name(), &by, &meta, RevokeCause::ByApiKey)?;
            keys::reload(conn, &old)
        })
        .await?;
    state.key_cache.confirm(&state.db).await;
    Ok(HttpResponse::Ok().json(object(&revoked)))
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

/// Rotates `old` for the caller: the replacement takes its settings (expiry
/// capped by the key policy) and must meet the policy.
async fn rotate_key(
    req: &HttpRequest,
    state: &AppState,
    key: &BearerKey,
    meta: RequestMeta,
    (old, grace): (ApiKey, Grace),
) -> Result<HttpResponse, ApiError> {
    let once = once(req, key)?;
    if !old.can_rotate(now()) {
        // A retry of the rotation that did it is answered as a repeat, not as a conflict.
        let (org_id, retry) = (key.org().id, once.clone());
        let first = state.db.run(move |conn| keys::issued_before(conn, org_id, &retry)).await?;
        return match first {
            Some(first) => Err(already_created(Some(first))),
            None => Err(not_rotatable()),
        };
    }
    let settings = keys::replacement(&old, &key.org().key_policy);
    within_settings(key, &settings, state.config.default_rate_limit)?;
    meets_policy(key, &settings)?;
    let (mut new, secret) = Issue::new(key.org().id, &state.config.key_prefix, once, settings, actor(key));
    new.rotated_from = Some(old.key_id.to_string());
    let by = actor(key);
    let result = state.db.run(move |conn| keys::rotate(conn, &old, &new, grace, &by, &meta)).await?;
    // Without grace the old key is revoked now: every instance refuses it before the answer.
    state.key_cache.confirm(&state.db).await;
    issued(result, secret)
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
    require(&key, Management::KeysWrite)?;
    let old = load(&state, &key, path.into_inner()).await?;
    let grace = grace(&req, payload).await?;
    rotate_key(&req, &state, &key, meta, (old, grace)).await
}

/// `POST /api/v1/keys/self/rotate` (`keys:self_rotate`): the calling key rotates itself.
pub async fn rotate_self(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require(&key, Management::KeysSelfRotate)?;
    let grace = grace(&req, payload).await?;
    let own = load(&state, &key, key.key().key_id.to_string()).await?;
    rotate_key(&req, &state, &key, meta, (own, grace)).await
}
