//! Credits and owner limits (docs/api-guide.md: Credits, Rate limits → Owner
//! limits), on both databases: a race spends exactly the credits a key has,
//! a refused request spends none, refills, and a limit all of an owner's
//! keys share.

use crate::support::*;
use diesel::RunQueryDsl;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

async fn create(app: &TestApp, admin: &str, body: Value) -> Value {
    let (status, created, _) = api(app, Method::POST, "/api/v1/keys", admin, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

async fn patch(app: &TestApp, admin: &str, key_id: &str, body: Value) -> (u16, Value) {
    let (status, answer, _) = api(app, Method::PATCH, &format!("/api/v1/keys/{key_id}"), admin, Some(body)).await;
    (status, answer)
}

async fn credits(app: &TestApp, admin: &str, key_id: &str) -> Value {
    let (status, key, _) = api(app, Method::GET, &format!("/api/v1/keys/{key_id}"), admin, None).await;
    assert_eq!(status, 200);
    key["credits_remaining"].clone()
}

#[tokio::test]
async fn a_race_of_fifty_spends_exactly_ten_credits_and_then_usage_is_exceeded() {
    let app = spawn_app().await;
    app.seed_acme();
    let admin = app.make_key("acme", &["orders:read", "keys:read", "keys:write"], "", Some(0));
    let created =
        create(&app, &admin, json!({"scopes": ["orders:read"], "label": "metered", "credits_remaining": 10})).await;
    assert_eq!((created["credits_remaining"].clone(), created["credits_refill"].clone()), (json!(10), Value::Null));
    let (key_id, token) = (created["id"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());
    let answers = join_all((0..50).map(|_| ping(&app, &token))).await;
    let served = answers.iter().filter(|(status, _, _)| *status == 200).count();
    assert_eq!(served, 10, "exactly the credits the key had");
    for (status, body, _) in answers.iter().filter(|(status, _, _)| *status != 200) {
        assert_eq!((*status, code(body)), (429, "usage_exceeded"), "{body}");
    }
    assert_eq!(credits(&app, &admin, &key_id).await, json!(0));
    // A verification of a spent key says so, and a refused verification spends nothing.
    let verifier = app.make_key("acme", &["keys:verify"], "", Some(0));
    let (_, answer, _) = api(&app, Method::POST, "/api/v1/keys/verify", &verifier, Some(json!({"key": token}))).await;
    assert_eq!(answer["code"], "USAGE_EXCEEDED", "{answer}");
    assert_eq!(patch(&app, &admin, &key_id, json!({"credits_remaining": 2})).await.0, 200);
    let (_, answer, _) = api(&app, Method::POST, "/api/v1/keys/verify", &verifier, Some(json!({"key": token}))).await;
    assert_eq!((answer["code"].clone(), answer["credits_remaining"].clone()), (json!("VALID"), json!(1)));
    assert_eq!(ping(&app, &token).await.0, 200);
    assert_eq!(ping(&app, &token).await.0, 429);
    // The console's key page shows the count.
    let owner = app.logged_in("owner@acme.test").await;
    let (_, page) = owner.get_html(&format!("/orgs/acme/settings/api-keys/{key_id}")).await;
    assert_eq!(select_all_text(&page, "[data-testid=credits]"), ["0"]);
}

#[tokio::test]
async fn refused_requests_spend_nothing_and_a_new_period_refills() {
    let app = spawn_app().await;
    app.seed_acme();
    let admin = app.make_key("acme", &["orders:read", "keys:read", "keys:write"], "", Some(0));
    let body =
        json!({"scopes": ["orders:read"], "label": "fenced", "credits_remaining": 3, "allowed_ips": ["192.0.2.1"]});
    let fenced = create(&app, &admin, body).await;
    let (status, refused, _) = ping(&app, fenced["token"].as_str().unwrap()).await;
    assert_eq!((status, code(&refused)), (403, "ip_not_allowed"));
    assert_eq!(credits(&app, &admin, fenced["id"].as_str().unwrap()).await, json!(3), "a refused request is free");

    let daily = json!({"scopes": ["orders:read"], "label": "daily", "credits_remaining": 1, "credits_refill": {"amount": 5, "interval": "day"}});
    let created = create(&app, &admin, daily).await;
    let (key_id, token) = (created["id"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());
    assert_eq!(created["credits_refill"], json!({"amount": 5, "interval": "day"}));
    assert_eq!(ping(&app, &token).await.0, 200);
    assert_eq!(ping(&app, &token).await.0, 429);
    // Yesterday's count: today's first request finds the refill.
    let yesterday = chrono::Utc::now().naive_utc() - chrono::Duration::days(1);
    diesel::sql_query("UPDATE key_credits SET refilled_at = $1")
        .bind::<diesel::sql_types::Timestamp, _>(yesterday)
        .execute(&mut app.conn())
        .expect("backdate");
    assert_eq!(credits(&app, &admin, &key_id).await, json!(5), "shown refilled");
    assert_eq!(ping(&app, &token).await.0, 200);
    assert_eq!(credits(&app, &admin, &key_id).await, json!(4));
    // Unlimited again: the refill goes with the count.
    let (status, unmetered) = patch(&app, &admin, &key_id, json!({"credits_remaining": null})).await;
    assert_eq!(
        (status, unmetered["credits_remaining"].clone(), unmetered["credits_refill"].clone()),
        (200, Value::Null, Value::Null)
    );
    assert_eq!(ping(&app, &token).await.0, 200);
    // A rotation carries the count on.
    let (status, _) = patch(&app, &admin, &key_id, json!({"credits_remaining": 7})).await;
    assert_eq!(status, 200);
    let events = events(&app, org_id(&app, "acme"));
    let changed = events.iter().rev().find(|e| e.action == "api_key.updated").expect("audited");
    assert!(changed.details.contains("credits_remaining"), "{}", changed.details);
    // Bad input names its field.
    let (status, refused) =
        patch(&app, &admin, &key_id, json!({"credits_remaining": -1, "credits_refill": {"amount": 0}})).await;
    assert_eq!(status, 422);
    assert_eq!(detail_fields(&refused), ["credits_remaining", "credits_refill"]);
    let (status, refused) = patch(
        &app,
        &admin,
        fenced["id"].as_str().unwrap(),
        json!({"credits_remaining": null, "credits_refill": {"amount": 2, "interval": "month"}}),
    )
    .await;
    assert_eq!((status, detail_fields(&refused)), (422, vec!["credits_refill".to_owned()]));
}

#[tokio::test]
async fn an_owners_keys_share_its_limit_and_the_stricter_limit_applies() {
    let app = spawn_app().await;
    app.seed_acme();
    let admin = app.make_key("acme", &["orders:read", "keys:read", "keys:write"], "", Some(0));
    let one = create(
        &app,
        &admin,
        json!({"scopes": ["orders:read"], "label": "one", "owner_id": "cus_9", "rate_limit_per_minute": 100}),
    )
    .await;
    let put = |body: Value| api(&app, Method::PUT, "/api/v1/owners/cus_9/limits", &admin, Some(body));
    let (status, set, _) = put(json!({"rate_limit_per_minute": 4})).await;
    assert_eq!((status, set), (200, json!({"owner_id": "cus_9", "rate_limit_per_minute": 4, "keys": 1})));
    // A key made afterwards shares the limit too.
    let two = create(
        &app,
        &admin,
        json!({"scopes": ["orders:read"], "label": "two", "owner_id": "cus_9", "rate_limit_per_minute": 100}),
    )
    .await;
    assert_eq!(two["owner_rate_limit_per_minute"], 4);
    let tokens = [one["token"].as_str().unwrap(), two["token"].as_str().unwrap()];
    let mut served = 0;
    for i in 0..8 {
        let (status, body, _) = ping(&app, tokens[i % 2]).await;
        match status {
            200 => served += 1,
            429 => assert_eq!(code(&body), "rate_limited"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(served, 4, "four between both keys");
    // A key's own stricter limit wins over its owner's.
    let strict = create(
        &app,
        &admin,
        json!({"scopes": ["orders:read"], "label": "strict", "owner_id": "cus_10", "rate_limit_per_minute": 1}),
    )
    .await;
    assert_eq!(
        api(&app, Method::PUT, "/api/v1/owners/cus_10/limits", &admin, Some(json!({"rate_limit_per_minute": 50})))
            .await
            .0,
        200
    );
    let token = strict["token"].as_str().unwrap();
    assert_eq!(ping(&app, token).await.0, 200);
    assert_eq!(ping(&app, token).await.0, 429);
    // Removing it is recorded; bad input is a field error.
    let (status, removed, _) = put(json!({"rate_limit_per_minute": null})).await;
    assert_eq!(
        (status, removed["keys"].clone(), removed["rate_limit_per_minute"].clone()),
        (200, json!(2), Value::Null)
    );
    let audit = events(&app, org_id(&app, "acme"));
    assert_eq!(audit.iter().filter(|e| e.action == "owner.limits_changed").count(), 3);
    let odd =
        api(&app, Method::PUT, "/api/v1/owners/null%2Cnull/limits", &admin, Some(json!({"rate_limit_per_minute": 1})));
    let (status, refused, _) = odd.await;
    assert_eq!((status, detail_fields(&refused)), (422, vec!["owner_id".to_owned()]));
    let (status, refused, _) = put(json!({"rate_limit_per_minute": "many"})).await;
    assert_eq!((status, detail_fields(&refused)), (422, vec!["rate_limit_per_minute".to_owned()]));
    // A key of the owner may tighten the owner's limit, never loosen or remove it.
    assert_eq!(put(json!({"rate_limit_per_minute": 50})).await.0, 200);
    let selfish =
        create(&app, &admin, json!({"scopes": ["orders:read", "keys:write"], "label": "selfish", "owner_id": "cus_9"}))
            .await;
    let selfish = selfish["token"].as_str().unwrap();
    for (limit, want) in [(json!(null), 403), (json!(100), 403), (json!(10), 200)] {
        let body = json!({"rate_limit_per_minute": limit});
        let (status, answer, _) = api(&app, Method::PUT, "/api/v1/owners/cus_9/limits", selfish, Some(body)).await;
        assert_eq!(status, want, "{limit}: {answer}");
        if want == 403 {
            assert_eq!(code(&answer), "scope_escalation");
        }
    }
    let reader = app.make_key("acme", &["keys:read"], "", Some(0));
    let (status, _, _) =
        api(&app, Method::PUT, "/api/v1/owners/cus_9/limits", &reader, Some(json!({"rate_limit_per_minute": 1}))).await;
    assert_eq!(status, 403, "keys:write is needed");
}

#[tokio::test]
async fn a_rotation_shares_one_count_and_a_key_cannot_free_itself_or_its_children() {
    let app = spawn_app().await;
    app.seed_acme();
    let admin = app.make_key("acme", &["orders:read", "keys:read", "keys:write"], "", Some(0));
    let body = json!({"scopes": ["orders:read", "keys:write"], "label": "metered", "credits_remaining": 5});
    let created = create(&app, &admin, body).await;
    let (key_id, token) = (created["id"].as_str().unwrap().to_owned(), created["token"].as_str().unwrap().to_owned());
    // Refused after authentication (a scope it lacks): the credit comes back.
    let (status, _, _) = api(&app, Method::GET, "/api/v1/customers", &token, None).await;
    assert_eq!(status, 403);
    assert_eq!(credits(&app, &admin, &key_id).await, json!(5), "a refused request spends none");
    // It cannot make itself, or a key of its own, unlimited.
    let (status, refused) = patch(&app, &token, &key_id, json!({"credits_remaining": null})).await;
    assert_eq!((status, code(&refused)), (403, "scope_escalation"), "{refused}");
    assert_eq!(credits(&app, &admin, &key_id).await, json!(5), "nor did the refused PATCH");
    let child = json!({"scopes": ["orders:read"], "label": "child"});
    let (status, refused, _) = api(&app, Method::POST, "/api/v1/keys", &token, Some(child)).await;
    assert_eq!((status, code(&refused)), (403, "scope_escalation"), "{refused}");
    // A rotation: old and new spend one count between them while the old one lasts.
    assert_eq!(patch(&app, &admin, &key_id, json!({"credits_remaining": 2})).await.0, 200);
    let (status, rotated, _) =
        api(&app, Method::POST, &format!("/api/v1/keys/{key_id}/rotate"), &admin, Some(json!({"grace": "1h"}))).await;
    assert_eq!(status, 201, "{rotated}");
    let fresh = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated["credits_remaining"], 2, "{rotated}");
    assert_eq!(ping(&app, &token).await.0, 200);
    assert_eq!(ping(&app, &fresh).await.0, 200);
    assert_eq!((ping(&app, &token).await.0, ping(&app, &fresh).await.0), (429, 429));
}
