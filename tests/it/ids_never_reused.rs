//! Rows keyed by another row's id never outlive it or pass to a newcomer:
//! deleting a webhook endpoint takes its queued deliveries and its attempt
//! log with it, ids are never handed out twice (SQLite too), and every
//! attempt query is scoped by org and endpoint (docs/security-model.md: Rules).

use crate::support::*;
use diesel::prelude::*;
use latchkey::db::schema::{webhook_attempts as attempts, webhook_deliveries as deliveries};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn row_id(app: &TestApp, slug: &str, public_id: &str) -> i64 {
    latchkey::db::webhooks::find(&mut app.conn(), org_id(app, slug), public_id).expect("q").expect("hook").id
}

fn rows_of(app: &TestApp, endpoint: i64) -> (i64, i64) {
    let mut conn = app.conn();
    let a = attempts::table.filter(attempts::endpoint_id.eq(endpoint)).count().get_result(&mut conn).unwrap();
    let d = deliveries::table.filter(deliveries::endpoint_id.eq(endpoint)).count().get_result(&mut conn).unwrap();
    (a, d)
}

#[tokio::test]
async fn a_deleted_endpoints_attempts_and_queued_messages_never_reach_a_new_endpoint_of_any_org() {
    let app = spawn_app().await;
    app.seed_acme();
    // acme's endpoint fails, so it has attempts (with a customer's e-mail in the
    // body) and a retry still queued when it is deleted.
    let failing = Receiver::start(500, "down", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let old = add_webhook(&owner, "acme", &failing.url, &["order.created"]).await;
    let old_row = row_id(&app, "acme", &old.id);
    let token = app.make_key("acme", &[], "", Some(0));
    let body = json!({"customer_email": "private.person@acme-customer.test"});
    assert_eq!(api(&app, Method::POST, "/api/v1/orders", &token, Some(body)).await.0, 201);
    app.drain_deliveries().await;
    assert!(rows_of(&app, old_row).0 >= 1, "an attempt is logged");
    let (_, page) = owner.get_html(&format!("/orgs/acme/settings/webhooks/{}", old.id)).await;
    let attempt_id = select_attr(&page, "tr[data-testid=delivery-attempt]", "data-attempt-id").expect("attempt row");
    assert_eq!(owner.post_form(&format!("/orgs/acme/settings/webhooks/{}/delete", old.id), &[]).await.status(), 303);
    assert_eq!(rows_of(&app, old_row), (0, 0), "its attempts and queued deliveries went with it");

    // Another org's next endpoint: a new id, no history, and the old attempt is not found.
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let outsider = app.logged_in("outsider@other.test").await;
    let theirs = add_webhook(&outsider, "other", &receiver.url, &["customer.created"]).await;
    let their_row = row_id(&app, "other", &theirs.id);
    assert_ne!(their_row, old_row, "an id is never handed out twice");
    let (status, html) = outsider.get_html(&format!("/orgs/other/settings/webhooks/{}", theirs.id)).await;
    assert_eq!((status, count(&html, "tr[data-testid=delivery-attempt]")), (200, 0));
    assert!(!html.html().contains("private.person"), "no trace of acme's messages");
    let path = format!("/orgs/other/settings/webhooks/{}/attempts/{attempt_id}", theirs.id);
    assert_eq!(outsider.get(&path).await.status(), 404);

    // acme's next endpoint, subscribed to something else, gets none of the old messages.
    let mine = add_webhook(&owner, "acme", &receiver.url, &["customer.created"]).await;
    assert_ne!(row_id(&app, "acme", &mine.id), old_row);
    let customer = json!({"email": "c@d.co"});
    assert_eq!(api(&app, Method::POST, "/api/v1/customers", &token, Some(customer)).await.0, 201);
    app.drain_deliveries().await;
    assert!(!receiver.got().is_empty(), "the customer event arrives");
    // Any retry of the old order would be due now.
    app.retries_due_now();
    app.drain_deliveries().await;
    let types: Vec<String> = receiver
        .got()
        .iter()
        .map(|(_, body)| {
            serde_json::from_slice::<serde_json::Value>(body).unwrap()["type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(types, ["customer.created"], "only what the new endpoint subscribed to");
}

#[tokio::test]
async fn ids_of_deleted_rows_are_never_handed_out_again() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    // The newest key, deleted, then a new one: its row id is new.
    let first = create_key(&owner, &[("label", "first")]).await;
    let first_row = key_row_id(&app, &first.id);
    let res = owner.post_form(&format!("/orgs/acme/settings/api-keys/{}/delete", first.id), &[]).await;
    assert_eq!(res.status(), 303);
    let second = create_key(&owner, &[("label", "second")]).await;
    assert!(key_row_id(&app, &second.id) > first_row);
}

fn key_row_id(app: &TestApp, key_id: &str) -> i64 {
    use latchkey::db::schema::api_keys::dsl;
    dsl::api_keys.filter(dsl::key_id.eq(key_id)).select(dsl::id).first(&mut app.conn()).expect("key row")
}
