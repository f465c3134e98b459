//! Use cases for webhook endpoints: one function per thing an owner or
//! admin does to an endpoint, each in its own transaction with its audit
//! entry. URLs are checked (SSRF guard) and secrets sealed by the caller.

use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::db::webhooks::{self, Endpoint, NewEndpoint};
use crate::db::{DbConn, now};
use crate::domain::token::random_base62;
use diesel::QueryResult;
use serde_json::json;

/// After a rotation, the previous secret keeps signing this long.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// What an endpoint is set to: a checked URL, a description, event types (comma-separated).
pub struct EndpointFields {
    pub url: String,
    pub description: String,
    pub events: String,
}

/// Adds an endpoint with its sealed signing secret.
pub fn create(
    conn: &mut DbConn,
    org_id: i64,
    fields: &EndpointFields,
    secret_sealed: &str,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<Endpoint> {
    let public_id = format!("wh_{}", random_base62(16));
    let by = actor.display_name();
    let by_key = match actor {
        Actor::ApiKey { key_id, .. } => Some(key_id.as_str()),
        _ => None,
    };
    crate::db::transaction(conn, |conn| {
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
        Ok(hook)
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

/// Replaces the signing secret; the previous one keeps signing for the overlap.
pub fn rotate_secret(
    conn: &mut DbConn,
    hook: &Endpoint,
    new_sealed: &str,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    let until = now() + chrono::Duration::hours(ROTATION_OVERLAP_HOURS);
    crate::db::transaction(conn, |conn| {
        webhooks::rotate_secret(conn, hook.id, new_sealed, &hook.secret_sealed, until)?;
        audit::record(conn, actor, meta, Entry::webhook_secret_rotated(hook))
    })
}

/// Deletes an endpoint for good.
pub fn delete(conn: &mut DbConn, hook: &Endpoint, actor: &Actor, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        webhooks::delete(conn, hook.id)?;
        audit::record(conn, actor, meta, Entry::webhook_deleted(hook))
    })
}
