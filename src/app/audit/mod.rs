//! The audit trail: append-only, hash-chained, one chain per organisation
//! (org 0 is the platform log). `record` is called inside the transaction of
//! the change it describes, so neither can exist without the other.
//! Nothing in the code base updates or deletes an event.

mod action;
pub mod archive;
pub mod checkpoints;
/// The canonical encoding and hashing of events (pure; it lives in `domain` so `db` can use it too).
pub use crate::domain::audit_chain as chain;
mod entries;
pub mod export;
pub mod filter;
mod verify;

pub use action::{Action, human_label};
pub use entries::{Entry, SecondFactorChange, key_snapshot};
pub use verify::{Anchor, BrokenEvent, CheckpointKey, VerifyReport, verify, verify_chain_only};

use crate::db::QueryResult;
use crate::db::audit_events::{self, NewEvent};
use crate::db::users::User;
use crate::db::{DbConn, now};
use crate::domain::event_type::EventType;
use crate::domain::{OrgId, UserId};
use chain::EventFields;
use serde_json::{Value, json};

/// The chain of events that belong to no organisation.
pub const PLATFORM_LOG: OrgId = OrgId::new(0);

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    User {
        id: UserId,
        email: String,
        name: String,
    },
    /// Platform staff acting through the support console.
    Staff {
        id: UserId,
        email: String,
        name: String,
    },
    /// The server itself or the CLI; the label says which.
    System {
        label: &'static str,
    },
    /// Someone not logged in (a failed login).
    Anonymous,
    /// An API key using the management API: recorded with its key id as
    /// `actor_name` and its display prefix as `details.actor_prefix`
    /// (the stored columns are frozen; docs/api-guide.md: Actors).
    ApiKey {
        key_id: String,
        prefix: String,
        label: String,
    },
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

    /// The name kept on what the actor makes or revokes ("created by", "revoked by").
    pub fn display_name(&self) -> String {
        match self {
            Self::User { name, .. } | Self::Staff { name, .. } => name.clone(),
            Self::System { label } => (*label).to_owned(),
            Self::Anonymous => "anonymous".into(),
            Self::ApiKey { label, .. } => format!("API key {label}"),
        }
    }

    /// The actor as webhook event data shows it.
    pub fn to_json(&self) -> Value {
        let (kind, id, email, name) = self.columns();
        json!({ "type": kind, "id": id, "email": email, "name": name })
    }

    fn columns(&self) -> (&'static str, Option<i64>, Option<String>, Option<String>) {
        match self {
            Self::User { id, email, name } => ("user", Some(id.get()), Some(email.clone()), Some(name.clone())),
            Self::Staff { id, email, name } => ("staff", Some(id.get()), Some(email.clone()), Some(name.clone())),
            Self::System { label } => ("system", None, None, Some((*label).to_owned())),
            Self::Anonymous => ("anonymous", None, None, None),
            Self::ApiKey { key_id, .. } => ("api_key", None, None, Some(key_id.clone())),
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

/// Appends an event to its organisation's chain. Call it inside the
/// transaction of the change; locking the chain head first keeps concurrent
/// writers in line, so the chain never forks.
pub fn record(conn: &mut DbConn, actor: &Actor, meta: &RequestMeta, entry: Entry) -> QueryResult<()> {
    append(conn, actor, meta, entry, None).map(|_| ())
}

/// [`record`], answering the event's `seq`: the number a webhook event
/// caused by the same change carries (docs/api-guide.md: Receiving webhooks → Order and `seq`).
pub fn record_seq(conn: &mut DbConn, actor: &Actor, meta: &RequestMeta, entry: Entry) -> QueryResult<i64> {
    append(conn, actor, meta, entry, None)
}

/// The seq of the organisation's latest event, holding its chain head until
/// the transaction ends: a webhook event that no change causes
/// (`api_key.expiring`) is numbered as of it, and whatever it reads after
/// this call is the state as of that seq (no change can commit meanwhile).
pub fn latest_seq(conn: &mut DbConn, org_id: OrgId) -> QueryResult<i64> {
    audit_events::lock_head(conn, org_id).map(|(seq, _)| seq)
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
    append(conn, actor, meta, entry, Some(at)).map(|_| ())
}

/// `at: None` = now, read *after* taking the chain-head lock, so that ids
/// and times grow together even when writers queue for the lock.
fn append(
    conn: &mut DbConn,
    actor: &Actor,
    meta: &RequestMeta,
    entry: Entry,
    at: Option<chrono::NaiveDateTime>,
) -> QueryResult<i64> {
    let (last_seq, last_hash) = audit_events::lock_head(conn, entry.org_id)?;
    let at = at.unwrap_or_else(now);
    let (actor_type, actor_id, actor_email, actor_name) = actor.columns();
    let (target_type, target_id, target_label) = match entry.target {
        Some((kind, id, label)) => (Some(kind.to_owned()), Some(id), Some(label)),
        None => (None, None, None),
    };
    let mut fields = EventFields {
        org_id: entry.org_id.get(),
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
    if let (Actor::ApiKey { prefix, .. }, Some(details)) = (actor, entry.details.as_object()) {
        let mut details = details.clone();
        details.insert("actor_prefix".into(), json!(prefix));
        fields.details = Value::Object(details).to_string();
    }
    let hash = fields.hash(&last_hash);
    audit_events::insert(conn, NewEvent { fields: &fields, prev_hash: &last_hash, hash: &hash })?;
    audit_events::set_head(conn, entry.org_id, fields.seq, &hash)?;
    stream(conn, entry.org_id, fields.seq)?;
    Ok(fields.seq)
}

/// Sends the event just recorded as `audit.event` to the organisation's
/// endpoints that subscribe to it — in this transaction, under the chain-head
/// lock, so deliveries are queued in chain order (the worker keeps that
/// order per endpoint: `db::claim_due`).
fn stream(conn: &mut DbConn, org_id: OrgId, seq: i64) -> QueryResult<()> {
    if crate::db::webhooks::subscribers(conn, org_id, EventType::AuditEvent)?.is_empty() {
        return Ok(());
    }
    let Some(event) = audit_events::by_seq(conn, org_id, seq)? else { return Ok(()) };
    crate::db::outbox::enqueue(conn, org_id, EventType::AuditEvent, seq, export::json(&event)).map(|_| ())
}

/// Records `entry_for(org)` in the log of every organisation in `org_ids`,
/// or in the platform log when there are none (session events, docs/user-guide.md: Audit log).
pub fn record_each(
    conn: &mut DbConn,
    actor: &Actor,
    meta: &RequestMeta,
    org_ids: &[OrgId],
    entry_for: impl Fn(OrgId) -> Entry,
) -> QueryResult<()> {
    if org_ids.is_empty() {
        return record(conn, actor, meta, entry_for(PLATFORM_LOG));
    }
    org_ids.iter().try_for_each(|org_id| record(conn, actor, meta, entry_for(*org_id)))
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
