//! APIs a team defines (docs/api-guide.md: APIs): definitions through the
//! management API, keys of an API with roles, an owner and metadata, the
//! decision a key gets for a request, escalation, deletion, OpenAPI import,
//! and a key made before APIs existed answering as it always did.

use crate::support::*;
use latchkey::app::apis::decide::{Outcome, decide};
use latchkey::domain::access::{ApiSlug, Check, Decision, Grants, PermissionSlug};
use latchkey::domain::scopes::{Management, Scopes};
use reqwest::Method;
use serde_json::{Value, json};

/// The example: invoices read and written, a viewer role.
pub fn billing() -> Value {
    json!({
        "slug": "billing", "name": "Billing", "hosts": ["billing.example.com"],
        "permissions": [
            {"slug": "invoices.read", "description": "Read invoices"},
            {"slug": "invoices.write", "description": "Create and change invoices"},
        ],
        "roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read"]}],
        "routes": [
            {"method": "GET", "path": "/v1/invoices/**", "requires": "invoices.read"},
            {"method": "POST", "path": "/v1/invoices", "requires": "invoices.write"},
        ],
    })
}

/// A key of `api` holding `grants` and these management scopes, straight in the database: its token.
pub fn key_of(app: &TestApp, api: &str, grants: &[&str], management: &[Management]) -> String {
    let scopes = Scopes::new(
        ApiSlug::parse(api).expect("slug"),
        Grants::parse(grants).expect("grants"),
        Vec::new(),
        management.iter().copied().collect(),
    );
    let settings = latchkey::db::api_keys::KeySettings {
        label: format!("{api} key"),
        description: String::new(),
        scopes,
        expires_at: None,
        allowed_ips: Default::default(),
        rate_limit_per_minute: Some(0),
        owner_id: None,
        metadata: None,
    };
    app.make_key_with("acme", settings).1
}

/// A key of billing with role viewer, owner `cus_123`, metadata
/// `{"plan":"pro"}` and these limits: (key id, token).
pub fn viewer_key(app: &TestApp, allowed_ips: &str, rate_limit: u32) -> (String, String) {
    use latchkey::domain::access::{Metadata, OwnerId};
    let scopes = Scopes::new(
        ApiSlug::parse("billing").expect("slug"),
        Grants::default(),
        vec![latchkey::domain::access::RoleSlug::parse("viewer").expect("role")],
        Default::default(),
    );
    let settings = latchkey::db::api_keys::KeySettings {
        label: "Acme Corp".into(),
        description: String::new(),
        scopes,
        expires_at: None,
        allowed_ips: latchkey::domain::key_settings::IpAllowlist::parse(allowed_ips).expect("allowlist"),
        rate_limit_per_minute: Some(rate_limit),
        owner_id: Some(OwnerId::parse("cus_123").expect("owner")),
        metadata: Some(Metadata::parse(json!({"plan": "pro"})).expect("metadata")),
    };
    app.make_key_with("acme", settings)
}

/// What the API answers for `token` making `method target` to its API, as the verify endpoint will.
pub async fn decision(state: &latchkey::app::state::AppState, token: &str, method: &str, target: &str) -> Outcome {
    let secret = latchkey::domain::token::ApiKeySecret::parse(token).expect("token");
    let found = latchkey::app::keys::by_token(state, secret.hash()).await.expect("db").expect("key");
    decide(state, &found.0, None, Check::Request { method, target }).await.expect("decided")
}

fn missing(names: &[&str]) -> Outcome {
    let missing = names.iter().map(|n| PermissionSlug::parse(n).expect("slug")).collect();
    Outcome::Decided(Decision::InsufficientPermissions { missing })
}

fn allowed(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Decided(Decision::Allowed { .. }))
}

#[tokio::test]
async fn a_viewer_key_of_billing_reads_invoices_and_is_refused_a_post_naming_what_it_misses() {
    let app = spawn_app().await;
    app.seed_acme();
    let definer = key_of(&app, "sample", &[], &[Management::ApisWrite]);
    let (status, created, _) = api(&app, Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await;
    assert_eq!(status, 201, "PUT creates: {created}");
    assert_eq!(created["roles"][0]["permissions"], json!(["invoices.read"]));
    assert_eq!(created["unmatched"], "deny", "the default");

    // A key of billing with keys:write issues the customer's key: role viewer, owner, metadata.
    let issuer = key_of(&app, "billing", &["*"], &[Management::KeysWrite]);
    let body = json!({"label": "Acme Corp", "api": "billing", "roles": ["viewer"], "owner_id": "cus_123",
        "metadata": {"plan": "pro"}});
    let (status, key, _) = api(&app, Method::POST, "/api/v1/keys", &issuer, Some(body)).await;
    assert_eq!(status, 201, "{key}");
    assert_eq!(
        (&key["api"], &key["permissions"], &key["roles"], &key["owner_id"], &key["metadata"]),
        (&json!("billing"), &json!([]), &json!(["viewer"]), &json!("cus_123"), &json!({"plan": "pro"}))
    );
    assert_eq!((&key["scopes"], &key["full_access"]), (&json!([]), &json!(false)), "no sample scopes");
    let token = key["token"].as_str().expect("token").to_owned();

    let state = &app.state;
    assert!(allowed(&decision(state, &token, "GET", "/v1/invoices/42").await));
    assert_eq!(decision(state, &token, "POST", "/v1/invoices").await, missing(&["invoices.write"]));
    assert_eq!(decision(state, &token, "GET", "/v1/refunds").await, Outcome::Decided(Decision::NoRoute));
    let stored = app.key_by_id(key["id"].as_str().expect("id"));
    let wrong = decide(state, &stored, Some("sample"), Check::Request { method: "GET", target: "/v1/invoices" });
    assert_eq!(wrong.await.expect("decided"), Outcome::WrongApi);
    // Latchkey's own resources belong to the sample API: a billing key reaches none of them.
    let (status, body, _) = api(&app, Method::GET, "/api/v1/customers", &token, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("insufficient_scope")), "{body}");

    // Listed and found by owner.
    let reader = key_of(&app, "sample", &[], &[Management::KeysRead]);
    let (_, listed, _) = api(&app, Method::GET, "/api/v1/keys?owner_id=cus_123", &reader, None).await;
    let ids: Vec<&Value> = listed["data"].as_array().expect("data").iter().map(|k| &k["id"]).collect();
    assert_eq!(ids, [&key["id"]], "only the customer's key");

    // Editing the role lets the very same key POST on its next request.
    let mut wider = billing();
    wider["roles"][0]["permissions"] = json!(["invoices.read", "invoices.write"]);
    let (status, _, _) = api(&app, Method::PUT, "/api/v1/apis/billing", &definer, Some(wider)).await;
    assert_eq!(status, 200, "PUT replaces");
    assert!(allowed(&decision(state, &token, "POST", "/v1/invoices").await));

    // The log says what changed; the event too.
    let log = events(&app, org_id(&app, "acme"));
    let updated = log.iter().find(|e| e.action == "api.updated").expect("api.updated");
    let details: Value = serde_json::from_str(&updated.details).expect("json");
    assert_eq!(details["changes"], json!({"roles": {"changed": ["viewer"]}}), "{details}");
    assert!(log.iter().any(|e| e.action == "api.created" && e.target_id.as_deref() == Some("billing")));
    let outbox = latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme")).expect("outbox");
    let sent: Vec<Value> = outbox
        .iter()
        .filter(|e| e.event_type == "api.updated")
        .map(|e| serde_json::from_str(&e.payload).expect("json"))
        .collect();
    let changes: Vec<&Value> = sent.iter().map(|e| &e["data"]["change"]).collect();
    assert_eq!(changes, [&json!("created"), &json!("updated")]);
}

#[tokio::test]
async fn keys_grant_only_what_the_api_declares_and_the_issuer_holds() {
    let app = spawn_app().await;
    app.seed_acme();
    let definer = key_of(&app, "sample", &[], &[Management::ApisWrite]);
    assert_eq!(api(&app, Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await.0, 201);
    let issuer = key_of(&app, "billing", &["invoices.read"], &[Management::KeysWrite]);
    let create = |body: Value| {
        let (app, issuer) = (&app, issuer.clone());
        async move { api(app, Method::POST, "/api/v1/keys", &issuer, Some(body)).await }
    };
    let field = |body: &Value| body["error"]["details"][0]["field"].as_str().unwrap_or_default().to_owned();

    let (status, body, _) = create(json!({"label": "x", "api": "billing", "permissions": ["refunds.write"]})).await;
    assert_eq!((status, field(&body)), (422, "permissions".into()), "not declared: {body}");
    let (status, body, _) = create(json!({"label": "x", "api": "billing", "roles": ["admin"]})).await;
    assert_eq!((status, field(&body)), (422, "roles".into()), "{body}");
    let (status, body, _) = create(json!({"label": "x", "api": "shipping", "permissions": ["*"]})).await;
    assert_eq!((status, field(&body)), (422, "api".into()), "{body}");
    let (status, body, _) = create(json!({"label": "x", "api": "billing"})).await;
    assert_eq!((status, field(&body)), (422, "permissions".into()), "a key of a team's API says what it may do");

    // No escalation: the issuer holds invoices.read only.
    let (status, body, _) = create(json!({"label": "x", "api": "billing", "permissions": ["invoices.write"]})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("scope_escalation")), "{body}");
    let (status, _, _) = create(json!({"label": "x", "api": "billing", "permissions": ["*"]})).await;
    assert_eq!(status, 403, "full access is more than invoices.read");
    let (status, body, _) = create(json!({"label": "x", "api": "billing", "roles": ["viewer"]})).await;
    assert_eq!(status, 201, "viewer grants invoices.read, which the issuer holds: {body}");
    let sample_issuer = key_of(&app, "sample", &["*"], &[Management::KeysWrite]);
    let body = json!({"label": "x", "api": "billing", "roles": ["viewer"]});
    let (status, _, _) = api(&app, Method::POST, "/api/v1/keys", &sample_issuer, Some(body)).await;
    assert_eq!(status, 403, "full access to the sample is nothing in billing");

    // The definition cannot be deleted while live keys hold it.
    let (status, body, _) = api(&app, Method::DELETE, "/api/v1/apis/billing", &definer, None).await;
    assert_eq!((status, &body["error"]["code"], &body["error"]["live_keys"]), (409, &json!("api_in_use"), &json!(2)));
    // The sample is built in; apis:read is needed to read definitions.
    let (status, body, _) = api(&app, Method::PUT, "/api/v1/apis/sample", &definer, Some(billing())).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("api_read_only")));
    let (status, listed, _) = api(&app, Method::GET, "/api/v1/apis", &definer, None).await;
    assert_eq!(status, 200);
    let slugs: Vec<&Value> = listed["data"].as_array().expect("data").iter().map(|a| &a["slug"]).collect();
    assert_eq!(slugs, [&json!("sample"), &json!("billing")]);
    let (status, _, _) = api(&app, Method::GET, "/api/v1/apis", &issuer, None).await;
    assert_eq!(status, 403, "keys:write is not apis:read");
    let (status, body, _) =
        api(&app, Method::PATCH, "/api/v1/apis/billing", &definer, Some(json!({"routes": [{"method": "GET"}]}))).await;
    assert_eq!((status, field(&body)), (422, "routes[0].path".into()), "{body}");
    let (status, body, _) = api(&app, Method::PUT, "/api/v1/apis/new", &definer, Some(json!({"name": "New"}))).await;
    assert_eq!((status, field(&body)), (422, "slug".into()), "new names the console's page: {body}");
}

#[tokio::test]
async fn an_openapi_document_becomes_routes_and_permissions_previewed_first() {
    let app = spawn_app().await;
    app.seed_acme();
    let definer = key_of(&app, "sample", &[], &[Management::ApisWrite]);
    let empty = json!({"slug": "petstore", "name": "Petstore"});
    assert_eq!(api(&app, Method::POST, "/api/v1/apis", &definer, Some(empty)).await.0, 201);
    let document: Value =
        serde_json::from_str(include_str!("../fixtures/openapi/petstore.json")).expect("the fixture is JSON");
    let path = "/api/v1/apis/petstore/import-openapi";
    let (status, preview, _) =
        api(&app, Method::POST, &format!("{path}?dry_run=true"), &definer, Some(document.clone())).await;
    assert_eq!(status, 200, "{preview}");
    let routes: Vec<String> = preview["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .map(|r| {
            format!(
                "{} {} → {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap(),
                r["requires"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(routes.len(), 20, "every operation: {routes:#?}");
    for line in [
        "POST /pet → write:pets and read:pets",
        "GET /pet/findByStatus → write:pets and read:pets",
        "GET /pet/{petId} → pet.read",
        "GET /store/inventory → store.read",
        "DELETE /store/order/{orderId} → store.write",
        "GET /user/login → user.read",
    ] {
        assert!(routes.contains(&line.to_owned()), "{line} in {routes:#?}");
    }
    let permissions: Vec<&str> =
        preview["permissions"].as_array().expect("permissions").iter().map(|p| p["slug"].as_str().unwrap()).collect();
    assert_eq!(
        permissions,
        ["pet.read", "read:pets", "store.read", "store.write", "user.read", "user.write", "write:pets"]
    );
    let (_, unchanged, _) = api(&app, Method::GET, "/api/v1/apis/petstore", &definer, None).await;
    assert_eq!(unchanged["routes"], json!([]), "a dry run saves nothing");

    let (status, imported, _) = api(&app, Method::POST, path, &definer, Some(document)).await;
    assert_eq!((status, &imported), (200, &preview), "the answer is what the preview showed");
    let (_, saved, _) = api(&app, Method::GET, "/api/v1/apis/petstore", &definer, None).await;
    assert_eq!(saved["routes"].as_array().map(Vec::len), Some(20));
    let entry = events(&app, org_id(&app, "acme")).into_iter().find(|e| e.action == "api.imported").expect("audited");
    let details: Value = serde_json::from_str(&entry.details).expect("json");
    assert_eq!((&details["routes_added"], &details["permissions_added"]), (&json!(20), &json!(7)));
    let (status, body, _) = api(&app, Method::POST, path, &definer, Some(json!({"swagger": "2.0"}))).await;
    assert_eq!(status, 422, "{body}");
}
