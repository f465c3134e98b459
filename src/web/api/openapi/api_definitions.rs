//! The OpenAPI document's operations for the APIs a team defines: their
//! definitions (`/api/v1/apis`, `apis:read` / `apis:write`; one JSON
//! document per API with its permissions, roles and routes;
//! docs/api-guide.md: APIs) and verifying a key for a team's service
//! (`/api/v1/keys/verify`, `keys:verify`).

use super::management::{Op, build, path_param, query};
use super::schema_ref;
use crate::domain::scopes::Management;
use serde_json::{Map, Value, json};

const API_SLUG: &str = "^[a-z0-9-]{1,40}$";

fn api_param() -> Value {
    path_param("api", API_SLUG)
}

fn permission() -> Value {
    json!({"type": "object", "required": ["slug"], "additionalProperties": false, "properties": {
        "slug": {"type": "string", "maxLength": 64, "description": "Segments of a-z, 0-9 and _ joined by . or : (invoices.read, customers:read)"},
        "description": {"type": "string", "maxLength": 200},
    }})
}

fn role() -> Value {
    json!({"type": "object", "required": ["slug", "name"], "additionalProperties": false, "properties": {
        "slug": {"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"},
        "name": {"type": "string", "maxLength": 100},
        "permissions": {"type": "array", "items": {"type": "string"}, "description": "Grants: a permission, `prefix.*` or `*`"},
    }})
}

fn route() -> Value {
    json!({"type": "object", "required": ["method", "path", "requires"], "additionalProperties": false, "properties": {
        "method": {"type": "string", "description": "GET, POST … or * for any"},
        "path": {"type": "string", "description": "/v1/invoices/{id}: {x} or * = one segment, ** (last) = the rest"},
        "requires": {"type": "string", "description": "A permission expression: a, a and b, a or (b and c)"},
    }})
}

/// The document: as answered (`full`, every part present), or as sent.
fn definition(full: bool) -> Value {
    let mut schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "slug": {"type": "string", "pattern": API_SLUG},
            "name": {"type": "string", "maxLength": 100},
            "hosts": {"type": "array", "items": {"type": "string"}, "description": "Host names the API is served at"},
            "unmatched": {"type": "string", "enum": ["deny", "allow"], "description": "What a request no route matches gets (default deny: 403 no_route)"},
            "permissions": {"type": "array", "items": permission()},
            "roles": {"type": "array", "items": role()},
            "routes": {"type": "array", "items": route()},
        }
    });
    if full {
        schema["required"] = json!(["slug", "name", "hosts", "unmatched", "permissions", "roles", "routes"]);
    }
    schema
}

fn verify_schemas(schemas: &mut Map<String, Value>) {
    use crate::domain::verify::VerifyCode;
    let codes: Vec<&str> = VerifyCode::ALL.iter().map(|c| c.as_str()).collect();
    let text_or_null = json!({"type": ["string", "null"]});
    schemas.insert(
        "VerifyInput".into(),
        json!({"type": "object", "required": ["key"], "additionalProperties": false, "properties": {
            "key": {"type": "string", "description": "The token to verify; one that is not well-formed answers MALFORMED"},
            "api": {"type": "string", "pattern": API_SLUG, "description": "The key must belong to this API (else WRONG_API)"},
            "permissions": {"type": "string", "description": "A permission expression to check, instead of method and path"},
            "method": {"type": "string", "pattern": "^([A-Za-z_-]{1,32}|\\*)$", "description": "With path: decided by the API's routes"},
            "path": {"type": "string", "pattern": "^/", "description": "The request path (a query is ignored)"},
            "client_ip": {"type": "string", "description": "The client's address, for the key's IP allowlist and its request log"},
        }}),
    );
    schemas.insert(
        "VerifyAnswer".into(),
        json!({"type": "object", "required": ["valid", "code", "key_id", "org", "api", "owner_id", "metadata", "permissions",
            "roles", "expires_at", "missing", "ratelimit", "credits_remaining"], "properties": {
            "valid": {"type": "boolean"}, "code": {"type": "string", "enum": codes},
            "key_id": text_or_null, "org": text_or_null, "api": text_or_null, "owner_id": text_or_null,
            "metadata": {"type": ["object", "null"]},
            "permissions": {"type": "array", "items": {"type": "string"}, "description": "The API's permissions the key holds, roles expanded"},
            "roles": {"type": "array", "items": {"type": "string"}},
            "expires_at": {"type": ["string", "null"], "format": "date-time"},
            "missing": {"type": "array", "items": {"type": "string"}, "description": "With INSUFFICIENT_PERMISSIONS: what the key would also need"},
            "ratelimit": {"type": ["object", "null"], "properties": {
                "limit": {"type": "integer"}, "remaining": {"type": "integer"}, "reset": {"type": "integer", "description": "Seconds"}}},
            "credits_remaining": {"type": ["integer", "null"], "description": "Credits left after this verification spent one; null = unlimited or none spent"},
        }}),
    );
}

/// Every schema these operations name.
pub(super) fn schemas(schemas: &mut Map<String, Value>) {
    verify_schemas(schemas);
    schemas.insert("ApiDefinition".into(), definition(true));
    let mut input = definition(false);
    input["required"] = json!(["slug", "name"]);
    schemas.insert("ApiDefinitionInput".into(), input);
    let mut put = definition(false);
    put["required"] = json!(["name"]);
    schemas.insert("ApiDefinitionReplacement".into(), put);
    schemas.insert("ApiDefinitionPatch".into(), definition(false));
    schemas.insert(
        "ApiDefinitionList".into(),
        json!({"type": "object", "required": ["data", "next_cursor"], "properties": {
            "data": {"type": "array", "items": schema_ref("ApiDefinition")}, "next_cursor": {"type": "null"}}}),
    );
    schemas.insert(
        "OpenApiImport".into(),
        json!({"type": "object", "required": ["permissions", "routes"], "properties": {
            "permissions": {"type": "array", "items": permission()}, "routes": {"type": "array", "items": route()}}}),
    );
    schemas.insert(
        "OpenApiDocument".into(),
        json!({"type": "object", "required": ["openapi", "paths"], "properties": {
            "openapi": {"type": "string", "pattern": "^3\\."}, "paths": {"type": "object"}},
            "description": "An OpenAPI 3 document (JSON, up to 1 MiB)"}),
    );
}

/// The operations.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    use Management::{ApisRead, ApisWrite};
    let invalid = ("422", "validation_failed, with details per field of the document (routes[2].requires …)");
    let (not_found, object) = (("404", "not_found"), ("200", "The API", Some(schema_ref("ApiDefinition"))));
    let built_in = ("409", "api_read_only: the sample API is built in; api_exists: the slug is taken");
    let list = build(Op {
        id: "list_apis",
        summary: "List the organisation's APIs, the built-in sample first",
        scope: Some(ApisRead),
        ok: ("200", "Every API", Some(schema_ref("ApiDefinitionList"))),
        errors: &[],
        body: None,
        params: vec![],
    });
    let create = build(Op {
        id: "create_api",
        summary: "Define an API: its permissions, roles and routes as one document",
        scope: Some(ApisWrite),
        ok: ("201", "The API", Some(schema_ref("ApiDefinition"))),
        errors: &[built_in, invalid],
        body: Some(schema_ref("ApiDefinitionInput")),
        params: vec![],
    });
    paths.insert("/api/v1/apis".into(), json!({"get": list, "post": create}));
    let get = build(Op {
        id: "get_api",
        summary: "Get an API's whole definition",
        scope: Some(ApisRead),
        ok: object.clone(),
        errors: &[not_found],
        body: None,
        params: vec![api_param()],
    });
    let mut put = build(Op {
        id: "put_api",
        summary: "Create the API (201) or replace its whole definition (200)",
        scope: Some(ApisWrite),
        ok: object.clone(),
        errors: &[built_in, invalid],
        body: Some(schema_ref("ApiDefinitionReplacement")),
        params: vec![api_param()],
    });
    put["responses"]["201"] = put["responses"]["200"].clone();
    let patch = build(Op {
        id: "update_api",
        summary: "Replace the parts of a definition the body names",
        scope: Some(ApisWrite),
        ok: object,
        errors: &[not_found, built_in, invalid],
        body: Some(schema_ref("ApiDefinitionPatch")),
        params: vec![api_param()],
    });
    let delete = build(Op {
        id: "delete_api",
        summary: "Delete an API that no live key belongs to",
        scope: Some(ApisWrite),
        ok: ("204", "Deleted", None),
        errors: &[
            not_found,
            ("409", "api_in_use (with live_keys: how many keys still belong to it), or api_read_only"),
        ],
        body: None,
        params: vec![api_param()],
    });
    paths.insert("/api/v1/apis/{api}".into(), json!({"get": get, "put": put, "patch": patch, "delete": delete}));
    let dry_run = query(
        "dry_run",
        "true: answer what would be added, save nothing",
        json!({"type": "string", "enum": ["true", "false"]}),
    );
    let import = build(Op {
        id: "import_openapi",
        summary: "Add routes and permissions from an OpenAPI 3 document",
        scope: Some(ApisWrite),
        ok: ("200", "What the document brings (saved unless dry_run)", Some(schema_ref("OpenApiImport"))),
        errors: &[not_found, ("409", "api_read_only"), ("413", "payload_too_large: over 1 MiB"), invalid],
        body: Some(schema_ref("OpenApiDocument")),
        params: vec![api_param(), dry_run],
    });
    paths.insert("/api/v1/apis/{api}/import-openapi".into(), json!({"post": import}));
    let verify = build(Op {
        id: "verify_key",
        summary: "Verify a key for your service: may it make this request? Always 200; `code` says why not",
        scope: Some(Management::KeysVerify),
        ok: ("200", "The verdict, counted as a request of the verified key", Some(schema_ref("VerifyAnswer"))),
        errors: &[("422", "validation_failed: the body is not a verification (the key's shape is not checked here)")],
        body: Some(schema_ref("VerifyInput")),
        params: vec![],
    });
    paths.insert("/api/v1/keys/verify".into(), json!({"post": verify}));
}
