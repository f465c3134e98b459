//! The OpenAPI 3.1 document of `/api/v1`. Every request field's schema
//! (type, nullability, limits, enums, patterns, defaults) comes from
//! `domain::records::Field::schema`, the same specs the validators use, so
//! the document cannot promise more or less than the API accepts. Written
//! as JSON values: the document is data, and `serde_json` states it most
//! plainly (the contract test in `tests/contract/` checks it against the
//! running server).

use crate::domain::records::{fields, id_schema, object_schema};
use crate::domain::scopes::{Resource, Scope};
use serde_json::{Map, Value, json};

/// Largest `limit` of a list page, and its default.
pub const MAX_LIMIT: i64 = 100;
pub const DEFAULT_LIMIT: i64 = 20;

/// Every operation: (path, method). The router test compares this with what the server answers.
pub fn operations() -> Vec<(String, &'static str)> {
    let mut ops = vec![("/api/v1/ping".to_owned(), "get")];
    for r in Resource::ALL {
        ops.push((format!("/api/v1/{}", r.as_str()), "get"));
        ops.push((format!("/api/v1/{}", r.as_str()), "post"));
        for m in ["get", "patch", "delete"] {
            ops.push((format!("/api/v1/{}/{{id}}", r.as_str()), m));
        }
    }
    ops
}

/// The methods a path answers, for `Allow` on a 405.
pub const ALLOW_PING: &str = "GET, HEAD";
pub const ALLOW_COLLECTION: &str = "GET, HEAD, POST";
pub const ALLOW_ITEM: &str = "GET, HEAD, PATCH, DELETE";
pub const ALLOW_ACTION: &str = "POST";

fn singular(r: Resource) -> &'static str {
    match r {
        Resource::Customers => "Customer",
        Resource::Orders => "Order",
        Resource::Products => "Product",
        Resource::Categories => "Category",
    }
}

/// `a` or `an` before a singular noun.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}

/// A create (POST) or update (PATCH) body: create needs its required fields,
/// a PATCH takes any subset; unknown fields are refused by both.
fn input_schema(r: Resource, patch: bool) -> Value {
    let properties: Map<String, Value> = fields(r).iter().map(|f| (f.name.to_owned(), f.schema())).collect();
    let required: Vec<&str> =
        if patch { Vec::new() } else { fields(r).iter().filter(|f| f.required).map(|f| f.name).collect() };
    let mut schema = json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn header(description: &str, schema: Value, required: bool) -> Value {
    json!({"description": description, "required": required, "schema": schema})
}

/// Headers on every answer, plus those of an authenticated one.
fn common_headers(authenticated: bool) -> Map<String, Value> {
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

fn response(description: &str, schema: Option<Value>, headers: Map<String, Value>) -> Value {
    let mut r = json!({"description": description, "headers": headers});
    if let Some(schema) = schema {
        r["content"] = json!({"application/json": {"schema": schema}});
    }
    r
}

fn error_ref() -> Value {
    json!({"$ref": "#/components/schemas/Error"})
}

fn error(description: &str, authenticated: bool) -> Value {
    response(description, Some(error_ref()), common_headers(authenticated))
}

/// The answers every authenticated operation may give before its own work.
fn auth_errors(responses: &mut Map<String, Value>) {
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

fn body_errors(responses: &mut Map<String, Value>) {
    responses.insert("400".into(), error("malformed_json", true));
    responses.insert("413".into(), error("payload_too_large (over 64 KiB)", true));
    responses.insert("415".into(), error("unsupported_media_type (send application/json)", true));
}

fn operation(id: String, summary: String, scope: Option<String>, mut responses: Map<String, Value>) -> Value {
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

fn id_param(r: Resource) -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": id_schema(r)})
}

fn json_body(schema: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": schema}}})
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Links from a created object to the operations on it (stateful testing, and readers).
fn links(name: &str) -> Value {
    let id = json!({"id": "$response.body#/id"});
    json!({
        "Get": {"operationId": format!("get_{name}"), "parameters": id},
        "Update": {"operationId": format!("update_{name}"), "parameters": id},
        "Delete": {"operationId": format!("delete_{name}"), "parameters": id},
    })
}

fn collection(r: Resource) -> Value {
    let (name, one) = (r.as_str(), singular(r));
    let lower = one.to_lowercase();
    let mut list = Map::new();
    list.insert(
        "200".into(),
        response("A page, oldest first", Some(schema_ref(&format!("{one}List"))), common_headers(true)),
    );
    list.insert("422".into(), error("validation_failed: a query parameter is invalid or repeated", true));
    let mut list = operation(format!("list_{name}"), format!("List {name}"), Some(format!("{name}:read")), list);
    list["parameters"] = json!([
        {"name": "limit", "in": "query", "description": "Objects per page", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
        {"name": "cursor", "in": "query", "description": "`next_cursor` of the previous page (empty: the first page)", "schema": {"type": "string", "pattern": "^[0-9]{0,18}$"}},
    ]);
    let mut created = Map::new();
    let mut headers = common_headers(true);
    headers.insert("Location".into(), header("The new object's URL", json!({"type": "string"}), true));
    let mut answer = response("Created", Some(schema_ref(one)), headers);
    answer["links"] = links(name);
    if r == Resource::Categories {
        // A product may name the new category.
        answer["links"]["CreateProduct"] = json!({
            "operationId": "create_products",
            "requestBody": {"category_id": "$response.body#/id"},
        });
    }
    created.insert("201".into(), answer);
    created.insert("422".into(), error("validation_failed, with details per field", true));
    body_errors(&mut created);
    let summary = format!("Create {} {lower}", article(&lower));
    let mut create = operation(format!("create_{name}"), summary, Some(format!("{name}:write")), created);
    create["requestBody"] = json_body(schema_ref(&format!("{one}Input")));
    json!({"get": list, "post": create})
}

fn item(r: Resource) -> Value {
    let (name, one) = (r.as_str(), singular(r));
    let lower = one.to_lowercase();
    let a = article(&lower);
    let not_found = || error("not_found", true);
    let mut got = Map::new();
    got.insert("200".into(), response("The object", Some(schema_ref(one)), common_headers(true)));
    got.insert("404".into(), not_found());
    let mut get = operation(format!("get_{name}"), format!("Get {a} {lower}"), Some(format!("{name}:read")), got);
    get["parameters"] = json!([id_param(r)]);
    let mut updated = Map::new();
    updated.insert("200".into(), response("The updated object", Some(schema_ref(one)), common_headers(true)));
    updated.insert("404".into(), not_found());
    updated.insert("422".into(), error("validation_failed, with details per field", true));
    body_errors(&mut updated);
    let summary = format!("Update {a} {lower}: only the fields given change; null clears a nullable field");
    let mut patch = operation(format!("update_{name}"), summary, Some(format!("{name}:write")), updated);
    patch["parameters"] = json!([id_param(r)]);
    patch["requestBody"] = json_body(schema_ref(&format!("{one}Patch")));
    let mut deleted = Map::new();
    deleted.insert("204".into(), response("Deleted", None, common_headers(true)));
    deleted.insert("404".into(), not_found());
    let summary = match r {
        Resource::Categories => "Delete a category; products in it keep existing with category_id null".to_owned(),
        _ => format!("Delete {a} {lower}"),
    };
    let mut delete = operation(format!("delete_{name}"), summary, Some(format!("{name}:write")), deleted);
    delete["parameters"] = json!([id_param(r)]);
    json!({"get": get, "patch": patch, "delete": delete})
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
    let scopes: Vec<String> = Scope::all().iter().map(|s| s.name().to_owned()).collect();
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
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Latchkey API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Customers, orders, products and categories of one organisation, for API keys with the right scopes. \
                A method a path does not serve answers 405 `method_not_allowed` with `Allow`; HEAD is served wherever GET is.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "webhooks": crate::webhooks::catalog::openapi_webhooks(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "lk_live_…"}},
        },
    })
}
