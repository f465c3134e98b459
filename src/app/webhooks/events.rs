//! Queuing the events about keys, and reading an endpoint's subscriptions
//! (docs/api-guide.md: Event types); the types themselves are `domain::event_type`.

use crate::domain::OrgId;
use crate::domain::event_type::EventType;

/// Writes an `api_key.*` event to the outbox, in the caller's transaction:
/// the key's public fields and the actor (docs/api-guide.md: Events and usage). `seq` is
/// the audit seq of the change that caused it and `key` the key as that
/// change left it, so the event with the highest seq carries the key's
/// current state (docs/api-guide.md: Receiving webhooks → Order and `seq`).
pub fn key_event(
    conn: &mut crate::db::DbConn,
    event_type: EventType,
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
    event_type: EventType,
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
    crate::db::outbox::enqueue(conn, OrgId::new(key.org_id), event_type, seq, data).map(|_| ())
}

/// Parses the checked boxes: at least one known type, stored comma-separated in this order.
pub fn parse(selected: &[String]) -> Result<String, String> {
    if let Some(unknown) = selected.iter().find(|s| EventType::parse_subscribable(s).is_none()) {
        return Err(format!("Unknown event type {unknown:?}."));
    }
    let chosen: Vec<&str> = EventType::SUBSCRIBABLE
        .into_iter()
        .filter(|t| selected.iter().any(|s| *s == *t))
        .map(EventType::as_str)
        .collect();
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
