//! The schemas of the management operations: keys, webhook endpoints,
//! audit events (each object as the API answers it, and each body as the
//! API accepts it).

use super::schema_ref;
use crate::domain::event_type::EventType;
use crate::domain::key_state::KeyState;
use crate::domain::scopes::Scopes;
use serde_json::{Map, Value, json};

pub(super) const KEY_ID: &str = "^key_[0-9A-Za-z]{16}$";
pub(super) const WEBHOOK_ID: &str = "^wh_[0-9A-Za-z]{16}$";

fn time() -> Value {
    json!({"type": ["string", "null"], "format": "date-time"})
}

fn text_or_null() -> Value {
    json!({"type": ["string", "null"]})
}

/// How a key's credits refill: back to `amount` at each UTC day or month.
fn refill() -> Value {
    json!({"type": ["object", "null"], "additionalProperties": false, "required": ["amount", "interval"],
        "properties": {"amount": {"type": "integer", "minimum": 1}, "interval": {"type": "string", "enum": ["day", "month"]}},
        "description": "Sets the count back to amount at the start of each UTC day or month; null = never"})
}

fn key_schema(with_token: bool) -> Value {
    let states: Vec<&str> = KeyState::ALL.iter().map(|s| s.as_str()).collect();
    let mut schema = json!({
        "type": "object",
        "required": ["id", "label", "description", "prefix", "scopes", "full_access", "state", "enabled", "expires_at",
            "allowed_ips", "rate_limit_per_minute", "created_at", "created_by", "created_by_key", "last_used_at", "last_used_ip",
            "revoked_at", "rotated_from", "replaced_by", "api", "permissions", "roles", "owner_id", "metadata",
            "owner_rate_limit_per_minute", "credits_remaining", "credits_refill"],
        "properties": {
            "id": {"type": "string", "pattern": KEY_ID},
            "label": {"type": "string"},
            "description": {"type": "string"},
            "prefix": {"type": "string"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": Scopes::all_names()}},
            "full_access": {"type": "boolean"},
            "state": {"type": "string", "enum": states},
            "enabled": {"type": "boolean"},
            "expires_at": time(),
            "allowed_ips": {"type": "array", "items": {"type": "string"}},
            "rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 0},
            "created_at": {"type": "string", "format": "date-time"},
            "created_by": {
                "type": "object",
                "required": ["type", "name"],
                "properties": {
                    "type": {"type": "string", "enum": ["user", "api_key"]},
                    "id": {"type": "string", "pattern": KEY_ID},
                    "email": text_or_null(),
                    "name": {"type": "string"}
                }
            },
            "created_by_key": text_or_null(),
            "last_used_at": time(),
            "last_used_ip": text_or_null(),
            "revoked_at": time(),
            "rotated_from": text_or_null(),
            "replaced_by": text_or_null(),
            "api": {"type": "string", "description": "The API the key belongs to (sample: Latchkey's own resources)"},
            "permissions": {"type": "array", "items": {"type": "string"}, "description": "Grants in its API: a permission, prefix.* or * (full access)"},
            "roles": {"type": "array", "items": {"type": "string"}},
            "owner_id": text_or_null(),
            "metadata": {"type": ["object", "null"]},
            "owner_rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 1,
                "description": "The limit its owner's keys share (PUT /api/v1/owners/{owner_id}/limits); null = none"},
            "credits_remaining": {"type": ["integer", "null"], "minimum": 0, "description": "Requests it may still make; null = unlimited"},
            "credits_refill": refill(),
        }
    });
    if with_token {
        if let Some(required) = schema["required"].as_array_mut() {
            required.push("token".into());
        }
        schema["properties"]["token"] = json!({"type": "string", "description": "The key's secret: shown this once"});
    }
    schema
}

fn key_input(patch: bool) -> Value {
    let space = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "label": {"type": "string", "maxLength": 100, "pattern": format!(r"^[{space}]*[^\x00-\x1f\x7f-\x9f{space}][^\x00-\x1f\x7f-\x9f]*[{space}]*$")},
            "description": {"type": ["string", "null"], "maxLength": 500,
                "pattern": format!(r"^[{space}]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[{space}]*$")},
            "scopes": {"type": "array", "items": {"type": "string", "enum": Scopes::all_names()},
                "description": "Sample API permissions and management scopes; no scope at all = full access to the resources (never a management scope)"},
            "api": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$", "description": "The API the key is for (default sample); a key keeps it"},
            "permissions": {"type": "array", "items": {"type": "string"}, "description": "Grants in the key's API: permissions it declares, prefix.* or *"},
            "roles": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"}},
            "owner_id": {"type": ["string", "null"], "maxLength": 128, "description": "Who the key is for, in your terms (a customer id)"},
            "metadata": {"type": ["object", "null"], "description": "A JSON object of at most 4 KiB"},
            "expires_at": {"type": ["string", "null"],
                "description": "In the future: RFC 3339, YYYY-MM-DD (00:00 UTC) or YYYY-MM-DDTHH:MM (UTC); null = never"},
            "allowed_ips": {"type": ["array", "null"], "items": {"type": "string"},
                "description": "IP addresses or CIDR ranges (host bits clear), at most 100 different ones; empty = any address"},
            "rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 0, "maximum": 1_000_000,
                "description": "0 = unlimited; null = the server default"},
            "credits_remaining": {"type": ["integer", "null"], "minimum": 0, "maximum": crate::domain::credits::MAX_CREDITS,
                "description": "Requests the key may still make (each authenticated request, verification or forward-auth decision spends one); null = unlimited"},
            "credits_refill": refill(),
        }
    });
    if patch {
        schema["properties"]["enabled"] = json!({"type": "boolean"});
    } else {
        schema["required"] = json!(["label"]);
    }
    schema
}

fn list_of(item: &str, extra: Value) -> Value {
    let mut schema = json!({
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {"data": {"type": "array", "items": schema_ref(item)}, "next_cursor": {"type": ["string", "null"]}}
    });
    if let Some(extra) = extra.as_object() {
        for (k, v) in extra {
            schema["properties"][k] = v.clone();
        }
    }
    schema
}

fn webhook_schema(with_secret: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "required": ["id", "url", "description", "events", "enabled", "created_at"],
        "properties": {
            "id": {"type": "string", "pattern": WEBHOOK_ID},
            "url": {"type": "string"},
            "description": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string", "enum": EventType::SUBSCRIBABLE}},
            "enabled": {"type": "boolean"},
            "disabled_reason": text_or_null(),
            "created_at": {"type": "string", "format": "date-time"},
            "created_by_key": text_or_null(),
        }
    });
    if with_secret {
        if let Some(required) = schema["required"].as_array_mut() {
            required.push("secret".into());
        }
        schema["properties"]["secret"] =
            json!({"type": "string", "description": "The signing secret: shown this once"});
    }
    schema
}

fn webhook_input(patch: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "url": {"type": "string", "description": "HTTPS; must not resolve to a private or loopback address"},
            "events": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": EventType::SUBSCRIBABLE}},
            "description": {"type": "string", "maxLength": 500},
        }
    });
    if patch {
        schema["properties"]["enabled"] = json!({"type": "boolean"});
    } else {
        schema["required"] = json!(["url", "events"]);
    }
    schema
}

fn audit_event_schema() -> Value {
    let int_or_null = json!({"type": ["integer", "null"]});
    let mut properties = Map::new();
    for name in [
        "actor_email",
        "actor_name",
        "target_type",
        "target_id",
        "target_label",
        "ip",
        "user_agent",
        "request_id",
        "trace_id",
    ] {
        properties.insert(name.into(), text_or_null());
    }
    for name in ["occurred_at", "actor_type", "action", "details", "prev_hash", "hash"] {
        properties.insert(name.into(), json!({"type": "string"}));
    }
    for name in ["id", "org_id", "seq"] {
        properties.insert(name.into(), json!({"type": "integer"}));
    }
    properties.insert("actor_id".into(), int_or_null);
    let required: Vec<String> = properties.keys().cloned().collect();
    json!({"type": "object", "required": required, "properties": properties,
        "description": "hash = hex(SHA-256(prev_hash ‖ \"\\n\" ‖ canonical encoding)); see the README's Audit log section"})
}

/// Every schema these operations name.
pub(super) fn schemas(schemas: &mut Map<String, Value>) {
    schemas.insert("ApiKey".into(), key_schema(false));
    schemas.insert("ApiKeyWithToken".into(), key_schema(true));
    schemas.insert("ApiKeyInput".into(), key_input(false));
    schemas.insert("ApiKeyPatch".into(), key_input(true));
    schemas.insert("ApiKeyList".into(), list_of("ApiKey", json!({})));
    let limit = json!({"type": ["integer", "null"], "minimum": 1, "maximum": 1_000_000,
        "description": "Requests a minute all the owner's keys share; null (or 0) = no owner limit"});
    schemas.insert(
        "OwnerLimitsInput".into(),
        json!({"type": "object", "required": ["rate_limit_per_minute"], "additionalProperties": false,
            "properties": {"rate_limit_per_minute": {"type": ["integer", "null"], "minimum": 0, "maximum": 1_000_000}}}),
    );
    schemas.insert(
        "OwnerLimits".into(),
        json!({"type": "object", "required": ["owner_id", "rate_limit_per_minute", "keys"],
            "properties": {"owner_id": {"type": "string"}, "rate_limit_per_minute": limit,
                "keys": {"type": "integer", "description": "The owner's keys in the organisation"}}}),
    );
    schemas.insert(
        "Rotation".into(),
        json!({"type": "object", "required": ["grace"], "additionalProperties": false,
            "properties": {"grace": {"type": "string", "enum": ["none", "1h", "24h", "7d"],
                "description": "How long the old key keeps working"}}}),
    );
    schemas.insert("Webhook".into(), webhook_schema(false));
    schemas.insert("WebhookWithSecret".into(), webhook_schema(true));
    schemas.insert("WebhookInput".into(), webhook_input(false));
    schemas.insert("WebhookPatch".into(), webhook_input(true));
    schemas.insert("WebhookList".into(), list_of("Webhook", json!({})));
    let mut examples: Vec<&str> =
        crate::app::webhooks::examples::choices().into_iter().map(EventType::as_str).collect();
    examples.sort_unstable();
    schemas.insert(
        "WebhookTestInput".into(),
        json!({"type": "object", "additionalProperties": false, "properties": {"event": {"type": "string",
            "enum": examples, "default": EventType::WebhookTest.as_str(),
            "description": "Send a signed example of this type: the catalog's example with a fresh timestamp and \"test\": true"}}}),
    );
    schemas.insert(
        "WebhookRotationInput".into(),
        json!({"type": "object", "additionalProperties": false, "properties": {"overlap": {"type": "string",
            "enum": ["1h", "24h", "7d"], "default": "24h", "description": "How long the previous secret keeps signing"}}}),
    );
    schemas.insert(
        "WebhookTestResult".into(),
        json!({"type": "object", "required": ["status_code", "latency_ms", "headers", "body", "error"], "properties": {
            "status_code": {"type": ["integer", "null"]},
            "latency_ms": {"type": "integer", "minimum": 0},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
            "body": {"type": "string"},
            "error": {"type": ["object", "null"], "properties": {"class": {"type": "string"}, "message": {"type": "string"}}},
        }}),
    );
    schemas.insert("AuditEvent".into(), audit_event_schema());
    schemas.insert(
        "AuditEventList".into(),
        list_of("AuditEvent", json!({"next_after": {"type": ["integer", "null"]}, "has_more": {"type": "boolean"}})),
    );
    let hash = json!({"type": "string", "pattern": "^[0-9a-f]{64}$"});
    schemas.insert(
        "AuditCheckpoint".into(),
        json!({
            "type": "object",
            "required": ["id", "type", "org_id", "seq", "hash", "signed_at", "signature", "public_key"],
            "properties": {
                "id": {"type": "string"}, "type": {"const": "checkpoint"}, "org_id": {"type": "integer"},
                "seq": {"type": "integer", "minimum": 1}, "hash": hash,
                "signed_at": {"type": "string", "description": "RFC 3339 UTC, exactly as signed"},
                "signature": {"type": "string", "description": "base64 Ed25519 signature of latchkey-audit-checkpoint-v1\\n{org_id}\\n{seq}\\n{hash}\\n{signed_at}"},
                "public_key": {"type": "string", "description": "base64 of the key that signed it"},
            },
            "additionalProperties": false,
        }),
    );
    schemas.insert("AuditCheckpointList".into(), list_of("AuditCheckpoint", json!({"has_more": {"type": "boolean"}})));
}
