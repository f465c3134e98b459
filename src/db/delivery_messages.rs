//! An endpoint's delivery log by message (docs/user-guide.md: Webhooks →
//! Webhook operations): each message — one event's delivery to the endpoint
//! — with its state, attempts and next retry; and the test messages that
//! Send test and Send example leave in it.

use super::deliveries::{Delivery, EndpointScope, NewAttempt, record_attempt};
use super::schema::webhook_deliveries::{self as deliveries, dsl};
use super::{DbConn, now};
use crate::domain::delivery_state::DeliveryState;
use diesel::prelude::*;

/// The endpoint's messages among `ids` (the ones a page of attempts belongs to).
pub fn of(conn: &mut DbConn, scope: EndpointScope, ids: &[i64]) -> QueryResult<Vec<Delivery>> {
    dsl::webhook_deliveries
        .filter(dsl::org_id.eq(scope.org_id.get()))
        .filter(dsl::endpoint_id.eq(scope.endpoint_id))
        .filter(dsl::id.eq_any(ids))
        .select(Delivery::as_select())
        .load(conn)
}

/// Records a test message (Send test, Send example) as sent: delivered or
/// failed after its one attempt (`attempt`, whose `delivery_id` is set here),
/// never due again.
pub fn record_test(
    conn: &mut DbConn,
    scope: EndpointScope,
    (event_id, event_type): (&str, &str),
    mut attempt: NewAttempt<'_>,
) -> QueryResult<()> {
    let at = now();
    let succeeded = attempt.status_code.is_some_and(|s| (200..300).contains(&s));
    let state = if succeeded { DeliveryState::Delivered } else { DeliveryState::Failed };
    let id = diesel::insert_into(deliveries::table)
        .values((
            dsl::org_id.eq(scope.org_id.get()),
            dsl::endpoint_id.eq(scope.endpoint_id),
            dsl::event_id.eq(event_id),
            dsl::event_type.eq(event_type),
            dsl::state.eq(state.as_str()),
            dsl::attempts.eq(1_i64),
            dsl::next_attempt_at.eq(at),
            dsl::created_at.eq(at),
            dsl::test.eq(true),
        ))
        .returning(dsl::id)
        .get_result(conn)?;
    attempt.delivery_id = id;
    record_attempt(conn, attempt)
}
