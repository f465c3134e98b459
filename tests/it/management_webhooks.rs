//! The management API's `/api/v1/webhooks`: the endpoint object, create
//! (the signing secret shown once), read, PATCH (fields and `enabled`),
//! DELETE, the send test against a real receiver, secret rotation, the
//! scopes they need, field-by-field refusals, and the console's SSRF guard.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const HOOK_FIELDS: &str = "id url description events enabled disabled_reason created_at created_by_key";

fn webhook_events(app: &TestApp) -> Vec<latchkey::db::audit_events::StoredEvent> {
    events(app, org_id(app, "acme")).into_iter().filter(|e| e.action.starts_with("webhook.")).collect()
}

fn header_map(headers: &[(String, String)]) -> reqwest::header::HeaderMap {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (reqwest::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            map.insert(name, value);
        }
    }
    map
}

#[tokio::test]
async fn endpoints_are_created_read_changed_and_deleted_through_the_api() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let (writer_id, writer) = app.make_scoped_key("acme", "Hooks admin", &["webhooks:write"]);
    let body = json!({"url": receiver.url, "events": ["api_key.revoked", "order.created"], "description": " CI hook "});
    let (status, created, headers) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("wh_"), "{id}");
    assert_eq!(headers["location"], format!("/api/v1/webhooks/{id}").as_str());
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(field_names(&created), sorted(&format!("{HOOK_FIELDS} secret")));
    assert_eq!(created["url"], receiver.url.as_str());
    assert_eq!(created["description"], "CI hook");
    assert_eq!(created["events"], json!(["order.created", "api_key.revoked"]), "in catalogue order");
    assert_eq!((&created["enabled"], &created["disabled_reason"]), (&json!(true), &Value::Null));
    assert_eq!(created["created_by_key"], writer_id.as_str());
    assert!(created["created_at"].is_string());

    // Read: the list and the endpoint, never the secret.
    let (status, list, _) = api(&app, Method::GET, "/api/v1/webhooks", &writer, None).await;
    assert_eq!(status, 200);
    let mut public = created.clone();
    public.as_object_mut().unwrap().remove("secret");
    assert_eq!(list["data"], json!([public.clone()]));
    assert_eq!(list["next_cursor"], Value::Null);
    let (status, fetched, _) = api(&app, Method::GET, &format!("/api/v1/webhooks/{id}"), &writer, None).await;
    assert_eq!((status, &fetched), (200, &public));
    assert!(!list.to_string().contains("whsec_") && !fetched.to_string().contains("whsec_"));

    // PATCH: fields, then enabled.
    let path = format!("/api/v1/webhooks/{id}");
    let (status, changed, _) = api(
        &app,
        Method::PATCH,
        &path,
        &writer,
        Some(json!({"description": "Orders only", "events": ["order.created"]})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!((&changed["description"], &changed["events"]), (&json!("Orders only"), &json!(["order.created"])));
    assert_eq!(changed["url"], receiver.url.as_str(), "unchanged");
    assert_eq!(field_names(&changed), sorted(HOOK_FIELDS));
    let (status, off, _) = api(&app, Method::PATCH, &path, &writer, Some(json!({"enabled": false}))).await;
    assert_eq!((status, &off["enabled"]), (200, &json!(false)));
    assert!(off["disabled_reason"].is_string(), "{off}");
    let (status, on, _) = api(&app, Method::PATCH, &path, &writer, Some(json!({"enabled": true}))).await;
    assert_eq!((status, &on["enabled"], &on["disabled_reason"]), (200, &json!(true), &Value::Null));
    for (body, field) in [
        (json!({"events": ["order.exploded"]}), "events"),
        (json!({"events": []}), "events"),
        (json!({"events": "order.created"}), "events"),
        (json!({"enabled": "yes"}), "enabled"),
        (json!({"url": "not a url"}), "url"),
        (json!({"colour": "red"}), "colour"),
        (json!({"description": "x".repeat(501)}), "description"),
    ] {
        let (status, answer, _) = api(&app, Method::PATCH, &path, &writer, Some(body.clone())).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{body}");
        assert_eq!(detail_fields(&answer), [field], "{body}");
    }
    let (_, unchanged, _) = api(&app, Method::GET, &path, &writer, None).await;
    assert_eq!(unchanged, on, "refused changes changed nothing");

    // DELETE: 204, then gone.
    let (status, body, _) = api(&app, Method::DELETE, &path, &writer, None).await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(code(&api(&app, Method::GET, &path, &writer, None).await.1), "not_found");
    assert_eq!(api(&app, Method::DELETE, &path, &writer, None).await.0, 404);
    assert_eq!(api(&app, Method::GET, "/api/v1/webhooks", &writer, None).await.1["data"], json!([]));

    // Audited as the calling key, like the console's own changes.
    let log = webhook_events(&app);
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["webhook.created", "webhook.updated", "webhook.disabled", "webhook.updated", "webhook.deleted"]
    );
    for event in &log {
        assert_eq!((event.actor_type.as_str(), event.actor_name.as_deref()), ("api_key", Some(writer_id.as_str())));
        assert_eq!(event.target_id.as_deref(), Some(id.as_str()));
        let details: Value = serde_json::from_str(&event.details).unwrap();
        assert!(details["actor_prefix"].as_str().unwrap().starts_with("lk_live_"), "{}", event.details);
    }
}

#[tokio::test]
async fn each_webhook_call_needs_its_scope_and_sees_only_its_organisation() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let (_, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let (_, created, _) = api(
        &app,
        Method::POST,
        "/api/v1/webhooks",
        &writer,
        Some(json!({"url": receiver.url, "events": ["order.created"]})),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let reader = app.make_key("acme", &["webhooks:read"], "", Some(0));
    assert_eq!(api(&app, Method::GET, "/api/v1/webhooks", &reader, None).await.0, 200);
    assert_eq!(api(&app, Method::GET, &format!("/api/v1/webhooks/{id}"), &reader, None).await.0, 200);
    for (method, path, body) in [
        (Method::POST, "/api/v1/webhooks".to_owned(), Some(json!({"url": receiver.url, "events": ["order.created"]}))),
        (Method::PATCH, format!("/api/v1/webhooks/{id}"), Some(json!({"enabled": false}))),
        (Method::DELETE, format!("/api/v1/webhooks/{id}"), None),
        (Method::POST, format!("/api/v1/webhooks/{id}/test"), None),
        (Method::POST, format!("/api/v1/webhooks/{id}/rotate-secret"), None),
    ] {
        let (status, answer, _) = api(&app, method.clone(), &path, &reader, body).await;
        assert_eq!((status, code(&answer)), (403, "insufficient_scope"), "{method} {path}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("webhooks:write"));
    }
    assert!(receiver.received.lock().unwrap().is_empty(), "the refused test sent nothing");
    let keys_admin = app.make_key("acme", &["keys:write"], "", Some(0));
    let (status, answer, _) = api(&app, Method::GET, "/api/v1/webhooks", &keys_admin, None).await;
    assert_eq!((status, code(&answer)), (403, "insufficient_scope"));
    assert!(answer["error"]["message"].as_str().unwrap().contains("webhooks:read"));

    // Another organisation's endpoint is not found, whatever the call.
    insert_endpoint_of(&app, "other", "wh_0ther0000000000a", &receiver.url);
    for (method, suffix) in [
        (Method::GET, ""),
        (Method::PATCH, ""),
        (Method::DELETE, ""),
        (Method::POST, "/test"),
        (Method::POST, "/rotate-secret"),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"description": "mine now"}));
        let path = format!("/api/v1/webhooks/wh_0ther0000000000a{suffix}");
        let (status, answer, _) = api(&app, method.clone(), &path, &writer, body).await;
        assert_eq!((status, code(&answer)), (404, "not_found"), "{method} {path}");
    }
    let list = api(&app, Method::GET, "/api/v1/webhooks", &writer, None).await.1;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "only acme's endpoint");
    assert!(receiver.received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn bad_create_bodies_are_refused_field_by_field_and_make_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    for (body, fields) in [
        (json!({}), vec!["url", "events"]),
        (json!({"url": receiver.url}), vec!["events"]),
        (json!({"events": ["order.created"]}), vec!["url"]),
        (json!({"url": receiver.url, "events": ["order.exploded"]}), vec!["events"]),
        (json!({"url": receiver.url, "events": []}), vec!["events"]),
        (json!({"url": "not a url", "events": ["order.created"]}), vec!["url"]),
        (json!({"url": receiver.url, "events": ["order.created"], "enabled": false}), vec!["enabled"]),
        (json!({"url": receiver.url, "events": ["order.created"], "secret": "whsec_mine"}), vec!["secret"]),
    ] {
        let (status, answer, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body.clone())).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{body}: {answer}");
        let mut got = detail_fields(&answer);
        got.sort();
        assert_eq!(got, sorted(&fields.join(" ")), "{body}");
    }
    let (_, answer, _) = api(
        &app,
        Method::POST,
        "/api/v1/webhooks",
        &writer,
        Some(json!({"url": receiver.url, "events": ["order.exploded"]})),
    )
    .await;
    assert!(detail_message(&answer, "events").contains("order.exploded"), "{answer}");
    let body = json!({"url": 7, "events": ["order.created"]});
    let (status, answer, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await;
    assert_eq!((status, detail_message(&answer, "url").as_str()), (422, "must be a string"));
    assert_eq!(api(&app, Method::GET, "/api/v1/webhooks", &writer, None).await.1["data"], json!([]));
    assert!(webhook_events(&app).is_empty());
}

#[tokio::test]
async fn the_ssrf_guard_refuses_private_targets_unless_the_server_allows_them() {
    let app = spawn_app_with(|c| {
        c.webhook_allow_private = false;
        c.webhook_allow_insecure = false;
    })
    .await;
    app.seed_acme();
    let (_, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    for (url, message) in [
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://localhost/hooks", "loopback"),
        ("https://10.1.2.3/hooks", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("http://hooks.example.com/x", "https://"),
    ] {
        let body = json!({"url": url, "events": ["order.created"]});
        let (status, answer, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{url}");
        assert_eq!(detail_fields(&answer), ["url"], "{url}");
        assert!(detail_message(&answer, "url").contains(message), "{url}: {answer}");
    }
    assert_eq!(api(&app, Method::GET, "/api/v1/webhooks", &writer, None).await.1["data"], json!([]));
    // A PATCH to a private address is refused too; one that leaves the URL alone is not re-checked.
    insert_endpoint_of(&app, "acme", "wh_5aved0000000000a", "https://hooks.example.com/in");
    let path = "/api/v1/webhooks/wh_5aved0000000000a";
    let (status, answer, _) =
        api(&app, Method::PATCH, path, &writer, Some(json!({"url": "https://192.168.1.1/"}))).await;
    assert_eq!((status, detail_fields(&answer)), (422, vec!["url".to_owned()]));
    let (status, changed, _) = api(&app, Method::PATCH, path, &writer, Some(json!({"description": "same url"}))).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["url"], "https://hooks.example.com/in");

    // The default test server allows loopback targets (the receiver) and plain http.
    let open = spawn_app().await;
    open.seed_acme();
    let (_, writer) = open.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let body = json!({"url": receiver.url, "events": ["order.created"]});
    assert_eq!(api(&open, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await.0, 201);
}

#[tokio::test]
async fn send_test_and_secret_rotation_through_the_api() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "thanks!", Duration::ZERO);
    let (writer_id, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let body = json!({"url": receiver.url, "events": ["order.created"]});
    let (_, created, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await;
    let (id, old_secret) = (created["id"].as_str().unwrap().to_owned(), created["secret"].as_str().unwrap().to_owned());

    let (status, result, _) = api(&app, Method::POST, &format!("/api/v1/webhooks/{id}/test"), &writer, None).await;
    assert_eq!(status, 200, "{result}");
    let mut keys = field_names(&result);
    keys.sort();
    assert_eq!(keys, sorted("status_code latency_ms headers body error"));
    assert_eq!(result["status_code"], 200);
    assert_eq!(result["body"], "thanks!");
    assert_eq!(result["error"], Value::Null);
    assert!(result["latency_ms"].is_u64());
    assert_eq!(result["headers"]["x-receiver"], "yes", "{result}");
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (headers, payload) = &received[0];
    let verifier = standardwebhooks::Webhook::new(&old_secret).unwrap();
    assert!(verifier.verify(payload, &header_map(headers)).is_ok(), "signed with the secret the create answered");
    let event: Value = serde_json::from_slice(payload).unwrap();
    assert_eq!((&event["type"], &event["data"]["webhook_id"]), (&json!("webhook.test"), &json!(id)));
    let tested = webhook_events(&app).into_iter().find(|e| e.action == "webhook.tested").expect("audited");
    assert_eq!((tested.actor_type.as_str(), tested.actor_name.as_deref()), ("api_key", Some(writer_id.as_str())));
    assert!(tested.details.contains("\"status\":200"), "{}", tested.details);

    // A target that refuses the connection: the error, no status.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let body = json!({"url": format!("http://127.0.0.1:{closed}/hooks"), "events": ["order.created"]});
    let (_, dead, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await;
    let (status, result, _) =
        api(&app, Method::POST, &format!("/api/v1/webhooks/{}/test", dead["id"].as_str().unwrap()), &writer, None)
            .await;
    assert_eq!((status, &result["status_code"]), (200, &Value::Null), "{result}");
    assert_eq!(result["error"]["class"], "refused");
    assert!(result["error"]["message"].is_string());

    // Rotate: a new secret, once; both sign during the overlap.
    let (status, rotated, _) =
        api(&app, Method::POST, &format!("/api/v1/webhooks/{id}/rotate-secret"), &writer, None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new_secret.starts_with("whsec_"));
    assert_ne!(new_secret, old_secret);
    assert_eq!(rotated["id"], id.as_str());
    let (_, fetched, _) = api(&app, Method::GET, &format!("/api/v1/webhooks/{id}"), &writer, None).await;
    assert!(fetched.get("secret").is_none() && !fetched.to_string().contains(&new_secret));
    let stored = latchkey::db::webhooks::find(&mut app.conn(), org_id(&app, "acme"), &id).unwrap().unwrap();
    assert!(!stored.secret_sealed.contains(&new_secret[6..]), "stored encrypted");
    let rotations: Vec<_> = webhook_events(&app).into_iter().filter(|e| e.action == "webhook.secret_rotated").collect();
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].actor_name.as_deref(), Some(writer_id.as_str()));
    assert!(rotations[0].details.contains("actor_prefix"), "{}", rotations[0].details);

    assert_eq!(api(&app, Method::POST, &format!("/api/v1/webhooks/{id}/test"), &writer, None).await.0, 200);
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    let (headers, payload) = &received[1];
    let signature = &headers.iter().find(|(k, _)| k == "webhook-signature").unwrap().1;
    assert_eq!(signature.split(' ').count(), 2, "{signature}");
    for secret in [&old_secret, &new_secret] {
        assert!(standardwebhooks::Webhook::new(secret).unwrap().verify(payload, &header_map(headers)).is_ok());
    }
}

/// A `url` that is not a string is one problem, reported once (not also as
/// "is required": it was given).
#[tokio::test]
async fn a_url_of_the_wrong_type_is_one_detail_not_two() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let body = json!({"url": 7, "events": ["order.created"]});
    let (status, answer, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body)).await;
    assert_eq!(status, 422);
    assert_eq!(detail_fields(&answer), ["url"], "{answer}");
}
