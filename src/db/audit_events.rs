//! Storage of the audit log. Only inserts and reads: there is no update or
//! delete of an event anywhere in the code base.

use super::DbConn;
use super::schema::audit_chain_heads as heads;
use super::schema::audit_events::{self as events, dsl};
use crate::audit::chain::{EventFields, GENESIS_HASH};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct StoredEvent {
    pub id: i64,
    pub org_id: i64,
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: Option<i64>,
    pub actor_email: Option<String>,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_label: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub trace_id: Option<String>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    pub fn fields(&self) -> EventFields {
        EventFields {
            org_id: self.org_id,
            seq: self.seq,
            occurred_at: self.occurred_at,
            actor_type: self.actor_type.clone(),
            actor_id: self.actor_id,
            actor_email: self.actor_email.clone(),
            actor_name: self.actor_name.clone(),
            action: self.action.clone(),
            target_type: self.target_type.clone(),
            target_id: self.target_id.clone(),
            target_label: self.target_label.clone(),
            ip: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            request_id: self.request_id.clone(),
            trace_id: self.trace_id.clone(),
            details: self.details.clone(),
        }
    }
}

pub struct NewEvent<'a> {
    pub fields: &'a EventFields,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Starts a chain for a new organisation.
pub fn create_head(conn: &mut DbConn, org_id: i64) -> QueryResult<()> {
    diesel::insert_into(heads::table)
        .values((
            heads::org_id.eq(org_id),
            heads::last_seq.eq(0_i64),
            heads::last_hash.eq(GENESIS_HASH),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Locks the chain head (a no-op UPDATE takes PostgreSQL's row lock and
/// SQLite's write lock) and returns (last seq, last hash).
pub fn lock_head(conn: &mut DbConn, org_id: i64) -> QueryResult<(i64, String)> {
    let locked = diesel::update(heads::table.find(org_id))
        .set(heads::last_seq.eq(heads::last_seq))
        .execute(conn)?;
    if locked == 0 {
        create_head(conn, org_id)?;
    }
    heads::table
        .find(org_id)
        .select((heads::last_seq, heads::last_hash))
        .first(conn)
}

pub fn head(conn: &mut DbConn, org_id: i64) -> QueryResult<(i64, String)> {
    let head = heads::table
        .find(org_id)
        .select((heads::last_seq, heads::last_hash))
        .first(conn)
        .optional()?;
    Ok(head.unwrap_or((0, GENESIS_HASH.to_owned())))
}

pub fn set_head(conn: &mut DbConn, org_id: i64, seq: i64, hash: &str) -> QueryResult<()> {
    diesel::update(heads::table.find(org_id))
        .set((heads::last_seq.eq(seq), heads::last_hash.eq(hash)))
        .execute(conn)
        .map(|_| ())
}

pub fn insert(conn: &mut DbConn, new: NewEvent<'_>) -> QueryResult<()> {
    let f = new.fields;
    diesel::insert_into(events::table)
        .values((
            dsl::org_id.eq(f.org_id),
            dsl::seq.eq(f.seq),
            dsl::occurred_at.eq(f.occurred_at),
            dsl::actor_type.eq(&f.actor_type),
            dsl::actor_id.eq(f.actor_id),
            dsl::actor_email.eq(&f.actor_email),
            dsl::actor_name.eq(&f.actor_name),
            dsl::action.eq(&f.action),
            dsl::target_type.eq(&f.target_type),
            dsl::target_id.eq(&f.target_id),
            dsl::target_label.eq(&f.target_label),
            dsl::ip.eq(&f.ip),
            dsl::user_agent.eq(&f.user_agent),
            dsl::request_id.eq(&f.request_id),
            dsl::trace_id.eq(&f.trace_id),
            dsl::details.eq(&f.details),
            dsl::prev_hash.eq(new.prev_hash),
            dsl::hash.eq(new.hash),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A filter on the log (SPEC §6), already parsed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An actor's email, or `system`.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// A target's id or its label snapshot.
    pub target: Option<String>,
    /// Inclusive lower bound.
    pub from: Option<NaiveDateTime>,
    /// Exclusive upper bound.
    pub to: Option<NaiveDateTime>,
}

type Boxed<'a> = events::BoxedQuery<'a, super::conn::MultiBackend>;

fn filtered(org_id: i64, filter: &Filter) -> Boxed<'static> {
    let mut query = events::table.filter(dsl::org_id.eq(org_id)).into_boxed();
    if let Some(actor) = &filter.actor {
        query = if actor == "system" {
            query.filter(dsl::actor_type.eq("system"))
        } else {
            query.filter(dsl::actor_email.eq(actor.to_lowercase()))
        };
    }
    if let Some(action) = &filter.action {
        query = query.filter(dsl::action.eq(action.clone()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(
            dsl::target_id
                .eq(target.clone())
                .or(dsl::target_label.eq(target.clone())),
        );
    }
    if let Some(from) = filter.from {
        query = query.filter(dsl::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(dsl::occurred_at.lt(to));
    }
    query
}

/// A page of events, newest first, strictly older than `before_id` (keyset pagination).
pub fn page(
    conn: &mut DbConn,
    org_id: i64,
    filter: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    let mut query = filtered(org_id, filter);
    if let Some(before) = before_id {
        query = query.filter(dsl::id.lt(before));
    }
    query
        .order(dsl::id.desc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

/// A batch for exports, oldest first, strictly newer than `after_id`.
pub fn export_batch(
    conn: &mut DbConn,
    org_id: i64,
    filter: &Filter,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    filtered(org_id, filter)
        .filter(dsl::id.gt(after_id))
        .order(dsl::id.asc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

/// A batch of the chain in `seq` order, for verification.
pub fn chain_batch(
    conn: &mut DbConn,
    org_id: i64,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    events::table
        .filter(dsl::org_id.eq(org_id))
        .filter(dsl::seq.gt(after_seq))
        .order(dsl::seq.asc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConn, org_id: i64) -> QueryResult<i64> {
    events::table
        .filter(dsl::org_id.eq(org_id))
        .count()
        .get_result(conn)
}
