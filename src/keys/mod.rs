//! Use cases for API keys: one function per thing a person or a job does to
//! a key. Each owns its transaction, its audit entry and its webhook event,
//! so the console, the scheduler and the management API cannot
//! drift apart. Nothing here knows HTTP; callers pass who acts (`Actor`) and
//! where from (`RequestMeta`).

mod exposure;
mod issue;

pub use exposure::{ExposedKeyAction, Report, Verdict, look_up, report_exposed, report_tokens};
pub use issue::{Issue, Issued, Once, create, issued_before, replacement, rotate};

use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::db::api_keys::{self, ApiKey, KeySettings};
use crate::db::{DbConn, now};
use crate::domain::scopes::Scopes;
use crate::webhooks::events::{key_event, key_event_with};
use diesel::QueryResult;
use serde_json::{Map, Value, json};

/// Revokes a key for good, recording `api_key.revoked` with `reason` and
/// sending the event. False when it already was revoked (by another request
/// or instance): then nothing is recorded twice.
pub fn revoke(
    conn: &mut DbConn,
    key: &ApiKey,
    by: &str,
    actor: &Actor,
    meta: &RequestMeta,
    reason: &str,
) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        if !api_keys::revoke(conn, key.id, by)? {
            return Ok(false);
        }
        audit::record(conn, actor, meta, Entry::api_key_revoked(key, reason))?;
        key_event(conn, "api_key.revoked", key, actor)?;
        Ok(true)
    })
}

/// Edits a key's settings and `enabled` flag: `api_key.updated` with the
/// changed fields before and after, `api_key.scopes_changed` when the scopes
/// changed, and `api_key.activated`/`deactivated` when `enabled` did.
pub fn update(
    conn: &mut DbConn,
    old: &ApiKey,
    settings: &KeySettings,
    enabled: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        api_keys::update_settings(conn, old.id, settings, enabled)?;
        let (before, after) = changes(old, settings, enabled);
        let updated = reload(conn, old)?;
        // `enabled` alone is an activation or deactivation, not an update.
        let (mut b, mut a) = (before.clone(), after.clone());
        if let (Some(b), Some(a)) = (b.as_object_mut(), a.as_object_mut()) {
            b.remove("enabled");
            a.remove("enabled");
        }
        if b.as_object().is_some_and(|m| !m.is_empty()) {
            key_event_with(
                conn,
                "api_key.updated",
                &updated,
                actor,
                object(json!({ "changes": { "before": b, "after": a } })),
            )?;
        }
        if before.as_object().is_some_and(|m| !m.is_empty()) {
            audit::record(conn, actor, meta, Entry::api_key_updated(old, before, after))?;
        }
        let (was, now_scopes) = (old.scopes(), &settings.scopes);
        if *was != *now_scopes {
            let entry = Entry::api_key_scopes_changed(old, &scope_names(was), &scope_names(now_scopes));
            audit::record(conn, actor, meta, entry)?;
        }
        if old.enabled != enabled {
            let entry = if enabled { Entry::api_key_activated(old) } else { Entry::api_key_deactivated(old) };
            audit::record(conn, actor, meta, entry)?;
            key_event(conn, if enabled { "api_key.activated" } else { "api_key.deactivated" }, &updated, actor)?;
        }
        Ok(())
    })
}

/// The key as it is now (after a change in this transaction).
pub(crate) fn reload(conn: &mut DbConn, key: &ApiKey) -> QueryResult<ApiKey> {
    api_keys::find(conn, key.org_id, &key.key_id)?.ok_or(diesel::result::Error::NotFound)
}

pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The fields an edit changed: (before, after), each only the changed ones.
fn changes(old: &ApiKey, new: &KeySettings, enabled: bool) -> (Value, Value) {
    let mut before = Map::new();
    let mut after = Map::new();
    let mut diff = |name: &str, a: Value, b: Value| {
        if a != b {
            before.insert(name.into(), a);
            after.insert(name.into(), b);
        }
    };
    diff("label", json!(old.label), json!(new.label));
    diff("description", json!(old.description), json!(new.description));
    diff(
        "expires_at",
        json!(old.expires_at.map(|t| crate::audit::chain::format_time(&t))),
        json!(new.expires_at.map(|t| crate::audit::chain::format_time(&t))),
    );
    diff("allowed_ips", json!(old.allowlist().ranges()), json!(new.allowed_ips.ranges()));
    diff("rate_limit_per_minute", json!(old.rate_limit_per_minute), json!(new.rate_limit_per_minute));
    diff("enabled", json!(old.enabled), json!(enabled));
    (Value::Object(before), Value::Object(after))
}

/// Scope names for the audit log; full access is spelled out.
fn scope_names(scopes: &Scopes) -> Vec<&'static str> {
    if scopes.is_full_access() { vec!["full_access"] } else { scopes.effective_names() }
}

/// Deactivates (`false`) or activates (`true`) a key, with its audit entry.
pub fn set_enabled(
    conn: &mut DbConn,
    key: &ApiKey,
    enabled: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        api_keys::set_enabled(conn, key.id, enabled)?;
        let entry = if enabled { Entry::api_key_activated(key) } else { Entry::api_key_deactivated(key) };
        audit::record(conn, actor, meta, entry)?;
        let changed = reload(conn, key)?;
        key_event(conn, if enabled { "api_key.activated" } else { "api_key.deactivated" }, &changed, actor)
    })
}

/// Deletes a key's row for good; the audit entry keeps its label and prefix.
pub fn delete(conn: &mut DbConn, key: &ApiKey, actor: &Actor, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        api_keys::delete(conn, key.id)?;
        audit::record(conn, actor, meta, Entry::api_key_deleted(key))?;
        key_event(conn, "api_key.deleted", key, actor)
    })
}

/// A revoked or rotated-out key was presented: `api_key.revoked_key_used`
/// (with the caller's IP) and a mail to owners and admins (once a day per key).
pub fn record_revoked_use(conn: &mut DbConn, key: &ApiKey, public_url: &str, meta: &RequestMeta) -> QueryResult<()> {
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let entry = Entry::api_key_revoked_key_used(key, if key.replaced_by.is_some() { "rotated_out" } else { "revoked" });
    crate::db::transaction(conn, |conn| {
        audit::record(conn, &Actor::System { label: "api" }, meta, entry)?;
        crate::notify::revoked_key_used(conn, public_url, key, &ip, now()).map(|_| ())
    })
}
