//! The two doors through which a leaked token is reported (docs/user-guide.md: Leak
//! response), neither needing a key: `POST /api/v1/revocations` for anyone
//! who finds one, and `POST /api/v1/secret-scanning/github` for GitHub's
//! secret scanning (signed with GitHub's published keys). Each reported
//! token of a live key is handled by `keys::report_leaked`; the answers say
//! nothing about which tokens were real, except to GitHub, whose signature
//! proves who is asking.

use super::body::{MAX_SCANNING_REPORT, json_object, read_up_to};
use super::error::{ApiError, Code};
use crate::app::audit::RequestMeta;
use crate::app::keys::{self, Report};
use crate::app::state::AppState;
use crate::domain::records::FieldError;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

/// At most this many tokens in one report.
const MAX_TOKENS: usize = 100;

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::validation(vec![FieldError { field: field.into(), message: message.into() }])
}

/// The `tokens` of a revocation body: 1–100 strings, and nothing else in the body.
fn tokens(body: &serde_json::Map<String, Value>) -> Result<Vec<String>, ApiError> {
    if let Some(other) = body.keys().find(|k| *k != "tokens") {
        return Err(invalid(other, "is not a field this request takes"));
    }
    let list = body
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("tokens", "is required: an array of tokens"))?;
    let tokens: Option<Vec<String>> = list.iter().map(|t| t.as_str().map(str::to_owned)).collect();
    match tokens {
        Some(t) if (1..=MAX_TOKENS).contains(&t.len()) => Ok(t),
        Some(_) => Err(invalid("tokens", "must hold 1 to 100 tokens")),
        None => Err(invalid("tokens", "must be strings")),
    }
}

/// `POST /api/v1/revocations`: always 202 with the count received, so the
/// answer reveals nothing; throttled per client address.
pub async fn revocations(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if let Some(ip) = crate::web::auth::client_addr(&req, state.config.trusted_proxy_header.as_deref())
        && let Err(wait) = state.report_limits.check(ip)
    {
        let mut err = ApiError::with_message(Code::RateLimited, "Too many reports from this address; retry later.");
        err.retry = Some((wait, state.report_limits.per_minute()));
        return Err(err);
    }
    let tokens = tokens(&json_object(&req, payload).await?)?;
    let received = tokens.len();
    keys::report_leaked(&state, tokens, |_| Report { source: "public_report", url: None }, &meta).await?;
    Ok(HttpResponse::Accepted().json(json!({ "received": received })))
}

/// One token of a GitHub report.
#[derive(Deserialize)]
struct Reported {
    token: String,
    #[serde(rename = "type", default)]
    token_type: String,
    #[serde(default)]
    url: Option<String>,
}

/// `POST /api/v1/secret-scanning/github`: 404 unless configured, 413 over
/// 1 MiB, 401 unless signed by one of GitHub's keys (in low-S form); then a
/// `true_positive`/`false_positive` label for each token.
pub async fn github(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(keys) = &state.config.leak.github_keys else { return Err(ApiError::new(Code::NotFound)) };
    // The size before the signature: anyone may send a body, so hashing one must stay bounded.
    let body = read_up_to(&req, payload, MAX_SCANNING_REPORT).await?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Err(why) = keys.verify(header("github-public-key-identifier"), header("github-public-key-signature"), &body)
    {
        tracing::warn!(reason = %why, "GitHub secret-scanning report refused");
        return Err(ApiError::new(Code::InvalidSignature));
    }
    let reported: Vec<Reported> = serde_json::from_slice(&body)
        .map_err(|e| invalid("body", &format!("must be GitHub's array of {{token, type, url, source}}: {e}")))?;
    if reported.len() > 1000 {
        return Err(invalid("body", "holds more than 1000 tokens"));
    }
    let tokens: Vec<String> = reported.iter().map(|r| r.token.clone()).collect();
    let urls: Vec<Option<String>> = reported.iter().map(|r| r.url.clone()).collect();
    let found_at = move |i: usize| Report { source: "github", url: urls.get(i).cloned().flatten() };
    let verdicts = keys::report_leaked(&state, tokens, found_at, &meta).await?;
    let answer: Vec<Value> = verdicts
        .iter()
        .zip(&reported)
        .map(|(v, r)| {
            let label = if v.live { "true_positive" } else { "false_positive" };
            json!({ "token_hash": v.token_hash, "token_type": r.token_type, "label": label })
        })
        .collect();
    Ok(HttpResponse::Ok().json(answer))
}
