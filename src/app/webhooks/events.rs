//! The event types an endpoint can subscribe to (docs/api-guide.md: Event types).

pub const EVENT_TYPES: [&str; 15] = [
    "order.created",
    "customer.created",
    "product.created",
    "api_key.created",
    "api_key.updated",
    "api_key.deactivated",
    "api_key.activated",
    "api_key.rotated",
    "api_key.revoked",
    "api_key.expiring",
    "api_key.expired",
    "api_key.deleted",
    // Sent by leak response (a key found exposed); subscribable already.
    "api_key.exposed",
    // The audit stream (only to endpoints that tick them): every audit event, and each checkpoint.
    super::audit_events::AUDIT_EVENT,
    super::audit_events::AUDIT_CHECKPOINT,
];

/// Writes an `api_key.*` event to the outbox, in the caller's transaction:
/// the key's public fields and the actor (docs/api-guide.md: Events and usage). `seq` is
/// the audit seq of the change that caused it and `key` the key as that
/// change left it, so the event with the highest seq carries the key's
/// current state (docs/api-guide.md: Receiving webhooks → Order and `seq`).
pub fn key_event(
    conn: &mut crate::db::DbConn,
    event_type: &str,
    key: &crate::db::api_keys::ApiKey,
    actor: &crate::app::audit::Actor,
    seq: i64,
) -> crate::db::QueryResult<()> {
    key_event_with(conn, event_type, key, actor, seq, serde_json::Map::new())
}

/// [`key_event`] with more fields in `data` (what changed, the replacement …);
/// they replace the key's own fields of the same name (`state` of a deleted key).
pub fn key_event_with(
    conn: &mut crate::db::DbConn,
    event_type: &str,
    key: &crate::db::api_keys::ApiKey,
    actor: &crate::app::audit::Actor,
    seq: i64,
    extra: serde_json::Map<String, serde_json::Value>,
) -> crate::db::QueryResult<()> {
    let mut data = crate::app::audit::key_snapshot(key);
    data["actor"] = actor.to_json();
    if let Some(object) = data.as_object_mut() {
        object.extend(extra);
    }
    crate::db::outbox::enqueue(conn, key.org_id, event_type, seq, data).map(|_| ())
}

/// Parses the checked boxes: at least one known type, stored comma-separated in this order.
pub fn parse(selected: &[String]) -> Result<String, String> {
    if let Some(unknown) = selected.iter().find(|s| !EVENT_TYPES.contains(&s.as_str())) {
        return Err(format!("Unknown event type {unknown:?}."));
    }
    let chosen: Vec<&str> = EVENT_TYPES.into_iter().filter(|t| selected.iter().any(|s| s == t)).collect();
    if chosen.is_empty() {
        return Err("Choose at least one event.".into());
    }
    Ok(chosen.join(","))
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_are_known_and_at_least_one() {
        assert_eq!(
            super::parse(&["api_key.revoked".into(), "order.created".into()]),
            Ok("order.created,api_key.revoked".into())
        );
        assert!(super::parse(&[]).is_err());
        assert!(super::parse(&["user.deleted".into()]).is_err());
    }
}
