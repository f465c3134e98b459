//! The API's one error type: a status, a stable code and a message, always
//! answered as `{"error":{"code","message","request_id"}}` (docs/api-guide.md: Errors).

use crate::domain::records::FieldError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    MissingKey,
    MalformedKey,
    InvalidKey,
    RevokedKey,
    DisabledKey,
    ExpiredKey,
    PlanRequired,
    InsufficientScope,
    ScopeEscalation,
    AlreadyCreated,
    InvalidSignature,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
    ValidationFailed,
    MalformedJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    NotFound,
    ApiExists,
    ApiInUse,
    BuiltInApi,
    MethodNotAllowed,
    Unavailable,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingKey => "missing_key",
            Self::MalformedKey => "malformed_key",
            Self::InvalidKey => "invalid_key",
            Self::RevokedKey => "revoked_key",
            Self::DisabledKey => "disabled_key",
            Self::ExpiredKey => "expired_key",
            Self::PlanRequired => "plan_required",
            Self::InsufficientScope => "insufficient_scope",
            Self::ScopeEscalation => "scope_escalation",
            Self::AlreadyCreated => "already_created",
            Self::InvalidSignature => "invalid_signature",
            Self::IpNotAllowed => "ip_not_allowed",
            Self::RateLimited => "rate_limited",
            Self::UsageExceeded => "usage_exceeded",
            Self::ValidationFailed => "validation_failed",
            Self::MalformedJson => "malformed_json",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound => "not_found",
            Self::ApiExists => "api_exists",
            Self::ApiInUse => "api_in_use",
            Self::BuiltInApi => "api_read_only",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal_error",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::MissingKey
            | Self::MalformedKey
            | Self::InvalidKey
            | Self::RevokedKey
            | Self::DisabledKey
            | Self::ExpiredKey
            | Self::InvalidSignature => StatusCode::UNAUTHORIZED,
            Self::PlanRequired | Self::InsufficientScope | Self::ScopeEscalation | Self::IpNotAllowed => {
                StatusCode::FORBIDDEN
            }
            Self::AlreadyCreated | Self::ApiExists | Self::ApiInUse | Self::BuiltInApi => StatusCode::CONFLICT,
            Self::RateLimited | Self::UsageExceeded => StatusCode::TOO_MANY_REQUESTS,
            Self::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn default_message(self) -> &'static str {
        match self {
            Self::MissingKey => "Send your API key as `Authorization: Bearer <key>`.",
            Self::MalformedKey => "The API key is not well-formed; check that it was copied whole.",
            Self::InvalidKey => "The API key is not recognised.",
            Self::RevokedKey => "The API key has been revoked.",
            Self::DisabledKey => "The API key is deactivated.",
            Self::ExpiredKey => "The API key has expired.",
            Self::PlanRequired => "API access needs a paid plan.",
            Self::InsufficientScope => "The API key lacks the scope this request needs.",
            Self::ScopeEscalation => {
                "An API key can only create, change or rotate keys whose scopes it holds itself; nothing was changed."
            }
            Self::InvalidSignature => "The request is not signed by a key this server trusts.",
            Self::AlreadyCreated => {
                "A key was already created with this Idempotency-Key; nothing new was created, and its token is not shown again."
            }
            Self::IpNotAllowed => "Requests from this IP address are not allowed for this API key.",
            Self::RateLimited => "Too many requests for this API key; retry after the time in Retry-After.",
            Self::UsageExceeded => {
                "This API key has used all its credits; they refill when their period begins, if set."
            }
            Self::ValidationFailed => "The request body has invalid fields; see details.",
            Self::MalformedJson => "The request body is not valid JSON.",
            Self::PayloadTooLarge => "The request body is larger than 64 KiB.",
            Self::UnsupportedMediaType => "Send the body as application/json.",
            Self::NotFound => "Not found.",
            Self::ApiExists => "The organisation already has an API with this slug; PUT replaces it.",
            Self::ApiInUse => "Keys that are not revoked still belong to this API; revoke them first.",
            Self::BuiltInApi => "The sample API is built in and cannot be changed or deleted.",
            Self::MethodNotAllowed => "This method is not allowed here.",
            Self::Unavailable => "The service is temporarily unavailable; try again shortly.",
            Self::Internal => "An unexpected error occurred.",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    pub request_id: String,
    /// Per-field problems of a `validation_failed` answer.
    pub details: Vec<FieldError>,
    /// Seconds for `Retry-After` (with `rate_limited`), and the key's limit.
    pub retry: Option<(u64, u32)>,
    /// What one error names besides its message (boxed: errors stay small on the hot path).
    pub about: Option<Box<About>>,
}

/// The fields one error carries in `error` besides the code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum About {
    /// The key an earlier request made (with `already_created`).
    KeyId(String),
    /// How many keys still belong to the API (with `api_in_use`).
    LiveKeys(i64),
}

impl ApiError {
    /// An error of the request being served (its id comes from the request-id middleware).
    pub fn new(code: Code) -> Self {
        Self::with_message(code, code.default_message())
    }

    pub fn with_message(code: Code, message: impl Into<String>) -> Self {
        let request_id = crate::web::middleware::current_request_id().unwrap_or_default();
        Self { code, message: message.into(), request_id, details: Vec::new(), retry: None, about: None }
    }

    /// `validation_failed` for query parameters (the default message speaks of the body).
    pub fn query_validation(details: Vec<FieldError>) -> Self {
        let mut err = Self::with_message(Code::ValidationFailed, "A query parameter is invalid; see details.");
        err.details = details;
        err
    }

    pub fn validation(details: Vec<FieldError>) -> Self {
        let mut err = Self::new(Code::ValidationFailed);
        err.details = details;
        err
    }
}

/// A database failure: 503 when unreachable, 500 otherwise (cause logged, not shown).
impl From<crate::app::DbError> for ApiError {
    fn from(err: crate::app::DbError) -> Self {
        tracing::error!(cause = %crate::app::error_chain(&err), "API request failed");
        Self::new(if err.is_unavailable() { Code::Unavailable } else { Code::Internal })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let details = (self.code == Code::ValidationFailed)
            .then(|| self.details.iter().map(|d| Detail { field: &d.field, message: &d.message }).collect());
        let error = ErrorFields {
            code: self.code.as_str(),
            message: &self.message,
            key_id: match self.about.as_deref() {
                Some(About::KeyId(id)) => Some(id.as_str()),
                _ => None,
            },
            live_keys: match self.about.as_deref() {
                Some(About::LiveKeys(n)) => Some(*n),
                _ => None,
            },
            request_id: &self.request_id,
            details,
        };
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header(("Cache-Control", "no-store"));
        // RFC 6750 §3: a 401 names the scheme, and says why a presented token failed.
        match self.code {
            Code::MissingKey => {
                res.insert_header(("WWW-Authenticate", r#"Bearer realm="latchkey""#));
            }
            // A signed report is not a bearer-token request: no challenge.
            Code::InvalidSignature => {}
            code if code.status() == StatusCode::UNAUTHORIZED => {
                res.insert_header(("WWW-Authenticate", r#"Bearer realm="latchkey", error="invalid_token""#));
            }
            _ => {}
        }
        if let Some((seconds, limit)) = self.retry {
            res.insert_header(("Retry-After", seconds.to_string()));
            res.insert_header(("RateLimit-Limit", limit.to_string()));
            res.insert_header(("RateLimit-Remaining", "0"));
        }
        let mut response = res.json(ErrorBody { error });
        // The request log keeps the code of a refused request (api/mod.rs reads it back).
        response.extensions_mut().insert(AnsweredCode(self.code.as_str()));
        response
    }
}

/// The error code a response carries, for the request log.
#[derive(Debug, Clone, Copy)]
pub struct AnsweredCode(pub &'static str);

/// `{"error":{…}}`, serialised straight from borrowed fields (the 401 path is hot).
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorFields<'a>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    code: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    live_keys: Option<i64>,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Vec<Detail<'a>>>,
}

#[derive(Serialize)]
struct Detail<'a> {
    field: &'a str,
    message: &'a str,
}
