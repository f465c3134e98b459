//! The event catalog: every event type has a schema and an example in the
//! OpenAPI document's `webhooks` map and on `/docs/api`, and real events —
//! from the console, the API and the scheduler — match their schemas
//! (checked with Python's `jsonschema`, which the test command installs).

use crate::support::*;

#[tokio::test]
async fn every_event_type_is_documented_with_a_schema_and_an_example_that_fits_it() {
    let app = spawn_app().await;
    let doc: serde_json::Value =
        reqwest::get(format!("{}/api/v1/openapi.json", app.base)).await.unwrap().json().await.unwrap();
    let webhooks = doc["webhooks"].as_object().expect("a webhooks map");
    let types: Vec<&str> = webhooks.keys().map(String::as_str).collect();
    // Every type the server sends: the subscribable ones and the plain Send test.
    let mut expected: Vec<&str> =
        latchkey::app::webhooks::examples::choices().into_iter().map(|t| t.as_str()).collect();
    expected.sort_unstable();
    let mut listed = types.clone();
    listed.sort_unstable();
    assert_eq!(listed, expected, "one entry per event type");
    let pairs: Vec<_> = webhooks
        .iter()
        .map(|(t, op)| {
            let media = &op["post"]["requestBody"]["content"]["application/json"];
            (t.clone(), media["example"].clone(), media["schema"].clone())
        })
        .collect();
    assert_eq!(schema_failures(&pairs), Vec::<String>::new());
    let (_, page) = app.visitor().get_html("/docs/api").await;
    assert_eq!(select_all_attr(&page, "[data-testid=event-doc]", "data-event-type").len(), expected.len());
    assert_eq!(count(&page, "#verifying"), 1);
}

#[tokio::test]
async fn real_events_match_the_schemas_of_their_types() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    // A spread of real events: keys changed in the console, an order and a customer through the API.
    let key = create_key(&owner, &[("label", "Catalog")]).await;
    owner.post_form(&format!("{KEYS}/{}/edit", key.id), &[("label", "Catalog 2"), ("access", "full")]).await;
    owner.post_form(&format!("{KEYS}/{}/activate", key.id), &[]).await;
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{}/rotate", key.id)).await;
    let form_id = select_attr(&confirm, "input[name=form_id]", "value").unwrap();
    owner.post_form(&format!("{KEYS}/{}/rotate", key.id), &[("grace", "none"), ("form_id", &form_id)]).await;
    let gone = create_key(&owner, &[("label", "Deleted")]).await;
    owner.post_form(&format!("{KEYS}/{}/delete", gone.id), &[]).await;
    let token = app.make_key("acme", &[], "", None);
    let body = serde_json::json!({"customer_email": "o@p.co", "total_cents": 120});
    assert_eq!(api(&app, reqwest::Method::POST, "/api/v1/orders", &token, Some(body)).await.0, 201);
    let body = serde_json::json!({"email": "c@p.co"});
    assert_eq!(api(&app, reqwest::Method::POST, "/api/v1/customers", &token, Some(body)).await.0, 201);
    // Through the management API (an api_key actor) and the public revocation endpoint.
    let (_, admin) = app.make_scoped_key("acme", "Admin", &["keys:write", "orders:read"]);
    let body = serde_json::json!({"label": "Made by a key", "scopes": ["orders:read"]});
    let (status, made, _) = api(&app, reqwest::Method::POST, "/api/v1/keys", &admin, Some(body)).await;
    assert_eq!(status, 201, "{made}");
    let patch = serde_json::json!({"enabled": false});
    let path = format!("/api/v1/keys/{}", made["id"].as_str().unwrap());
    assert_eq!(api(&app, reqwest::Method::PATCH, &path, &admin, Some(patch)).await.0, 200);
    let leaked = app.make_key("acme", &["orders:read"], "", None);
    let report = serde_json::json!({"tokens": [leaked]});
    assert_eq!(api(&app, reqwest::Method::POST, "/api/v1/revocations", "", Some(report)).await.0, 202);
    app.make_expiring_key("acme", "Soon", chrono::Utc::now().naive_utc() + chrono::Duration::days(3));
    let org = org_id(&app, "acme");
    let has = |t: &str| latchkey::db::outbox::for_org(&mut app.conn(), org).unwrap().iter().any(|e| e.event_type == t);
    app.run_jobs().await;
    assert!(has("api_key.expiring"), "the scheduler's event");

    let schemas: std::collections::HashMap<String, serde_json::Value> = latchkey::app::webhooks::catalog::events()
        .into_iter()
        .map(|e| (e.event_type.as_str().to_owned(), e.schema))
        .collect();
    let events = latchkey::db::outbox::for_org(&mut app.conn(), org).unwrap();
    let seen: std::collections::BTreeSet<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    for t in [
        "api_key.created",
        "api_key.updated",
        "api_key.rotated",
        "api_key.revoked",
        "api_key.deleted",
        "api_key.expiring",
        "api_key.deactivated",
        "api_key.exposed",
        "order.created",
        "customer.created",
    ] {
        assert!(seen.contains(t), "{t} among {seen:?}");
    }
    let pairs: Vec<_> = events
        .iter()
        .map(|e| (e.event_type.clone(), serde_json::from_str(&e.payload).unwrap(), schemas[&e.event_type].clone()))
        .collect();
    assert_eq!(schema_failures(&pairs), Vec::<String>::new());
}
