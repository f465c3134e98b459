//! Webhook events a receiver can trust: every change of a key's settings is
//! sent (scopes included), every event has a `seq` and a millisecond
//! `timestamp`, so a receiver keeping the highest seq per key ends in the
//! key's true state whatever order deliveries arrive in; revoked and deleted
//! keys are sent in their new state with a reason; and `webhook.test` is in
//! the catalog like every other type the server sends.

use crate::support::*;
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// The last event of `event_type` about `key_id`.
fn last_about(app: &TestApp, event_type: &str, key_id: &str) -> Value {
    queued_key_events(app)
        .into_iter()
        .rev()
        .find(|(t, body)| t == event_type && body["data"]["key_id"] == key_id)
        .unwrap_or_else(|| panic!("{event_type} about {key_id} sent"))
        .1
}

/// `2026-11-30T09:15:02.123Z`: UTC with exactly three decimals.
fn has_milliseconds(timestamp: &Value) -> bool {
    let text = timestamp.as_str().unwrap_or_default();
    chrono::DateTime::parse_from_rfc3339(text).is_ok()
        && text.len() == 24
        && text.ends_with('Z')
        && text.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn a_scopes_only_change_is_sent_as_api_key_updated_with_the_scopes_before_and_after() {
    let app = spawn_app().await;
    app.seed_acme();
    // Every resource scope: a key may give full access only when it has it.
    let every = ["keys:write", "orders:write", "customers:write", "products:write", "categories:write"];
    let (_, admin) = app.make_scoped_key("acme", "Admin", &every);
    let body = json!({"label": "Narrow", "scopes": ["orders:read"]});
    let (status, made, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(body)).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();

    // Widening to full access through the API: `scopes` alone.
    let path = format!("/api/v1/keys/{id}");
    let (status, answer, _) = api(&app, Method::PATCH, &path, &admin, Some(json!({"scopes": []}))).await;
    assert_eq!((status, &answer["full_access"]), (200, &json!(true)), "{answer}");
    let updated = last_about(&app, "api_key.updated", &id);
    let changes = &updated["data"]["changes"];
    assert_eq!(changes["before"], json!({"scopes": ["orders:read"], "full_access": false}), "{updated}");
    assert_eq!(changes["after"]["full_access"], true);
    assert_eq!(changes["after"]["scopes"], answer["scopes"], "the effective scopes, as the key object has them");
    assert_eq!((&updated["data"]["full_access"], &updated["data"]["actor"]["type"]), (&json!(true), &json!("api_key")));

    // Narrowing again: one more event, and its seq is above the first one's.
    let patch = json!({"scopes": ["orders:read", "customers:read"]});
    assert_eq!(api(&app, Method::PATCH, &path, &admin, Some(patch)).await.0, 200);
    let narrowed = last_about(&app, "api_key.updated", &id);
    assert_eq!(narrowed["data"]["changes"]["before"]["full_access"], true);
    assert!(narrowed["seq"].as_i64() > updated["seq"].as_i64(), "{narrowed} after {updated}");
    let sent =
        queued_key_events(&app).iter().filter(|(t, b)| t == "api_key.updated" && b["data"]["key_id"] == id).count();
    assert_eq!(sent, 2, "one event per change");

    // The console's edit form, scopes only (narrowing needs no sudo).
    let owner = app.logged_in("owner@acme.test").await;
    let fields = [("label", "Console"), ("scopes", "orders:read"), ("scopes", "customers:read")];
    let key = create_key(&owner, &fields).await;
    let fields = [("label", "Console"), ("access", "custom"), ("scopes", "orders:read"), ("enabled", "on")];
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/edit", key.id), &fields).await.status(), 303);
    let updated = last_about(&app, "api_key.updated", &key.id);
    let changes = &updated["data"]["changes"];
    assert_eq!(changes["after"], json!({"scopes": ["orders:read"]}), "{updated}");
    assert_eq!(changes["before"]["scopes"].as_array().map(Vec::len), Some(2));
    assert_eq!(updated["data"]["actor"]["email"], "owner@acme.test");
}

#[tokio::test]
async fn a_receiver_keeping_the_highest_seq_per_key_ends_in_each_keys_true_state_after_a_burst() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    // Every first try fails, so the retries (≈ 5 s ± 20 % each) arrive in a jittered order.
    let receiver = Receiver::start(503, "down", Duration::ZERO);
    let subscribed = ["api_key.created", "api_key.updated", "api_key.deactivated", "api_key.activated"];
    let subscribed = [&subscribed[..], &["api_key.rotated", "api_key.revoked"]].concat();
    add_webhook(&owner, "acme", &receiver.url, &subscribed).await;
    let (_, admin) = app.make_scoped_key("acme", "Admin", &["keys:write", "orders:read"]);

    // The burst: six changes of one key through the management API, back to back.
    let started = std::time::Instant::now();
    let body = json!({"label": "Burst", "scopes": ["orders:read"]});
    let (status, made, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(body)).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/keys/{id}");
    for patch in [json!({"label": "Burst 2"}), json!({"enabled": false}), json!({"enabled": true})] {
        assert_eq!(api(&app, Method::PATCH, &path, &admin, Some(patch)).await.0, 200);
    }
    let rotate = json!({"grace": "1h"});
    let (status, replacement, _) = api(&app, Method::POST, &format!("{path}/rotate"), &admin, Some(rotate)).await;
    assert_eq!(status, 201, "{replacement}");
    assert_eq!(api(&app, Method::POST, &format!("{path}/revoke"), &admin, None).await.0, 200);
    eprintln!("six changes in {} ms", started.elapsed().as_millis());

    // 7 events (the rotation also creates the replacement): all tried once, then the endpoint recovers.
    app.drain_deliveries().await;
    assert!(receiver.got().len() >= 7, "first tries");
    receiver.set_status(200);
    // Their retries come due (about 5 s later in real time) and go out.
    let (retries, _) = app.retries_due_now();
    assert_eq!(retries.len(), 7, "each one waits for a retry: {retries:?}");
    app.drain_deliveries().await;
    let delivered = || {
        use diesel::QueryDsl;
        use latchkey::db::schema::webhook_deliveries::dsl;
        let states: Vec<String> = dsl::webhook_deliveries.select(dsl::state).load(&mut app.conn()).unwrap();
        states.len() == 7 && states.iter().all(|s| s == "delivered")
    };
    assert!(delivered(), "every message delivered after its retry");

    // The receiver: every body it got, in arrival order and reversed, kept by highest seq per key.
    let bodies: Vec<Value> = receiver.got().iter().map(|(_, b)| serde_json::from_slice(b).unwrap()).collect();
    let arrival: Vec<String> = bodies.iter().map(|b| format!("{}#{}", b["type"], b["seq"])).collect();
    eprintln!("arrival order: {arrival:?}");
    for order in [bodies.clone(), bodies.iter().rev().cloned().collect()] {
        let mut latest: HashMap<String, (i64, Value)> = HashMap::new();
        for body in order {
            assert!(has_milliseconds(&body["timestamp"]), "{body}");
            let seq = body["seq"].as_i64().unwrap_or_else(|| panic!("an integer seq: {body}"));
            let key_id = body["data"]["key_id"].as_str().unwrap().to_owned();
            if latest.get(&key_id).is_none_or(|(kept, _)| seq > *kept) {
                latest.insert(key_id, (seq, body["data"].clone()));
            }
        }
        for key_id in [id.as_str(), replacement["id"].as_str().unwrap()] {
            let (_, truth, _) = api(&app, Method::GET, &format!("/api/v1/keys/{key_id}"), &admin, None).await;
            let kept = &latest[key_id].1;
            for field in ["state", "label", "scopes", "full_access", "expires_at"] {
                assert_eq!(kept[field], truth[field], "{key_id} {field}: kept {kept}, true {truth}");
            }
        }
        assert_eq!(latest[id.as_str()].1["state"], "revoked");
    }

    // The change order is the seq order, one seq per change.
    let mut about_key: Vec<(i64, String)> = bodies
        .iter()
        .filter(|b| b["data"]["key_id"] == id.as_str())
        .map(|b| (b["seq"].as_i64().unwrap(), b["type"].as_str().unwrap().to_owned()))
        .collect();
    about_key.sort();
    about_key.dedup();
    let types: Vec<&str> = about_key.iter().map(|(_, t)| t.as_str()).collect();
    let expected =
        ["created", "updated", "deactivated", "activated", "rotated", "revoked"].map(|t| format!("api_key.{t}"));
    assert_eq!(types, expected, "{about_key:?}");
}

#[tokio::test]
async fn resource_events_carry_a_per_org_seq_that_grows_and_millisecond_timestamps() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", None);
    for n in 0..3 {
        let order = json!({"customer_email": format!("o{n}@p.co"), "total_cents": 100});
        assert_eq!(api(&app, Method::POST, "/api/v1/orders", &token, Some(order)).await.0, 201);
    }
    let customer = json!({"email": "c@p.co"});
    assert_eq!(api(&app, Method::POST, "/api/v1/customers", &token, Some(customer)).await.0, 201);
    let seqs: Vec<i64> = latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme"))
        .unwrap()
        .iter()
        .filter(|e| e.event_type.ends_with(".created") && !e.event_type.starts_with("api_key."))
        .map(|e| {
            let body: Value = serde_json::from_str(&e.payload).unwrap();
            assert!(has_milliseconds(&body["timestamp"]), "{body}");
            body["seq"].as_i64().unwrap_or_else(|| panic!("an integer seq: {body}"))
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4], "the organisation's own counter");
}

#[tokio::test]
async fn revoked_and_deleted_events_carry_the_state_they_leave_the_key_in_and_why() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, admin) = app.make_scoped_key("acme", "Admin", &["keys:write", "orders:read"]);
    let reason_of = |key_id: &str| {
        let event = last_about(&app, "api_key.revoked", key_id);
        assert_eq!(event["data"]["state"], "revoked", "{event}");
        event["data"]["reason"].as_str().unwrap_or("none").to_owned()
    };

    // A person in the console, and a key through the API.
    let by_person = create_key(&owner, &[("label", "Console")]).await;
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/revoke", by_person.id), &[]).await.status(), 303);
    assert_eq!(reason_of(&by_person.id), "manual");
    let made = |label: &str| {
        let body = json!({"label": label, "scopes": ["orders:read"]});
        let (app, admin) = (&app, &admin);
        async move { api(app, Method::POST, "/api/v1/keys", admin, Some(body)).await.1["id"].as_str().unwrap().to_owned() }
    };
    let by_key = made("API").await;
    assert_eq!(api(&app, Method::POST, &format!("/api/v1/keys/{by_key}/revoke"), &admin, None).await.0, 200);
    assert_eq!(reason_of(&by_key), "manual");

    // A rotation without grace, and one whose grace the scheduler ends.
    let at_once = made("At once").await;
    let path = format!("/api/v1/keys/{at_once}/rotate");
    assert_eq!(api(&app, Method::POST, &path, &admin, Some(json!({"grace": "none"}))).await.0, 201);
    assert_eq!(reason_of(&at_once), "rotated");
    let later = made("Later").await;
    let path = format!("/api/v1/keys/{later}/rotate");
    assert_eq!(api(&app, Method::POST, &path, &admin, Some(json!({"grace": "1h"}))).await.0, 201);
    let ended = format!("UPDATE api_keys SET grace_until = '2000-01-01 00:00:00' WHERE key_id = '{later}'");
    diesel::sql_query(ended).execute(&mut app.conn()).unwrap();
    let state = latchkey::app::state::AppState::new(app.config.clone(), app.pool.clone());
    latchkey::jobs::revoke_after_grace(&state).await.expect("grace job");
    assert_eq!(reason_of(&later), "expired_grace");

    // Reported exposed (the default action revokes).
    let leaked = app.make_key("acme", &["orders:read"], "", None);
    let report = json!({"tokens": [leaked]});
    assert_eq!(api(&app, Method::POST, "/api/v1/revocations", "", Some(report)).await.0, 202);
    let exposed = last_about_type(&app, "api_key.exposed");
    assert_eq!(reason_of(exposed["data"]["key_id"].as_str().unwrap()), "exposed");

    // Deleted: the event says so, whatever state the key was in.
    let gone = made("Gone").await;
    assert_eq!(api(&app, Method::DELETE, &format!("/api/v1/keys/{gone}"), &admin, None).await.0, 204);
    let deleted = last_about(&app, "api_key.deleted", &gone);
    assert_eq!((&deleted["data"]["state"], &deleted["data"]["reason"]), (&json!("deleted"), &json!("manual")));
    assert!(deleted["seq"].as_i64() > last_about(&app, "api_key.created", &gone)["seq"].as_i64());

    // The catalog's examples say the same.
    for (event_type, state) in [("api_key.revoked", "revoked"), ("api_key.deleted", "deleted")] {
        let doc = latchkey::app::webhooks::catalog::events()
            .into_iter()
            .find(|e| e.event_type.as_str() == event_type)
            .unwrap();
        assert_eq!((&doc.example["data"]["state"], &doc.example["data"]["reason"]), (&json!(state), &json!("manual")));
    }
}

fn last_about_type(app: &TestApp, event_type: &str) -> Value {
    queued_key_events(app).into_iter().rev().find(|(t, _)| t == event_type).expect("sent").1
}

#[tokio::test]
async fn webhook_test_is_in_the_catalog_and_what_send_test_delivers_fits_its_schema() {
    let app = spawn_app().await;
    app.seed_acme();
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base)).await.unwrap().json().await.unwrap();
    let media = &doc["webhooks"]["webhook.test"]["post"]["requestBody"]["content"]["application/json"];
    assert!(media["schema"].is_object() && media["example"].is_object(), "webhook.test in the webhooks map");
    let (_, page) = app.visitor().get_html("/docs/api").await;
    let listed = select_all_attr(&page, "[data-testid=event-doc]", "data-event-type");
    assert!(listed.iter().any(|t| t == "webhook.test"), "{listed:?}");

    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    let res = owner.post_form(&format!("/orgs/acme/settings/webhooks/{id}/test"), &[]).await;
    assert_eq!(res.status(), 200);
    assert!(eventually(Duration::from_secs(5), || !receiver.got().is_empty()).await, "Send test arrives");
    let sent: Value = serde_json::from_slice(&receiver.got()[0].1).unwrap();
    assert_eq!(
        (&sent["type"], &sent["data"]["webhook_id"], &sent["seq"]),
        (&json!("webhook.test"), &json!(id), &json!(0))
    );
    let pairs = [
        ("example".to_owned(), media["example"].clone(), media["schema"].clone()),
        ("sent".to_owned(), sent, media["schema"].clone()),
    ];
    assert_eq!(schema_failures(&pairs), Vec::<String>::new());
}
