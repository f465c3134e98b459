//! The real `latchkey serve` process: stopping cleanly on SIGTERM.

use crate::deliveries::add;
use crate::support::*;
use diesel::prelude::*;
use scraper::Html;
use std::time::Duration;

/// First-run setup over HTTP, as the first user would do it; returns the logged-in owner of `acme`.
pub async fn setup_over_http(base: &str) -> Visitor {
    let owner = visitor_for(base);
    let fields = [
        ("org_name", "Acme Inc"),
        ("org_slug", "acme"),
        ("name", "Ada"),
        ("email", "owner@acme.test"),
        ("password", PASSWORD),
    ];
    assert_eq!(owner.post_form("/setup", &fields).await.status(), 303);
    owner
}

/// (state, attempts, leased) of every webhook delivery.
fn deliveries(database_url: &str) -> Vec<(String, i64, bool)> {
    use diesel::r2d2::ManageConnection;
    use latchkey::db::schema::webhook_deliveries::dsl;
    let mut conn = latchkey::db::Manager::new(database_url).connect().expect("connect");
    // The real deliveries: a Send test leaves a test message of its own.
    dsl::webhook_deliveries
        .filter(dsl::test.eq(false))
        .select((dsl::state, dsl::attempts, dsl::locked_until.is_not_null()))
        .load(&mut conn)
        .expect("deliveries")
}

#[tokio::test]
async fn sigterm_drains_requests_in_flight_and_hands_unfinished_deliveries_back() {
    let (url, _dir) = fresh_database();
    let mut env = shared_keys().to_vec();
    env.push(("LATCHKEY_WEBHOOK_TIMEOUT_SECS", "30".into()));
    let mut a = ServeProcess::start(&url, &env).await;
    let owner = setup_over_http(&a.base).await;
    // The first delivery hangs, so it is in flight at shutdown; later ones are answered at once.
    let hooks = Receiver::start_with(0, 200, "ok", |n| Duration::from_secs(if n == 0 { 60 } else { 0 }));
    let slow = Receiver::start(200, "slow", Duration::from_secs(2));
    add(&owner, &hooks.url, &["order.created"]).await;
    let AddedWebhook { id: slow_id, .. } = add(&owner, &slow.url, &["customer.created"]).await;
    let CreatedKey { token, .. } = create_key(&owner, &[("label", "shop"), ("rate_limit_per_minute", "0")]).await;
    let res = api_client()
        .post(format!("{}/api/v1/orders", a.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"customer_email": "a@b.co"}))
        .send()
        .await
        .expect("order");
    assert_eq!(res.status(), 201);
    assert!(eventually(Duration::from_secs(5), || hooks.received.lock().expect("lock").len() == 1).await);
    assert_eq!(deliveries(&url), [("pending".to_owned(), 0, true)], "claimed and in flight");

    // SIGTERM while a "Send test" request (2 s) is in flight.
    let test_path = format!("/orgs/acme/settings/webhooks/{slow_id}/test");
    let in_flight = owner.post_form(&test_path, &[]);
    let stop = async {
        // A real process: the 2 s "Send test" request must have reached it before the signal.
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.signal("TERM");
        // Give the server a moment to close its listener after the signal.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Draining: new connections are no longer accepted.
        reqwest::Client::new().get(format!("{}/healthz", a.base)).send().await.is_err()
    };
    let (res, refused) = tokio::join!(in_flight, stop);
    assert!(refused, "no new connections after SIGTERM");
    assert_eq!(res.status(), 200, "the request in flight was answered");
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some("200"));
    let status = a.wait_exit(Duration::from_secs(20)).await.expect("exits after draining");
    assert!(status.success(), "{status:?}\n{}", a.logs());
    assert!(a.logs().contains("handed unfinished webhook deliveries back"), "{}", a.logs());
    assert_eq!(deliveries(&url), [("pending".to_owned(), 0, false)], "handed back: no lease, no attempt counted");

    // The next instance sends it at once, not after the old lease (45 s) would have run out.
    let _b = ServeProcess::start(&url, &env).await;
    assert!(eventually(Duration::from_secs(5), || hooks.received.lock().expect("lock").len() == 2).await);
    let got = hooks.received.lock().expect("lock").clone();
    let id = |i: usize| got[i].0.iter().find(|(k, _)| k == "webhook-id").map(|(_, v)| v.clone());
    assert_eq!(id(0), id(1), "the same message, resent");
    assert!(eventually(Duration::from_secs(5), || deliveries(&url) == [("delivered".to_owned(), 1, false)]).await);
}
