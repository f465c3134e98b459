//! Use cases for webhook endpoints: one function per thing an owner or
//! admin does to an endpoint (Recover included), each in its own
//! transaction with its audit entry. URLs are checked (SSRF guard) and
//! secrets sealed by the caller.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::QueryResult;
use crate::db::webhooks::{self, Endpoint, NewEndpoint};
use crate::db::{DbConn, now};
use crate::domain::token::random_base62;
use serde_json::json;

/// How long the previous secret keeps signing after a rotation (docs/user-guide.md:
/// Webhooks → Webhook operations): long enough to update every receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    OneHour,
    OneDay,
    SevenDays,
}

impl Overlap {
    pub const ALL: [Overlap; 3] = [Overlap::OneHour, Overlap::OneDay, Overlap::SevenDays];

    /// `1h`, `24h` or `7d`; empty means the default, a day.
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "" => Ok(Self::OneDay),
            text => Self::ALL.into_iter().find(|o| o.as_str() == text).ok_or_else(|| "Choose 1h, 24h or 7d.".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OneHour => "1h",
            Self::OneDay => "24h",
            Self::SevenDays => "7d",
        }
    }

    /// For people: "1 hour", "24 hours", "7 days".
    pub fn label(self) -> &'static str {
        match self {
            Self::OneHour => "1 hour",
            Self::OneDay => "24 hours",
            Self::SevenDays => "7 days",
        }
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::OneHour => chrono::Duration::hours(1),
            Self::OneDay => chrono::Duration::hours(24),
            Self::SevenDays => chrono::Duration::days(7),
        }
    }
}

/// What an endpoint is set to: a checked URL, a description, event types (comma-separated).
pub struct EndpointFields {
    pub url: String,
    pub description: String,
    pub events: String,
}

/// A create refused because the organisation already has the most
/// endpoints the server allows (`LATCHKEY_MAX_WEBHOOK_ENDPOINTS`, the number here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtCap(pub u32);

impl AtCap {
    /// The refusal in words, shown next to the URL (console) or on `url` (API).
    pub fn message(self) -> String {
        format!(
            "This organisation already has {0} webhook endpoints, the most this server allows \
             (LATCHKEY_MAX_WEBHOOK_ENDPOINTS = {0}). Delete one to add another.",
            self.0
        )
    }
}

/// Adds an endpoint with its sealed signing secret, unless the organisation
/// already has `cap` of them. Counted under a lock on the organisation, so
/// concurrent creates cannot pass the cap together.
pub fn create(
    conn: &mut DbConn,
    org_id: i64,
    fields: &EndpointFields,
    secret_sealed: &str,
    cap: u32,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<Result<Endpoint, AtCap>> {
    let public_id = format!("wh_{}", random_base62(16));
    let by = actor.display_name();
    let by_key = match actor {
        Actor::ApiKey { key_id, .. } => Some(key_id.as_str()),
        _ => None,
    };
    crate::db::transaction(conn, |conn| {
        webhooks::hold_creations(conn, org_id)?;
        if webhooks::count(conn, org_id)? >= i64::from(cap) {
            return Ok(Err(AtCap(cap)));
        }
        let new = NewEndpoint {
            org_id,
            public_id: &public_id,
            url: &fields.url,
            description: &fields.description,
            events: &fields.events,
            secret_sealed,
            created_by_name: &by,
            created_by_key: by_key,
        };
        let hook = webhooks::insert(conn, new)?;
        audit::record(conn, actor, meta, Entry::webhook_created(&hook))?;
        Ok(Ok(hook))
    })
}

/// Changes an endpoint's URL, description and events; audited with before/after when anything changed.
pub fn update(
    conn: &mut DbConn,
    hook: &Endpoint,
    fields: &EndpointFields,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        webhooks::update(conn, hook.id, &fields.url, &fields.description, &fields.events)?;
        let before = json!({ "url": hook.url, "description": hook.description, "events": hook.events });
        let after = json!({ "url": fields.url, "description": fields.description, "events": fields.events });
        if before != after {
            audit::record(conn, actor, meta, Entry::webhook_updated(hook, before, after))?;
        }
        Ok(())
    })
}

/// Records a Send test and what it got back.
pub fn record_test(
    conn: &mut DbConn,
    hook: &Endpoint,
    result: (Option<u16>, Option<&str>, u64),
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    let (status, error, latency_ms) = result;
    crate::db::transaction(conn, |conn| {
        audit::record(conn, actor, meta, Entry::webhook_tested(hook, status, error, latency_ms))
    })
}

/// Enables or disables an endpoint by hand.
pub fn set_enabled(
    conn: &mut DbConn,
    hook: &Endpoint,
    enable: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        let reason = (!enable).then_some(webhooks::DISABLED_BY_USER);
        webhooks::set_enabled(conn, hook.id, enable, reason)?;
        let entry = if enable {
            Entry::webhook_updated(hook, json!({ "enabled": hook.enabled }), json!({ "enabled": true }))
        } else {
            Entry::webhook_disabled(hook, "disabled_by_user")
        };
        audit::record(conn, actor, meta, entry)
    })
}

/// Replaces the signing secret; the previous one keeps signing for `overlap`.
pub fn rotate_secret(
    conn: &mut DbConn,
    hook: &Endpoint,
    new_sealed: &str,
    overlap: Overlap,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    let until = now() + overlap.duration();
    crate::db::transaction(conn, |conn| {
        webhooks::rotate_secret(conn, hook.id, new_sealed, &hook.secret_sealed, until)?;
        audit::record(conn, actor, meta, Entry::webhook_secret_rotated(hook, overlap.as_str()))
    })
}

/// Recover: one more attempt, due now, of every message to `hook` created
/// at or after `since` whose latest attempt failed (given up, or waiting
/// for a retry); audited with `since` and how many. Answers that count.
pub fn recover(
    conn: &mut DbConn,
    hook: &Endpoint,
    since: chrono::NaiveDateTime,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<usize> {
    crate::db::transaction(conn, |conn| {
        let count = crate::db::deliveries::requeue_failed(conn, hook.into(), since, now())?;
        let since_text = crate::domain::timefmt::iso(&since);
        audit::record(conn, actor, meta, Entry::webhook_recovered(hook, &since_text, count))?;
        Ok(count)
    })
}

/// Deletes an endpoint for good, with its queued deliveries and its attempt
/// log: nothing of it is sent later or shown under any other endpoint.
pub fn delete(conn: &mut DbConn, hook: &Endpoint, actor: &Actor, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        crate::db::deliveries::delete_for_endpoint(conn, hook.into())?;
        webhooks::delete(conn, hook.id)?;
        audit::record(conn, actor, meta, Entry::webhook_deleted(hook))
    })
}
