//! The REST API that keys unlock, under `/api/v1` (SPEC §4).

pub mod auth;
pub mod error;

use actix_web::{HttpRequest, HttpResponse, web};
use auth::BearerKey;
use error::{ApiError, Code};
use serde_json::json;

/// The `/api/v1` routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(
                web::resource("/ping")
                    .route(web::get().to(ping))
                    .default_service(web::to(method_not_allowed)),
            )
            .default_service(web::to(not_found)),
    );
}

/// Adds the headers every authenticated response carries.
pub fn key_headers(builder: &mut actix_web::HttpResponseBuilder, key: &BearerKey) {
    builder.insert_header(("Cache-Control", "no-store"));
    if let Some(expires) = key.key.expires_at {
        builder.insert_header((
            "Api-Key-Expires",
            expires
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ));
    }
}

/// `GET /api/v1/ping`: who am I, for any active key.
async fn ping(key: BearerKey) -> HttpResponse {
    let scopes = key.key.scopes();
    let mut res = HttpResponse::Ok();
    key_headers(&mut res, &key);
    res.json(json!({
        "ok": true,
        "org": key.org.slug,
        "key_id": key.key.key_id,
        "scopes": scopes.effective_names(),
        "full_access": scopes.is_full_access(),
    }))
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(Code::NotFound, &req))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(Code::MethodNotAllowed, &req))
}
