//! The event outbox: events are written in the transaction of the change
//! that caused them, so none is lost and none exists without its change.

use super::schema::outbox_events::dsl;
use super::{DbConn, now};
use crate::domain::OrgId;
use crate::domain::event_type::EventType;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::outbox_events)]
pub struct OutboxEvent {
    pub id: i64,
    pub org_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

/// Enqueues `{"type","timestamp","seq","data"}`: the exact body webhooks will
/// sign. `seq` orders the events about one object (docs/api-guide.md: Receiving webhooks → Order
/// and `seq`): the audit seq of the change that caused it, taken in this
/// transaction, or [`enqueue_counted`]'s number for events no audit entry causes.
pub fn enqueue(conn: &mut DbConn, org_id: OrgId, event_type: EventType, seq: i64, data: Value) -> QueryResult<String> {
    let at = now();
    let event_id = format!("msg_{}", crate::domain::token::random_base62(24));
    let timestamp = at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let payload = json!({ "type": event_type, "timestamp": timestamp, "seq": seq, "data": data });
    diesel::insert_into(dsl::outbox_events)
        .values((
            dsl::org_id.eq(org_id.get()),
            dsl::event_id.eq(&event_id),
            dsl::event_type.eq(event_type.as_str()),
            dsl::payload.eq(payload.to_string()),
            dsl::created_at.eq(at),
        ))
        .execute(conn)?;
    // Fan out, in the same transaction, to every enabled endpoint subscribed to this type.
    for endpoint in super::webhooks::subscribers(conn, org_id, event_type)? {
        super::deliveries::enqueue(conn, org_id, endpoint.id, &event_id, event_type)?;
    }
    Ok(event_id)
}

/// [`enqueue`] for an event no audit entry causes (`order.created` …): it
/// takes the next number of the organisation's own event counter. The
/// counter's row stays locked until the transaction ends, so numbers grow in
/// commit order; each such object has one event, so only growth matters.
pub fn enqueue_counted(conn: &mut DbConn, org_id: OrgId, event_type: EventType, data: Value) -> QueryResult<String> {
    // Raw SQL: `on_conflict` does not compile through the MultiConnection. This
    // upsert is all that touches `event_sequences` (migration 000020), so the
    // table has no `table!` in db/schema, like `api_instances`.
    let next: Counted = diesel::sql_query(
        "INSERT INTO event_sequences (org_id, last_seq) VALUES ($1, 1) \
         ON CONFLICT (org_id) DO UPDATE SET last_seq = event_sequences.last_seq + 1 RETURNING last_seq",
    )
    .bind::<diesel::sql_types::BigInt, _>(org_id.get())
    .get_result(conn)?;
    enqueue(conn, org_id, event_type, next.last_seq, data)
}

#[derive(diesel::QueryableByName)]
struct Counted {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_seq: i64,
}

/// One event by its id (the `webhook-id` of its deliveries).
pub fn find(conn: &mut DbConn, event_id: &str) -> QueryResult<Option<OutboxEvent>> {
    dsl::outbox_events.filter(dsl::event_id.eq(event_id)).select(OutboxEvent::as_select()).first(conn).optional()
}

/// The organisation's events, oldest first.
pub fn for_org(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<OutboxEvent>> {
    dsl::outbox_events
        .filter(dsl::org_id.eq(org_id.get()))
        .order(dsl::id.asc())
        .select(OutboxEvent::as_select())
        .load(conn)
}

/// Deletes the events made before `before` that no delivery refers to any
/// more (theirs finished and left the delivery log), so Resend never meets
/// a message whose body is gone; answers how many.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    use super::schema::webhook_deliveries as deliveries;
    let referred = deliveries::table.filter(deliveries::event_id.eq(dsl::event_id));
    diesel::delete(
        dsl::outbox_events.filter(dsl::created_at.lt(before)).filter(diesel::dsl::not(diesel::dsl::exists(referred))),
    )
    .execute(conn)
}
