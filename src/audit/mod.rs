//! The audit trail: append-only, hash-chained, one chain per organisation
//! (org 0 is the platform log). `record` is called inside the transaction of
//! the change it describes, so neither can exist without the other.
//! Nothing in the code base updates or deletes an event.

mod action;
/// The canonical encoding and hashing of events (pure; it lives in `domain` so `db` can use it too).
pub use crate::domain::audit_chain as chain;
pub mod export;

pub use action::{Action, human_label};

use crate::db::api_keys::ApiKey;
use crate::db::audit_events::{self, NewEvent};
use crate::db::users::User;
use crate::db::webhooks::Endpoint;
use crate::db::{DbConn, now};
use crate::domain::Role;
use chain::EventFields;
use diesel::QueryResult;
use serde_json::{Value, json};

/// The chain of events that belong to no organisation.
pub const PLATFORM_LOG: i64 = 0;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        id: i64,
        email: String,
        name: String,
    },
    /// Platform staff acting through the support console.
    Staff {
        id: i64,
        email: String,
        name: String,
    },
    /// The server itself or the CLI; the label says which.
    System {
        label: &'static str,
    },
    /// Someone not logged in (a failed login).
    Anonymous,
}

impl Actor {
    pub fn user(user: &User) -> Self {
        Self::User { id: user.id, email: user.email.clone(), name: user.name.clone() }
    }

    pub fn staff(user: &User) -> Self {
        Self::Staff { id: user.id, email: user.email.clone(), name: user.name.clone() }
    }

    pub fn cli() -> Self {
        Self::System { label: "cli" }
    }

    /// The actor as webhook event data shows it.
    pub fn to_json(&self) -> Value {
        let (kind, id, email, name) = self.columns();
        json!({ "type": kind, "id": id, "email": email, "name": name })
    }

    fn columns(&self) -> (&'static str, Option<i64>, Option<String>, Option<String>) {
        match self {
            Self::User { id, email, name } => ("user", Some(*id), Some(email.clone()), Some(name.clone())),
            Self::Staff { id, email, name } => ("staff", Some(*id), Some(email.clone()), Some(name.clone())),
            Self::System { label } => ("system", None, None, Some((*label).to_owned())),
            Self::Anonymous => ("anonymous", None, None, None),
        }
    }
}

/// Where the request came from. Empty for CLI work.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
}

impl RequestMeta {
    /// Where a session started from, as the sessions table keeps it.
    pub fn session_origin(&self) -> crate::db::sessions::Origin {
        crate::db::sessions::Origin { ip: self.ip.clone(), user_agent: self.user_agent.clone() }
    }
}

/// The trace id of a W3C `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`).
pub fn trace_id_from_traceparent(header: &str) -> Option<String> {
    let mut parts = header.trim().split('-');
    let (version, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && hex(flags, 2);
    valid.then(|| trace.to_owned())
}

/// What happened to what, in which organisation's log. One constructor per action.
#[derive(Debug, Clone)]
pub struct Entry {
    pub org_id: i64,
    pub action: Action,
    pub target: Option<(&'static str, String, String)>,
    pub details: Value,
}

impl Entry {
    fn new(org_id: i64, action: Action) -> Self {
        Self { org_id, action, target: None, details: json!({}) }
    }

    fn target(mut self, kind: &'static str, id: impl ToString, label: impl Into<String>) -> Self {
        self.target = Some((kind, id.to_string(), label.into()));
        self
    }

    fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn session_login(org_id: i64) -> Self {
        Self::new(org_id, Action::SessionLogin)
    }

    /// `attempted_email` is what was typed; the password never appears.
    /// `user` is the account it names, when one exists.
    pub fn session_login_failed(org_id: i64, attempted_email: &str, user: Option<&User>, reason: &str) -> Self {
        let entry = Self::new(org_id, Action::SessionLoginFailed)
            .details(json!({ "attempted_email": attempted_email, "reason": reason }));
        match user {
            Some(user) => entry.target("user", user.id, user.email.clone()),
            None => entry,
        }
    }

    pub fn session_logout(org_id: i64, everywhere: bool) -> Self {
        Self::new(org_id, Action::SessionLogout).details(json!({ "everywhere": everywhere }))
    }

    pub fn org_created(org_id: i64, slug: &str, name: &str, plan: &str) -> Self {
        Self::new(org_id, Action::OrgCreated)
            .target("org", slug, name)
            .details(json!({ "slug": slug, "name": name, "plan": plan }))
    }

    pub fn org_plan_changed(org_id: i64, slug: &str, before: &str, after: &str) -> Self {
        Self::new(org_id, Action::OrgPlanChanged)
            .target("org", slug, slug)
            .details(json!({ "before": { "plan": before }, "after": { "plan": after } }))
    }

    pub fn member_added(org_id: i64, user_id: i64, email: &str, role: Role) -> Self {
        Self::new(org_id, Action::MemberAdded).target("user", user_id, email).details(json!({ "role": role.as_str() }))
    }

    pub fn member_role_changed(org_id: i64, user_id: i64, email: &str, before: Role, after: Role) -> Self {
        Self::new(org_id, Action::MemberRoleChanged)
            .target("user", user_id, email)
            .details(json!({ "before": { "role": before.as_str() }, "after": { "role": after.as_str() } }))
    }

    pub fn member_removed(org_id: i64, user_id: i64, email: &str, role: Role) -> Self {
        Self::new(org_id, Action::MemberRemoved)
            .target("user", user_id, email)
            .details(json!({ "role": role.as_str() }))
    }

    /// `view` says what was opened: the page, an export, or verification.
    pub fn support_viewed_audit_log(org_id: i64, view: &str) -> Self {
        Self::new(org_id, Action::SupportViewedAuditLog).details(json!({ "view": view }))
    }
}

/// The public fields of a key, as audit details and webhook data show them (README: The REST API).
pub fn key_snapshot(key: &ApiKey) -> Value {
    json!({
        "key_id": key.key_id,
        "label": key.label,
        "prefix": key.display_prefix,
        "scopes": key.scopes().effective_names(),
        "full_access": key.scopes().is_full_access(),
        "state": key.state(now()).as_str(),
        "expires_at": key.expires_at.map(|t| chain::format_time(&t)),
    })
}

impl Entry {
    fn key(org_id: i64, action: Action, key: &ApiKey) -> Self {
        Self::new(org_id, action).target("api_key", &key.key_id, format!("{} ({})", key.label, key.display_prefix))
    }

    pub fn api_key_created(key: &ApiKey) -> Self {
        Self::key(key.org_id, Action::ApiKeyCreated, key).details(key_snapshot(key))
    }

    /// `before`/`after` hold only the fields that changed.
    pub fn api_key_updated(key: &ApiKey, before: Value, after: Value) -> Self {
        Self::key(key.org_id, Action::ApiKeyUpdated, key).details(json!({ "before": before, "after": after }))
    }

    pub fn api_key_scopes_changed(key: &ApiKey, before: &[&str], after: &[&str]) -> Self {
        Self::key(key.org_id, Action::ApiKeyScopesChanged, key)
            .details(json!({ "before": { "scopes": before }, "after": { "scopes": after } }))
    }

    pub fn api_key_deactivated(key: &ApiKey) -> Self {
        Self::key(key.org_id, Action::ApiKeyDeactivated, key)
    }

    pub fn api_key_activated(key: &ApiKey) -> Self {
        Self::key(key.org_id, Action::ApiKeyActivated, key)
    }

    pub fn api_key_rotated(old: &ApiKey, new_key_id: &str, grace: &str) -> Self {
        Self::key(old.org_id, Action::ApiKeyRotated, old).details(json!({ "replaced_by": new_key_id, "grace": grace }))
    }

    pub fn api_key_revoked(key: &ApiKey, reason: &str) -> Self {
        Self::key(key.org_id, Action::ApiKeyRevoked, key).details(json!({ "reason": reason }))
    }

    /// The log keeps a snapshot of what was deleted.
    pub fn api_key_deleted(key: &ApiKey) -> Self {
        Self::key(key.org_id, Action::ApiKeyDeleted, key).details(key_snapshot(key))
    }

    pub fn api_key_expired(key: &ApiKey) -> Self {
        Self::key(key.org_id, Action::ApiKeyExpired, key)
    }

    pub fn api_key_revoked_key_used(key: &ApiKey, state: &str) -> Self {
        Self::key(key.org_id, Action::ApiKeyRevokedKeyUsed, key).details(json!({ "state": state }))
    }

    fn webhook(action: Action, hook: &Endpoint) -> Self {
        Self::new(hook.org_id, action).target("webhook", &hook.public_id, hook.url.clone())
    }

    pub fn webhook_created(hook: &Endpoint) -> Self {
        Self::webhook(Action::WebhookCreated, hook).details(json!({ "url": hook.url, "events": hook.event_list() }))
    }

    pub fn webhook_updated(hook: &Endpoint, before: Value, after: Value) -> Self {
        Self::webhook(Action::WebhookUpdated, hook).details(json!({ "before": before, "after": after }))
    }

    pub fn webhook_deleted(hook: &Endpoint) -> Self {
        Self::webhook(Action::WebhookDeleted, hook).details(json!({ "url": hook.url, "events": hook.event_list() }))
    }

    pub fn webhook_tested(hook: &Endpoint, status: Option<u16>, error: Option<&str>, latency_ms: u64) -> Self {
        Self::webhook(Action::WebhookTested, hook)
            .details(json!({ "status": status, "error": error, "latency_ms": latency_ms }))
    }

    pub fn webhook_secret_rotated(hook: &Endpoint) -> Self {
        Self::webhook(Action::WebhookSecretRotated, hook)
    }

    pub fn webhook_disabled(hook: &Endpoint, reason: &str) -> Self {
        Self::webhook(Action::WebhookDisabled, hook).details(json!({ "reason": reason }))
    }

    pub fn support_viewed_api_keys(org_id: i64, view: &str) -> Self {
        Self::new(org_id, Action::SupportViewedApiKeys).details(json!({ "view": view }))
    }
}

/// Appends an event to its organisation's chain. Call it inside the
/// transaction of the change; locking the chain head first keeps concurrent
/// writers in line, so the chain never forks.
pub fn record(conn: &mut DbConn, actor: &Actor, meta: &RequestMeta, entry: Entry) -> QueryResult<()> {
    append(conn, actor, meta, entry, None)
}

/// [`record`] with an explicit time: only `latchkey demo` uses it, to lay out
/// a history in time order (ids and times must grow together in a chain).
pub fn record_at(
    conn: &mut DbConn,
    actor: &Actor,
    meta: &RequestMeta,
    entry: Entry,
    at: chrono::NaiveDateTime,
) -> QueryResult<()> {
    append(conn, actor, meta, entry, Some(at))
}

/// `at: None` = now, read *after* taking the chain-head lock, so that ids
/// and times grow together even when writers queue for the lock.
fn append(
    conn: &mut DbConn,
    actor: &Actor,
    meta: &RequestMeta,
    entry: Entry,
    at: Option<chrono::NaiveDateTime>,
) -> QueryResult<()> {
    let (last_seq, last_hash) = audit_events::lock_head(conn, entry.org_id)?;
    let at = at.unwrap_or_else(now);
    let (actor_type, actor_id, actor_email, actor_name) = actor.columns();
    let (target_type, target_id, target_label) = match entry.target {
        Some((kind, id, label)) => (Some(kind.to_owned()), Some(id), Some(label)),
        None => (None, None, None),
    };
    let fields = EventFields {
        org_id: entry.org_id,
        seq: last_seq + 1,
        occurred_at: at,
        actor_type: actor_type.to_owned(),
        actor_id,
        actor_email,
        actor_name,
        action: entry.action.as_str().to_owned(),
        target_type,
        target_id,
        target_label,
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        request_id: meta.request_id.clone(),
        trace_id: meta.trace_id.clone(),
        details: entry.details.to_string(),
    };
    let hash = fields.hash(&last_hash);
    audit_events::insert(conn, NewEvent { fields: &fields, prev_hash: &last_hash, hash: &hash })?;
    audit_events::set_head(conn, entry.org_id, fields.seq, &hash)
}

/// Records `entry_for(org)` in the log of every organisation in `org_ids`,
/// or in the platform log when there are none (session events, README: Audit log).
pub fn record_each(
    conn: &mut DbConn,
    actor: &Actor,
    meta: &RequestMeta,
    org_ids: &[i64],
    entry_for: impl Fn(i64) -> Entry,
) -> QueryResult<()> {
    if org_ids.is_empty() {
        return record(conn, actor, meta, entry_for(PLATFORM_LOG));
    }
    org_ids.iter().try_for_each(|org_id| record(conn, actor, meta, entry_for(*org_id)))
}

/// Where verification stopped, and why.
#[derive(Debug, Clone)]
pub struct BrokenEvent {
    pub id: i64,
    pub seq: i64,
    pub reason: chain::Break,
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub checked: u64,
    pub broken: Option<BrokenEvent>,
}

/// Re-walks an organisation's chain in batches; `progress` hears how many
/// events each batch checked.
pub fn verify(conn: &mut DbConn, org_id: i64, mut progress: impl FnMut(u64)) -> QueryResult<VerifyReport> {
    const BATCH: i64 = 2_000;
    let (head_seq, _) = audit_events::head(conn, org_id)?;
    let mut verifier = chain::Verifier::default();
    let mut after_seq = 0;
    loop {
        let batch = audit_events::chain_batch(conn, org_id, after_seq, BATCH)?;
        let Some(last) = batch.last() else { break };
        after_seq = last.seq;
        let before = verifier.checked;
        for event in &batch {
            if let Err(reason) = verifier.check(&event.fields(), &event.prev_hash, &event.hash) {
                let broken = BrokenEvent { id: event.id, seq: event.seq, reason };
                return Ok(VerifyReport { checked: verifier.checked, broken: Some(broken) });
            }
        }
        progress(verifier.checked - before);
    }
    let broken = verifier.finish(head_seq).err().map(|reason| BrokenEvent { id: 0, seq: head_seq, reason });
    Ok(VerifyReport { checked: verifier.checked, broken })
}

#[cfg(test)]
mod tests {
    use super::trace_id_from_traceparent;

    #[test]
    fn trace_ids_come_only_from_valid_traceparent_headers() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(trace_id_from_traceparent(&format!("00-{trace}-00f067aa0ba902b7-01")).as_deref(), Some(trace));
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_id_from_traceparent(bad), None, "{bad:?}");
        }
    }
}
