//! Issuing keys: a create, or a rotation's replacement. The token is made
//! here and handed back to the caller, who shows it once; only its hash and
//! prefix are stored. A one-time id (the console form's, or an API
//! `Idempotency-Key`) makes a repeated request create nothing.

use super::access::{Op, authorize, meets_policy, reach_of, within_limits, within_settings};
use super::errors::{CreateError, RotateError};
use super::writes::{object, reload, revoke};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::app::webhooks::events::{key_event, key_event_with};
use crate::db::QueryResult;
use crate::db::api_keys::{self, ApiKey, CreatedBy, KeySettings, NewKey};
use crate::db::form_ids;
use crate::db::{DbConn, now};
use crate::domain::OrgId;
use crate::domain::credits::CreditsChange;
use crate::domain::event_type::EventType;
use crate::domain::key_policy::KeyPolicy;
use crate::domain::key_settings::Grace;
use crate::domain::key_state::RevokeCause;
use crate::domain::token::{ApiKeySecret, KeyId};
use serde_json::json;

/// What makes a request one-time, so that a repeat creates nothing.
#[derive(Debug, Clone)]
pub enum Once {
    /// A console form's id (server-issued; never reusable).
    Form(String),
    /// An API `Idempotency-Key` of the calling key, remembered for a day.
    Idempotency { caller: String, key: String },
    /// An API request without one: always creates.
    Unique,
}

impl Once {
    /// The id stored for it (an idempotency key is hashed: it is the client's text, of any length).
    fn stored(&self) -> Option<String> {
        match self {
            Self::Form(id) => Some(id.clone()),
            Self::Idempotency { caller, key } => {
                use sha2::Digest;
                Some(format!("idem:{caller}:{}", hex::encode(sha2::Sha256::digest(key.as_bytes()))))
            }
            Self::Unique => None,
        }
    }
}

/// What a create or a rotation came to.
pub enum Issued {
    /// The new key, and its token: shown once, then dropped.
    Created(Box<ApiKey>, ApiKeySecret),
    /// The one-time id was used before: nothing was created; the key it made then.
    AlreadySubmitted(Option<String>),
}

/// A new key's row, before it exists: the token's hash and prefix (the
/// token itself stays with the caller), its settings and who issues it.
struct Issue<'a> {
    org_id: OrgId,
    once: &'a Once,
    key_id: KeyId,
    secret: &'a ApiKeySecret,
    settings: KeySettings,
    creator: &'a Actor,
    rotated_from: Option<String>,
}

/// How long an API `Idempotency-Key` is remembered.
const ONCE_WINDOW_HOURS: i64 = 24;

/// The key an earlier request with this one-time id made (an
/// `Idempotency-Key` within its day), if there was one: a retried rotation
/// is told so rather than that its key was rotated already.
fn issued_before(conn: &mut DbConn, org_id: OrgId, once: &Once) -> QueryResult<Option<String>> {
    let Some(stored) = once.stored() else { return Ok(None) };
    if matches!(once, Once::Idempotency { .. }) {
        form_ids::forget(conn, &stored, now() - chrono::Duration::hours(ONCE_WINDOW_HOURS))?;
    }
    form_ids::key_of(conn, &stored, org_id)
}

/// Claims the one-time id and inserts the key, inside the caller's
/// transaction: the key, or `Err` with the key an earlier use of the id made.
fn insert(conn: &mut DbConn, new: Issue<'_>) -> QueryResult<Result<ApiKey, Option<String>>> {
    if let Some(once) = new.once.stored() {
        if matches!(new.once, Once::Idempotency { .. }) {
            form_ids::forget(conn, &once, now() - chrono::Duration::hours(ONCE_WINDOW_HOURS))?;
        }
        if !form_ids::claim(conn, &once, new.org_id, new.key_id.as_str())? {
            return Ok(Err(form_ids::key_of(conn, &once, new.org_id)?));
        }
    }
    let (user_id, email, key_id) = match new.creator {
        Actor::User { id, email, .. } => (Some(*id), Some(email.as_str()), None),
        Actor::ApiKey { key_id, .. } => (None, None, Some(key_id.as_str())),
        _ => (None, None, None),
    };
    let name = new.creator.display_name();
    let key = api_keys::insert(
        conn,
        NewKey {
            org_id: new.org_id,
            key_id: new.key_id.as_str(),
            token_hash: &new.secret.hash(),
            display_prefix: &new.secret.display_prefix(),
            settings: &new.settings,
            created_by: CreatedBy { user_id, email, key_id, name: &name },
            rotated_from: new.rotated_from.as_deref(),
        },
    )?;
    Ok(Ok(key))
}

/// Creates a key with `settings` for the caller: the row, `api_key.created`
/// in the audit log and as a webhook event. A calling key may only create
/// keys within itself; the key policy applies to everyone.
pub async fn create(
    ctx: &AppState,
    caller: &Caller,
    (settings, credits): (KeySettings, CreditsChange),
    once: Once,
) -> Result<Issued, CreateError> {
    authorize(caller, Op::Create)?;
    let (asking, wanted) = (caller.clone(), settings.clone());
    let api = ctx.db.run(move |conn| reach_of(conn, &asking, &wanted)).await?.map_err(CreateError::Invalid)?;
    within_settings(caller, &settings, &api, ctx.config.default_rate_limit)?;
    within_limits(caller, settings.owner_id.as_ref(), credits.metered(false))?;
    meets_policy(caller, &settings, now()).map_err(CreateError::Policy)?;
    // Only now does a token exist: in memory, then once in the answer.
    let secret = ApiKeySecret::generate(&ctx.config.key_prefix);
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let actor = caller.actor();
        let new = Issue {
            org_id: caller.org().id,
            once: &once,
            key_id: KeyId::generate(),
            secret: &secret,
            settings,
            creator: &actor,
            rotated_from: None,
        };
        let key = match insert(conn, new)? {
            Ok(key) => key,
            Err(first) => return Ok(Issued::AlreadySubmitted(first)),
        };
        if credits.metered(false) {
            let refill = credits.refill_over(None, false);
            crate::db::credits::set(conn, key.id, (true, refill, credits.remaining.flatten()), now())?;
        }
        let key = reload(conn, &key)?;
        let seq = audit::record_seq(conn, &actor, &caller.meta, Entry::api_key_created(&key))?;
        key_event(conn, EventType::ApiKeyCreated, &key, &actor, seq)?;
        Ok(Issued::Created(Box::new(key), secret))
    })
    .await
}

/// The settings a rotation's replacement takes: the old key's (label,
/// scopes, allowlist, limit), with its expiry capped by the key policy's
/// maximum lifetime (a past expiry is dropped first).
fn replacement(old: &ApiKey, policy: &KeyPolicy) -> KeySettings {
    let expires_at = policy.capped_expiry(old.expires_at.filter(|t| *t > now()), now());
    KeySettings { expires_at, ..old.settings() }
}

/// Rotates one of the organisation's keys (`keys:write` for a key).
pub async fn rotate(
    ctx: &AppState,
    caller: &Caller,
    key_id: &str,
    grace: Grace,
    once: Once,
) -> Result<Issued, RotateError> {
    rotate_as(ctx, caller, Op::Rotate, key_id.to_owned(), (grace, once)).await
}

/// A calling key rotates itself (`keys:self_rotate`).
pub async fn rotate_self(ctx: &AppState, caller: &Caller, grace: Grace, once: Once) -> Result<Issued, RotateError> {
    let own = caller.calling_key().map(|k| k.key_id.to_string()).ok_or(RotateError::NotFound)?;
    rotate_as(ctx, caller, Op::RotateSelf, own, (grace, once)).await
}

/// Replaces the key with a new one of the same settings (expiry capped by
/// the key policy), shown once: the old key keeps working for `grace` (the
/// scheduler revokes it then; at once for `Grace::None`). Checked under the
/// key's row lock, so of concurrent rotations exactly one finds it
/// unreplaced; a repeat of the one that did it is told so. After the commit
/// every instance sees the change (an old key revoked at once is refused).
async fn rotate_as(
    ctx: &AppState,
    caller: &Caller,
    op: Op,
    key_id: String,
    (grace, once): (Grace, Once),
) -> Result<Issued, RotateError> {
    authorize(caller, op)?;
    if !caller.reauthenticated() {
        return Err(RotateError::NeedsSudo);
    }
    let secret = ApiKeySecret::generate(&ctx.config.key_prefix);
    let (caller, default_limit) = (caller.clone(), ctx.config.default_rate_limit);
    let issued = ctx
        .transaction(move |conn| {
            let org_id = caller.org().id;
            let old = super::locked(conn, org_id, &key_id)?.ok_or(RotateError::NotFound)?;
            if !old.can_rotate(now()) {
                // A retry of the rotation that did it is answered as a repeat, not as a conflict.
                return issued_before(conn, org_id, &once)?
                    .map(|first| Issued::AlreadySubmitted(Some(first)))
                    .ok_or(RotateError::NotRotatable);
            }
            let settings = replacement(&old, &caller.org().key_policy);
            // The replacement holds what the old key held; its API may since have dropped a role or permission.
            let api = crate::app::apis::definition_or_deny(conn, org_id, settings.scopes.api().as_str())?;
            within_settings(&caller, &settings, &api, default_limit)?;
            meets_policy(&caller, &settings, now()).map_err(RotateError::Policy)?;
            let actor = caller.actor();
            let new = Issue {
                org_id,
                once: &once,
                key_id: KeyId::generate(),
                secret: &secret,
                settings,
                creator: &actor,
                rotated_from: Some(old.key_id.to_string()),
            };
            let fresh = match insert(conn, new)? {
                Ok(key) => key,
                Err(first) => return Ok(Issued::AlreadySubmitted(first)),
            };
            record_rotation(conn, (&old, &fresh), grace, &actor, &caller.meta)?;
            // As the rotation left it (the old key's credits moved to it).
            let fresh = reload(conn, &fresh)?;
            Ok(Issued::Created(Box::new(fresh), secret))
        })
        .await?;
    if matches!(issued, Issued::Created(..)) {
        ctx.key_cache.confirm(&ctx.db).await;
    }
    Ok(issued)
}

/// The rotation's writes: the old key marked replaced (until the grace
/// period ends), `api_key.rotated` and `api_key.created`, and the old key
/// revoked at once without a grace period.
fn record_rotation(
    conn: &mut DbConn,
    (old, fresh): (&ApiKey, &ApiKey),
    grace: Grace,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    api_keys::mark_rotated(conn, old.id, &fresh.key_id, now() + grace.duration())?;
    // The replacement carries on the old key's credits; the old key spends from them until it goes.
    crate::db::credits::move_to(conn, old.id, fresh.id)?;
    let rotated_seq = audit::record_seq(conn, actor, meta, Entry::api_key_rotated(old, &fresh.key_id, grace.as_str()))?;
    let created_seq = audit::record_seq(conn, actor, meta, Entry::api_key_created(fresh))?;
    let rotated = reload(conn, old)?;
    let extra = json!({ "replaced_by": fresh.key_id, "grace": grace.as_str() });
    key_event_with(conn, EventType::ApiKeyRotated, &rotated, actor, rotated_seq, object(extra))?;
    key_event(conn, EventType::ApiKeyCreated, fresh, actor, created_seq)?;
    if grace == Grace::None {
        revoke(conn, old, &actor.display_name(), actor, meta, RevokeCause::RotatedWithoutGrace)?;
    }
    Ok(())
}
