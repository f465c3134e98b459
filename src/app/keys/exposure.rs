//! Leak response: what happens to a key reported exposed (a public
//! revocation request, a GitHub secret-scanning report). Each report of a
//! live key is recorded as `api_key.exposed` (source, reporter address and
//! user agent), sent as that webhook event, mailed to owners and admins,
//! and — by `LATCHKEY_EXPOSED_KEY_ACTION` — revokes it, deactivates it, or
//! only reports it. The token itself never reaches this module.

use super::access::{Op, authorize};
use super::errors::FindError;
use super::writes::{object, reload, revoke, set_enabled};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::app::webhooks::events::key_event_with;
use crate::db::QueryResult;
use crate::db::api_keys::{self, ApiKey};
use crate::db::{DbConn, now};
use crate::domain::OrgId;
use crate::domain::event_type::EventType;
use crate::domain::key_state::{KeyState, RevokeCause};
pub use crate::domain::leak::ExposedKeyAction;
use serde_json::json;

/// Where a report came from.
#[derive(Debug, Clone)]
pub struct Report {
    /// `public_report` or `github`.
    pub source: &'static str,
    /// Where the token was found, when the reporter says (GitHub does).
    pub url: Option<String>,
}

/// Handles one reported key. False when it was not live (revoked, expired,
/// deactivated, or rotated out and past its grace): nothing is done then.
fn report_exposed(
    conn: &mut DbConn,
    key: &ApiKey,
    report: &Report,
    action: ExposedKeyAction,
    meta: &RequestMeta,
    public_url: &str,
) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        let Some(current) = api_keys::find(conn, OrgId::new(key.org_id), &key.key_id)? else { return Ok(false) };
        if !matches!(current.state(now()), KeyState::Active | KeyState::Rotating) {
            return Ok(false);
        }
        let actor = Actor::System { label: report.source };
        let details = json!({
            "source": report.source,
            "url": report.url,
            "action": action.as_str(),
            "reporter_ip": meta.ip,
            "reporter_user_agent": meta.user_agent,
        });
        let seq = audit::record_seq(conn, &actor, meta, Entry::api_key_exposed(&current, details.clone()))?;
        crate::db::exposures::mark(conn, current.id, now())?;
        match action {
            ExposedKeyAction::Revoke => {
                revoke(conn, &current, "leak response", &actor, meta, RevokeCause::Exposed)?;
            }
            ExposedKeyAction::Disable => {
                set_enabled(conn, &current, false, &actor, meta)?;
            }
            ExposedKeyAction::Notify => {}
        }
        let after = reload(conn, &current)?;
        // The report's own seq, below that of the revocation or deactivation
        // it caused; its data is the key after them, so they agree.
        key_event_with(conn, EventType::ApiKeyExposed, &after, &actor, seq, object(details))?;
        let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
        let notice = crate::app::notify::ExposureNotice {
            source: report.source,
            url: report.url.as_deref(),
            action: action.as_str(),
            reporter_ip: &ip,
        };
        crate::app::notify::key_exposed(conn, public_url, &after, &notice, now())?;
        Ok(true)
    })
}

/// One reported token, as the reporter answer needs it.
pub struct Verdict {
    /// SHA-256 (hex) of the token as reported: how the reporter can tell its tokens apart.
    pub token_hash: String,
    /// A key of ours that was live when reported (and is now handled).
    pub live: bool,
}

/// Handles reported tokens one by one (each in its own transaction): a
/// well-formed token of a live key of any organisation is reported exposed
/// with `report_for(i)` and handled as `LATCHKEY_EXPOSED_KEY_ACTION` says;
/// anything else is only counted. The tokens are neither stored nor logged.
/// When a key was live, the managers' mail leaves at once and every
/// instance refuses the key before the reporter hears back.
pub async fn report_leaked(
    ctx: &AppState,
    tokens: Vec<String>,
    report_for: impl Fn(usize) -> Report + Send + 'static,
    meta: &RequestMeta,
) -> Result<Vec<Verdict>, crate::db::Error> {
    let (action, public_url, meta) =
        (ctx.config.leak.exposed_key_action, ctx.config.public_url.origin().to_owned(), meta.clone());
    let verdicts = ctx.db.run(move |conn| report_tokens(conn, &tokens, report_for, action, &meta, &public_url)).await?;
    if verdicts.iter().any(|v| v.live) {
        ctx.wake_mail_sender();
        ctx.key_cache.confirm(&ctx.db).await;
    }
    Ok(verdicts)
}

fn report_tokens(
    conn: &mut DbConn,
    tokens: &[String],
    report_for: impl Fn(usize) -> Report,
    action: ExposedKeyAction,
    meta: &RequestMeta,
    public_url: &str,
) -> QueryResult<Vec<Verdict>> {
    use sha2::Digest;
    let mut verdicts = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let token_hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
        let found = match crate::domain::token::ApiKeySecret::parse(token) {
            Some(secret) => api_keys::find_by_hash(conn, &secret.hash())?,
            None => None,
        };
        let live = match found {
            Some((key, _)) => report_exposed(conn, &key, &report_for(i), action, meta, public_url)?,
            None => false,
        };
        verdicts.push(Verdict { token_hash, live });
    }
    Ok(verdicts)
}

/// A token pasted into Settings → API keys → Look up: the key of the
/// caller's organisation it belongs to, if any (another organisation's key
/// is not found), recorded as `api_key.looked_up`. The token is neither
/// stored nor logged.
pub async fn look_up(
    ctx: &AppState,
    caller: &Caller,
    secret: crate::domain::token::ApiKeySecret,
) -> Result<Option<ApiKey>, FindError> {
    authorize(caller, Op::LookUp)?;
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let org_id = caller.org().id;
        let found =
            api_keys::find_by_hash(conn, &secret.hash())?.map(|(key, _)| key).filter(|k| k.org_id == org_id.get());
        audit::record(conn, &caller.actor(), &caller.meta, Entry::api_key_looked_up(org_id, found.as_ref()))?;
        Ok(found)
    })
    .await
}
