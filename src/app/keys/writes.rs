//! The writes of the key use cases, each inside the caller's transaction
//! (nested as a savepoint when one is open): the row change, its audit
//! entries and its webhook events, so the console, the management API, leak
//! response and the scheduler record a change the same way. The checks
//! before them are the entry points' (mod.rs); nothing here checks who asks.

use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::app::webhooks::events::{key_event, key_event_with};
use crate::db::QueryResult;
use crate::db::api_keys::{self, ApiKey, KeySettings};
use crate::db::{DbConn, now};
use crate::domain::OrgId;
use crate::domain::credits::{self, CreditsChange};
use crate::domain::event_type::EventType;
use crate::domain::key_state::{RevokeCause, RevokeReason};
use crate::domain::scopes::Scopes;
use serde_json::{Map, Value, json};

/// Revokes a key for good, recording `api_key.revoked` with its `cause` and
/// sending the event with the key as revoked and the reason receivers see
/// (`RevokeCause::reason`). False when it already was revoked (by another request
/// or instance): then nothing is recorded twice.
pub(super) fn revoke(
    conn: &mut DbConn,
    key: &ApiKey,
    by: &str,
    actor: &Actor,
    meta: &RequestMeta,
    cause: RevokeCause,
) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        if !api_keys::revoke(conn, key.id, by)? {
            return Ok(false);
        }
        let seq = audit::record_seq(conn, actor, meta, Entry::api_key_revoked(key, cause))?;
        let revoked = reload(conn, key)?;
        let extra = json!({ "reason": cause.reason().as_str() });
        key_event_with(conn, EventType::ApiKeyRevoked, &revoked, actor, seq, object(extra))?;
        Ok(true)
    })
}

/// Edits a key's settings and `enabled` flag. The audit log records
/// `api_key.updated` (changed fields, `enabled` included),
/// `api_key.scopes_changed` and `api_key.activated`/`deactivated`; webhooks
/// get `api_key.updated` for any change of settings, scopes included, and
/// `api_key.activated`/`deactivated` for `enabled`.
pub(super) fn update(
    conn: &mut DbConn,
    old: &ApiKey,
    settings: &KeySettings,
    enabled: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        api_keys::update_settings(conn, old.id, settings, enabled)?;
        let updated = reload(conn, old)?;
        let (before, after) = changes(old, settings, enabled);
        let mut settings_seq = None;
        if !before.is_empty() {
            let entry = Entry::api_key_updated(old, Value::Object(before.clone()), Value::Object(after.clone()));
            settings_seq = Some(audit::record_seq(conn, actor, meta, entry)?);
        }
        let (was, now_scopes) = (old.scopes(), &settings.scopes);
        if *was != *now_scopes {
            let entry = Entry::api_key_scopes_changed(old, &scope_names(was), &scope_names(now_scopes));
            settings_seq = Some(audit::record_seq(conn, actor, meta, entry)?);
        }
        let (sent_before, sent_after) = sent_changes(old, &updated, before, after);
        if let (Some(seq), false) = (settings_seq, sent_before.is_empty()) {
            let extra = json!({ "changes": { "before": sent_before, "after": sent_after } });
            key_event_with(conn, EventType::ApiKeyUpdated, &updated, actor, seq, object(extra))?;
        }
        if old.enabled != enabled {
            let entry = if enabled { Entry::api_key_activated(old) } else { Entry::api_key_deactivated(old) };
            let seq = audit::record_seq(conn, actor, meta, entry)?;
            let event = if enabled { EventType::ApiKeyActivated } else { EventType::ApiKeyDeactivated };
            key_event(conn, event, &updated, actor, seq)?;
        }
        Ok(())
    })
}

/// Sets a key's credits as `change` says (nothing when it says nothing),
/// recording `api_key.updated` with the count and refill before and after,
/// in the audit log and as a webhook event.
pub(super) fn set_credits(
    conn: &mut DbConn,
    key: &ApiKey,
    change: CreditsChange,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    if change.is_empty() {
        return Ok(());
    }
    crate::db::transaction(conn, |conn| {
        let before = credits_fields(conn, key)?;
        let was = key.limits;
        let metered = change.metered(was.metered);
        let refill = change.refill_over(was.refill, was.metered);
        // A count not given stays what the key shows now (a refill already due included).
        let remaining = change.remaining.unwrap_or_else(|| before["credits_remaining"].as_u64());
        crate::db::credits::set(conn, key.id, (metered, refill, remaining), now())?;
        let updated = reload(conn, key)?;
        let after = credits_fields(conn, &updated)?;
        if before == after {
            return Ok(());
        }
        let seq = audit::record_seq(conn, actor, meta, Entry::api_key_updated(key, before.clone(), after.clone()))?;
        let extra = json!({ "changes": { "before": before, "after": after } });
        key_event_with(conn, EventType::ApiKeyUpdated, &updated, actor, seq, object(extra))
    })
}

/// `credits_remaining` and `credits_refill` as the management API shows them.
fn credits_fields(conn: &mut DbConn, key: &ApiKey) -> QueryResult<Value> {
    let counts = crate::db::credits::counts(conn, &[key.id])?;
    let remaining = counts
        .get(&key.id)
        .filter(|_| key.limits.metered)
        .map(|(n, at)| credits::shown(*n, *at, key.limits.refill, now()));
    Ok(json!({
        "credits_remaining": remaining,
        "credits_refill": key.limits.refill.map(credits::Refill::to_json),
    }))
}

/// The key as it is now (after a change in this transaction).
pub(super) fn reload(conn: &mut DbConn, key: &ApiKey) -> QueryResult<ApiKey> {
    api_keys::find(conn, OrgId::new(key.org_id), &key.key_id)?.ok_or(crate::db::QueryError::NotFound)
}

pub(super) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The fields an edit changed: (before, after), each only the changed ones.
fn changes(old: &ApiKey, new: &KeySettings, enabled: bool) -> (Map<String, Value>, Map<String, Value>) {
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
        json!(old.expires_at.map(|t| crate::app::audit::chain::format_time(&t))),
        json!(new.expires_at.map(|t| crate::app::audit::chain::format_time(&t))),
    );
    diff("allowed_ips", json!(old.allowlist().ranges()), json!(new.allowed_ips.ranges()));
    diff("rate_limit_per_minute", json!(old.rate_limit_per_minute), json!(new.rate_limit_per_minute));
    diff("enabled", json!(old.enabled), json!(enabled));
    // A sample key's permissions are its scopes, which `api_key.scopes_changed` records.
    if !old.scopes().api().is_sample() {
        let (was, is) = (old.scopes().access(), new.scopes.access());
        diff("permissions", json!(was.grants), json!(is.grants));
        diff("roles", json!(was.roles), json!(is.roles));
    }
    diff("owner_id", json!(old.owner_id), json!(new.owner_id));
    diff("metadata", json!(old.metadata_value()), json!(new.metadata));
    (before, after)
}

/// What `api_key.updated` says changed: the edit's changes without
/// `enabled` (sent as its own event), with `scopes` and `full_access` as
/// the event's data spells them (the audit log has them in `api_key.scopes_changed`).
fn sent_changes(
    old: &ApiKey,
    new: &ApiKey,
    mut before: Map<String, Value>,
    mut after: Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    before.remove("enabled");
    after.remove("enabled");
    let (was, is) = (old.scopes(), new.scopes());
    for (name, a, b) in [
        ("scopes", json!(was.effective_names()), json!(is.effective_names())),
        ("full_access", json!(was.is_full_access()), json!(is.is_full_access())),
    ] {
        if a != b {
            before.insert(name.into(), a);
            after.insert(name.into(), b);
        }
    }
    (before, after)
}

/// Scope names for the audit log; full access is spelled out.
fn scope_names(scopes: &Scopes) -> Vec<String> {
    if scopes.is_full_access() { vec!["full_access".into()] } else { scopes.effective_names() }
}

/// Deactivates (`false`) or activates (`true`) a key, with its audit entry.
pub(super) fn set_enabled(
    conn: &mut DbConn,
    key: &ApiKey,
    enabled: bool,
    actor: &Actor,
    meta: &RequestMeta,
) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        api_keys::set_enabled(conn, key.id, enabled)?;
        let entry = if enabled { Entry::api_key_activated(key) } else { Entry::api_key_deactivated(key) };
        let seq = audit::record_seq(conn, actor, meta, entry)?;
        let changed = reload(conn, key)?;
        let event = if enabled { EventType::ApiKeyActivated } else { EventType::ApiKeyDeactivated };
        key_event(conn, event, &changed, actor, seq)
    })
}

/// Deletes a key's row for good; the audit entry keeps its label and prefix,
/// and the event says `deleted`. A key deleted meanwhile is left alone.
pub(super) fn delete(conn: &mut DbConn, key: &ApiKey, actor: &Actor, meta: &RequestMeta) -> QueryResult<()> {
    crate::db::transaction(conn, |conn| {
        // Read under the row lock, so the log and the event keep the key's
        // last settings even when a change committed since the caller read it.
        crate::db::lock_key(conn, key.id)?;
        let Some(current) = api_keys::find(conn, OrgId::new(key.org_id), &key.key_id)? else { return Ok(()) };
        api_keys::delete(conn, current.id)?;
        let seq = audit::record_seq(conn, actor, meta, Entry::api_key_deleted(&current))?;
        let extra = json!({ "state": "deleted", "reason": RevokeReason::Manual.as_str() });
        key_event_with(conn, EventType::ApiKeyDeleted, &current, actor, seq, object(extra))
    })
}

/// A revoked or rotated-out key was presented: `api_key.revoked_key_used`
/// (with the caller's IP) and a mail to owners and admins (once a day per key).
pub(super) fn record_revoked_use(
    conn: &mut DbConn,
    key: &ApiKey,
    public_url: &str,
    meta: &RequestMeta,
) -> QueryResult<()> {
    let ip = meta.ip.clone().unwrap_or_else(|| "unknown".into());
    let entry = Entry::api_key_revoked_key_used(key, if key.replaced_by.is_some() { "rotated_out" } else { "revoked" });
    crate::db::transaction(conn, |conn| {
        audit::record(conn, &Actor::System { label: "api" }, meta, entry)?;
        crate::app::notify::revoked_key_used(conn, public_url, key, &ip, now()).map(|_| ())
    })
}
