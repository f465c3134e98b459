//! Reading a JSON body, after authentication and the scope check (docs/api-guide.md:
//! The order of checks; … → scope → body). Each failure has its own code.

use super::error::{ApiError, Code};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};

pub const MAX_BODY: usize = 64 * 1024;
/// GitHub's secret-scanning reports: 1,000 tokens, each with the URL it was
/// found at, need far more than [`MAX_BODY`].
pub const MAX_SCANNING_REPORT: usize = 1024 * 1024;

/// The body as a JSON object: 415 unless `application/json`, 413 over 64 KiB,
/// 400 when not JSON, 422 when not an object.
pub async fn json_object(req: &HttpRequest, payload: web::Payload) -> Result<Map<String, Value>, ApiError> {
    if !is_json(req) {
        return Err(ApiError::new(Code::UnsupportedMediaType));
    }
    parse_object(&read(req, payload).await?)
}

/// An optional body (actions whose options all have defaults): no body at
/// all is an empty object; any body follows [`json_object`]'s rules.
pub async fn optional_json_object(req: &HttpRequest, payload: web::Payload) -> Result<Map<String, Value>, ApiError> {
    let body = read(req, payload).await?;
    if body.is_empty() {
        return Ok(Map::new());
    }
    if !is_json(req) {
        return Err(ApiError::new(Code::UnsupportedMediaType));
    }
    parse_object(&body)
}

fn is_json(req: &HttpRequest) -> bool {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The body's bytes: 413 over 64 KiB.
async fn read(req: &HttpRequest, payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    read_up_to(req, payload, MAX_BODY).await
}

/// The body's bytes: 413 `payload_too_large` over `limit` (by its declared
/// length, or as it arrives), with the limit in the message.
pub async fn read_up_to(req: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<web::BytesMut, ApiError> {
    let too_large = || {
        let size = if limit.is_multiple_of(1024 * 1024) {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{} KiB", limit >> 10)
        };
        ApiError::with_message(Code::PayloadTooLarge, format!("The request body is larger than {size}."))
    };
    let declared =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::new(Code::MalformedJson))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::with_message(Code::MalformedJson, format!("The request body is not valid JSON: {e}."))
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::validation(vec![crate::domain::records::FieldError {
            field: "body".into(),
            message: "must be a JSON object".into(),
        }])),
    }
}
