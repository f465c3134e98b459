//! The REST API that keys unlock, under `/api/v1` (docs/api-guide.md).

pub mod apis;
pub mod audit_checkpoints;
pub mod audit_events;
pub mod auth;
pub mod body;
pub mod error;
pub mod keys;
pub mod leaks;
pub mod management;
pub mod openapi;
pub mod owners;
pub mod refusals;
pub mod resources;
pub mod scim;
pub mod webhooks;

use crate::app::state::AppState;
use crate::infra::rate_limit::Decision;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use auth::{BearerKey, KeyContext};
use error::{ApiError, Code};

fn set(res: &mut ServiceResponse<impl MessageBody>, name: &'static str, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

/// On every answer to an authenticated request: rate-limit headers,
/// `Api-Key-Expires`, `no-store`, and the key's usage count; and for every
/// request that named a known key, served or refused, an entry in its request log.
pub async fn key_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let mut res = next.call(req).await?;
    let context = res.request().extensions().get::<KeyContext>().copied();
    res.headers_mut().insert(actix_web::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let known = res.request().extensions().get::<auth::KnownKey>().copied();
    if let (Some(known), Some(state)) = (known, res.request().app_data::<web::Data<AppState>>()) {
        log_request(state, &res, known, context.is_some(), started);
    }
    let Some(ctx) = context else { return Ok(res) };
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        state.usage.count(ctx.key_row_id, ctx.org_id, res.status().as_u16());
        // A refused request gives back the credit it took (looked for only on a refusal).
        let spent = (res.status().as_u16() >= 400)
            .then(|| res.request().extensions().get::<auth::SpentCredit>().copied())
            .flatten();
        if let Some(spent) = spent
            && let Err(e) = crate::app::admit::refund_credit(state, spent.key_row_id).await
        {
            tracing::warn!(error = %e, "could not give back the credit of a refused request");
        }
    }
    match ctx.decision {
        Decision::Allowed { limit, remaining } => {
            set(&mut res, "ratelimit-limit", limit.to_string());
            set(&mut res, "ratelimit-remaining", remaining.to_string());
        }
        Decision::Limited { limit, .. } => {
            set(&mut res, "ratelimit-limit", limit.to_string());
            set(&mut res, "ratelimit-remaining", "0".into());
        }
        Decision::Unlimited => {}
    }
    if let Some(expires) = ctx.expires_at {
        set(&mut res, "api-key-expires", expires.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    Ok(res)
}

/// Hands the request to the key's request log, which keeps it or only counts
/// it (a flood); dropped and counted in `/metrics` when it can do neither.
fn log_request(
    state: &AppState,
    res: &ServiceResponse<impl MessageBody>,
    known: auth::KnownKey,
    authenticated: bool,
    started: std::time::Instant,
) {
    if !state.request_log.enabled() {
        return;
    }
    let req = res.request();
    let status = res.status().as_u16();
    let error_code = res.response().extensions().get::<error::AnsweredCode>().map(|c| c.0);
    let key = (known.key_row_id, known.created_at);
    let seen = crate::app::request_log::Seen { key, status, error_code, authenticated, ip: known.ip };
    // Built only for a request the log keeps.
    let entry = || crate::app::request_log::Entry {
        key_row_id: known.key_row_id,
        key_created_at: known.created_at,
        org_id: known.org_id,
        at: crate::domain::timefmt::now(),
        method: req.method().as_str().chars().take(16).collect(),
        path: crate::app::request_log::clip_path(req.path()),
        status,
        error_code,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        ip: known.ip,
        user_agent: req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(crate::app::request_log::clip_user_agent),
        request_id: crate::web::middleware::current_request_id().unwrap_or_default(),
        authenticated,
        repeats: 0,
        tally: None,
        via: crate::app::request_log::Via::Api,
        host: None,
    };
    if !state.request_log.record(seen, entry) {
        state.metrics.request_log_dropped(1);
    }
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3 document (public; no key needed).
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(openapi::document(state.config.public_url.origin()))
}

/// `GET /api/v1/ping`: who am I, for any active key.
pub async fn ping(key: BearerKey) -> HttpResponse {
    #[derive(serde::Serialize)]
    struct Ping<'a> {
        ok: bool,
        org: &'a str,
        key_id: &'a str,
        scopes: Vec<String>,
        full_access: bool,
    }
    let scopes = key.key().scopes();
    HttpResponse::Ok().json(Ping {
        ok: true,
        org: &key.org().slug,
        key_id: &key.key().key_id,
        scopes: scopes.effective_names(),
        full_access: scopes.is_full_access(),
    })
}

/// A list page's body: `{"data", "next_cursor"}` from `rows` fetched with
/// `limit + 1` (the extra row says there is a next page; its cursor is the
/// row id of the page's last object).
pub fn page_body<T>(
    rows: &[T],
    limit: i64,
    row_id: impl Fn(&T) -> i64,
    object: impl Fn(&T) -> serde_json::Value,
) -> serde_json::Value {
    let shown = usize::try_from(limit).unwrap_or(0).min(rows.len());
    let next = (rows.len() > shown && shown > 0).then(|| row_id(&rows[shown - 1]).to_string());
    let data: Vec<serde_json::Value> = rows[..shown].iter().map(object).collect();
    serde_json::json!({ "data": data, "next_cursor": next })
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(Code::NotFound))
}

/// The route that answers a method the path does not take.
pub fn refuse(allow: &'static str) -> actix_web::Route {
    web::to(move || async move { method_not_allowed(allow) })
}

/// 405 `method_not_allowed`, with the methods the path does serve (RFC 9110 §15.5.6).
fn method_not_allowed(allow: &'static str) -> HttpResponse {
    use actix_web::ResponseError;
    let mut res = ApiError::new(Code::MethodNotAllowed).error_response();
    res.headers_mut().insert(actix_web::http::header::ALLOW, HeaderValue::from_static(allow));
    res
}
