//! Many writers at once lose nothing: every kind of write the API and the
//! console make, from several clients in parallel, answers without a 5xx and
//! every acknowledged write is stored (SQLite starts writers with `BEGIN
//! IMMEDIATE`, so a read-then-write transaction never fails to upgrade).

use crate::support::*;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;

const CLIENTS: usize = 8;
const ROUNDS: usize = 12;

/// Every id of a resource, walking the pages.
async fn all_ids(app: &TestApp, token: &str, resource: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/api/v1/{resource}?limit=100&cursor={cursor}");
        let (status, page, _) = api(app, Method::GET, &path, token, None).await;
        assert_eq!(status, 200, "{page}");
        for item in page["data"].as_array().expect("data") {
            ids.insert(item["id"].as_str().expect("id").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return ids,
        }
    }
}

/// One client's round: a write of every API kind, a read-then-write PATCH,
/// and a delete. Returns (resource, id) of what was created and kept.
async fn api_round(app: &TestApp, token: &str, category: &str, n: usize) -> Vec<(String, String)> {
    let mut kept = Vec::new();
    let bodies = [
        ("products", json!({"name": format!("p{n}"), "category_id": category, "price_cents": n})),
        ("orders", json!({"customer_email": format!("c{n}@example.com"), "total_cents": n})),
        ("customers", json!({"email": format!("c{n}@example.com"), "name": format!("C {n}")})),
        ("categories", json!({"name": format!("cat {n}")})),
    ];
    for (resource, body) in bodies {
        let (status, created, _) = api(app, Method::POST, &format!("/api/v1/{resource}"), token, Some(body)).await;
        assert_eq!(status, 201, "{resource} create answered {status}: {created}");
        kept.push((resource.to_owned(), created["id"].as_str().expect("id").to_owned()));
    }
    // A PATCH that reads the category, then writes the product.
    let product = &kept[0].1;
    let patch = json!({"price_cents": n + 1, "category_id": category});
    let (status, body, _) = api(app, Method::PATCH, &format!("/api/v1/products/{product}"), token, Some(patch)).await;
    assert_eq!(status, 200, "patch answered {status}: {body}");
    // A delete of something made in this round.
    let (status, made, _) =
        api(app, Method::POST, "/api/v1/categories", token, Some(json!({"name": format!("gone {n}")}))).await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().expect("id");
    let (status, body, _) = api(app, Method::DELETE, &format!("/api/v1/categories/{id}"), token, None).await;
    assert_eq!(status, 204, "delete answered {status}: {body}");
    kept
}

#[tokio::test]
async fn concurrent_writers_of_every_kind_get_no_5xx_and_every_acknowledged_write_is_stored() {
    let app = std::sync::Arc::new(spawn_app().await);
    let org = app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let (_, category, _) = api(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": "Base"}))).await;
    let category = category["id"].as_str().expect("category id").to_owned();
    let owner = app.logged_in("owner@acme.test").await;
    let admin = app.logged_in("admin@acme.test").await;

    let mut tasks = Vec::new();
    for client in 0..CLIENTS {
        let (app, token, category) = (app.clone(), token.clone(), category.clone());
        tasks.push(tokio::spawn(async move {
            let mut kept = Vec::new();
            for round in 0..ROUNDS {
                kept.extend(api_round(&app, &token, &category, client * 1000 + round).await);
            }
            kept
        }));
    }
    // Meanwhile two people create keys and webhooks in the console (audit chain + outbox writers).
    let console = async {
        let mut keys = Vec::new();
        for i in 0..ROUNDS {
            let who = if i % 2 == 0 { &owner } else { &admin };
            keys.push(create_key(who, &[("label", &format!("concurrent {i}"))]).await.id);
            add_webhook(who, "acme", &format!("http://127.0.0.1:9/hook{i}"), &["order.created"]).await;
        }
        keys
    };
    let keys = console.await;
    let mut kept = Vec::new();
    for task in tasks {
        kept.extend(task.await.expect("client task"));
    }

    for resource in ["products", "orders", "customers", "categories"] {
        let stored = all_ids(&app, &token, resource).await;
        let acknowledged: BTreeSet<String> =
            kept.iter().filter(|(r, _)| r == resource).map(|(_, id)| id.clone()).collect();
        assert_eq!(acknowledged.len(), CLIENTS * ROUNDS, "{resource}: one per round");
        let missing: Vec<_> = acknowledged.difference(&stored).collect();
        assert!(missing.is_empty(), "{resource}: acknowledged but not stored: {missing:?}");
    }
    // The console's writers (key + audit event + outbox) interleaved with the API's and kept one intact chain.
    let events = events(&app, org.id);
    for key in &keys {
        assert!(
            events.iter().any(|e| e.action == "api_key.created" && e.target_id.as_deref() == Some(key.as_str())),
            "key {key} has its audit event"
        );
    }
    let (status, html) = owner.get_html("/orgs/acme/settings/audit-log/verify").await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-intact").as_deref(), Some("true"));
}
