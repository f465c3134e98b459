//! `POST /api/v1/keys/verify` (`keys:verify`; docs/api-guide.md: Verifying
//! keys): a team's service asks whether a key it was given may make a
//! request. Always 200 for a well-formed body; the answer's `code` says why
//! not. The verified key must belong to the calling key's organisation.

use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::app::verify::{Asker, Verdict, verify as verify_key};
use crate::domain::access::{PermissionSlug, RoleSlug};
use crate::domain::scopes::Management;
use crate::domain::verify::{VerifyCode, parse};
use crate::infra::rate_limit::Decision;
use crate::web::api::auth::BearerKey;
use crate::web::api::body::json_object;
use crate::web::api::error::ApiError;
use crate::web::api::management::time;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::Value;

/// `{"limit","remaining","reset"}`: `reset` is the seconds until the limit
/// is whole again (until the next request is allowed, when limited).
#[derive(Serialize)]
struct Rate {
    limit: u32,
    remaining: u32,
    reset: u64,
}

fn rate(decision: Option<Decision>) -> Option<Rate> {
    match decision? {
        Decision::Allowed { limit, remaining } => {
            let reset = u64::from(limit.saturating_sub(remaining)) * 60 / u64::from(limit.max(1));
            Some(Rate { limit, remaining, reset })
        }
        Decision::Limited { limit, retry_after_secs } => Some(Rate { limit, remaining: 0, reset: retry_after_secs }),
        Decision::Unlimited => None,
    }
}

/// Slugs as a JSON list of strings, written straight from the borrowed list.
struct Names<'a, T>(&'a [T]);

impl<T: AsRef<str>> Serialize for Names<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(AsRef::as_ref))
    }
}

/// The answer: the code, and what is known of the key (nothing for a key
/// not found). A typed, borrowing struct rather than a `json!` tree: this is
/// written once per verification, on a path as hot as the API's.
#[derive(Serialize)]
pub struct Answer<'a> {
    valid: bool,
    code: &'static str,
    key_id: Option<&'a str>,
    org: Option<&'a str>,
    api: Option<&'a str>,
    owner_id: Option<&'a str>,
    metadata: Option<Value>,
    permissions: Names<'a, PermissionSlug>,
    roles: Names<'a, RoleSlug>,
    expires_at: Value,
    missing: Names<'a, PermissionSlug>,
    ratelimit: Option<Rate>,
    /// Credits left (after this verification's), or null: unlimited or not spent.
    credits_remaining: Option<u64>,
}

pub fn answer(verdict: &Verdict) -> Answer<'_> {
    let key = verdict.found.as_deref();
    Answer {
        valid: verdict.code == VerifyCode::Valid,
        code: verdict.code.as_str(),
        key_id: key.map(|(k, _)| k.key_id.as_str()),
        org: key.map(|(_, org)| org.slug.as_str()),
        api: key.map(|(k, _)| k.scopes().api().as_str()),
        owner_id: key.and_then(|(k, _)| k.owner_id.as_deref()),
        metadata: key.and_then(|(k, _)| k.metadata_value()),
        permissions: Names(&verdict.permissions),
        roles: Names(key.map_or(&[], |(k, _)| k.scopes().access().roles.as_slice())),
        expires_at: key.map_or(Value::Null, |(k, _)| time(k.expires_at)),
        missing: Names(&verdict.missing),
        ratelimit: rate(verdict.rate),
        credits_remaining: verdict.credits,
    }
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: BearerKey,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // The scope alone decides (no caller to build: this path is as hot as the API's).
    if !key.key().scopes().grants(Management::KeysVerify) {
        return Err(crate::app::caller::Denied::Scope(Management::KeysVerify).into());
    }
    let body = json_object(&req, payload).await?;
    let input = parse(&body).map_err(ApiError::validation)?;
    let verdict = verify_key(&state, Asker::Service(key.org().id), &input, &|| RequestMeta::of(&req)).await?;
    Ok(HttpResponse::Ok().json(answer(&verdict)))
}
