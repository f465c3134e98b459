//! The management operations of the OpenAPI document (docs/api-guide.md: Management
//! API): keys, webhook endpoints and audit events, each needing its
//! management scope, which full access never includes.

use super::management_schemas::{KEY_ID, WEBHOOK_ID};
use super::{
    DEFAULT_LIMIT, MAX_LIMIT, body_errors, common_headers, error, header, json_body, operation, response, schema_ref,
};
use crate::app::audit::Action;
use crate::domain::key_state::KeyState;
use crate::domain::scopes::Management;
use serde_json::{Map, Value, json};

/// What one operation answers besides the authentication errors.
pub(super) struct Op<'a> {
    pub(super) id: &'a str,
    pub(super) summary: &'a str,
    /// `None`: any active key.
    pub(super) scope: Option<Management>,
    pub(super) ok: (&'a str, &'a str, Option<Value>),
    pub(super) errors: &'a [(&'a str, &'a str)],
    pub(super) body: Option<Value>,
    pub(super) params: Vec<Value>,
}

pub(super) fn build(op: Op<'_>) -> Value {
    let mut responses = Map::new();
    let (status, description, schema) = op.ok;
    let mut headers = common_headers(true);
    if status == "201" {
        headers.insert("Location".into(), header("The new object's URL", json!({"type": "string"}), true));
    }
    responses.insert(status.into(), response(description, schema, headers));
    for (status, description) in op.errors {
        responses.insert((*status).into(), error(description, true));
    }
    if op.body.is_some() {
        body_errors(&mut responses);
    }
    let mut value = operation(op.id.into(), op.summary.into(), None, responses);
    // The authentication errors share 403 with an operation's own.
    if let Some((_, own)) = op.errors.iter().find(|(status, _)| *status == "403") {
        value["responses"]["403"]["description"] =
            format!("plan_required, ip_not_allowed, insufficient_scope or {own}").into();
    }
    value["description"] = match op.scope {
        Some(m) => format!("Needs the `{}` management scope (never part of full access).", m.name()),
        None => "Any active key.".into(),
    }
    .into();
    if let Some(schema) = op.body {
        value["requestBody"] = json_body(schema);
    }
    if !op.params.is_empty() {
        value["parameters"] = op.params.into();
    }
    value
}

pub(super) fn path_param(name: &str, pattern: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "pattern": pattern}})
}

pub(super) fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": schema})
}

fn page_params() -> Vec<Value> {
    vec![
        query(
            "limit",
            "Objects per page",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        ),
        query(
            "cursor",
            "`next_cursor` of the previous page (empty: the first page)",
            json!({"type": "string", "pattern": "^[0-9]{0,18}$"}),
        ),
    ]
}

fn idempotency() -> Value {
    json!({"name": "Idempotency-Key", "in": "header", "required": false,
        "description": "A repeat with the same value by the same key within 24 h creates nothing (409 already_created)",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}})
}

fn key_param() -> Value {
    path_param("key_id", KEY_ID)
}

fn hook_param() -> Value {
    path_param("id", WEBHOOK_ID)
}

fn key_paths(paths: &mut Map<String, Value>) {
    use Management::{KeysRead, KeysSelfRotate, KeysWrite};
    // Empty = any state.
    let states: Vec<&str> = std::iter::once("").chain(KeyState::ALL.iter().map(|s| s.as_str())).collect();
    let mut list_params = page_params();
    list_params.push(query("state", "Only keys in this state", json!({"type": "string", "enum": states})));
    list_params.push(query(
        "q",
        "Label or prefix contains this, or the key id or owner is this",
        json!({"type": "string"}),
    ));
    list_params.push(query("owner_id", "Only keys of this owner (exactly)", json!({"type": "string"})));
    let invalid = &[("422", "validation_failed: a query parameter is invalid or repeated")][..];
    let created = ("201", "The new key, with its token (shown this once)", Some(schema_ref("ApiKeyWithToken")));
    let changing = &[
        ("403", "scope_escalation: the key would be wider than the calling key"),
        ("409", "already_created: this Idempotency-Key was used; `key_id` names the key it made"),
        ("422", "validation_failed, with details per field (a key policy names its field)"),
    ][..];
    let not_found = ("404", "not_found");
    let object = ("200", "The key", Some(schema_ref("ApiKey")));
    let list = build(Op {
        id: "list_keys",
        summary: "List the organisation's API keys, oldest first",
        scope: Some(KeysRead),
        ok: ("200", "A page of keys", Some(schema_ref("ApiKeyList"))),
        errors: invalid,
        body: None,
        params: list_params,
    });
    let mut create = build(Op {
        id: "create_key",
        summary: "Create an API key",
        scope: Some(KeysWrite),
        ok: created.clone(),
        errors: changing,
        body: Some(schema_ref("ApiKeyInput")),
        params: vec![idempotency()],
    });
    create["responses"]["201"]["links"] = json!({
        "Get": {"operationId": "get_key", "parameters": {"key_id": "$response.body#/id"}},
        "Update": {"operationId": "update_key", "parameters": {"key_id": "$response.body#/id"}},
        "Delete": {"operationId": "delete_key", "parameters": {"key_id": "$response.body#/id"}},
    });
    paths.insert("/api/v1/keys".into(), json!({"get": list, "post": create}));
    let get_self = build(Op {
        id: "get_own_key",
        summary: "The calling key",
        scope: None,
        ok: object.clone(),
        errors: &[],
        body: None,
        params: vec![],
    });
    paths.insert("/api/v1/keys/self".into(), json!({"get": get_self}));
    let rotate_self = build(Op {
        id: "rotate_own_key",
        summary: "Rotate the calling key: a replacement with the same settings; the calling key keeps working for the grace period",
        scope: Some(KeysSelfRotate),
        ok: created.clone(),
        errors: changing,
        body: Some(schema_ref("Rotation")),
        params: vec![idempotency()],
    });
    paths.insert("/api/v1/keys/self/rotate".into(), json!({"post": rotate_self}));
    let get = build(Op {
        id: "get_key",
        summary: "Get an API key",
        scope: Some(KeysRead),
        ok: object.clone(),
        errors: &[not_found],
        body: None,
        params: vec![key_param()],
    });
    let mut errors = changing.to_vec();
    errors.push(not_found);
    let update = build(Op {
        id: "update_key",
        summary: "Change an API key: only the fields given change; `enabled` deactivates or activates it",
        scope: Some(KeysWrite),
        ok: object.clone(),
        errors: &errors,
        body: Some(schema_ref("ApiKeyPatch")),
        params: vec![key_param()],
    });
    let delete = build(Op {
        id: "delete_key",
        summary: "Delete an API key for good (the audit log keeps its label and prefix)",
        scope: Some(KeysWrite),
        ok: ("204", "Deleted", None),
        errors: &[not_found],
        body: None,
        params: vec![key_param()],
    });
    paths.insert("/api/v1/keys/{key_id}".into(), json!({"get": get, "patch": update, "delete": delete}));
    let revoke = build(Op {
        id: "revoke_key",
        summary: "Revoke an API key, from its next request on",
        scope: Some(KeysWrite),
        ok: ("200", "The revoked key", Some(schema_ref("ApiKey"))),
        errors: &[not_found],
        body: None,
        params: vec![key_param()],
    });
    paths.insert("/api/v1/keys/{key_id}/revoke".into(), json!({"post": revoke}));
    let mut params = vec![key_param()];
    params.push(idempotency());
    let rotate = build(Op {
        id: "rotate_key",
        summary: "Rotate an API key: a replacement with the same settings; the old key keeps working for the grace period",
        scope: Some(KeysWrite),
        ok: created,
        errors: &errors,
        body: Some(schema_ref("Rotation")),
        params,
    });
    paths.insert("/api/v1/keys/{key_id}/rotate".into(), json!({"post": rotate}));
    let owner_limits = build(Op {
        id: "set_owner_limits",
        summary: "Set or remove the rate limit all the keys of an owner share (the stricter of it and a key's own applies)",
        scope: Some(KeysWrite),
        ok: ("200", "The owner's limit, and how many keys share it", Some(schema_ref("OwnerLimits"))),
        errors: &[
            ("403", "scope_escalation: a key may not loosen its own owner's limit"),
            ("422", "validation_failed, with details per field"),
        ],
        body: Some(schema_ref("OwnerLimitsInput")),
        params: vec![path_param("owner_id", "^[A-Za-z0-9._:@-]{1,128}$")],
    });
    paths.insert("/api/v1/owners/{owner_id}/limits".into(), json!({"put": owner_limits}));
}

fn webhook_paths(paths: &mut Map<String, Value>) {
    use Management::{WebhooksRead, WebhooksWrite};
    let invalid = (
        "422",
        "validation_failed, with details per field (a refused URL, or the organisation's cap of endpoints \
         reached, is explained on `url`)",
    );
    let not_found = ("404", "not_found");
    let object = ("200", "The endpoint", Some(schema_ref("Webhook")));
    let list = build(Op {
        id: "list_webhooks",
        summary: "List the organisation's webhook endpoints",
        scope: Some(WebhooksRead),
        ok: ("200", "Every endpoint", Some(schema_ref("WebhookList"))),
        errors: &[],
        body: None,
        params: vec![],
    });
    let mut create = build(Op {
        id: "create_webhook",
        summary: "Add a webhook endpoint",
        scope: Some(WebhooksWrite),
        ok: ("201", "The endpoint, with its signing secret (shown this once)", Some(schema_ref("WebhookWithSecret"))),
        errors: &[invalid],
        body: Some(schema_ref("WebhookInput")),
        params: vec![],
    });
    create["responses"]["201"]["links"] = json!({
        "Get": {"operationId": "get_webhook", "parameters": {"id": "$response.body#/id"}},
        "Delete": {"operationId": "delete_webhook", "parameters": {"id": "$response.body#/id"}},
    });
    paths.insert("/api/v1/webhooks".into(), json!({"get": list, "post": create}));
    let get = build(Op {
        id: "get_webhook",
        summary: "Get a webhook endpoint",
        scope: Some(WebhooksRead),
        ok: object.clone(),
        errors: &[not_found],
        body: None,
        params: vec![hook_param()],
    });
    let update = build(Op {
        id: "update_webhook",
        summary: "Change a webhook endpoint: only the fields given change",
        scope: Some(WebhooksWrite),
        ok: object,
        errors: &[not_found, invalid],
        body: Some(schema_ref("WebhookPatch")),
        params: vec![hook_param()],
    });
    let delete = build(Op {
        id: "delete_webhook",
        summary: "Delete a webhook endpoint",
        scope: Some(WebhooksWrite),
        ok: ("204", "Deleted", None),
        errors: &[not_found],
        body: None,
        params: vec![hook_param()],
    });
    paths.insert("/api/v1/webhooks/{id}".into(), json!({"get": get, "patch": update, "delete": delete}));
    let mut test = build(Op {
        id: "test_webhook",
        summary: "Send a signed webhook.test event, or an example of any event type, now and answer what came back",
        scope: Some(WebhooksWrite),
        ok: ("200", "What the endpoint answered, or why nothing came back", Some(schema_ref("WebhookTestResult"))),
        errors: &[not_found, ("422", "validation_failed: `event` is not an event type")],
        body: Some(schema_ref("WebhookTestInput")),
        params: vec![hook_param()],
    });
    // Both actions' options have defaults: no body at all is fine.
    test["requestBody"]["required"] = false.into();
    paths.insert("/api/v1/webhooks/{id}/test".into(), json!({"post": test}));
    let mut rotate = build(Op {
        id: "rotate_webhook_secret",
        summary: "Replace the signing secret; the previous one keeps signing for the overlap (default 24 hours)",
        scope: Some(WebhooksWrite),
        ok: ("200", "The endpoint, with its new secret (shown this once)", Some(schema_ref("WebhookWithSecret"))),
        errors: &[not_found, ("422", "validation_failed: `overlap` is not 1h, 24h or 7d")],
        body: Some(schema_ref("WebhookRotationInput")),
        params: vec![hook_param()],
    });
    rotate["requestBody"]["required"] = false.into();
    paths.insert("/api/v1/webhooks/{id}/rotate-secret".into(), json!({"post": rotate}));
}

fn audit_paths(paths: &mut Map<String, Value>) {
    let actions: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    // Empty = not filtered, as in the console's filter form.
    let time = json!({"type": "string", "pattern": "^([0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2})?)?$"});
    let mut actions = actions;
    actions.insert(0, "");
    let mut params = page_params();
    params.extend([
        query("actor", "An actor's email, an API key's id, or `system`", json!({"type": "string"})),
        query("action", "One action", json!({"type": "string", "enum": actions})),
        query("target", "A target's id or label", json!({"type": "string"})),
        query("from", "From this day or minute (UTC), inclusive", time.clone()),
        query("to", "To this day or minute (UTC), inclusive", time),
        query(
            "after",
            "List oldest first, from the event after this seq (incremental pulls; not with cursor)",
            json!({"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999_i64}),
        ),
    ]);
    let list = build(Op {
        id: "list_audit_events",
        summary: "The organisation's audit log: newest first, or oldest first from `after`",
        scope: Some(Management::AuditRead),
        ok: ("200", "A page of events", Some(schema_ref("AuditEventList"))),
        errors: &[("422", "validation_failed: a query parameter is invalid or repeated")],
        body: None,
        params,
    });
    paths.insert("/api/v1/audit-events".into(), json!({"get": list}));
    let checkpoints = build(Op {
        id: "list_audit_checkpoints",
        summary: "The organisation's signed audit checkpoints, newest first (verify with /.well-known/latchkey-audit-key)",
        scope: Some(Management::AuditRead),
        ok: ("200", "A page of checkpoints", Some(schema_ref("AuditCheckpointList"))),
        errors: &[("422", "validation_failed: a query parameter is invalid or repeated")],
        body: None,
        params: page_params(),
    });
    paths.insert("/api/v1/audit-checkpoints".into(), json!({"get": checkpoints}));
}

/// The management paths of the document.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    key_paths(paths);
    super::api_definitions::paths(paths);
    webhook_paths(paths);
    audit_paths(paths);
}
