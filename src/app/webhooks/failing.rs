//! A webhook endpoint's health as its deliveries find it (docs/user-guide.md: Webhook operations):
//! a failed attempt starts a run of failures, a success ends it, and a 410
//! Gone or five days of failures disable the endpoint. Each change is logged
//! once, with the endpoint's public id — never a line per attempt, so a
//! receiver that is down for a day is a few lines in the server log, not
//! hundreds.

use super::switch::{AutoDisable, disable_for};
use crate::app::webhooks::send::Attempt;
use crate::db::QueryResult;
use crate::db::webhooks::{self, Endpoint};
use crate::db::{DbConn, now};
use chrono::Duration;

/// An endpoint that has failed for this long is disabled (docs/api-guide.md: Delivery and retries).
const FAILING_DAYS: i64 = 5;

/// What one attempt changed about its endpoint's health.
#[derive(Debug, Default)]
#[must_use = "log the change once its transaction has committed"]
pub struct Change {
    started_failing: bool,
    recovered: bool,
    /// The audit reason, when this attempt disabled the endpoint.
    disabled: Option<&'static str>,
}

/// Applies an attempt's outcome (`succeeded`, or `gone`: answered 410) to
/// the endpoint, inside the attempt's transaction. `endpoint` is as loaded
/// before the send; the updates are conditional on the stored state, so a
/// change that a concurrent attempt already made is not made (nor logged,
/// audited or mailed) twice.
pub fn record(
    conn: &mut DbConn,
    endpoint: &Endpoint,
    succeeded: bool,
    gone: bool,
    public_url: &str,
) -> QueryResult<Change> {
    let mut change = Change::default();
    if succeeded {
        change.recovered = endpoint.failing_since.is_some() && webhooks::stop_failing(conn, endpoint.id)?;
        return Ok(change);
    }
    change.started_failing = endpoint.failing_since.is_none() && webhooks::start_failing(conn, endpoint.id, now())?;
    let failing_too_long = endpoint.failing_since.is_some_and(|t| t <= now() - Duration::days(FAILING_DAYS));
    if gone || failing_too_long {
        let why = if gone { AutoDisable::Gone } else { AutoDisable::FailingTooLong };
        if disable_for(conn, endpoint, why)? {
            crate::app::notify::webhook_disabled(conn, public_url, endpoint, why.why())?;
            change.disabled = Some(why.reason());
        }
    }
    Ok(change)
}

impl Change {
    /// One log line per change; call it after the transaction committed, so
    /// a rolled-back attempt logs nothing.
    pub fn log(&self, endpoint: &Endpoint, attempt: &Attempt) {
        let (id, org_id) = (endpoint.public_id.as_str(), endpoint.org_id);
        if self.started_failing {
            tracing::warn!(
                endpoint = id,
                org_id,
                outcome = attempt.outcome(),
                status = attempt.status,
                "webhook endpoint started failing"
            );
        }
        if self.recovered {
            let failing_secs = endpoint.failing_since.map(|t| (now() - t).num_seconds());
            tracing::info!(endpoint = id, org_id, failing_secs, "webhook endpoint recovered");
        }
        if let Some(reason) = self.disabled {
            tracing::warn!(
                endpoint = id,
                org_id,
                reason,
                "webhook endpoint disabled; nothing is sent to it until it is enabled"
            );
        }
    }
}
