//! Reading a JSON body, after authentication and the scope check (README: The REST API
//! order: … → scope → body). Each failure has its own code.

use super::error::{ApiError, Code};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};

pub const MAX_BODY: usize = 64 * 1024;

/// The body as a JSON object: 415 unless `application/json`, 413 over 64 KiB,
/// 400 when not JSON, 422 when not an object.
pub async fn json_object(req: &HttpRequest, mut payload: web::Payload) -> Result<Map<String, Value>, ApiError> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(Code::UnsupportedMediaType));
    }
    let declared =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError::new(Code::PayloadTooLarge));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::new(Code::MalformedJson))?;
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ApiError::new(Code::PayloadTooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
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
