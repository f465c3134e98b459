//! Bearer-key authentication (docs/api-guide.md: Authentication): key → plan → IP allowlist, in that
//! order. The token's shape and checksum are checked before any database
//! work; the lookup is by SHA-256, through a cache that is only used while
//! the database is unchanged, so revocation is seen on the very next request
//! on every instance (see `key_cache`).

use super::error::{ApiError, Code};
use crate::app::admit::{self, Credit};
use crate::app::audit::RequestMeta;
use crate::app::caller::{Caller, Org};
use crate::app::keys::{self, ApiKey};
use crate::app::state::AppState;
use crate::domain::key_state::KeyState;
use crate::domain::timefmt::now;
use crate::domain::token::ApiKeySecret;
use crate::domain::{OrgId, Plan};
use crate::infra::rate_limit::Decision;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// What the API middleware needs to know about an authenticated request.
#[derive(Debug, Clone, Copy)]
pub struct KeyContext {
    pub key_row_id: i64,
    pub org_id: OrgId,
    pub decision: Decision,
    pub expires_at: Option<chrono::NaiveDateTime>,
}

/// The request spent one of its key's credits.
#[derive(Debug, Clone, Copy)]
pub struct SpentCredit {
    pub key_row_id: i64,
}

/// A request named a well-formed token of a known key (served or refused):
/// what the request log needs to file it under the key.
#[derive(Debug, Clone, Copy)]
pub struct KnownKey {
    pub key_row_id: i64,
    pub org_id: OrgId,
    /// With the row id, tells this key from a deleted one whose id SQLite gave again.
    pub created_at: chrono::NaiveDateTime,
    /// The client's address, as the allowlist saw it.
    pub ip: Option<std::net::IpAddr>,
}

/// An authenticated key and its organisation.
pub struct BearerKey {
    found: Arc<(ApiKey, Org)>,
}

impl BearerKey {
    pub fn key(&self) -> &ApiKey {
        &self.found.0
    }

    pub fn org(&self) -> &Org {
        &self.found.1
    }

    /// The key as the use cases take it: acting in its organisation, from this request.
    pub fn caller(&self, meta: RequestMeta) -> Caller {
        Caller::key(self.key().clone(), self.org().clone(), meta)
    }
}

/// The token from `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn has_authorization(req: &HttpRequest) -> bool {
    req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| !v.trim().is_empty())
}

impl BearerKey {
    async fn authenticate(req: &HttpRequest) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(req) else {
            let code = if has_authorization(req) { Code::MalformedKey } else { Code::MissingKey };
            return Err(ApiError::new(code));
        };
        let secret = ApiKeySecret::parse(token).ok_or_else(|| ApiError::new(Code::MalformedKey))?;
        let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::new(Code::Internal))?;
        let found = keys::by_token(state, secret.hash()).await?.ok_or_else(|| ApiError::new(Code::InvalidKey))?;
        let (key, org) = (&found.0, &found.1);
        let ip = crate::web::auth::client_addr(req, state.config.trusted_proxy_header.as_deref());
        req.extensions_mut().insert(KnownKey { key_row_id: key.id, org_id: org.id, created_at: key.created_at, ip });
        match key.state(now()) {
            KeyState::Revoked => {
                record_revoked_use(state, req, key).await;
                return Err(ApiError::new(Code::RevokedKey));
            }
            KeyState::Disabled => return Err(ApiError::new(Code::DisabledKey)),
            KeyState::Expired => return Err(ApiError::new(Code::ExpiredKey)),
            KeyState::Rotating | KeyState::Active => {}
        }
        if org.plan != Plan::Paid {
            return Err(ApiError::new(Code::PlanRequired));
        }
        let allowed = ip.map_or(key.allowlist().is_empty(), |addr| key.allowlist().allows(addr));
        if !allowed {
            let shown = ip.map_or_else(|| "an unknown address".to_owned(), |ip| ip.to_string());
            return Err(ApiError::with_message(
                Code::IpNotAllowed,
                format!("Requests from {shown} are not allowed for this API key."),
            ));
        }
        let decision = admit::rate(state, key).await;
        // The API middleware adds headers and counts usage from this, on every answer from here on.
        req.extensions_mut().insert(KeyContext {
            key_row_id: key.id,
            org_id: org.id,
            decision,
            expires_at: key.expires_at,
        });
        if let Decision::Limited { limit, retry_after_secs } = decision {
            let mut err = ApiError::with_message(
                Code::RateLimited,
                format!("This key may make {limit} requests per minute; retry in {retry_after_secs} s."),
            );
            err.retry = Some((retry_after_secs, limit));
            return Err(err);
        }
        spend_credit(state, req, key).await?;
        state.usage.record(key.id, ip);
        Ok(Self { found: found.clone() })
    }
}

/// Spends one of the key's credits (429 `usage_exceeded` when none is
/// left), marking the request so the API middleware gives it back if the
/// request is refused after all.
async fn spend_credit(state: &AppState, req: &HttpRequest, key: &ApiKey) -> Result<(), ApiError> {
    match admit::spend_credit(state, key).await? {
        Credit::Exhausted => Err(ApiError::new(Code::UsageExceeded)),
        Credit::Spent(_) => {
            req.extensions_mut().insert(SpentCredit { key_row_id: key.id });
            Ok(())
        }
        Credit::Unmetered => Ok(()),
    }
}

/// A revoked or rotated-out key in use is a strong sign of a leak or a
/// forgotten integration: audit it, at most once a minute per key.
async fn record_revoked_use(state: &AppState, req: &HttpRequest, key: &ApiKey) {
    if let Err(e) = keys::record_revoked_use(state, key, &RequestMeta::of(req)).await {
        tracing::warn!(error = %e, "could not record the use of a revoked key");
    }
}

impl FromRequest for BearerKey {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let result = Self::authenticate(&req).await;
            if let Some(state) = req.app_data::<web::Data<AppState>>() {
                state.metrics.key_verified(result.as_ref().map_or_else(|e| e.code.as_str(), |_| "ok"));
            }
            result
        })
    }
}
