//! Enabling and disabling an endpoint — by a person, by a key, or by its
//! own deliveries (a 410 Gone, five days of failures) — and Recover, which
//! sends a disabled endpoint nothing. One place writes an endpoint's
//! switch and its audit entry, whoever flips it.

use super::access::{Op, authorize};
use super::endpoints::{EndpointError, in_org};
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::db::QueryResult;
use crate::db::webhooks::{self, Endpoint};
use crate::db::{DbConn, now};
use serde_json::json;

/// Why an endpoint's deliveries disabled it: (audit reason, what its page says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoDisable {
    /// The endpoint answered 410 Gone.
    Gone,
    /// Every delivery failed for five days.
    FailingTooLong,
}

impl AutoDisable {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Gone => "410_gone",
            Self::FailingTooLong => "failing_for_5_days",
        }
    }

    pub fn why(self) -> &'static str {
        match self {
            Self::Gone => "the endpoint answered 410 Gone",
            Self::FailingTooLong => "every delivery failed for 5 days",
        }
    }
}

/// Enables or disables `hook` by hand (`actor`), with its audit entry, in the caller's transaction.
pub(super) fn switch(
    conn: &mut DbConn,
    hook: &Endpoint,
    enable: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    let reason = (!enable).then_some(webhooks::DISABLED_BY_USER);
    webhooks::set_enabled(conn, hook.id, enable, reason)?;
    let entry = if enable {
        Entry::webhook_updated(hook, json!({ "enabled": hook.enabled }), json!({ "enabled": true }))
    } else {
        Entry::webhook_disabled(hook, "disabled_by_user")
    };
    audit::record(conn, actor, meta, entry)
}

/// Disables `hook` for its deliveries' sake, if it is still enabled: the
/// stored state decides, so of concurrent attempts exactly one disables it
/// (and is audited as `system`). True when this call disabled it.
pub(super) fn disable_for(conn: &mut DbConn, hook: &Endpoint, why: AutoDisable) -> QueryResult<bool> {
    if !webhooks::disable_if_enabled(conn, hook.id, why.why())? {
        return Ok(false);
    }
    let system = Actor::System { label: "webhooks" };
    audit::record(conn, &system, &RequestMeta::default(), Entry::webhook_disabled(hook, why.reason()))?;
    Ok(true)
}

/// Enables or disables one of the organisation's endpoints by hand.
pub async fn set_enabled(ctx: &AppState, caller: &Caller, public_id: &str, enable: bool) -> Result<(), EndpointError> {
    authorize(caller, Op::Write)?;
    let (caller, public_id) = (caller.clone(), public_id.to_owned());
    ctx.transaction(move |conn| {
        let hook = in_org(conn, &caller, &public_id)?;
        Ok(switch(conn, &hook, enable, &caller.actor(), &caller.meta)?)
    })
    .await
}

/// Recover: one more attempt, due now, of every message to the endpoint
/// created at or after `since` whose latest attempt failed (given up, or
/// waiting for a retry); audited with `since` and how many. Answers that
/// count. A disabled endpoint is refused: it is sent nothing.
pub async fn recover(
    ctx: &AppState,
    caller: &Caller,
    public_id: &str,
    since: chrono::NaiveDateTime,
) -> Result<usize, EndpointError> {
    authorize(caller, Op::Write)?;
    let (caller, public_id) = (caller.clone(), public_id.to_owned());
    ctx.transaction(move |conn| {
        let hook = in_org(conn, &caller, &public_id)?;
        if !hook.enabled {
            return Err(EndpointError::Disabled);
        }
        let count = crate::db::deliveries::requeue_failed(conn, (&hook).into(), since, now())?;
        let since_text = crate::domain::timefmt::iso(&since);
        audit::record(conn, &caller.actor(), &caller.meta, Entry::webhook_recovered(&hook, &since_text, count))?;
        Ok(count)
    })
    .await
}
