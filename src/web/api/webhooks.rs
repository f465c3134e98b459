//! `/api/v1/webhooks` (`webhooks:read` / `webhooks:write`; docs/api-guide.md:
//! Management API): the organisation's webhook endpoints, through the same
//! use cases, URL checks (the SSRF guard) and test send as the console. A
//! signing secret is answered once: on create and on rotate-secret.

use super::auth::BearerKey;
use super::body::{json_object, optional_json_object};
use super::error::ApiError;
use super::management::{location, time};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::app::webhooks::{self, Endpoint, EndpointFields, Op, Overlap, events, examples, target};
use crate::domain::event_type::EventType;
use crate::domain::records::FieldError;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

/// An endpoint as the API shows it (never its secret).
fn object(hook: &Endpoint) -> Value {
    json!({
        "id": hook.public_id,
        "url": hook.url,
        "description": hook.description,
        "events": hook.event_list(),
        "enabled": hook.enabled,
        "disabled_reason": hook.disabled_reason,
        "created_at": time(Some(hook.created_at)),
        "created_by_key": hook.created_by_key,
    })
}

pub(super) fn field(name: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: name.into(), message: message.into() }
}

/// The endpoint a body asks for, over `base` (a PATCH) or from scratch
/// (a create: `url` and `events` required), and `enabled` if given.
async fn fields(
    state: &AppState,
    body: &Map<String, Value>,
    base: Option<&Endpoint>,
) -> Result<(EndpointFields, Option<bool>), ApiError> {
    let mut errors = Vec::new();
    let allowed: &[&str] =
        if base.is_some() { &["url", "events", "description", "enabled"] } else { &["url", "events", "description"] };
    errors.extend(
        body.keys().filter(|k| !allowed.contains(&k.as_str())).map(|k| field(k, "is not a field this request takes")),
    );
    let text = |name: &str, current: Option<String>| match body.get(name) {
        None => Ok(current),
        Some(Value::String(v)) => Ok(Some(v.trim().to_owned())),
        Some(_) => Err(field(name, "must be a string")),
    };
    let url = match text("url", base.map(|h| h.url.clone())) {
        Ok(None) => Err(field("url", "is required")),
        other => other,
    }
    .map_err(|e| errors.push(e))
    .ok()
    .flatten();
    let description = text("description", base.map(|h| h.description.clone()))
        .unwrap_or_else(|e| {
            errors.push(e);
            None
        })
        .unwrap_or_default();
    // Counted as sent, like every text of the API.
    if body.get("description").and_then(Value::as_str).is_some_and(|d| d.chars().count() > 500) {
        errors.push(field("description", "Use at most 500 characters."));
    }
    let events = match body.get("events") {
        None => base.map(|h| h.events.clone()).ok_or_else(|| field("events", "is required")),
        Some(Value::Array(items)) => {
            let names: Vec<String> = items.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect();
            events::parse(&names).map_err(|e| field("events", e))
        }
        Some(_) => Err(field("events", "must be an array of event types")),
    }
    .map_err(|e| errors.push(e))
    .ok();
    let enabled = match body.get("enabled") {
        None => None,
        Some(v) => v.as_bool().or_else(|| {
            errors.push(field("enabled", "must be true or false"));
            None
        }),
    };
    let url = match url {
        None => None,
        Some(u) if base.is_some_and(|h| h.url == u) => Some(u),
        Some(u) => {
            let config = &state.config;
            target::check(&u, config.webhook_allow_insecure, config.webhook_allow_private)
                .await
                .map_err(|e| errors.push(field("url", e)))
                .ok()
        }
    };
    match (url, events) {
        (Some(url), Some(events)) if errors.is_empty() => Ok((EndpointFields { url, description, events }, enabled)),
        _ => Err(ApiError::validation(errors)),
    }
}

/// `GET /api/v1/webhooks` (`webhooks:read`): every endpoint, oldest first.
pub async fn list(state: web::Data<AppState>, key: BearerKey, meta: RequestMeta) -> Result<HttpResponse, ApiError> {
    let hooks = webhooks::list(&state, &key.caller(meta)).await?;
    Ok(HttpResponse::Ok().json(json!({ "data": hooks.iter().map(object).collect::<Vec<_>>(), "next_cursor": null })))
}

/// `POST /api/v1/webhooks` (`webhooks:write`): 201 with the endpoint and its `secret`.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    webhooks::authorize(&caller, Op::Write)?;
    let body = json_object(&req, payload).await?;
    let (fields, _) = fields(&state, &body, None).await?;
    let (hook, secret) = webhooks::create(&state, &caller, fields).await?;
    let mut answer = object(&hook);
    answer["secret"] = secret.expose().into();
    Ok(HttpResponse::Created().insert_header(location("webhooks", &hook.public_id)).json(answer))
}

/// `GET /api/v1/webhooks/{id}` (`webhooks:read`).
pub async fn get(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(object(&webhooks::find(&state, &key.caller(meta), Op::Read, &path).await?)))
}

/// `PATCH /api/v1/webhooks/{id}` (`webhooks:write`): `url`, `events`, `description`, `enabled`.
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    let hook = webhooks::find(&state, &caller, Op::Write, &path).await?;
    let body = json_object(&req, payload).await?;
    let (fields, enabled) = fields(&state, &body, Some(&hook)).await?;
    let changed = webhooks::update(&state, &caller, &path, fields, enabled).await?;
    Ok(HttpResponse::Ok().json(object(&changed)))
}

/// `DELETE /api/v1/webhooks/{id}` (`webhooks:write`): 204.
pub async fn delete(
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete(&state, &key.caller(meta), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The only option an action's body may carry: absent = `None`; another
/// field, or a value that is not a string, is refused.
fn only_option<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    let mut errors: Vec<FieldError> =
        body.keys().filter(|k| *k != name).map(|k| field(k, "is not a field this request takes")).collect();
    let value = match body.get(name) {
        None => None,
        Some(Value::String(v)) => Some(v.as_str()),
        Some(_) => {
            errors.push(field(name, "must be a string"));
            None
        }
    };
    if errors.is_empty() { Ok(value) } else { Err(ApiError::validation(errors)) }
}

/// `POST /api/v1/webhooks/{id}/test` (`webhooks:write`): what the console's
/// panel shows. An optional body `{"event": "<type>"}` sends an example of
/// that type (default `webhook.test`).
pub async fn test(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    webhooks::find(&state, &caller, Op::Write, &path).await?;
    let body = optional_json_object(&req, payload).await?;
    let event_type = match only_option(&body, "event")? {
        None => EventType::WebhookTest,
        Some(asked) => examples::choices()
            .into_iter()
            .find(|t| t.as_str() == asked)
            .ok_or_else(|| ApiError::validation(vec![field("event", "is not an event type")]))?,
    };
    let attempt = webhooks::send_test(&state, &caller, &path, event_type).await?;
    let headers: Map<String, Value> = attempt.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    Ok(HttpResponse::Ok().json(json!({
        "status_code": attempt.status,
        "latency_ms": attempt.latency_ms,
        "headers": headers,
        "body": attempt.body,
        "error": attempt.error.as_ref().map(|(class, message)| json!({"class": class, "message": message})),
    })))
}

/// `POST /api/v1/webhooks/{id}/rotate-secret` (`webhooks:write`): the new `secret`, once;
/// the previous one keeps signing for the optional body's `overlap` (`1h`, `24h` default, `7d`).
pub async fn rotate_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    meta: RequestMeta,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = key.caller(meta);
    webhooks::find(&state, &caller, Op::Write, &path).await?;
    let body = optional_json_object(&req, payload).await?;
    let overlap = match only_option(&body, "overlap")? {
        None => Overlap::OneDay,
        Some(asked) => Overlap::ALL
            .into_iter()
            .find(|o| o.as_str() == asked)
            .ok_or_else(|| ApiError::validation(vec![field("overlap", "Choose 1h, 24h or 7d.")]))?,
    };
    let (hook, secret) = webhooks::rotate_secret(&state, &caller, &path, overlap).await?;
    let mut answer = object(&hook);
    answer["secret"] = secret.expose().into();
    Ok(HttpResponse::Ok().json(answer))
}
