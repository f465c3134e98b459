//! The OpenAPI 3.1 document of `/api/v1`. Every request field's schema
//! (type, nullability, limits, enums, patterns, defaults) comes from
//! `domain::records::Field::schema`, the same specs the validators use, so
//! the document cannot promise more or less than the API accepts. Written
//! as JSON values: the document is data, and `serde_json` states it most
//! plainly (the contract test in `tests/contract/` checks it against the
//! running server).

mod api_definitions;
mod leaks;
mod management;
mod management_schemas;
mod resources;

use crate::domain::records::object_schema;
use crate::domain::scopes::{Resource, Scopes};
use resources::{collection, input_schema, item, singular};
use serde_json::{Map, Value, json};

/// Largest `limit` of a list page, and its default.
pub const MAX_LIMIT: i64 = 100;
pub const DEFAULT_LIMIT: i64 = 20;

/// Every operation: (path, method), as the document lists them.
pub fn operations() -> Vec<(String, String)> {
    let doc = document("");
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    paths
        .into_iter()
        .flat_map(|(path, item)| {
            let methods: Vec<String> = item.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            methods.into_iter().map(move |m| (path.clone(), m))
        })
        .collect()
}

/// The methods a path answers, for `Allow` on a 405.
pub const ALLOW_PING: &str = "GET, HEAD";
pub const ALLOW_COLLECTION: &str = "GET, HEAD, POST";
pub const ALLOW_ITEM: &str = "GET, HEAD, PATCH, DELETE";
pub const ALLOW_ACTION: &str = "POST";
/// An API definition, which PUT also creates or replaces whole.
pub const ALLOW_DEFINITION: &str = "GET, HEAD, PUT, PATCH, DELETE";

pub(super) fn header(description: &str, schema: Value, required: bool) -> Value {
    json!({"description": description, "required": required, "schema": schema})
}

/// Headers on every answer, plus those of an authenticated one.
pub(super) fn common_headers(authenticated: bool) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert(
        "X-Request-Id".into(),
        header("Identifies this request in logs and errors", json!({"type": "string"}), true),
    );
    if authenticated {
        let count = json!({"type": "integer", "minimum": 0});
        h.insert(
            "RateLimit-Limit".into(),
            header("Requests a minute this key may make (absent when unlimited)", count.clone(), false),
        );
        h.insert(
            "RateLimit-Remaining".into(),
            header("Requests left in the current minute (absent when unlimited)", count, false),
        );
        h.insert(
            "Api-Key-Expires".into(),
            header(
                "When the key expires (RFC 3339), if it does",
                json!({"type": "string", "format": "date-time"}),
                false,
            ),
        );
    }
    h
}

pub(super) fn response(description: &str, schema: Option<Value>, headers: Map<String, Value>) -> Value {
    let mut r = json!({"description": description, "headers": headers});
    if let Some(schema) = schema {
        r["content"] = json!({"application/json": {"schema": schema}});
    }
    r
}

pub(super) fn error_ref() -> Value {
    json!({"$ref": "#/components/schemas/Error"})
}

pub(super) fn error(description: &str, authenticated: bool) -> Value {
    response(description, Some(error_ref()), common_headers(authenticated))
}

/// The answers every authenticated operation may give before its own work.
pub(super) fn auth_errors(responses: &mut Map<String, Value>) {
    let mut unauthorized = common_headers(false);
    unauthorized.insert(
        "WWW-Authenticate".into(),
        header("`Bearer` challenge (RFC 6750)", json!({"type": "string", "pattern": "^Bearer"}), true),
    );
    responses.insert(
        "401".into(),
        response(
            "missing_key, malformed_key, invalid_key, revoked_key, disabled_key or expired_key",
            Some(error_ref()),
            unauthorized,
        ),
    );
    responses.insert("403".into(), error("plan_required, ip_not_allowed or insufficient_scope", true));
    let mut limited = common_headers(true);
    limited.insert("Retry-After".into(), header("Seconds to wait", json!({"type": "integer", "minimum": 0}), true));
    responses.insert("429".into(), response("rate_limited", Some(error_ref()), limited));
    responses.insert("503".into(), error("unavailable: the database cannot be reached", false));
}

pub(super) fn body_errors(responses: &mut Map<String, Value>) {
    responses.insert("400".into(), error("malformed_json", true));
    responses.insert("413".into(), error("payload_too_large (over 64 KiB)", true));
    responses.insert("415".into(), error("unsupported_media_type (send application/json)", true));
}

pub(super) fn operation(
    id: String,
    summary: String,
    scope: Option<String>,
    mut responses: Map<String, Value>,
) -> Value {
    auth_errors(&mut responses);
    let description = match scope {
        Some(s) => format!("Needs the `{s}` scope (or a full-access key)."),
        None => "Any active key.".to_owned(),
    };
    json!({
        "operationId": id,
        "summary": summary,
        "description": description,
        "security": [{"bearer": []}],
        "responses": responses,
    })
}

pub(super) fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

pub(super) fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string", "description": "stable, machine-readable"},
                "message": {"type": "string"},
                "request_id": {"type": "string"},
                "key_id": {"type": "string", "description": "with already_created: the key the first request made"},
                "details": {"type": "array", "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}}
                }}
            }
        }}
    })
}

fn ping_schema() -> Value {
    let scopes = Scopes::all_names();
    json!({
        "type": "object",
        "required": ["ok", "org", "key_id", "scopes", "full_access"],
        "properties": {
            "ok": {"type": "boolean"},
            "org": {"type": "string"},
            "key_id": {"type": "string", "pattern": "^key_[0-9A-Za-z]{16}$"},
            "scopes": {"type": "array", "items": {"type": "string", "enum": scopes}},
            "full_access": {"type": "boolean"}
        }
    })
}

/// The document served at `/api/v1/openapi.json`; `server` is the public URL.
pub fn document(server: &str) -> Value {
    let mut paths = Map::new();
    let mut ok = Map::new();
    ok.insert("200".into(), response("The key works", Some(schema_ref("Ping")), common_headers(true)));
    let ping = operation("ping".into(), "Check a key: its organisation, id and scopes".into(), None, ok);
    paths.insert("/api/v1/ping".into(), json!({"get": ping}));
    let mut schemas = Map::new();
    schemas.insert("Error".into(), error_schema());
    schemas.insert("Ping".into(), ping_schema());
    for r in Resource::ALL {
        let one = singular(r);
        paths.insert(format!("/api/v1/{}", r.as_str()), collection(r));
        paths.insert(format!("/api/v1/{}/{{id}}", r.as_str()), item(r));
        schemas.insert(one.into(), object_schema(r));
        schemas.insert(format!("{one}Input"), input_schema(r, false));
        schemas.insert(format!("{one}Patch"), input_schema(r, true));
        schemas.insert(
            format!("{one}List"),
            json!({
                "type": "object",
                "required": ["data", "next_cursor"],
                "properties": {
                    "data": {"type": "array", "items": schema_ref(one)},
                    "next_cursor": {"type": ["string", "null"], "pattern": "^[0-9]{1,18}$"}
                }
            }),
        );
    }
    management::paths(&mut paths);
    leaks::paths(&mut paths);
    management_schemas::schemas(&mut schemas);
    api_definitions::schemas(&mut schemas);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Latchkey API",
            "version": env!("CARGO_PKG_VERSION"),
            "license": {"name": env!("CARGO_PKG_LICENSE"), "identifier": env!("CARGO_PKG_LICENSE")},
            "description": "Customers, orders, products and categories of one organisation, for API keys with the right scopes; \
                and the management API (keys, webhook endpoints, the audit log) for keys holding a management scope. \
                A method a path does not serve answers 405 `method_not_allowed` with `Allow`; HEAD is served wherever GET is.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "webhooks": webhooks(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "lk_live_…"},
                WEBHOOK_SIGNATURE: webhook_signature_scheme(),
            },
        },
    })
}

/// The security scheme of the `webhooks` map: what a receiver checks.
const WEBHOOK_SIGNATURE: &str = "webhook_signature";

fn webhook_signature_scheme() -> Value {
    json!({
        "type": "apiKey",
        "in": "header",
        "name": "webhook-signature",
        "description": "Standard Webhooks: `v1,` and the base64 HMAC-SHA256, under the endpoint's `whsec_` secret, \
            of `webhook-id`, `webhook-timestamp` and the body joined by dots (during a secret rotation, one such \
            signature per secret, separated by spaces). Verify it before trusting a message, and refuse a \
            `webhook-timestamp` more than 5 minutes away from now.",
    })
}

/// The event catalog as the `webhooks` map. Each event is an operation the
/// receiver implements, so it gets what operations have: an id that code
/// generators and linters can name (`receive_api_key_created`), and the
/// security the receiver enforces (the signature). Added here rather than in
/// the catalog, which describes events, not the document's bookkeeping.
fn webhooks() -> Value {
    let mut map = crate::app::webhooks::catalog::openapi_webhooks();
    for (event_type, item) in map.as_object_mut().into_iter().flatten() {
        if let Some(post) = item.get_mut("post").and_then(Value::as_object_mut) {
            post.insert("operationId".into(), json!(format!("receive_{}", event_type.replace('.', "_"))));
            post.insert("security".into(), json!([{WEBHOOK_SIGNATURE: []}]));
        }
    }
    map
}
