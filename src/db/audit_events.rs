//! Storage of the audit log. Only inserts and reads: no event is ever
//! updated, and the only delete is audit_trim.rs's removal of an archived
//! prefix that ends at a signed checkpoint.

use super::DbConn;
use super::schema::audit_chain_heads as heads;
use super::schema::audit_events::{self as events, dsl};
use crate::domain::OrgId;
use crate::domain::audit_chain::{EventFields, GENESIS_HASH};
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
pub fn create_head(conn: &mut DbConn, org_id: OrgId) -> QueryResult<()> {
    diesel::insert_into(heads::table)
        .values((heads::org_id.eq(org_id.get()), heads::last_seq.eq(0_i64), heads::last_hash.eq(GENESIS_HASH)))
        .execute(conn)
        .map(|_| ())
}

/// Locks the chain head (a no-op UPDATE takes PostgreSQL's row lock and
/// SQLite's write lock) and returns (last seq, last hash).
pub fn lock_head(conn: &mut DbConn, org_id: OrgId) -> QueryResult<(i64, String)> {
    let locked =
        diesel::update(heads::table.find(org_id.get())).set(heads::last_seq.eq(heads::last_seq)).execute(conn)?;
    if locked == 0 {
        create_head(conn, org_id)?;
    }
    heads::table.find(org_id.get()).select((heads::last_seq, heads::last_hash)).first(conn)
}

pub fn head(conn: &mut DbConn, org_id: OrgId) -> QueryResult<(i64, String)> {
    let head = heads::table.find(org_id.get()).select((heads::last_seq, heads::last_hash)).first(conn).optional()?;
    Ok(head.unwrap_or((0, GENESIS_HASH.to_owned())))
}

pub fn set_head(conn: &mut DbConn, org_id: OrgId, seq: i64, hash: &str) -> QueryResult<()> {
    diesel::update(heads::table.find(org_id.get()))
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

/// A filter on the log (docs/user-guide.md: Audit log), already parsed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An actor's email, an API key's id (`key_…`), or `system`.
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

fn filtered(org_id: OrgId, filter: &Filter) -> Boxed<'static> {
    let mut query = events::table.filter(dsl::org_id.eq(org_id.get())).into_boxed();
    if let Some(actor) = &filter.actor {
        query = if actor == "system" {
            query.filter(dsl::actor_type.eq("system"))
        } else if actor.starts_with("key_") {
            query.filter(dsl::actor_type.eq("api_key")).filter(dsl::actor_name.eq(actor.clone()))
        } else {
            query.filter(dsl::actor_email.eq(actor.to_lowercase()))
        };
    }
    if let Some(action) = &filter.action {
        query = query.filter(dsl::action.eq(action.clone()));
    }
    if let Some(target) = &filter.target {
        query = query.filter(dsl::target_id.eq(target.clone()).or(dsl::target_label.eq(target.clone())));
    }
    if let Some(from) = filter.from {
        query = query.filter(dsl::occurred_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(dsl::occurred_at.lt(to));
    }
    query
}

/// The range of ids whose times fall inside the filter's dates, found through
/// the `(org_id, occurred_at)` index. Filtering on this id range as well
/// keeps both planners on the `(org_id, id)` index instead of scanning it
/// backwards through a year of events. Within one chain ids and times grow
/// together (events are appended under the chain-head lock). `None` = no event.
fn id_range(conn: &mut DbConn, org_id: OrgId, filter: &Filter) -> QueryResult<Option<(i64, i64)>> {
    let base =
        || events::table.filter(dsl::org_id.eq(org_id.get())).select(dsl::id).into_boxed::<super::conn::MultiBackend>();
    let low = match filter.from {
        Some(from) => base()
            .filter(dsl::occurred_at.ge(from))
            .order((dsl::occurred_at.asc(), dsl::id.asc()))
            .first(conn)
            .optional()?,
        None => Some(0),
    };
    let high = match filter.to {
        Some(to) => base()
            .filter(dsl::occurred_at.lt(to))
            .order((dsl::occurred_at.desc(), dsl::id.desc()))
            .first(conn)
            .optional()?,
        None => Some(i64::MAX),
    };
    Ok(low.zip(high))
}

/// The filtered query, narrowed to the id range of its dates; `None` when nothing can match.
fn narrowed(conn: &mut DbConn, org_id: OrgId, filter: &Filter) -> QueryResult<Option<Boxed<'static>>> {
    // No stored text holds a NUL (PostgreSQL refuses one even in a comparison): nothing can match.
    if [&filter.actor, &filter.target].iter().any(|v| v.as_deref().is_some_and(|v| v.contains('\0'))) {
        return Ok(None);
    }
    let query = filtered(org_id, filter);
    if filter.from.is_none() && filter.to.is_none() {
        return Ok(Some(query));
    }
    Ok(id_range(conn, org_id, filter)?.map(|(low, high)| query.filter(dsl::id.between(low, high))))
}

/// A page of events, newest first, strictly older than `before_id` (keyset pagination).
pub fn page(
    conn: &mut DbConn,
    org_id: OrgId,
    filter: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    let Some(mut query) = narrowed(conn, org_id, filter)? else {
        return Ok(Vec::new());
    };
    if let Some(before) = before_id {
        query = query.filter(dsl::id.lt(before));
    }
    query.order(dsl::id.desc()).limit(limit).select(StoredEvent::as_select()).load(conn)
}

/// A batch for exports, oldest first, strictly newer than `after_id`.
pub fn export_batch(
    conn: &mut DbConn,
    org_id: OrgId,
    filter: &Filter,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    let Some(query) = narrowed(conn, org_id, filter)? else {
        return Ok(Vec::new());
    };
    query.filter(dsl::id.gt(after_id)).order(dsl::id.asc()).limit(limit).select(StoredEvent::as_select()).load(conn)
}

/// A page for incremental pulls: matching events with `seq` above
/// `after_seq`, oldest first.
pub fn page_after_seq(
    conn: &mut DbConn,
    org_id: OrgId,
    filter: &Filter,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    let Some(query) = narrowed(conn, org_id, filter)? else {
        return Ok(Vec::new());
    };
    query.filter(dsl::seq.gt(after_seq)).order(dsl::seq.asc()).limit(limit).select(StoredEvent::as_select()).load(conn)
}

/// A batch of the chain in `seq` order, for verification.
pub fn chain_batch(conn: &mut DbConn, org_id: OrgId, after_seq: i64, limit: i64) -> QueryResult<Vec<StoredEvent>> {
    events::table
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::seq.gt(after_seq))
        .order(dsl::seq.asc())
        .limit(limit)
        .select(StoredEvent::as_select())
        .load(conn)
}

pub fn count(conn: &mut DbConn, org_id: OrgId) -> QueryResult<i64> {
    events::table.filter(dsl::org_id.eq(org_id.get())).count().get_result(conn)
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct EventRow<'a> {
    org_id: i64,
    seq: i64,
    occurred_at: NaiveDateTime,
    actor_type: &'a str,
    actor_id: Option<i64>,
    actor_email: Option<&'a str>,
    actor_name: Option<&'a str>,
    action: &'a str,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    target_label: Option<&'a str>,
    ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    request_id: Option<&'a str>,
    trace_id: Option<&'a str>,
    details: &'a str,
    prev_hash: String,
    hash: String,
}

/// Appends many events to one chain in a single transaction, inserting 1,000
/// rows per statement (benchmark data). `seq`s are assigned here. Multi-row
/// inserts do not compile through the MultiConnection enum, so this matches
/// on the backend (docs/DATABASE.md).
pub fn append_many(conn: &mut DbConn, org_id: OrgId, events: &mut [EventFields]) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        let (mut seq, mut prev) = lock_head(conn, org_id)?;
        let mut rows = Vec::with_capacity(events.len());
        for f in events.iter_mut() {
            seq += 1;
            f.org_id = org_id.get();
            f.seq = seq;
            let hash = f.hash(&prev);
            rows.push((f.clone(), std::mem::replace(&mut prev, hash.clone()), hash));
        }
        for chunk in rows.chunks(1_000) {
            let batch: Vec<EventRow<'_>> = chunk
                .iter()
                .map(|(f, prev_hash, hash)| EventRow {
                    org_id: f.org_id,
                    seq: f.seq,
                    occurred_at: f.occurred_at,
                    actor_type: &f.actor_type,
                    actor_id: f.actor_id,
                    actor_email: f.actor_email.as_deref(),
                    actor_name: f.actor_name.as_deref(),
                    action: &f.action,
                    target_type: f.target_type.as_deref(),
                    target_id: f.target_id.as_deref(),
                    target_label: f.target_label.as_deref(),
                    ip: f.ip.as_deref(),
                    user_agent: f.user_agent.as_deref(),
                    request_id: f.request_id.as_deref(),
                    trace_id: f.trace_id.as_deref(),
                    details: &f.details,
                    prev_hash: prev_hash.clone(),
                    hash: hash.clone(),
                })
                .collect();
            match conn {
                DbConn::Pg(inner) => diesel::insert_into(events::table).values(&batch).execute(inner)?,
                DbConn::Sqlite(inner) => diesel::insert_into(events::table).values(&batch).execute(inner)?,
            };
        }
        set_head(conn, org_id, seq, &prev)
    })
}

/// Fresh planner statistics for the events table (after a bulk load), as
/// autovacuum (PostgreSQL) or a maintenance job would leave them.
pub fn analyze(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("ANALYZE audit_events")
}

/// One event of an organisation's chain by its seq.
pub fn by_seq(conn: &mut DbConn, org_id: OrgId, seq: i64) -> QueryResult<Option<StoredEvent>> {
    events::table
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::seq.eq(seq))
        .select(StoredEvent::as_select())
        .first(conn)
        .optional()
}
