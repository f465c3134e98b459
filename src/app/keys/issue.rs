//! Issuing keys: a create, or a rotation's replacement. The token is made
//! here and handed back to the caller, who shows it once; only its hash and
//! prefix are stored. A one-time id (the console form's, or an API
//! `Idempotency-Key`) makes a repeated request create nothing.

use super::{object, reload, revoke};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::webhooks::events::{key_event, key_event_with};
use crate::db::QueryResult;
use crate::db::api_keys::{self, ApiKey, CreatedBy, KeySettings, NewKey};
use crate::db::form_ids;
use crate::db::{DbConn, now};
use crate::domain::event_type::EventType;
use crate::domain::key_policy::KeyPolicy;
use crate::domain::key_settings::Grace;
use crate::domain::key_state::RevokeCause;
use crate::domain::token::{ApiKeySecret, KeyHash, KeyId, KeyPrefix};
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

/// What a new key (created, or a rotation's replacement) is made of; the
/// token itself stays in the caller's memory, only its hash and prefix come here.
pub struct Issue {
    pub org_id: i64,
    /// The one-time id of the request that asks for it: a second one creates nothing.
    pub once: Once,
    pub key_id: KeyId,
    pub hash: KeyHash,
    pub display_prefix: String,
    pub settings: KeySettings,
    /// Who issues it: a user in the console, or a key through the management API.
    pub creator: Actor,
    pub rotated_from: Option<String>,
}

impl Issue {
    /// A fresh token (returned, to be shown once) and the issue that stores its hash.
    pub fn new(
        org_id: i64,
        key_prefix: &KeyPrefix,
        once: Once,
        settings: KeySettings,
        creator: Actor,
    ) -> (Self, ApiKeySecret) {
        let secret = ApiKeySecret::generate(key_prefix);
        let issue = Self {
            org_id,
            once,
            key_id: KeyId::generate(),
            hash: secret.hash(),
            display_prefix: secret.display_prefix(),
            settings,
            creator,
            rotated_from: None,
        };
        (issue, secret)
    }
}

/// What a create or a rotation came to.
pub enum Issued {
    Created(Box<ApiKey>),
    /// The one-time id was used before: nothing was created; the key it made then.
    AlreadySubmitted(Option<String>),
    /// A rotation found the key revoked or already replaced (another
    /// rotation won the race): nothing was created.
    NotRotatable,
}

/// How long an API `Idempotency-Key` is remembered.
const ONCE_WINDOW_HOURS: i64 = 24;

/// The key an earlier request with this one-time id made (an
/// `Idempotency-Key` within its day), if there was one: a retried rotation
/// is told so rather than that its key was rotated already.
pub fn issued_before(conn: &mut DbConn, org_id: i64, once: &Once) -> QueryResult<Option<String>> {
    let Some(stored) = once.stored() else { return Ok(None) };
    if matches!(once, Once::Idempotency { .. }) {
        form_ids::forget(conn, &stored, now() - chrono::Duration::hours(ONCE_WINDOW_HOURS))?;
    }
    form_ids::key_of(conn, &stored, org_id)
}

/// Claims the one-time id and inserts the key, inside the caller's transaction.
fn insert(conn: &mut DbConn, new: &Issue) -> QueryResult<Issued> {
    if let Some(once) = new.once.stored() {
        if matches!(new.once, Once::Idempotency { .. }) {
            form_ids::forget(conn, &once, now() - chrono::Duration::hours(ONCE_WINDOW_HOURS))?;
        }
        if !form_ids::claim(conn, &once, new.org_id, new.key_id.as_str())? {
            return Ok(Issued::AlreadySubmitted(form_ids::key_of(conn, &once, new.org_id)?));
        }
    }
    let (user_id, email, key_id) = match &new.creator {
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
            token_hash: &new.hash,
            display_prefix: &new.display_prefix,
            settings: &new.settings,
            created_by: CreatedBy { user_id, email, key_id, name: &name },
            rotated_from: new.rotated_from.as_deref(),
        },
    )?;
    Ok(Issued::Created(Box::new(key)))
}

/// Creates a key: the row, `api_key.created` in the audit log and as a webhook event.
pub fn create(conn: &mut DbConn, new: &Issue, actor: &Actor, meta: &RequestMeta) -> QueryResult<Issued> {
    crate::db::transaction(conn, |conn| {
        let issued = insert(conn, new)?;
        if let Issued::Created(key) = &issued {
            let seq = audit::record_seq(conn, actor, meta, Entry::api_key_created(key))?;
            key_event(conn, EventType::ApiKeyCreated, key, actor, seq)?;
        }
        Ok(issued)
    })
}

/// The settings a rotation's replacement takes: the old key's (label,
/// scopes, allowlist, limit), with its expiry capped by the key policy's
/// maximum lifetime (a past expiry is dropped first).
pub fn replacement(old: &ApiKey, policy: &KeyPolicy) -> KeySettings {
    let expires_at = policy.capped_expiry(old.expires_at.filter(|t| *t > now()), now());
    KeySettings { expires_at, ..old.settings() }
}

/// Replaces `old` with `new` (settings from [`replacement`]): the old key
/// keeps working for `grace` (the scheduler revokes it then; at once for
/// `Grace::None`).
pub fn rotate(
    conn: &mut DbConn,
    old: &ApiKey,
    new: &Issue,
    grace: Grace,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<Issued> {
    crate::db::transaction(conn, |conn| {
        // The check the caller made before is made again under the key's row
        // lock: of concurrent rotations exactly one finds the key unreplaced.
        crate::db::lock_key(conn, old.id)?;
        let current = reload(conn, old)?;
        if !current.can_rotate(now()) {
            let first = issued_before(conn, new.org_id, &new.once)?;
            return Ok(first.map_or(Issued::NotRotatable, |id| Issued::AlreadySubmitted(Some(id))));
        }
        let issued = insert(conn, new)?;
        let Issued::Created(fresh) = &issued else { return Ok(issued) };
        api_keys::mark_rotated(conn, old.id, &fresh.key_id, now() + grace.duration())?;
        let rotated_seq =
            audit::record_seq(conn, actor, meta, Entry::api_key_rotated(old, &fresh.key_id, grace.as_str()))?;
        let created_seq = audit::record_seq(conn, actor, meta, Entry::api_key_created(fresh))?;
        let rotated = reload(conn, old)?;
        let extra = json!({ "replaced_by": fresh.key_id, "grace": grace.as_str() });
        key_event_with(conn, EventType::ApiKeyRotated, &rotated, actor, rotated_seq, object(extra))?;
        key_event(conn, EventType::ApiKeyCreated, fresh, actor, created_seq)?;
        if grace == Grace::None {
            revoke(conn, old, &new.creator.display_name(), actor, meta, RevokeCause::RotatedWithoutGrace)?;
        }
        Ok(issued)
    })
}
