//! Verifying a key for a team's service (docs/api-guide.md: Verifying keys):
//! what a verification asks (`VerifyInput`, from `POST /api/v1/keys/verify`'s
//! body) and the codes it answers with. A verification is always answered
//! with a code, never refused for what the key is: `MALFORMED` is about the
//! key, not the body.

use super::access::{ApiSlug, Expression, Method};
use super::records::FieldError;
use core::net::IpAddr;
use serde_json::{Map, Value};

/// The answer's `code`, one per reason a key is or is not let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyCode {
    Valid,
    Malformed,
    NotFound,
    Revoked,
    Disabled,
    Expired,
    PlanRequired,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
    InsufficientPermissions,
    WrongApi,
    NoRoute,
}

impl VerifyCode {
    pub const ALL: [VerifyCode; 13] = [
        Self::Valid,
        Self::Malformed,
        Self::NotFound,
        Self::Revoked,
        Self::Disabled,
        Self::Expired,
        Self::PlanRequired,
        Self::IpNotAllowed,
        Self::RateLimited,
        Self::UsageExceeded,
        Self::InsufficientPermissions,
        Self::WrongApi,
        Self::NoRoute,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::Malformed => "MALFORMED",
            Self::NotFound => "NOT_FOUND",
            Self::Revoked => "REVOKED",
            Self::Disabled => "DISABLED",
            Self::Expired => "EXPIRED",
            Self::PlanRequired => "PLAN_REQUIRED",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::RateLimited => "RATE_LIMITED",
            Self::UsageExceeded => "USAGE_EXCEEDED",
            Self::InsufficientPermissions => "INSUFFICIENT_PERMISSIONS",
            Self::WrongApi => "WRONG_API",
            Self::NoRoute => "NO_ROUTE",
        }
    }

    /// The REST API's error code for the same refusal (the request log keeps it).
    pub fn error_code(self) -> Option<&'static str> {
        match self {
            Self::Valid => None,
            Self::Malformed => Some("malformed_key"),
            Self::NotFound => Some("invalid_key"),
            Self::Revoked => Some("revoked_key"),
            Self::Disabled => Some("disabled_key"),
            Self::Expired => Some("expired_key"),
            Self::PlanRequired => Some("plan_required"),
            Self::IpNotAllowed => Some("ip_not_allowed"),
            Self::RateLimited => Some("rate_limited"),
            Self::UsageExceeded => Some("usage_exceeded"),
            Self::InsufficientPermissions => Some("insufficient_permissions"),
            Self::WrongApi => Some("wrong_api"),
            Self::NoRoute => Some("no_route"),
        }
    }

    /// The status a proxy would answer with (the request log files a verification under it).
    pub fn status(self) -> u16 {
        match self {
            Self::Valid => 200,
            Self::Malformed | Self::NotFound | Self::Revoked | Self::Disabled | Self::Expired => 401,
            Self::RateLimited | Self::UsageExceeded => 429,
            Self::PlanRequired
            | Self::IpNotAllowed
            | Self::InsufficientPermissions
            | Self::WrongApi
            | Self::NoRoute => 403,
        }
    }

    /// The key got past authentication (a use of the key, for new-network detection).
    pub fn authenticated(self) -> bool {
        !matches!(self.status(), 401) && self != Self::PlanRequired && self != Self::IpNotAllowed
    }
}

/// What a verification checks besides the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Only that the key may be used at all.
    Key,
    /// A permission expression, checked as given.
    Expression(Expression),
    /// A request, decided by the API's routes.
    Request { method: Method, path: String },
}

/// A verification as its body asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyInput {
    /// The token, as sent (its shape is part of the answer, not of the body).
    pub key: String,
    pub api: Option<ApiSlug>,
    pub asked: Asked,
    pub client_ip: Option<IpAddr>,
}

const FIELDS: [&str; 6] = ["key", "api", "permissions", "method", "path", "client_ip"];

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), message: message.into() }
}

/// A string field, if present (`null` counts as absent).
fn text<'a>(body: &'a Map<String, Value>, name: &str, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(error(name, "must be a string"));
            None
        }
    }
}

/// Parses the body; every problem is reported, each naming its field.
pub fn parse(body: &Map<String, Value>) -> Result<VerifyInput, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = body
        .keys()
        .filter(|k| !FIELDS.contains(&k.as_str()))
        .map(|k| error(k, "is not a field this request takes"))
        .collect();
    let key = text(body, "key", &mut errors);
    if key.is_none() && !errors.iter().any(|e| e.field == "key") {
        errors.push(error("key", "is required: the token to verify"));
    }
    let api =
        text(body, "api", &mut errors).and_then(|a| ApiSlug::parse(a).map_err(|e| errors.push(error("api", e.0))).ok());
    let expression = text(body, "permissions", &mut errors)
        .and_then(|p| Expression::parse(p).map_err(|e| errors.push(error("permissions", e.0))).ok());
    let method = text(body, "method", &mut errors)
        .and_then(|m| Method::parse(m).map_err(|e| errors.push(error("method", e.0))).ok());
    let path = text(body, "path", &mut errors);
    if path.is_some_and(|p| !p.starts_with('/')) {
        errors.push(error("path", "must start with /"));
    }
    let client_ip = text(body, "client_ip", &mut errors).and_then(|ip| {
        ip.trim().parse::<IpAddr>().map_err(|_| errors.push(error("client_ip", "must be an IPv4 or IPv6 address"))).ok()
    });
    let asked = match (expression, method, path, body.contains_key("permissions")) {
        (Some(_), Some(_), _, _) | (Some(_), _, Some(_), _) => {
            errors.push(error("permissions", "give permissions, or method and path, not both"));
            Asked::Key
        }
        (Some(e), None, None, _) => Asked::Expression(e),
        (None, Some(method), Some(path), false) => Asked::Request { method, path: path.to_owned() },
        (None, Some(_), None, false) => {
            errors.push(error("path", "is required with method"));
            Asked::Key
        }
        (None, None, Some(_), false) => {
            errors.push(error("method", "is required with path"));
            Asked::Key
        }
        _ => Asked::Key,
    };
    match (key, errors.is_empty()) {
        (Some(key), true) => Ok(VerifyInput { key: key.to_owned(), api, asked, client_ip }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    fn fields(value: Value) -> Vec<String> {
        parse(&body(value)).expect_err("refused").into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_request_or_an_expression_or_nothing_but_the_key() {
        let request = parse(&body(json!({"key": "x", "method": "GET", "path": "/v1/invoices/42", "api": "billing"})));
        let request = request.expect("valid");
        assert!(matches!(request.asked, Asked::Request { ref path, .. } if path == "/v1/invoices/42"));
        assert_eq!(request.api.map(|a| a.to_string()).as_deref(), Some("billing"));
        let expression = parse(&body(json!({"key": "x", "permissions": "a and b", "client_ip": "203.0.113.9"})));
        assert!(matches!(expression.expect("valid").asked, Asked::Expression(_)));
        assert_eq!(
            parse(&body(json!({"key": "not a token"}))).expect("valid").asked,
            Asked::Key,
            "MALFORMED is an answer"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(fields(json!({})), ["key"]);
        assert_eq!(fields(json!({"key": 5})), ["key"]);
        assert_eq!(fields(json!({"key": "x", "method": "GET"})), ["path"]);
        assert_eq!(fields(json!({"key": "x", "path": "/a"})), ["method"]);
        assert_eq!(fields(json!({"key": "x", "path": "a", "method": "GET"})), ["path"]);
        assert_eq!(fields(json!({"key": "x", "permissions": "a and"})), ["permissions"]);
        assert_eq!(fields(json!({"key": "x", "permissions": "a", "method": "GET", "path": "/"})), ["permissions"]);
        assert_eq!(fields(json!({"key": "x", "client_ip": "here"})), ["client_ip"]);
        assert_eq!(fields(json!({"key": "x", "colour": "red"})), ["colour"]);
    }

    #[test]
    fn codes_have_names_statuses_and_error_codes() {
        for code in VerifyCode::ALL {
            assert_eq!(code == VerifyCode::Valid, code.error_code().is_none(), "{code:?}");
            assert!([200, 401, 403, 429].contains(&code.status()));
        }
        assert_eq!(VerifyCode::InsufficientPermissions.as_str(), "INSUFFICIENT_PERMISSIONS");
        assert!(VerifyCode::InsufficientPermissions.authenticated() && !VerifyCode::Revoked.authenticated());
    }
}
