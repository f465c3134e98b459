//! Webhook operations, continued: Send example of every event type (signed,
//! marked `"test": true`, valid against the catalog's schema) from the
//! console and the management API, and the overlap of a secret rotation.

use super::webhook_ops::{HOOKS, header_map, received};
use crate::support::*;
use reqwest::Method;
use scraper::Html;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn send_example_of_each_event_type_arrives_signed_marked_and_valid() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, secret } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    let offered = select_all_attr(&page, "select#test-event option", "value");
    let mut types = vec!["webhook.test"];
    types.extend(latchkey::domain::event_type::EventType::SUBSCRIBABLE.map(|t| t.as_str()));
    assert_eq!(offered, types, "the form offers the plain test and every event type");

    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    let schemas: std::collections::HashMap<String, Value> = latchkey::app::webhooks::catalog::events()
        .into_iter()
        .map(|e| (e.event_type.as_str().to_owned(), e.schema))
        .collect();
    let mut pairs = Vec::new();
    for (n, event_type) in types.iter().enumerate() {
        let res = owner.post_form(&format!("{HOOKS}/{id}/test"), &[("event", event_type)]).await;
        assert_eq!(res.status(), 200, "{event_type}");
        let html = Html::parse_document(&res.text().await.unwrap());
        assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some("200"));
        let (headers, body) = received(&app, &receiver, n + 1).await.remove(n);
        assert!(verifier.verify(&body, &header_map(&headers)).is_ok(), "{event_type} is signed");
        let event: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((event["type"].as_str(), &event["test"]), (Some(*event_type), &json!(true)), "{event}");
        let sent_at = chrono::DateTime::parse_from_rfc3339(event["timestamp"].as_str().unwrap()).unwrap();
        assert!((chrono::Utc::now() - sent_at.to_utc()).num_seconds().abs() < 60, "a fresh timestamp");
        if *event_type == "webhook.test" {
            assert_eq!(event["data"]["webhook_id"], id.as_str(), "the plain test names the endpoint");
        }
        pairs.push((event_type.to_string(), event, schemas[*event_type].clone()));
    }
    assert_eq!(pairs.len(), types.len(), "every type the server sends is in the catalog");
    assert_eq!(schema_failures(&pairs), Vec::<String>::new(), "every example fits its catalog schema");
    let tested = events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "webhook.tested").count();
    assert_eq!(tested, types.len());

    // An unknown type: the form again with the error at the field; nothing sent.
    let res = owner.post_form(&format!("{HOOKS}/{id}/test"), &[("event", "order.deleted")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.unwrap());
    assert!(select_all_text(&html, "#test-event-error").concat().contains("Choose an event type"));
    assert_eq!(count(&html, "[data-testid=webhook-test-result]"), 0);
    assert_eq!(receiver.got().len(), types.len());

    // The management API: an optional {"event"}; none is the plain test.
    let (_, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let path = format!("/api/v1/webhooks/{id}/test");
    let (status, answer, _) = api(&app, Method::POST, &path, &writer, Some(json!({"event": "api_key.revoked"}))).await;
    assert_eq!((status, &answer["status_code"]), (200, &json!(200)), "{answer}");
    let (status, answer, _) = api(&app, Method::POST, &path, &writer, Some(json!({"event": "order.deleted"}))).await;
    assert_eq!((status, code(&answer), detail_fields(&answer)), (422, "validation_failed", vec!["event".to_owned()]));
    let (status, answer, _) = api(&app, Method::POST, &path, &writer, Some(json!({"events": "order.created"}))).await;
    assert_eq!((status, detail_fields(&answer)), (422, vec!["events".to_owned()]), "an unknown field");
    assert_eq!(api(&app, Method::POST, &path, &writer, None).await.0, 200);
    let got = received(&app, &receiver, types.len() + 2).await;
    assert_eq!(got.len(), types.len() + 2, "the refused calls sent nothing");
    let kinds: Vec<Value> =
        got[types.len()..].iter().map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap()).collect();
    assert_eq!((&kinds[0]["type"], &kinds[0]["test"]), (&json!("api_key.revoked"), &json!(true)));
    assert_eq!(kinds[1]["type"], "webhook.test");
    let schema = &schemas["api_key.revoked"];
    assert!(schema_failures(&[("api".into(), kinds[0].clone(), schema.clone())]).is_empty());
}

/// When the endpoint's previous secret stops signing, as stored.
fn previous_until(app: &TestApp, id: &str) -> Option<chrono::NaiveDateTime> {
    latchkey::db::webhooks::find(&mut app.conn(), org_id(app, "acme"), id).unwrap().unwrap().previous_until
}

fn assert_near(at: Option<chrono::NaiveDateTime>, expected: chrono::Duration, what: &str) {
    let at = at.unwrap_or_else(|| panic!("{what}: no previous_until"));
    let off = (at - (chrono::Utc::now().naive_utc() + expected)).num_seconds().abs();
    assert!(off < 60, "{what}: previous_until {at} is {off} s off");
}

#[tokio::test]
async fn the_rotation_overlap_sets_how_long_the_previous_secret_signs() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", "http://127.0.0.1:9/hook", &["order.created"]).await;
    let rotate = format!("{HOOKS}/{id}/rotate-secret");
    let (_, confirm) = owner.get_html(&rotate).await;
    assert_eq!(select_all_attr(&confirm, "select[name=overlap] option", "value"), ["1h", "24h", "7d"]);
    assert_eq!(select_attr(&confirm, "select[name=overlap] option[selected]", "value").as_deref(), Some("24h"));
    for (overlap, expected) in [("1h", chrono::Duration::hours(1)), ("7d", chrono::Duration::days(7))] {
        let res = owner.post_form(&rotate, &[("overlap", overlap)]).await;
        assert_eq!(res.status(), 200, "{overlap}");
        assert_near(previous_until(&app, &id), expected, overlap);
    }
    assert_eq!(owner.post_form(&rotate, &[]).await.status(), 200);
    assert_near(previous_until(&app, &id), chrono::Duration::hours(24), "no overlap given");
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    assert!(
        select_all_text(&page, "[data-testid=previous-until]").concat().ends_with("UTC"),
        "the page says until when"
    );

    // A bad value: the confirmation again with the error at the field; nothing rotated.
    let stored = latchkey::db::webhooks::find(&mut app.conn(), org_id(&app, "acme"), &id).unwrap().unwrap();
    let res = owner.post_form(&rotate, &[("overlap", "2w")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.unwrap());
    assert!(select_all_text(&html, "#overlap-error").concat().contains("1h, 24h or 7d"));
    assert_eq!(count(&html, "[data-testid=new-secret]"), 0);
    let after = latchkey::db::webhooks::find(&mut app.conn(), org_id(&app, "acme"), &id).unwrap().unwrap();
    assert_eq!((after.secret_sealed, after.previous_until), (stored.secret_sealed, stored.previous_until));

    // The management API: an optional {"overlap"}.
    let (_, writer) = app.make_scoped_key("acme", "Writer", &["webhooks:write"]);
    let path = format!("/api/v1/webhooks/{id}/rotate-secret");
    let (status, answer, _) = api(&app, Method::POST, &path, &writer, Some(json!({"overlap": "7d"}))).await;
    assert_eq!(status, 200, "{answer}");
    assert_near(previous_until(&app, &id), chrono::Duration::days(7), "API 7d");
    let before = previous_until(&app, &id);
    let (status, answer, _) = api(&app, Method::POST, &path, &writer, Some(json!({"overlap": "2w"}))).await;
    assert_eq!((status, detail_fields(&answer)), (422, vec!["overlap".to_owned()]));
    assert_eq!(previous_until(&app, &id), before, "a refused rotation changes nothing");
    assert_eq!(api(&app, Method::POST, &path, &writer, None).await.0, 200);
    assert_near(previous_until(&app, &id), chrono::Duration::hours(24), "API default");
    let overlaps: Vec<String> = events(&app, org_id(&app, "acme"))
        .into_iter()
        .filter(|e| e.action == "webhook.secret_rotated")
        .map(|e| serde_json::from_str::<Value>(&e.details).unwrap()["overlap"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(overlaps, ["1h", "7d", "24h", "7d", "24h"], "each rotation records its overlap");
}
