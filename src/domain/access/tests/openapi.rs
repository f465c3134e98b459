//! Tests of the OpenAPI import, on a petstore-like document and small ones.

use super::*;
use crate::access::api::{ApiDefinition, ApiParts, ApiSlug, Check, Decision, KeyAccess, Unmatched};
use crate::access::permission::Grants;
use serde_json::json;

const PETSTORE: &str = include_str!("../testdata/petstore.json");

fn petstore() -> OpenApiImport {
    let document: Value = serde_json::from_str(PETSTORE).expect("the fixture is JSON");
    import(&document).expect("the petstore imports")
}

fn lines(import: &OpenApiImport) -> Vec<String> {
    import.routes.iter().map(|r| format!("{} {} → {}", r.method, r.path, r.requires)).collect()
}

fn import_paths(paths: Value) -> Result<Vec<String>, ParseError> {
    import(&json!({"openapi": "3.1.0", "paths": paths})).map(|i| lines(&i))
}

#[test]
fn the_petstore_becomes_routes_and_permissions() {
    let imported = petstore();
    let both = "write:pets and read:pets";
    assert_eq!(
        lines(&imported),
        [
            "HEAD /health → health.read".to_owned(),
            format!("PUT /pet → {both}"),
            format!("POST /pet → {both}"),
            format!("GET /pet/{{petId}} → {both}"),
            format!("POST /pet/{{petId}} → {both}"),
            format!("DELETE /pet/{{petId}} → {both}"),
            format!("POST /pet/{{petId}}/uploadImage → {both}"),
            "GET /pet/findByStatus → read:pets".to_owned(),
            "GET /pet/findByTags → read:pets".to_owned(),
            "GET /store/inventory → store.read".to_owned(),
            "POST /store/order → store.write".to_owned(),
            "GET /store/order/{orderId} → store.read".to_owned(),
            "DELETE /store/order/{orderId} → store.orders.delete and store.write".to_owned(),
            "POST /user → user.write".to_owned(),
            "GET /user/{username} → user.read".to_owned(),
            "PUT /user/{username} → user.write".to_owned(),
            "DELETE /user/{username} → user.write".to_owned(),
            "POST /user/createWithList → user.write".to_owned(),
            "GET /user/login → user.read".to_owned(),
            "GET /user/logout → user.read".to_owned(),
        ]
    );
    let permissions: Vec<(&str, &str)> =
        imported.permissions.iter().map(|p| (p.slug.as_str(), p.description.as_str())).collect();
    assert_eq!(
        permissions,
        [
            ("health.read", ""),
            ("read:pets", "read your pets"),
            ("store.orders.delete", ""),
            ("store.read", ""),
            ("store.write", ""),
            ("user.read", ""),
            ("user.write", ""),
            ("write:pets", "modify pets in your account"),
        ]
    );
}

#[test]
fn an_imported_petstore_decides_requests() {
    let imported = petstore();
    let api = ApiDefinition::new(ApiParts {
        slug: ApiSlug::parse("petstore").expect("slug"),
        name: "Petstore".to_owned(),
        hosts: Vec::new(),
        unmatched: Unmatched::Deny,
        permissions: imported.permissions,
        roles: Vec::new(),
        routes: imported.routes,
    })
    .expect("every permission is declared");
    let key = KeyAccess { grants: Grants::parse(&["read:pets", "store.*"]).expect("grants"), roles: vec![] };
    let decide = |method, target| api.decide(&key, Check::Request { method, target });
    assert!(matches!(decide("GET", "/pet/findByStatus?status=sold"), Decision::Allowed { .. }));
    let missing = |d: Decision| match d {
        Decision::InsufficientPermissions { missing } => missing.into_iter().map(String::from).collect(),
        other => vec![format!("{other:?}")],
    };
    assert_eq!(missing(decide("GET", "/pet/42")), ["write:pets"]);
    assert!(matches!(decide("DELETE", "/store/order/7"), Decision::Allowed { .. }));
    assert_eq!(decide("GET", "/pets"), Decision::NoRoute);
}

#[test]
fn other_than_openapi_3_is_refused_clearly() {
    for (document, says) in [
        (json!({"swagger": "2.0", "paths": {}}), "Swagger 2.0"),
        (json!({"info": {}}), "not an OpenAPI 3 document"),
        (json!({"openapi": "2.5"}), "OpenAPI 2.5"),
        (json!({"openapi": 3}), "not an OpenAPI 3 document"),
        (json!([1, 2]), "JSON object"),
        (json!({"openapi": "3.0.0", "paths": []}), "paths must be an object"),
    ] {
        let err = import(&document).expect_err("refused");
        assert!(err.0.contains(says), "{document}: {err}");
    }
    assert_eq!(import(&json!({"openapi": "3.1.0"})).map(|i| i.routes.len()), Ok(0), "no paths, no routes");
}

#[test]
fn security_alternatives_become_or_and_the_document_default_applies() {
    let document = json!({
        "openapi": "3.0.1",
        "security": [{"oauth": ["things:read"]}],
        "components": {"securitySchemes": {
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/t", "scopes": {"things:read": "Read\nthings"}}}},
            "basic": {"type": "http", "scheme": "basic"},
        }},
        "paths": {"/things": {
            "get": {},
            "post": {"security": [{"oauth": ["a"]}, {"basic": []}, {"oauth": ["b", "c"], "basic": []}]},
            "put": {"security": [], "tags": ["Thing Store!"]},
            "delete": {"security": [{"basic": []}]},
        }},
    });
    let imported = import(&document).expect("imports");
    assert_eq!(
        lines(&imported),
        [
            "GET /things → things:read",
            "PUT /things → thing_store.write",
            "POST /things → a or b and c",
            "DELETE /things → things.write",
        ]
    );
    let described = imported.permissions.iter().find(|p| p.slug.as_str() == "things:read").map(|p| &p.description);
    assert_eq!(described.map(String::as_str), Some("Read things"), "on one line");
}

#[test]
fn paths_become_patterns_and_resources() {
    let got = import_paths(json!({
        "/api/v1/orders/{id}": {"get": {}},
        "/": {"get": {}},
        "/v2/{id}": {"patch": {}},
        "/files/{name}.json": {"get": {"tags": ["Files"]}},
        "/x/": {"options": {}},
        "/x": {"options": {}},
    }));
    assert_eq!(
        got,
        Ok(vec![
            "GET / → root.read".to_owned(),
            "GET /api/v1/orders/{id} → orders.read".to_owned(),
            "GET /files/* → files.read".to_owned(),
            "PATCH /v2/{id} → v2.write".to_owned(),
            "OPTIONS /x → x.write".to_owned(),
        ])
    );
}

#[test]
fn what_cannot_be_imported_is_named() {
    for (paths, says) in [
        (json!({"/a": {"$ref": "#/x"}}), "paths[\"/a\"]: a $ref path item"),
        (json!({"a": {"get": {}}}), "Start the path with /"),
        (json!({"/a": {"get": {"x-latchkey-permissions": []}}}), "at least one permission"),
        (json!({"/a": {"get": {"x-latchkey-permissions": ["Bad Name"]}}}), "paths[\"/a\"].get"),
        (json!({"/a": {"get": {"x-latchkey-permissions": "a.read"}}}), "must be a list"),
        (json!({"/a": {"get": {"x-latchkey-permissions": ["a"]}}, "/a/": {"get": {}}}), "another requirement"),
        (json!({"/a": {"get": 5}}), "an operation is an object"),
    ] {
        let err = import_paths(paths.clone()).expect_err("refused");
        assert!(err.0.contains(says), "{paths}: {err}");
    }
    let url_scope = json!({
        "openapi": "3.0.0",
        "components": {"securitySchemes": {"g": {"type": "oauth2", "flows": {}}}},
        "paths": {"/a": {"get": {"security": [{"g": ["https://example.com/auth/drive"]}]}}},
    });
    let err = import(&url_scope).expect_err("refused");
    assert!(err.0.contains("the OAuth2 scope \"https://example.com/auth/drive\""), "{err}");
}
