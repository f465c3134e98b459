//! Send test / Send example and Resend (docs/user-guide.md: Webhooks →
//! Webhook operations): a signed message to one of the organisation's endpoints,
//! now, through the same guarded send as the delivery worker, with what came
//! back for the caller's panel. A test is recorded as `webhook.tested` and
//! left in the delivery log as a message marked test; a resend is one more
//! attempt of a message, logged as manual.

use super::access::{HookError, Op};
use super::delivery::{self, SendError};
use super::send::Attempt;
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::db::deliveries::{self, EndpointScope};
use crate::db::delivery_messages;
use crate::domain::event_type::EventType;

/// Why a test or a resend sent nothing.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error(transparent)]
    Hook(#[from] HookError),
    #[error(transparent)]
    Send(#[from] SendError),
}

impl From<crate::db::Error> for TestError {
    fn from(e: crate::db::Error) -> Self {
        Self::Hook(HookError::Db(e))
    }
}

/// Sends a signed example of `event_type` (one of `examples::choices`,
/// checked by the caller) to the endpoint, now, and records it as
/// `webhook.tested` with what came back.
pub async fn send_test(
    ctx: &AppState,
    caller: &Caller,
    public_id: &str,
    event_type: EventType,
) -> Result<Attempt, TestError> {
    let hook = super::access::find(ctx, caller, Op::Write, public_id).await?;
    let msg_id = format!("msg_{}", crate::domain::token::random_base62(24));
    let body = super::examples::body(event_type, &hook.public_id).to_string().into_bytes();
    let attempt = delivery::attempt(ctx, &hook, &msg_id, body).await?;
    let (actor, meta) = (caller.actor(), caller.meta.clone());
    let (status, class, latency) =
        (attempt.status, attempt.error.as_ref().map(|(class, _)| (*class).to_owned()), attempt.latency_ms);
    let logged = delivery::Logged::of(&attempt);
    ctx.db
        .run(move |conn| {
            let entry = crate::app::audit::Entry::webhook_tested(&hook, status, class.as_deref(), latency);
            crate::db::transaction(conn, |conn| {
                // A message of the log, marked test, with its one attempt.
                let row = logged.attempt((0, hook.id), 1, "test");
                delivery_messages::record_test(conn, (&hook).into(), (&msg_id, event_type.as_str()), row)?;
                crate::app::audit::record(conn, &actor, &meta, entry)
            })
        })
        .await?;
    Ok(attempt)
}

/// Resend: one more attempt of the endpoint's message `message_id` now
/// (recorded as manual; a delivered message stays delivered). `None` when
/// the delivery went meanwhile.
pub async fn resend(
    ctx: &AppState,
    caller: &Caller,
    public_id: &str,
    message_id: &str,
) -> Result<Option<Attempt>, TestError> {
    let hook = super::access::find(ctx, caller, Op::Write, public_id).await?;
    let (scope, message_id) = (EndpointScope::from(&hook), message_id.to_owned());
    let found = ctx.db.run(move |conn| deliveries::find_for_endpoint(conn, scope, &message_id)).await?;
    // A test message is not sent again: Send test makes a new one.
    let delivery = found.filter(|d| !d.test).ok_or(HookError::NotFound)?;
    Ok(delivery::deliver(ctx, delivery.id, "manual").await?)
}
