//! The REST API that keys unlock, under `/api/v1` (README: The REST API).

pub mod auth;
pub mod body;
pub mod error;
pub mod key_cache;
pub mod openapi;
pub mod rate_limit;
pub mod resources;

use crate::app::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use auth::{BearerKey, KeyContext};
use error::{ApiError, Code};
use rate_limit::Decision;

/// The `/api/v1` routes. A method a path does not serve answers 405 with `Allow`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::app::get_or_head;
    use openapi::{ALLOW_COLLECTION, ALLOW_ITEM, ALLOW_PING};
    cfg.service(
        web::scope("/api/v1")
            .wrap(from_fn(key_headers))
            .wrap(crate::middleware::api_security_headers())
            .service(
                web::resource("/openapi.json")
                    .route(get_or_head().to(openapi_json))
                    .default_service(refuse(ALLOW_PING)),
            )
            .service(web::resource("/ping").route(get_or_head().to(ping)).default_service(refuse(ALLOW_PING)))
            .service(
                web::resource("/{kind}")
                    .route(get_or_head().to(resources::list))
                    .route(web::post().to(resources::create))
                    .default_service(refuse(ALLOW_COLLECTION)),
            )
            .service(
                web::resource("/{kind}/{id}")
                    .route(get_or_head().to(resources::get))
                    .route(web::patch().to(resources::update))
                    .route(web::delete().to(resources::delete))
                    .default_service(refuse(ALLOW_ITEM)),
            )
            .default_service(web::to(not_found)),
    );
}

fn set(res: &mut ServiceResponse<impl MessageBody>, name: &'static str, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

/// On every answer to an authenticated request: rate-limit headers,
/// `Api-Key-Expires`, `no-store`, and the key's usage count.
async fn key_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let context = res.request().extensions().get::<KeyContext>().copied();
    res.headers_mut().insert(actix_web::http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let Some(ctx) = context else { return Ok(res) };
    if let Some(state) = res.request().app_data::<web::Data<AppState>>() {
        state.usage.count(ctx.key_row_id, ctx.org_id, res.status().as_u16());
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

/// `GET /api/v1/openapi.json`: the OpenAPI 3 document (public; no key needed).
async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(openapi::document(state.config.public_url.origin()))
}

/// `GET /api/v1/ping`: who am I, for any active key.
async fn ping(key: BearerKey) -> HttpResponse {
    #[derive(serde::Serialize)]
    struct Ping<'a> {
        ok: bool,
        org: &'a str,
        key_id: &'a str,
        scopes: Vec<&'static str>,
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

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(Code::NotFound, &req))
}

/// The route that answers a method the path does not take.
fn refuse(allow: &'static str) -> actix_web::Route {
    web::to(move |req: HttpRequest| async move { method_not_allowed(&req, allow) })
}

/// 405 `method_not_allowed`, with the methods the path does serve (RFC 9110 §15.5.6).
fn method_not_allowed(req: &HttpRequest, allow: &'static str) -> HttpResponse {
    use actix_web::ResponseError;
    let mut res = ApiError::new(Code::MethodNotAllowed, req).error_response();
    res.headers_mut().insert(actix_web::http::header::ALLOW, HeaderValue::from_static(allow));
    res
}
