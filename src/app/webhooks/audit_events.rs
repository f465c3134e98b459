//! The audit stream's event types (docs/user-guide.md: Audit log → Your own verifiable
//! copy): `audit.event` carries one audit event exactly as the JSON Lines
//! export has it, `audit.checkpoint` one signed checkpoint; their catalog
//! schemas and examples.

use crate::db::audit_events::StoredEvent;
use crate::domain::audit_chain::GENESIS_HASH;
use serde_json::{Value, json};

fn text() -> Value {
    json!({"type": "string"})
}

fn optional_text() -> Value {
    json!({"type": ["string", "null"]})
}

fn hash() -> Value {
    json!({"type": "string", "pattern": "^[0-9a-f]{64}$"})
}

/// (schema of `data`, example of `data`) of `audit.event`.
pub fn event_data() -> (Value, Value) {
    (event_schema(), crate::app::audit::export::json(&sample_event()))
}

/// (schema of `data`, example of `data`) of `audit.checkpoint`.
pub fn checkpoint_data() -> (Value, Value) {
    (checkpoint_schema(), checkpoint_example())
}

fn event_schema() -> Value {
    let integer = json!({"type": "integer"});
    let properties = json!({
        "id": integer, "org_id": integer, "seq": {"type": "integer", "minimum": 1},
        "occurred_at": text(), "actor_type": text(), "actor_id": {"type": ["integer", "null"]},
        "actor_email": optional_text(), "actor_name": optional_text(), "action": text(),
        "target_type": optional_text(), "target_id": optional_text(), "target_label": optional_text(),
        "ip": optional_text(), "user_agent": optional_text(), "request_id": optional_text(),
        "trace_id": optional_text(), "details": {"type": "string", "description": "the stored JSON text, as hashed"},
        "prev_hash": hash(), "hash": hash(),
    });
    let required: Vec<&String> = properties.as_object().map(|p| p.keys().collect()).unwrap_or_default();
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

fn checkpoint_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "org_id", "seq", "hash", "signed_at", "signature"],
        "properties": {
            "type": {"const": "checkpoint"}, "org_id": {"type": "integer"}, "seq": {"type": "integer", "minimum": 1},
            "hash": hash(), "signed_at": text(),
            "signature": {"type": "string", "description": "base64 Ed25519 signature"},
        },
        "additionalProperties": false,
    })
}

fn sample_event() -> StoredEvent {
    let occurred_at =
        chrono::NaiveDateTime::parse_from_str("2026-11-30T09:15:02", "%Y-%m-%dT%H:%M:%S").unwrap_or_default();
    let mut event = StoredEvent {
        id: 1,
        org_id: 1,
        seq: 1,
        occurred_at,
        actor_type: "user".into(),
        actor_id: Some(1),
        actor_email: Some("ada@example.com".into()),
        actor_name: Some("Ada Lovelace".into()),
        action: "api_key.revoked".into(),
        target_type: Some("api_key".into()),
        target_id: Some("key_7fGq2LmN4pR8sT1v".into()),
        target_label: Some("Billing sync".into()),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0".into()),
        request_id: Some("req_5kW2nQ8rT1vX3zB6".into()),
        trace_id: None,
        details: "{}".into(),
        prev_hash: GENESIS_HASH.into(),
        hash: String::new(),
    };
    event.hash = event.fields().hash(GENESIS_HASH);
    event
}

fn checkpoint_example() -> Value {
    let event = sample_event();
    (crate::domain::checkpoint::Checkpoint {
        org_id: 1,
        seq: 1,
        hash: event.hash,
        signed_at: "2026-11-30T10:00:00.000000Z".into(),
        signature: "O7Eu2jwpjbXeJVl/VNkk8uF+eKJq2JU+2CGO5oLwu76QIeLzAJ0VLJEb8fJexoOpAnFBZnZ6+9jlvQ+wEk7Lig==".into(),
    })
    .to_json()
}
