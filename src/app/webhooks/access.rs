//! Who may see and change an organisation's webhook endpoints (owners and
//! admins in the console; keys holding `webhooks:read` / `webhooks:write`
//! in the API), and the reads the console's pages and the API show: each
//! checks the caller first and looks only in its organisation.

use super::health::{self, Health};
use crate::app::caller::{Caller, Denied};
use crate::app::state::AppState;
use crate::db::deliveries::{self, EndpointScope};
use crate::db::{self, now};
use crate::domain::scopes::Management;

/// A message of the delivery log: one event's delivery to the endpoint.
pub use crate::db::deliveries::Delivery as MessageRow;
pub use crate::db::deliveries::{AttemptFilter, AttemptRequest, AttemptRow};
use crate::db::delivery_messages;
pub use crate::db::webhooks::Endpoint;

/// What a caller asks to do with webhook endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
}

/// The caller may do `op` in its organisation (before anything is read).
pub fn authorize(caller: &Caller, op: Op) -> Result<(), Denied> {
    caller.may_manage(if op == Op::Read { Management::WebhooksRead } else { Management::WebhooksWrite })
}

/// Why a webhook use case did nothing.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such webhook endpoint in this organisation")]
    NotFound,
    #[error(transparent)]
    Db(#[from] db::Error),
}

impl From<crate::db::QueryError> for HookError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

/// One of the organisation's endpoints, if the caller may do `op`.
pub async fn find(ctx: &AppState, caller: &Caller, op: Op, public_id: &str) -> Result<Endpoint, HookError> {
    authorize(caller, op)?;
    let (org_id, id) = (caller.org().id, public_id.to_owned());
    ctx.db.run(move |conn| db::webhooks::find(conn, org_id, &id)).await?.ok_or(HookError::NotFound)
}

/// Every endpoint of the organisation, oldest first.
pub async fn list(ctx: &AppState, caller: &Caller) -> Result<Vec<Endpoint>, HookError> {
    authorize(caller, Op::Read)?;
    let org_id = caller.org().id;
    Ok(ctx.db.run(move |conn| db::webhooks::list(conn, org_id)).await?)
}

/// Every endpoint with its health mark (docs/user-guide.md: Webhooks → Webhook operations).
pub async fn list_with_health(ctx: &AppState, caller: &Caller) -> Result<Vec<(Endpoint, Health)>, HookError> {
    authorize(caller, Op::Read)?;
    let org_id = caller.org().id;
    let listed = ctx
        .db
        .run(move |conn| {
            let hooks = db::webhooks::list(conn, org_id)?;
            hooks
                .into_iter()
                .map(|h| Ok((deliveries::recent_statuses(conn, (&h).into(), health::RECENT)?, h)))
                .collect::<crate::db::QueryResult<Vec<_>>>()
        })
        .await?;
    let at = now();
    Ok(listed
        .into_iter()
        .map(|(recent, h)| {
            let mark = health::of(&h, &recent, at);
            (h, mark)
        })
        .collect())
}

/// Attempts a page of the endpoint's log lists.
pub const ATTEMPTS_PAGE: i64 = 50;

/// A page of the endpoint's delivery log: its attempts, newest first, with
/// their event (type, id); the messages they belong to; and the attempt id
/// the next page lists from.
#[derive(Debug, Default)]
pub struct AttemptPage {
    pub attempts: Vec<(AttemptRow, String, String)>,
    pub messages: Vec<MessageRow>,
    pub older: Option<i64>,
}

/// What the endpoint's page shows: a page of its attempt log matching
/// `filter` before attempt `before` (none when `listed` is false: the
/// filters did not parse), and its health mark.
pub async fn activity(
    ctx: &AppState,
    caller: &Caller,
    hook: &Endpoint,
    (filter, before, listed): (AttemptFilter, Option<i64>, bool),
) -> Result<(AttemptPage, Health), HookError> {
    let scope = scope(caller, hook)?;
    let (page, recent) = ctx
        .db
        .run(move |conn| {
            let page = if listed {
                let mut rows = deliveries::attempts_page(conn, scope, &filter, before, ATTEMPTS_PAGE + 1)?;
                let older = (rows.len() as i64 > ATTEMPTS_PAGE).then(|| rows[ATTEMPTS_PAGE as usize - 1].0.id);
                rows.truncate(ATTEMPTS_PAGE as usize);
                let ids: Vec<i64> = rows.iter().map(|(a, _, _)| a.delivery_id).collect();
                AttemptPage { messages: delivery_messages::of(conn, scope, &ids)?, attempts: rows, older }
            } else {
                AttemptPage::default()
            };
            Ok::<_, crate::db::QueryError>((page, deliveries::recent_statuses(conn, scope, health::RECENT)?))
        })
        .await?;
    Ok((page, health::of(hook, &recent, now())))
}

/// One attempt of the endpoint, with the request as sent and its event (type, id).
pub async fn attempt(
    ctx: &AppState,
    caller: &Caller,
    hook: &Endpoint,
    attempt_id: i64,
) -> Result<(AttemptRow, AttemptRequest, String, String), HookError> {
    let scope = scope(caller, hook)?;
    ctx.db.run(move |conn| deliveries::find_attempt(conn, scope, attempt_id)).await?.ok_or(HookError::NotFound)
}

/// The endpoint's deliveries, as a caller of its organisation may read them.
fn scope(caller: &Caller, hook: &Endpoint) -> Result<EndpointScope, HookError> {
    authorize(caller, Op::Read)?;
    if hook.org_id != caller.org().id.get() {
        return Err(HookError::NotFound);
    }
    Ok(EndpointScope::from(hook))
}
