//! Webhook deliveries (one per endpoint and outbox event) and their attempts.

use super::schema::webhook_attempts as attempts;
use super::schema::webhook_deliveries::{self as deliveries, dsl};
use super::{DbConn, now};
use crate::domain::OrgId;
use crate::domain::delivery_state::DeliveryState;
use crate::domain::event_type::EventType;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub org_id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    pub event_type: String,
    #[diesel(deserialize_as = String)]
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Sent by Send test or Send example: never retried, resent or recovered.
    pub test: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attempts)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub attempt: i64,
    pub trigger: String,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error_class: Option<String>,
    pub excerpt: String,
}

/// What one attempt sent and the answer's headers (docs/user-guide.md: Webhooks →
/// Webhook operations), read only for the attempt page: bodies can be long.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = attempts)]
pub struct AttemptRequest {
    pub request_url: String,
    /// JSON array of `[name, value]` pairs, in the order sent.
    pub request_headers: String,
    pub request_body: String,
    /// JSON array of `[name, value]` pairs, as answered.
    pub response_headers: String,
}

/// Which attempts the endpoint's page lists (all `None`: every one).
#[derive(Debug, Default, Clone)]
pub struct AttemptFilter {
    /// `Some(true)`: answered 2xx; `Some(false)`: anything else, or no answer.
    pub succeeded: Option<bool>,
    pub event_type: Option<EventType>,
    pub from: Option<NaiveDateTime>,
    /// Exclusive.
    pub to: Option<NaiveDateTime>,
}

/// Whose deliveries and attempts a query may see: one endpoint of one org.
/// Every read by endpoint goes through this, so a row can only ever be seen
/// under the org and endpoint it was written for (docs/security-model.md: Rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointScope {
    pub org_id: OrgId,
    pub endpoint_id: i64,
}

impl From<&super::webhooks::Endpoint> for EndpointScope {
    fn from(hook: &super::webhooks::Endpoint) -> Self {
        Self { org_id: OrgId::new(hook.org_id), endpoint_id: hook.id }
    }
}

/// Queues an event for one endpoint, due now.
pub fn enqueue(
    conn: &mut DbConn,
    org_id: OrgId,
    endpoint_id: i64,
    event_id: &str,
    event_type: EventType,
) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(deliveries::table)
        .values((
            dsl::org_id.eq(org_id.get()),
            dsl::endpoint_id.eq(endpoint_id),
            dsl::event_id.eq(event_id),
            dsl::event_type.eq(event_type.as_str()),
            dsl::state.eq(DeliveryState::Pending.as_str()),
            dsl::attempts.eq(0_i64),
            dsl::next_attempt_at.eq(at),
            dsl::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Claims up to `limit` due rows for `lease` (see [`super::claim_due`]).
pub fn claim_due(conn: &mut DbConn, limit: i64, lease: chrono::Duration) -> QueryResult<Vec<i64>> {
    super::claim_due(conn, super::Queue::WebhookDeliveries, limit, lease)
}

/// Extends this instance's claim, if it still holds it (`held` is the lease it took).
pub fn renew_lease(
    conn: &mut DbConn,
    id: i64,
    held: Option<chrono::NaiveDateTime>,
    until: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let Some(held) = held else { return Ok(false) };
    let renewed = diesel::update(
        dsl::webhook_deliveries
            .find(id)
            .filter(dsl::state.eq(DeliveryState::Pending.as_str()))
            .filter(dsl::locked_until.eq(held)),
    )
    .set(dsl::locked_until.eq(until))
    .execute(conn)?;
    Ok(renewed == 1)
}

/// Gives claimed, still pending deliveries back: due again at once, for any instance.
pub fn release(conn: &mut DbConn, ids: &[i64]) -> QueryResult<usize> {
    diesel::update(
        dsl::webhook_deliveries.filter(dsl::id.eq_any(ids)).filter(dsl::state.eq(DeliveryState::Pending.as_str())),
    )
    .set(dsl::locked_until.eq(None::<chrono::NaiveDateTime>))
    .execute(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Delivery>> {
    dsl::webhook_deliveries.find(id).select(Delivery::as_select()).first(conn).optional()
}

pub fn find_for_endpoint(conn: &mut DbConn, scope: EndpointScope, event_id: &str) -> QueryResult<Option<Delivery>> {
    dsl::webhook_deliveries
        .filter(dsl::org_id.eq(scope.org_id.get()))
        .filter(dsl::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::event_id.eq(event_id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()
}

/// Records the outcome: `next` = when to retry, or `None` with the final state.
pub fn finish_attempt(
    conn: &mut DbConn,
    id: i64,
    attempts: i64,
    state: DeliveryState,
    next: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(dsl::webhook_deliveries.find(id))
        .set((
            dsl::attempts.eq(attempts),
            dsl::state.eq(state.as_str()),
            dsl::next_attempt_at.eq(next.unwrap_or_else(now)),
            dsl::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

pub struct NewAttempt<'a> {
    pub delivery_id: i64,
    pub endpoint_id: i64,
    pub attempt: i64,
    pub trigger: &'a str,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error_class: Option<&'a str>,
    pub excerpt: &'a str,
    pub request_url: &'a str,
    /// JSON array of `[name, value]` pairs.
    pub request_headers: &'a str,
    pub request_body: &'a str,
    /// JSON array of `[name, value]` pairs.
    pub response_headers: &'a str,
}

pub fn record_attempt(conn: &mut DbConn, a: NewAttempt<'_>) -> QueryResult<()> {
    record_attempt_at(conn, a, now())
}

/// [`record_attempt`], made `at` (the demo's history).
pub fn record_attempt_at(conn: &mut DbConn, a: NewAttempt<'_>, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(attempts::table)
        .values((
            attempts::delivery_id.eq(a.delivery_id),
            attempts::endpoint_id.eq(a.endpoint_id),
            attempts::attempt.eq(a.attempt),
            attempts::trigger.eq(a.trigger),
            attempts::attempted_at.eq(at),
            attempts::status_code.eq(a.status_code.map(i64::from)),
            attempts::latency_ms.eq(a.latency_ms as i64),
            attempts::error_class.eq(a.error_class),
            attempts::excerpt.eq(a.excerpt),
            attempts::request_url.eq(a.request_url),
            attempts::request_headers.eq(a.request_headers),
            attempts::request_body.eq(a.request_body),
            attempts::response_headers.eq(a.response_headers),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A page of the endpoint's attempts with their event (type, id), newest
/// first, older than `before` (an attempt id: keyset pagination).
pub fn attempts_page(
    conn: &mut DbConn,
    scope: EndpointScope,
    filter: &AttemptFilter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(AttemptRow, String, String)>> {
    let mut query = attempts::table
        .inner_join(deliveries::table.on(dsl::id.eq(attempts::delivery_id)))
        .filter(attempts::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::org_id.eq(scope.org_id.get()))
        .into_boxed::<super::conn::MultiBackend>();
    match filter.succeeded {
        Some(true) => query = query.filter(attempts::status_code.between(200, 299)),
        Some(false) => {
            query = query.filter(attempts::status_code.is_null().or(attempts::status_code.not_between(200, 299)))
        }
        None => {}
    }
    if let Some(event_type) = &filter.event_type {
        query = query.filter(dsl::event_type.eq(event_type.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(attempts::attempted_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(attempts::attempted_at.lt(to));
    }
    if let Some(before) = before {
        query = query.filter(attempts::id.lt(before));
    }
    query
        .order(attempts::id.desc())
        .limit(limit)
        .select((AttemptRow::as_select(), dsl::event_type, dsl::event_id))
        .load(conn)
}

/// One attempt of this endpoint, with what it sent and its event (type, id);
/// another endpoint's attempt is not found.
pub fn find_attempt(
    conn: &mut DbConn,
    scope: EndpointScope,
    attempt_id: i64,
) -> QueryResult<Option<(AttemptRow, AttemptRequest, String, String)>> {
    attempts::table
        .inner_join(deliveries::table.on(dsl::id.eq(attempts::delivery_id)))
        .filter(attempts::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::org_id.eq(scope.org_id.get()))
        .filter(attempts::id.eq(attempt_id))
        .select((AttemptRow::as_select(), AttemptRequest::as_select(), dsl::event_type, dsl::event_id))
        .first(conn)
        .optional()
}

/// The status codes of the endpoint's latest `limit` attempts, newest
/// first (`None`: no answer); test messages' attempts are left out.
pub fn recent_statuses(conn: &mut DbConn, scope: EndpointScope, limit: i64) -> QueryResult<Vec<Option<i64>>> {
    attempts::table
        .inner_join(deliveries::table.on(dsl::id.eq(attempts::delivery_id)))
        .filter(attempts::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::org_id.eq(scope.org_id.get()))
        // Send test and Send example say nothing of how real traffic fares.
        .filter(dsl::test.eq(false))
        .order(attempts::id.desc())
        .limit(limit)
        .select(attempts::status_code)
        .load(conn)
}

/// Recover: the endpoint's deliveries created at or after `since` whose
/// latest attempt failed — given up (`failed`) or waiting for a retry
/// (`pending` after an attempt) — become pending and due `at`. A claimed
/// one keeps its lease, so it is never sent twice at once. Answers how many.
pub fn requeue_failed(
    conn: &mut DbConn,
    scope: EndpointScope,
    since: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        dsl::webhook_deliveries
            .filter(dsl::org_id.eq(scope.org_id.get()))
            .filter(dsl::endpoint_id.eq(scope.endpoint_id))
            .filter(dsl::created_at.ge(since))
            .filter(dsl::test.eq(false))
            .filter(
                dsl::state
                    .eq(DeliveryState::Failed.as_str())
                    .or(dsl::state.eq(DeliveryState::Pending.as_str()).and(dsl::attempts.gt(0))),
            ),
    )
    .set((dsl::state.eq(DeliveryState::Pending.as_str()), dsl::next_attempt_at.eq(at)))
    .execute(conn)
}

/// Deletes everything queued for and logged about an endpoint that is being
/// deleted: nothing of it may be sent again or shown under another endpoint.
pub fn delete_for_endpoint(conn: &mut DbConn, scope: EndpointScope) -> QueryResult<()> {
    let own = dsl::webhook_deliveries
        .filter(dsl::org_id.eq(scope.org_id.get()))
        .filter(dsl::endpoint_id.eq(scope.endpoint_id))
        .select(dsl::id);
    diesel::delete(attempts::table.filter(attempts::delivery_id.eq_any(own))).execute(conn)?;
    diesel::delete(attempts::table.filter(attempts::endpoint_id.eq(scope.endpoint_id))).execute(conn)?;
    diesel::delete(
        dsl::webhook_deliveries
            .filter(dsl::org_id.eq(scope.org_id.get()))
            .filter(dsl::endpoint_id.eq(scope.endpoint_id)),
    )
    .execute(conn)
    .map(|_| ())
}

/// Deletes attempts made before `before`, except those of deliveries still
/// pending (their log is still being written), then the deliveries that
/// finished before then (a finished delivery's `next_attempt_at` is when its
/// last attempt ended, so none of its attempts is left). Answers how many attempts went.
pub fn prune_attempts(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let pending = dsl::webhook_deliveries.filter(dsl::state.eq(DeliveryState::Pending.as_str())).select(dsl::id);
    let pruned = diesel::delete(
        attempts::table.filter(attempts::attempted_at.lt(before)).filter(attempts::delivery_id.ne_all(pending)),
    )
    .execute(conn)?;
    diesel::delete(
        dsl::webhook_deliveries
            .filter(dsl::state.eq_any(DeliveryState::FINISHED.map(DeliveryState::as_str)))
            .filter(dsl::next_attempt_at.lt(before)),
    )
    .execute(conn)?;
    Ok(pruned)
}
