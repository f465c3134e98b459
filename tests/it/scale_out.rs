//! Several real `latchkey serve` processes on one database (docs/operator-guide.md: Several instances), and
//! what a `kill -9` leaves behind.

use crate::lifecycle::setup_over_http;
use crate::metrics::sample;
use crate::support::*;
use diesel::prelude::*;
use diesel::r2d2::ManageConnection;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn connect(url: &str) -> latchkey::db::DbConn {
    latchkey::db::Manager::new(url).connect().expect("connect")
}

/// Event ids of every committed `order.created` event (the one the test endpoint subscribes to).
fn committed_events(url: &str) -> HashSet<String> {
    use latchkey::db::schema::outbox_events::dsl;
    dsl::outbox_events
        .filter(dsl::event_type.eq("order.created"))
        .select(dsl::event_id)
        .load::<String>(&mut connect(url))
        .expect("events")
        .into_iter()
        .collect()
}

/// How often each webhook-id reached the receiver.
fn received_ids(receiver: &Receiver) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for (headers, _) in receiver.received.lock().expect("lock").iter() {
        if let Some((_, id)) = headers.iter().find(|(k, _)| k == "webhook-id") {
            *counts.entry(id.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// Keys with no `api_key.created` audit event (must be none).
fn keys_without_their_event(url: &str) -> Vec<String> {
    use latchkey::db::schema::{api_keys, audit_events};
    let created: HashSet<String> = audit_events::table
        .filter(audit_events::action.eq("api_key.created"))
        .select(audit_events::target_id)
        .load::<Option<String>>(&mut connect(url))
        .expect("events")
        .into_iter()
        .flatten()
        .collect();
    let keys: Vec<String> = api_keys::table.select(api_keys::key_id).load(&mut connect(url)).expect("keys");
    keys.into_iter().filter(|k| !created.contains(k)).collect()
}

fn audit_verify(url: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["audit", "verify", "--org", "acme"])
        .env("DATABASE_URL", url)
        .output()
        .expect("audit verify");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the audit chain is intact: {text}");
    text
}

/// Creates `n` orders through `base` with `concurrency` clients; returns how many were acknowledged (201).
async fn create_orders(base: &str, token: &str, n: usize, concurrency: usize) -> usize {
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (base, token) = (base.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut created = 0;
            for i in (worker..n).step_by(concurrency) {
                let res = api_client()
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"customer_email": format!("buyer{i}@example.com")}))
                    .send()
                    .await;
                match res {
                    Ok(res) if res.status() == 201 => created += 1,
                    Ok(res) => panic!("order refused: {} {}", res.status(), res.text().await.unwrap_or_default()),
                    Err(_) => break, // the server is gone (the crash test kills it)
                }
            }
            created
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("order task");
    }
    total
}

/// Creates keys through the console form of `owner` until one fails; returns how many.
async fn create_keys(owner: &Visitor, n: usize) -> usize {
    for i in 0..n {
        let Ok(res) = owner.http.get(format!("{}/orgs/acme/settings/api-keys/new", owner.base)).send().await else {
            return i;
        };
        let html = scraper::Html::parse_document(&res.text().await.unwrap_or_default());
        let (Some(form_id), Some(csrf)) =
            (select_attr(&html, "input[name=form_id]", "value"), select_attr(&html, "input[name=csrf_token]", "value"))
        else {
            return i;
        };
        let label = format!("key {i}");
        let fields = [
            ("csrf_token", csrf.as_str()),
            ("form_id", form_id.as_str()),
            ("label", label.as_str()),
            ("access", "full"),
        ];
        match owner.http.post(format!("{}/orgs/acme/settings/api-keys", owner.base)).form(&fields).send().await {
            Ok(res) if res.status() == 200 => {}
            _ => return i,
        }
    }
    n
}

async fn scrape(base: &str) -> String {
    api_client().get(format!("{base}/metrics")).send().await.expect("metrics").text().await.expect("body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_revocations_the_webhook_queue_and_one_audit_chain() {
    let (url, _dir) = fresh_database();
    let env = shared_keys().to_vec();
    let a = ServeProcess::start(&url, &env).await;
    let b = ServeProcess::start(&url, &env).await;
    let owner_a = setup_over_http(&a.base).await;

    // A session made on A works on B (same LATCHKEY_SESSION_KEY); no cookie, no entry.
    let owner_b = Visitor { http: owner_a.http.clone(), base: b.base.clone() };
    assert_eq!(owner_b.get("/orgs/acme/settings/api-keys").await.status(), 200);
    assert_eq!(visitor_for(&b.base).get("/orgs/acme/settings/api-keys").await.status(), 303);

    // A key revoked through A is refused by B on the very next request.
    let CreatedKey { id: key_id, token: doomed } = create_key(&owner_a, &[("label", "doomed")]).await;
    let ping_b = |token: String| {
        let base = b.base.clone();
        async move { api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).send().await.expect("ping") }
    };
    assert_eq!(ping_b(doomed.clone()).await.status(), 200);
    let res = owner_a.post_form(&format!("/orgs/acme/settings/api-keys/{key_id}/revoke"), &[]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let refused = ping_b(doomed).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json::<serde_json::Value>().await.expect("json")["error"]["code"], "revoked_key");

    // 1,000 events made through both instances: each delivered, once, by whichever instance claimed it.
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    crate::deliveries::add(&owner_a, &receiver.url, &["order.created"]).await;
    let CreatedKey { token, .. } = create_key(&owner_b, &[("label", "shop"), ("rate_limit_per_minute", "0")]).await;
    let (made_a, made_b) = tokio::join!(create_orders(&a.base, &token, 500, 8), create_orders(&b.base, &token, 500, 8));
    assert_eq!(made_a + made_b, 1000);
    let events = committed_events(&url);
    let orders: i64 = {
        use latchkey::db::schema::api_records::dsl;
        dsl::api_records.filter(dsl::kind.eq("orders")).count().get_result(&mut connect(&url)).expect("orders")
    };
    assert_eq!((orders, events.len()), (1000, 1000), "every acknowledged order and its event were committed");
    assert!(
        eventually(Duration::from_secs(90), || received_ids(&receiver).len() >= 1000).await,
        "delivered {} of 1000",
        received_ids(&receiver).len()
    );
    let received = received_ids(&receiver);
    assert_eq!(received.keys().cloned().collect::<HashSet<_>>(), events, "every event, nothing else");
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "no lease ran out, so nothing was sent twice: {twice:?}");
    let attempts = |text: &str| sample(text, r#"latchkey_webhook_attempts_total{outcome="success"}"#).unwrap_or(0.0);
    let (sent_a, sent_b) = (attempts(&scrape(&a.base).await), attempts(&scrape(&b.base).await));
    assert_eq!(sent_a + sent_b, 1000.0, "A sent {sent_a}, B sent {sent_b}");
    assert!(sent_a > 0.0 && sent_b > 0.0, "both instances worked the queue: A {sent_a}, B {sent_b}");

    // Concurrent audited writes from both instances leave one intact chain.
    let (keys_a, keys_b) = tokio::join!(create_keys(&owner_a, 15), create_keys(&owner_b, 15));
    assert_eq!((keys_a, keys_b), (15, 15));
    assert!(keys_without_their_event(&url).is_empty());
    audit_verify(&url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_and_mid_key_creation_loses_nothing() {
    let (url, _dir) = fresh_database();
    let mut env = shared_keys().to_vec();
    // A short send limit keeps the dead instance's leases short (limit + 15 s).
    env.push(("LATCHKEY_WEBHOOK_TIMEOUT_SECS", "2".into()));
    let mut a = ServeProcess::start(&url, &env).await;
    let owner = setup_over_http(&a.base).await;
    // A slow receiver keeps many deliveries in flight when the server dies.
    let receiver = Receiver::start(200, "ok", Duration::from_millis(20));
    crate::deliveries::add(&owner, &receiver.url, &["order.created"]).await;
    let CreatedKey { token, .. } = create_key(&owner, &[("label", "shop"), ("rate_limit_per_minute", "0")]).await;

    let kill = async {
        // Real processes under load: let orders, keys and deliveries be under way when the server dies.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        a.signal("KILL");
    };
    let (orders, keys, ()) =
        tokio::join!(create_orders(&a.base, &token, 100_000, 4), create_keys(&owner, 10_000), kill);
    assert!(a.wait_exit(Duration::from_secs(5)).await.is_some(), "killed");
    assert!(orders > 0 && orders < 100_000, "killed mid-way through the orders ({orders})");
    assert!(keys > 0 && keys < 10_000, "killed mid-way through the keys ({keys})");

    // Every committed order has its event, and a restarted server delivers every one at least once.
    let events = committed_events(&url);
    assert!(events.len() >= orders, "{} events for {orders} acknowledged orders", events.len());
    let _restarted = ServeProcess::start(&url, &env).await;
    assert!(
        eventually(Duration::from_secs(90), || {
            let received = received_ids(&receiver);
            events.iter().all(|id| received.contains_key(id))
        })
        .await,
        "delivered {} of {} committed events",
        received_ids(&receiver).len(),
        events.len()
    );
    // No key exists without its audit event, and the chain is whole.
    assert!(keys_without_their_event(&url).is_empty());
    audit_verify(&url);
}
