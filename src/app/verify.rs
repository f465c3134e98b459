//! Verifying a key for a team's service (docs/api-guide.md: Verifying keys)
//! or a proxy in front of its API (forward auth):
//! the key's state, its organisation's plan, its IP allowlist against the
//! client address given, its rate limit, then its API's decision. A
//! verification counts as a request of the verified key: its rate limit,
//! usage, last use and request log (filed with `via` = `verify` or `authz`,
//! so new networks are noticed too).

use crate::app::admit::{self, Credit};
use crate::app::apis::decide;
use crate::app::audit::RequestMeta;
use crate::app::caller::Org;
use crate::app::keys::{self, ApiKey};
use crate::app::request_log::{Entry, Via};
use crate::app::state::AppState;
use crate::db;
use crate::domain::access::{Check, Decision as Decided, PermissionSlug};
use crate::domain::key_state::KeyState;
use crate::domain::timefmt::now;
use crate::domain::token::ApiKeySecret;
use crate::domain::verify::{Asked, VerifyCode, VerifyInput};
use crate::domain::{OrgId, Plan};
use crate::infra::rate_limit::Decision;
use std::sync::Arc;

/// What a verification came to.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub code: VerifyCode,
    /// The key and its organisation, when the token named a key of the caller's organisation.
    pub found: Option<Arc<(ApiKey, Org)>>,
    /// The API's declared permissions the key holds (grants and roles expanded).
    pub permissions: Vec<PermissionSlug>,
    /// What the key would also need (with `INSUFFICIENT_PERMISSIONS`).
    pub missing: Vec<PermissionSlug>,
    /// The rate limiter's answer, once the key got that far.
    pub rate: Option<Decision>,
    /// Credits left after this verification spent one (keys with credits).
    pub credits: Option<u64>,
}

impl Verdict {
    fn of(code: VerifyCode) -> Self {
        Self { code, found: None, permissions: Vec::new(), missing: Vec::new(), rate: None, credits: None }
    }
}

/// Who asks, and so which organisation and API a verification is about.
#[derive(Debug, Clone, Copy)]
pub enum Asker<'a> {
    /// A service of this organisation (`POST /api/v1/keys/verify`): a key
    /// of another organisation is `NOT_FOUND`, as an unknown one is.
    Service(OrgId),
    /// A proxy (forward auth): the key's own organisation; the API is the
    /// one of that organisation whose hosts include `host`, else the
    /// `default_api`, else none (`NO_ROUTE`).
    Proxy { host: Option<&'a str>, default_api: Option<&'a str> },
}

impl Asker<'_> {
    fn via(self) -> Via {
        match self {
            Self::Service(_) => Via::Verify,
            Self::Proxy { .. } => Via::Authz,
        }
    }
}

/// Verifies `input` for `asker`. `meta` reads where the request came from;
/// it is called only when something is recorded (a revoked key's use, a
/// request-log row), since most verifications of a busy key record neither.
pub async fn verify(
    ctx: &AppState,
    asker: Asker<'_>,
    input: &VerifyInput,
    meta: &dyn Fn() -> RequestMeta,
) -> Result<Verdict, db::Error> {
    let Some(secret) = ApiKeySecret::parse(input.key.trim()) else { return Ok(Verdict::of(VerifyCode::Malformed)) };
    let found = keys::by_token(ctx, secret.hash()).await?;
    let found = found.filter(|found| !matches!(asker, Asker::Service(org_id) if found.1.id != org_id));
    let Some(found) = found else { return Ok(Verdict::of(VerifyCode::NotFound)) };
    let mut verdict = Verdict::of(VerifyCode::Valid);
    verdict.code = judge(ctx, (&found, asker), input, meta, &mut verdict).await?;
    if verdict.code == VerifyCode::Valid {
        // Last, so that a refused verification spends no credit.
        match admit::spend_credit(ctx, &found.0).await? {
            Credit::Exhausted => verdict.code = VerifyCode::UsageExceeded,
            Credit::Spent(left) => verdict.credits = Some(left),
            Credit::Unmetered => {}
        }
    }
    let key = &found.0;
    if verdict.code.authenticated() {
        ctx.usage.record(key.id, input.client_ip);
    }
    ctx.usage.count(key.id, found.1.id, verdict.code.status());
    log(ctx, key, (input, asker), verdict.code, meta);
    verdict.found = Some(found);
    Ok(verdict)
}

/// The API a verification is about: the one asked for, or (a proxy) the
/// one serving the host; `Err` = none.
async fn api_asked(
    ctx: &AppState,
    org_id: OrgId,
    asker: Asker<'_>,
    input: &VerifyInput,
) -> Result<Result<Option<String>, ()>, db::Error> {
    let Asker::Proxy { host, default_api } = asker else { return Ok(Ok(input.api.as_ref().map(ToString::to_string))) };
    let host = host.map(|h| {
        h.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(h, |(name, _)| name)
    });
    if let Some(host) = host.map(str::to_ascii_lowercase) {
        let apis = crate::app::apis::in_force(ctx, org_id).await?;
        if let Some(api) = apis.iter().find(|a| a.hosts().iter().any(|h| h.as_str() == host)) {
            return Ok(Ok(Some(api.slug().to_string())));
        }
    }
    Ok(default_api.map(str::to_owned).map(Some).ok_or(()))
}

/// The checks, in the REST API's order: key, plan, allowlist, rate limit, then the API.
async fn judge(
    ctx: &AppState,
    (found, asker): (&(ApiKey, Org), Asker<'_>),
    input: &VerifyInput,
    meta: &dyn Fn() -> RequestMeta,
    verdict: &mut Verdict,
) -> Result<VerifyCode, db::Error> {
    let (key, org) = found;
    match key.state(now()) {
        KeyState::Revoked => {
            keys::record_revoked_use(ctx, key, &meta()).await?;
            return Ok(VerifyCode::Revoked);
        }
        KeyState::Disabled => return Ok(VerifyCode::Disabled),
        KeyState::Expired => return Ok(VerifyCode::Expired),
        KeyState::Rotating | KeyState::Active => {}
    }
    if org.plan != Plan::Paid {
        return Ok(VerifyCode::PlanRequired);
    }
    if !input.client_ip.map_or(key.allowlist().is_empty(), |ip| key.allowlist().allows(ip)) {
        return Ok(VerifyCode::IpNotAllowed);
    }
    let rate = admit::rate(ctx, key).await;
    verdict.rate = Some(rate);
    if matches!(rate, Decision::Limited { .. }) {
        return Ok(VerifyCode::RateLimited);
    }
    let Ok(api) = api_asked(ctx, org.id, asker, input).await? else { return Ok(VerifyCode::NoRoute) };
    if api.is_some_and(|asked| asked != key.scopes().api().as_str()) {
        return Ok(VerifyCode::WrongApi);
    }
    let definition = decide::api_of(ctx, key).await?;
    let check = match &input.asked {
        Asked::Key => None,
        Asked::Expression(expression) => Some(Check::Expression(expression)),
        Asked::Request { method, path } => Some(Check::Request { method: method.as_str(), target: path }),
    };
    let Some(check) = check else {
        verdict.permissions = definition.held(key.scopes().access());
        return Ok(VerifyCode::Valid);
    };
    let (code, allowed) = match definition.decide(key.scopes().access(), check) {
        // An allowing decision lists what the key holds; otherwise that is worked out below.
        Decided::Allowed { permissions } => (VerifyCode::Valid, Some(permissions)),
        Decided::NoRoute => (VerifyCode::NoRoute, None),
        Decided::InsufficientPermissions { missing } => {
            verdict.missing = missing;
            (VerifyCode::InsufficientPermissions, None)
        }
    };
    verdict.permissions = allowed.unwrap_or_else(|| definition.held(key.scopes().access()));
    Ok(code)
}

/// Files the verification in the verified key's request log.
fn log(
    ctx: &AppState,
    key: &ApiKey,
    (input, asker): (&VerifyInput, Asker<'_>),
    code: VerifyCode,
    meta: &dyn Fn() -> RequestMeta,
) {
    if !ctx.request_log.enabled() {
        return;
    }
    let (status, error_code, authenticated) = (code.status(), code.error_code(), code.authenticated());
    let seen = crate::app::request_log::Seen {
        key: (key.id, key.created_at),
        status,
        error_code,
        authenticated,
        ip: input.client_ip,
    };
    // Built only for a request the log keeps as a row.
    let entry = || {
        let (method, path) = match &input.asked {
            // As for the REST API: never a query string (it may carry secrets).
            Asked::Request { method, path } => {
                let path = path.split(['?', '#']).next().unwrap_or_default();
                (method.as_str().to_owned(), crate::app::request_log::clip_path(path))
            }
            Asked::Key | Asked::Expression(_) => (String::new(), String::new()),
        };
        let meta = meta();
        Entry {
            key_row_id: key.id,
            key_created_at: key.created_at,
            org_id: OrgId::new(key.org_id),
            at: now(),
            method,
            path,
            status,
            error_code,
            latency_ms: 0,
            ip: input.client_ip,
            user_agent: meta.user_agent.as_deref().map(crate::app::request_log::clip_user_agent),
            request_id: meta.request_id.unwrap_or_default(),
            authenticated,
            repeats: 0,
            tally: None,
            via: asker.via(),
            host: match asker {
                Asker::Proxy { host, .. } => host.map(|h| h.chars().take(253).collect()),
                Asker::Service(_) => None,
            },
        }
    };
    if !ctx.request_log.record(seen, entry) {
        ctx.metrics.request_log_dropped(1);
    }
}
