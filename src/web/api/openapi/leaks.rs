//! The leak-report operations of the OpenAPI document: the public
//! revocation endpoint and GitHub's secret-scanning partner endpoint, the
//! two `/api/v1` operations that take no key.

use super::{body_errors, common_headers, error, header, json_body, response, schema_ref};
use serde_json::{Map, Value, json};

fn revocations() -> Value {
    let mut responses = Map::new();
    responses.insert(
        "202".into(),
        response(
            "Received; every live key among them is handled (the answer is the same whatever the tokens were)",
            Some(json!({"type": "object", "required": ["received"], "properties": {"received": {"type": "integer", "minimum": 1, "maximum": 100}}})),
            common_headers(false),
        ),
    );
    responses.insert("422".into(), error("validation_failed: `tokens` must hold 1 to 100 strings", false));
    let mut limited = common_headers(false);
    limited.insert("Retry-After".into(), header("Seconds to wait", json!({"type": "integer", "minimum": 0}), true));
    limited.insert(
        "RateLimit-Limit".into(),
        header("Reports a minute from one address", json!({"type": "integer"}), true),
    );
    limited.insert("RateLimit-Remaining".into(), header("0", json!({"type": "integer"}), true));
    responses.insert(
        "429".into(),
        response("rate_limited: more than 10 reports a minute from this address", Some(schema_ref("Error")), limited),
    );
    responses.insert("503".into(), error("unavailable: the database cannot be reached", false));
    body_errors(&mut responses);
    let mut op = json!({
        "operationId": "report_leaked_tokens",
        "summary": "Report leaked tokens: each live key among them is revoked (or as the server is set up)",
        "description": "No key needed. Send tokens you found exposed; the answer never says whether they were real.",
        "security": [],
        "responses": responses,
    });
    op["requestBody"] = json_body(json!({
        "type": "object", "required": ["tokens"], "additionalProperties": false,
        "properties": {"tokens": {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string"}}}
    }));
    json!({"post": op})
}

fn github() -> Value {
    let mut responses = Map::new();
    let verdicts = json!({"type": "array", "items": {
        "type": "object", "required": ["token_hash", "token_type", "label"],
        "properties": {
            "token_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "token_type": {"type": "string"},
            "label": {"type": "string", "enum": ["true_positive", "false_positive"]},
        }
    }});
    responses.insert("200".into(), response("One verdict per reported token", Some(verdicts), common_headers(false)));
    responses
        .insert("401".into(), error("invalid_signature: not signed by one of GitHub's keys (in low-S form)", false));
    responses.insert("404".into(), error("not_found: GitHub secret scanning is not set up on this server", false));
    responses
        .insert("413".into(), error("payload_too_large: the body is over 1 MiB (checked before the signature)", false));
    responses.insert("422".into(), error("validation_failed: not GitHub's report format", false));
    responses.insert("503".into(), error("unavailable: the database cannot be reached", false));
    let mut op = json!({
        "operationId": "github_secret_scanning",
        "summary": "GitHub secret scanning partner endpoint",
        "description": "Signed by GitHub (Github-Public-Key-Identifier, Github-Public-Key-Signature: ECDSA P-256 over the body).",
        "security": [],
        "responses": responses,
        "parameters": [
            {"name": "Github-Public-Key-Identifier", "in": "header", "required": true, "schema": {"type": "string"}},
            {"name": "Github-Public-Key-Signature", "in": "header", "required": true, "schema": {"type": "string"}},
        ],
    });
    op["requestBody"] = json_body(json!({"type": "array", "items": {
        "type": "object", "required": ["token"],
        "properties": {"token": {"type": "string"}, "type": {"type": "string"}, "url": {"type": "string"}, "source": {"type": "string"}}
    }}));
    json!({"post": op})
}

/// The leak-report paths of the document.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    paths.insert("/api/v1/revocations".into(), revocations());
    paths.insert("/api/v1/secret-scanning/github".into(), github());
}
