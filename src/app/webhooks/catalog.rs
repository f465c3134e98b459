//! The event catalog: for every event type the server sends (those an
//! endpoint can subscribe to, and Send test's `webhook.test`), a
//! JSON Schema of the body and an example built by the same code that builds
//! real events (`audit::key_snapshot`, `resources::object`). The OpenAPI
//! document publishes it as its `webhooks` map and `/docs/api` lists it; a
//! test checks real deliveries against these schemas, so they cannot drift.

use crate::app::audit::Actor;
use crate::db::api_keys::ApiKey;
use crate::db::records::Record;
use crate::domain::event_type::EventType::{self, *};
use crate::domain::key_state::{KeyState, RevokeReason};
use crate::domain::records::{fields, id_prefix, object_schema};
use crate::domain::scopes::{Resource, Scopes};
use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

/// One event type, documented.
pub struct EventDoc {
    pub event_type: EventType,
    pub summary: &'static str,
    /// The schema of the whole body: `{"type","timestamp","data"}`.
    pub schema: Value,
    /// A body as it would be delivered.
    pub example: Value,
}

/// What the event means, in a line (the catalog's and the webhook form's words).
pub fn summary(event_type: EventType) -> &'static str {
    match event_type {
        OrderCreated => "An order was created through the API.",
        CustomerCreated => "A customer was created through the API.",
        ProductCreated => "A product was created through the API.",
        ApiKeyCreated => "A key was created (also the replacement made by a rotation).",
        ApiKeyUpdated => {
            "A key's settings changed (scopes included); `changes` holds the changed fields before and after."
        }
        ApiKeyDeactivated => "A key was deactivated: requests with it are refused until it is activated.",
        ApiKeyActivated => "A key was activated again.",
        ApiKeyRotated => "A key was rotated: `replaced_by` names the new key; the old one works for `grace`.",
        ApiKeyRevoked => {
            "A key was revoked for good: `state` is `revoked`, `reason` says why (`manual`, `rotated`, `exposed`, `expired_grace`)."
        }
        ApiKeyExpiring => "A key expires soon (30, 7 or 1 day ahead): `warning` and `days_left` say when.",
        ApiKeyExpired => "A key reached its expiry.",
        ApiKeyDeleted => "A key was deleted: `state` is `deleted`, `reason` is `manual`.",
        ApiKeyExposed => "A key was reported exposed (found where it should not be).",
        ApiUpdated => {
            "An API's definition was created, changed, imported into from OpenAPI, or deleted: `change` says which, `changes` what."
        }
        MemberDeprovisioned => {
            "The identity provider deprovisioned a member (SCIM): their membership and sessions ended; `keys` lists the live keys they made, now marked."
        }
        AuditEvent => {
            "An audit event of the organisation, as the JSON Lines export has it; sent in chain order, at least once (dedupe on `seq`)."
        }
        AuditCheckpoint => {
            "A signed checkpoint of the organisation's audit chain (verify with the key at `/.well-known/latchkey-audit-key`)."
        }
        WebhookTest => {
            "Sent only by Send test (console or API) to check an endpoint: never queued, not subscribable, `seq` 0, always `\"test\": true`."
        }
    }
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap_or_default()
}

/// The key every key example describes.
fn sample_key() -> ApiKey {
    ApiKey {
        id: 1,
        org_id: 1,
        key_id: "key_7fGq2LmN4pR8sT1v"
            .to_owned()
            .try_into()
            .unwrap_or_else(|_| crate::domain::token::KeyId::generate()),
        token_hash: String::new(),
        display_prefix: "lk_live_4x9Q".into(),
        label: "Billing sync".into(),
        description: String::new(),
        scopes: Scopes::parse(&["orders:read", "customers:read"]).unwrap_or_default(),
        owner_id: None,
        metadata: None,
        expires_at: Some(at("2027-06-30T00:00:00")),
        allowed_ips: Default::default(),
        rate_limit_per_minute: None,
        enabled: true,
        created_at: at("2026-11-30T09:15:00"),
        created_by_id: Some(1),
        created_by_name: "Ada Lovelace".into(),
        created_by_email: Some("ada@example.com".into()),
        created_by_key: None,
        last_used_at: None,
        last_used_ip: None,
        revoked_at: None,
        revoked_by_name: None,
        rotated_from: None,
        replaced_by: None,
        grace_until: None,
        expired_event_at: None,
        creator_deprovisioned_at: None,
        limits: Default::default(),
    }
}

fn actor_schema() -> Value {
    let text_or_null = json!({"type": ["string", "null"]});
    json!({
        "type": "object",
        "required": ["type", "id", "email", "name"],
        "properties": {
            "type": {"type": "string", "enum": ["user", "staff", "system", "anonymous", "api_key"]},
            "id": {"type": ["integer", "null"]},
            "email": text_or_null,
            "name": text_or_null,
        }
    })
}

/// The key fields every `api_key.*` event carries, plus `extra` ones.
fn key_data_schema(extra: &[(&str, Value)]) -> Value {
    let scopes = Scopes::all_names();
    let states: Vec<&str> = KeyState::ALL.iter().map(|s| s.as_str()).collect();
    let mut properties: Map<String, Value> = [
        ("key_id", json!({"type": "string", "pattern": "^key_[0-9A-Za-z]{16}$"})),
        ("label", json!({"type": "string"})),
        ("prefix", json!({"type": "string"})),
        ("scopes", json!({"type": "array", "items": {"type": "string", "enum": scopes}})),
        ("full_access", json!({"type": "boolean"})),
        ("state", json!({"type": "string", "enum": states})),
        ("expires_at", json!({"type": ["string", "null"], "format": "date-time"})),
        ("actor", actor_schema()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut required: Vec<String> = properties.keys().cloned().collect();
    for (name, schema) in extra {
        // An extra field may narrow a key field (`state` of a revoked key).
        if properties.insert((*name).to_owned(), schema.clone()).is_none() {
            required.push((*name).to_owned());
        }
    }
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

/// (schema of `data`, example of `data`) for one event type.
fn data(event_type: EventType) -> (Value, Value) {
    let record = |r: Resource| {
        let mut data = Map::new();
        for f in fields(r) {
            data.insert(f.name.to_owned(), f.example());
        }
        let record = Record {
            id: 1,
            org_id: 1,
            kind: r.as_str().into(),
            public_id: format!("{}_8kQ2mW5xZ1nB7cV3", id_prefix(r)),
            data: Value::Object(data).to_string(),
            created_at: at("2026-11-30T09:15:00"),
            updated_at: at("2026-11-30T09:15:00"),
            created_by_key: Some("key_3fJ9qLm2Xv8RtB4n".into()),
        };
        (object_schema(r), crate::app::resources::object(&record))
    };
    let (extra_schema, extra_example): (Vec<(&str, Value)>, Map<String, Value>) = match event_type {
        WebhookTest => return test_data(),
        MemberDeprovisioned => return deprovisioned_data(),
        AuditEvent => return super::audit_events::event_data(),
        ApiUpdated => return super::api_events::catalog_data(actor_schema()),
        AuditCheckpoint => return super::audit_events::checkpoint_data(),
        OrderCreated => return record(Resource::Orders),
        CustomerCreated => return record(Resource::Customers),
        ProductCreated => return record(Resource::Products),
        ApiKeyUpdated => {
            let fields = json!({"type": "object", "minProperties": 1, "propertyNames": {"enum": CHANGEABLE}});
            let changes = json!({"type": "object", "required": ["before", "after"], "properties": {"before": fields, "after": fields}});
            let scopes = sample_key().scopes().effective_names();
            let example = json!({"changes": {
                "before": {"label": "Billing", "scopes": ["orders:read"]},
                "after": {"label": "Billing sync", "scopes": scopes},
            }});
            (vec![("changes", changes)], json_map(example))
        }
        ApiKeyRevoked => {
            let reasons: Vec<&str> = RevokeReason::ALL.iter().map(|r| r.as_str()).collect();
            (
                vec![("state", json!({"const": "revoked"})), ("reason", json!({"type": "string", "enum": reasons}))],
                json_map(json!({"state": "revoked", "reason": "manual"})),
            )
        }
        ApiKeyDeleted => (
            vec![("state", json!({"const": "deleted"})), ("reason", json!({"type": "string", "enum": ["manual"]}))],
            json_map(json!({"state": "deleted", "reason": "manual"})),
        ),
        ApiKeyRotated => (
            vec![
                ("replaced_by", json!({"type": "string", "pattern": "^key_[0-9A-Za-z]{16}$"})),
                ("grace", json!({"type": "string", "enum": ["none", "1h", "24h", "7d"]})),
            ],
            json_map(json!({"replaced_by": "key_3hJ9kL2mN5pQ8rS1", "grace": "24h"})),
        ),
        ApiKeyExpiring => (
            vec![("warning", json!({"type": "string"})), ("days_left", json!({"type": "integer", "minimum": 0}))],
            json_map(json!({"warning": "7_days", "days_left": 7})),
        ),
        ApiKeyExposed => (
            vec![
                ("source", json!({"type": "string", "enum": ["public_report", "github"]})),
                (
                    "url",
                    json!({"type": ["string", "null"], "description": "where the token was found, if the reporter said"}),
                ),
                ("action", json!({"type": "string", "enum": ["revoke", "disable", "notify"]})),
                ("reporter_ip", json!({"type": ["string", "null"]})),
                ("reporter_user_agent", json!({"type": ["string", "null"]})),
            ],
            json_map(json!({
                "source": "github", "url": "https://github.com/acme/shop/blob/main/.env", "action": "revoke",
                "reporter_ip": "192.30.252.1", "reporter_user_agent": "GitHub-Secret-Scanning",
            })),
        ),
        ApiKeyCreated | ApiKeyDeactivated | ApiKeyActivated | ApiKeyExpired => (Vec::new(), Map::new()),
    };
    let key = sample_key();
    let mut example = crate::app::audit::key_snapshot(&key);
    example["actor"] = if matches!(event_type, ApiKeyExpired | ApiKeyExpiring) {
        Actor::System { label: "scheduler" }.to_json()
    } else if event_type == ApiKeyExposed {
        example["state"] = "revoked".into();
        Actor::System { label: "github" }.to_json()
    } else {
        json!({"type": "user", "id": 1, "email": "ada@example.com", "name": "Ada Lovelace"})
    };
    if let Some(object) = example.as_object_mut() {
        object.extend(extra_example);
    }
    (key_data_schema(&extra_schema), example)
}

fn json_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The settings `api_key.updated` may name in `changes`.
const CHANGEABLE: [&str; 11] = [
    "label",
    "description",
    "scopes",
    "full_access",
    "expires_at",
    "allowed_ips",
    "rate_limit_per_minute",
    "permissions",
    "roles",
    "owner_id",
    "metadata",
];

/// `member.deprovisioned`: who, and the keys they made that are now marked.
fn deprovisioned_data() -> (Value, Value) {
    let schema = json!({
        "type": "object",
        "required": ["user", "keys", "actor"],
        "properties": {
            "user": {
                "type": "object",
                "required": ["id", "email", "name"],
                "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"}},
                "additionalProperties": false,
            },
            "keys": {"type": "array", "items": {"type": "string", "pattern": "^key_[0-9A-Za-z]{16}$"}},
            "actor": actor_schema(),
        },
        "additionalProperties": false,
    });
    let example = json!({
        "user": {"id": 12, "email": "leaver@example.com", "name": "Lee Leaver"},
        "keys": ["key_7fGq2LmN4pR8sT1v"],
        "actor": Actor::System { label: "scim" }.to_json(),
    });
    (schema, example)
}

/// `webhook.test`: which endpoint, and a line of text.
fn test_data() -> (Value, Value) {
    let schema = json!({
        "type": "object",
        "required": ["webhook_id", "message"],
        "properties": {"webhook_id": {"type": "string", "pattern": "^wh_[0-9A-Za-z]+$"}, "message": {"type": "string"}},
        "additionalProperties": false,
    });
    (schema, json!({"webhook_id": "wh_2bT6yU9iO3pA5sD8", "message": super::examples::TEST_MESSAGE}))
}

/// The example's `seq`: the audit events' own seq for the stream, 0 for the
/// test (never a change), some later number for the rest.
fn example_seq(event_type: EventType) -> i64 {
    match event_type {
        AuditEvent | AuditCheckpoint => 1,
        WebhookTest => 0,
        t if t.is_about_a_key() => 42,
        _ => 7,
    }
}

/// The body every event shares; `data` differs by type.
fn body_schema(event_type: EventType, data: Value) -> Value {
    json!({
        "type": "object",
        "required": ["type", "timestamp", "seq", "data"],
        "properties": {
            "type": {"const": event_type.as_str()},
            "timestamp": {
                "type": "string", "format": "date-time",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                "description": "when the event was queued: UTC, with milliseconds",
            },
            "seq": {
                "type": "integer", "minimum": 0,
                "description": "Orders the events about one object: the audit seq of the change that caused it (resource events: the organisation's own event counter). Events can arrive out of order: apply one to its object only when its seq is higher than the last applied. 0 on Send test and Send example.",
            },
            "data": data,
            "test": {"const": true, "description": "present only on what Send test and Send example send"},
        },
        "additionalProperties": false,
    })
}

/// Every event type the server sends ([`EventType::ALL`]): the subscribable
/// ones in the order the webhook form offers them, then `webhook.test`.
pub fn events() -> Vec<EventDoc> {
    EventType::ALL
        .into_iter()
        .map(|event_type| {
            let (data_schema, data_example) = data(event_type);
            let mut example = json!({
                "type": event_type.as_str(),
                "timestamp": "2026-11-30T09:15:02.123Z",
                "seq": example_seq(event_type),
                "data": data_example,
            });
            if event_type == WebhookTest {
                example["test"] = true.into();
            }
            EventDoc { event_type, summary: summary(event_type), schema: body_schema(event_type, data_schema), example }
        })
        .collect()
}

/// The OpenAPI 3.1 `webhooks` map: one POST a receiver gets per event type.
pub fn openapi_webhooks() -> Value {
    let map: Map<String, Value> = events()
        .into_iter()
        .map(|e| {
            let operation = json!({"post": {
                "summary": e.summary,
                "description": "Signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Answer 2xx to acknowledge; anything else is retried. Events arrive at least once and not always in order: dedupe on `webhook-id`, and keep the highest `seq` per object (apply an event's `data` only when its `seq` is higher than the last one applied).",
                "requestBody": {"required": true, "content": {"application/json": {"schema": e.schema, "example": e.example}}},
                "responses": {"200": {"description": "Acknowledged (any 2xx)"}},
            }});
            (e.event_type.as_str().to_owned(), operation)
        })
        .collect();
    Value::Object(map)
}
