//! Forward auth (docs/operator-guide.md: Forward auth): `/authz`, on a
//! listener of its own (`LATCHKEY_AUTHZ_BIND`) that only the proxy reaches,
//! so nobody can call it with forged `X-Forwarded-*` headers. The proxy asks
//! with the client's headers; the answer is the verification's, as status
//! and headers: 200 with an empty body and `Latchkey-*` headers for the
//! upstream, or the REST API's JSON error with `Latchkey-Code`.

use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::app::verify::{Asker, Verdict, verify};
use crate::domain::access::Method;
use crate::domain::verify::{Asked, VerifyCode, VerifyInput};
use crate::infra::rate_limit::Decision;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, web};
use base64::Engine;
use std::net::IpAddr;

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// The key: `Authorization: Bearer`, else the configured header.
fn token<'a>(req: &'a HttpRequest, other: Option<&str>) -> Option<&'a str> {
    let bearer = header(req, "authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    bearer.or_else(|| other.and_then(|name| header(req, name)))
}

/// The client: the address the proxy appended to `X-Forwarded-For` (the
/// last), else `X-Real-IP`.
fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let forwarded = header(req, "x-forwarded-for").and_then(|v| v.rsplit(',').next()).map(str::trim);
    forwarded.or_else(|| header(req, "x-real-ip")).and_then(|ip| ip.parse().ok())
}

/// What the proxy asks about: the key, the original request and its client.
fn input(req: &HttpRequest, key_header: Option<&str>) -> Option<VerifyInput> {
    let key = token(req, key_header)?.to_owned();
    let method = header(req, "x-forwarded-method").or_else(|| header(req, "x-original-method")).unwrap_or("GET");
    let path = header(req, "x-forwarded-uri").or_else(|| header(req, "x-original-uri")).unwrap_or("/");
    // A method no route can name matches nothing: `*` stands in, for `no_route` or `unmatched`.
    let method = Method::parse(method).unwrap_or_else(|_| Method::any());
    Some(VerifyInput {
        key,
        api: None,
        asked: Asked::Request { method, path: path.to_owned() },
        client_ip: client_ip(req),
    })
}

/// `/authz`, any method.
pub async fn authz(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let config = &state.config.authz;
    let nginx = header(&req, "latchkey-proxy").is_some_and(|p| p.eq_ignore_ascii_case("nginx"));
    let Some(input) = input(&req, config.key_header.as_deref()) else {
        return refusal(StatusCode::UNAUTHORIZED, "missing_key", "Send an API key as Authorization: Bearer <key>.");
    };
    let asker = Asker::Proxy { host: header(&req, "x-forwarded-host"), default_api: config.default_api.as_deref() };
    match verify(&state, asker, &input, &|| RequestMeta::of(&req)).await {
        Ok(verdict) if verdict.code == VerifyCode::Valid => allowed(&verdict),
        Ok(verdict) => refused(&verdict, nginx),
        Err(e) => {
            tracing::error!(error = %e, "forward auth could not decide");
            refusal(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Latchkey cannot decide right now.")
        }
    }
}

fn rate_headers(res: &mut HttpResponseBuilder, rate: Option<Decision>) {
    match rate {
        Some(Decision::Allowed { limit, remaining }) => {
            res.insert_header(("RateLimit-Limit", limit.to_string()));
            res.insert_header(("RateLimit-Remaining", remaining.to_string()));
        }
        Some(Decision::Limited { limit, retry_after_secs }) => {
            res.insert_header(("RateLimit-Limit", limit.to_string()));
            res.insert_header(("RateLimit-Remaining", "0"));
            res.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        Some(Decision::Unlimited) | None => {}
    }
}

/// 200, headers only (a proxy reads no body of an allowed subrequest).
fn allowed(verdict: &Verdict) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.insert_header(("Cache-Control", "no-store"));
    if let Some((key, org)) = verdict.found.as_deref() {
        let permissions: Vec<&str> = verdict.permissions.iter().map(|p| p.as_str()).collect();
        let metadata =
            key.metadata_value().map(|m| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.to_string()));
        res.insert_header(("Latchkey-Key-Id", key.key_id.to_string()));
        res.insert_header(("Latchkey-Org", org.slug.to_string()));
        res.insert_header(("Latchkey-Api", key.scopes().api().to_string()));
        res.insert_header(("Latchkey-Owner", key.owner_id.clone().unwrap_or_default()));
        res.insert_header(("Latchkey-Permissions", permissions.join(" ")));
        res.insert_header(("Latchkey-Metadata", metadata.unwrap_or_default()));
    }
    rate_headers(&mut res, verdict.rate);
    if let Some(left) = verdict.credits {
        res.insert_header(("Latchkey-Credits-Remaining", left.to_string()));
    }
    res.finish()
}

/// The REST API's error for the code; behind nginx a 429 is sent as 403
/// (nginx's `auth_request` turns any other status into a 500).
fn refused(verdict: &Verdict, nginx: bool) -> HttpResponse {
    let code = verdict.code.error_code().unwrap_or("invalid_key");
    let status = match verdict.code.status() {
        429 if nginx => StatusCode::FORBIDDEN,
        n => StatusCode::from_u16(n).unwrap_or(StatusCode::FORBIDDEN),
    };
    let missing: Vec<&str> = verdict.missing.iter().map(|p| p.as_str()).collect();
    let message = match verdict.code {
        VerifyCode::InsufficientPermissions => {
            format!("This API key needs {} for this request.", missing.join(" and "))
        }
        other => format!("Refused: {}.", other.as_str().to_ascii_lowercase().replace('_', " ")),
    };
    let mut res = builder(status, code);
    if !missing.is_empty() {
        res.insert_header(("Latchkey-Missing", missing.join(" ")));
    }
    rate_headers(&mut res, verdict.rate);
    res.json(body(code, &message))
}

fn builder(status: StatusCode, code: &str) -> HttpResponseBuilder {
    let mut res = HttpResponse::build(status);
    res.insert_header(("Cache-Control", "no-store"));
    res.insert_header(("Latchkey-Code", code.to_owned()));
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if code == "missing_key" {
            r#"Bearer realm="latchkey""#
        } else {
            r#"Bearer realm="latchkey", error="invalid_token""#
        };
        res.insert_header(("WWW-Authenticate", challenge));
    }
    res
}

fn body(code: &str, message: &str) -> serde_json::Value {
    let request_id = crate::web::middleware::current_request_id().unwrap_or_default();
    serde_json::json!({"error": {"code": code, "message": message, "request_id": request_id}})
}

fn refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    builder(status, code).json(body(code, message))
}
