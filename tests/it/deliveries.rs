use crate::support::*;
use reqwest::Method;
use scraper::Html;
use serde_json::json;
use std::time::Duration;

const HOOKS: &str = "/orgs/acme/settings/webhooks";

pub async fn add(owner: &Visitor, url: &str, events: &[&str]) -> AddedWebhook {
    add_webhook(owner, "acme", url, events).await
}

/// Waits until the receiver has `n` messages (or `limit` passes).
async fn wait_for(receiver: &Receiver, n: usize, limit: Duration) -> Vec<Received> {
    let started = std::time::Instant::now();
    loop {
        let got = receiver.received.lock().expect("lock").clone();
        if got.len() >= n || started.elapsed() > limit {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn header<'a>(message: &'a Received, name: &str) -> &'a str {
    message.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// Whether a received message carries a valid Standard Webhooks signature under `secret`.
pub fn verifies(message: &Received, secret: &str) -> bool {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in &message.0 {
        if let (Ok(name), Ok(value)) = (reqwest::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            map.insert(name, value);
        }
    }
    standardwebhooks::Webhook::new(secret).expect("secret").verify(&message.1, &map).is_ok()
}

#[tokio::test]
async fn api_events_reach_subscribed_endpoints_signed_within_seconds() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id: hook_id, secret } = add(&owner, &receiver.url, &["order.created"]).await;
    let token = app.make_key("acme", &[], "", Some(0));
    let (_, order, _) =
        api(&app, Method::POST, "/api/v1/orders", &token, Some(json!({"customer_email": "a@b.co"}))).await;
    api(&app, Method::POST, "/api/v1/customers", &token, Some(json!({"email": "c@d.co"}))).await;

    app.drain_deliveries().await;
    let got = receiver.got();
    assert_eq!(got.len(), 1, "delivered within seconds");
    assert!(verifies(&got[0], &secret));
    let body: serde_json::Value = serde_json::from_slice(&got[0].1).expect("json");
    assert_eq!(body["type"], "order.created");
    assert_eq!(body["data"], order);
    let outbox = latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme")).expect("outbox");
    assert_eq!(header(&got[0], "webhook-id"), outbox[0].event_id, "webhook-id is the event's id");
    app.drain_deliveries().await;
    assert_eq!(receiver.received.lock().expect("lock").len(), 1, "customer.created is not subscribed");

    let (_, page) = owner.get_html(&format!("{HOOKS}/{hook_id}")).await;
    assert_eq!(select_attr(&page, "tr[data-testid=delivery-attempt]", "data-status-code").as_deref(), Some("200"));
    let metrics = crate::metrics::scrape(&app).await;
    assert_eq!(crate::metrics::sample(&metrics, r#"latchkey_webhook_attempts_total{outcome="success"}"#), Some(1.0));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_webhook_id_and_can_be_resent() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(500, "down", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id: hook_id, .. } = add(&owner, &receiver.url, &["customer.created"]).await;
    let token = app.make_key("acme", &[], "", Some(0));
    api(&app, Method::POST, "/api/v1/customers", &token, Some(json!({"email": "c@d.co"}))).await;
    app.drain_deliveries().await;
    let (retries, _) = app.retries_due_now();
    assert!(retries.len() == 1 && (3.0..=6.0).contains(&retries[0]), "retried after about 5 s: {retries:?}");
    app.drain_deliveries().await;
    let got = receiver.got();
    assert_eq!(got.len(), 2, "retried after about 5 s");
    assert_eq!(header(&got[0], "webhook-id"), header(&got[1], "webhook-id"));
    assert_ne!(header(&got[0], "webhook-signature"), "");
    // Still pending (the next retry is minutes away): the queue gauge shows it.
    let metrics = crate::metrics::scrape(&app).await;
    assert_eq!(crate::metrics::sample(&metrics, r#"latchkey_outbox_depth{queue="webhook_deliveries"}"#), Some(1.0));
    assert!(crate::metrics::sample(&metrics, r#"latchkey_webhook_attempts_total{outcome="http_error"}"#) >= Some(2.0));

    let (_, page) = owner.get_html(&format!("{HOOKS}/{hook_id}")).await;
    assert_eq!(count(&page, "tr[data-testid=delivery-attempt][data-status-code=\"500\"]"), 2);
    let message = select_attr(&page, "tr[data-testid=delivery-attempt]", "data-webhook-id").expect("message");
    let res = owner.post_form(&format!("{HOOKS}/{hook_id}/deliveries/{message}/resend"), &[]).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some("500"));
    assert_eq!(count(&html, "tr[data-testid=delivery-attempt][data-trigger=manual]"), 1);
    assert!(receiver.received.lock().expect("lock").len() >= 3);
}

#[tokio::test]
async fn a_410_gone_disables_the_endpoint_at_once() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(410, "gone", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id: hook_id, .. } = add(&owner, &receiver.url, &["product.created"]).await;
    let token = app.make_key("acme", &[], "", Some(0));
    api(&app, Method::POST, "/api/v1/products", &token, Some(json!({"name": "Mug"}))).await;
    app.drain_deliveries().await;
    assert_eq!(receiver.got().len(), 1);
    let hook = latchkey::db::webhooks::find(&mut app.conn(), org_id(&app, "acme"), &hook_id).expect("q").expect("hook");
    assert!(!hook.enabled);
    assert!(
        events(&app, org_id(&app, "acme")).iter().any(|e| e.action == "webhook.disabled" && e.details.contains("410"))
    );
    api(&app, Method::POST, "/api/v1/products", &token, Some(json!({"name": "Pan"}))).await;
    app.retries_due_now();
    app.drain_deliveries().await;
    assert_eq!(receiver.received.lock().expect("lock").len(), 1, "a disabled endpoint gets nothing");
}

#[tokio::test]
async fn events_written_straight_to_the_outbox_are_delivered() {
    let (url, dir) = fresh_database();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    {
        // The schema exists before any server starts; the event goes in through the library.
        let pool = latchkey::db::pool(&url);
        let mut conn = pool.get().expect("conn");
        latchkey::db::migrate(&mut conn).expect("migrate");
    }
    let app = spawn_app_on(url, dir, |_| {}).await;
    let org = app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { secret, .. } = add(&owner, &receiver.url, &["order.created"]).await;
    latchkey::db::outbox::enqueue_counted(
        &mut app.conn(),
        org.id,
        latchkey::domain::event_type::EventType::OrderCreated,
        json!({"id": "ord_x"}),
    )
    .expect("enqueue");
    app.drain_deliveries().await;
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    assert!(verifies(&got[0], &secret));
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(503, "maintenance", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id: hook_id, .. } = add(&owner, &receiver.url, &["order.created"]).await;
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(6)).naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET failing_since = '{long_ago}' WHERE public_id = '{hook_id}'"
        )),
        &mut app.conn(),
    )
    .expect("backdate");
    let token = app.make_key("acme", &[], "", Some(0));
    api(&app, Method::POST, "/api/v1/orders", &token, Some(json!({"customer_email": "a@b.co"}))).await;
    app.drain_deliveries().await;
    assert_eq!(receiver.got().len(), 1);
    let found =
        latchkey::db::webhooks::find(&mut app.conn(), org_id(&app, "acme"), &hook_id).expect("q").expect("hook");
    let hook = Some(found).filter(|h| !h.enabled).expect("disabled after five days of failures");
    assert_eq!(hook.disabled_reason.as_deref(), Some("every delivery failed for 5 days"));
    assert!(
        events(&app, org_id(&app, "acme"))
            .iter()
            .any(|e| e.action == "webhook.disabled" && e.details.contains("failing_for_5_days"))
    );
    // Owners and admins are told, by mail (written as .eml files here), and on the dashboard.
    let org = org_id(&app, "acme");
    app.send_mail().await;
    assert_eq!(app.eml_files().len(), 2, "two mails written");
    let mails = app.mails(org);
    let mut to: Vec<&str> =
        mails.iter().filter(|m| m.kind == "webhook_disabled").map(|m| m.recipient.as_str()).collect();
    to.sort();
    assert_eq!(to, ["admin@acme.test", "owner@acme.test"]);
    assert!(mails[0].text_body.contains(&receiver.url) && mails[0].text_body.contains("failed for 5 days"));
    assert!(mails[0].text_body.contains(&format!("/orgs/acme/settings/webhooks/{hook_id}")));
    let (_, html) = owner.get_html("/orgs/acme").await;
    assert_eq!(select_all_attr(&html, "[data-testid=banner-webhook]", "data-webhook-id"), vec![hook_id.clone()]);
}

#[tokio::test]
async fn a_killed_server_loses_no_queued_event() {
    let (url, _dir) = fresh_database();
    let keys = shared_keys();
    seed_acme_over_cli(&url);
    // The receiver is down at first: its port is reserved and nothing listens.
    let receiver_port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut first = ServeProcess::start(&url, &keys).await;
    let base = first.base.clone();
    let owner = visitor_for(&base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    let AddedWebhook { secret, .. } =
        add(&owner, &format!("http://127.0.0.1:{receiver_port}/hooks"), &["order.created"]).await;
    let CreatedKey { token, .. } = create_key(&owner, &[("label", "restart")]).await;
    let res = api_client()
        .post(format!("{base}/api/v1/orders"))
        .bearer_auth(&token)
        .json(&json!({"customer_email": "a@b.co"}))
        .send()
        .await
        .expect("order");
    assert_eq!(res.status(), 201);
    // The first attempt fails (connection refused) and is recorded.
    let attempted = || {
        use diesel::prelude::*;
        let mut conn = latchkey::db::pool(&url).get().expect("conn");
        let n: i64 = latchkey::db::schema::webhook_attempts::table.count().get_result(&mut conn).expect("count");
        n >= 1
    };
    assert!(eventually(Duration::from_secs(10), attempted).await, "the first attempt is recorded");
    first.signal("KILL"); // no graceful shutdown
    first.wait_exit(Duration::from_secs(5)).await.expect("killed");

    let receiver = Receiver::start_on(receiver_port, 200, "ok", Duration::ZERO);
    let _second = ServeProcess::start(&url, &keys).await;
    let got = wait_for(&receiver, 1, Duration::from_secs(15)).await;
    assert_eq!(got.len(), 1, "the queued event was delivered by the restarted server");
    assert!(verifies(&got[0], &secret));
}

#[tokio::test]
async fn a_hanging_receiver_times_out_and_never_starves_other_endpoints() {
    // Send limit 2 s; one endpoint never answers in time, the other answers at once.
    // The real delivery loop: this is about how it shares its time.
    let app = spawn_app_with_jobs(|_| {}).await;
    app.seed_acme();
    let hanging = Receiver::start(200, "late", Duration::from_secs(30));
    let healthy = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id: hanging_id, .. } = add(&owner, &hanging.url, &["order.created"]).await;
    add(&owner, &healthy.url, &["order.created"]).await;
    let token = app.make_key("acme", &[], "", Some(0));
    for i in 0..12 {
        let body = json!({"customer_email": format!("c{i}@d.co")});
        assert_eq!(api(&app, Method::POST, "/api/v1/orders", &token, Some(body)).await.0, 201);
    }
    // Twelve messages wait for the hanging endpoint (4 at a time), yet the healthy one gets all twelve now.
    let got = wait_for(&healthy, 12, Duration::from_secs(4)).await;
    assert_eq!(got.len(), 12, "a hanging endpoint must not hold up another");
    // The hanging sends end by timeout and are logged as such, to be retried.
    let logged = || async {
        let (_, page) = owner.get_html(&format!("{HOOKS}/{hanging_id}")).await;
        !select_all_attr(&page, "tr[data-testid=delivery-attempt]", "data-error").is_empty()
    };
    assert!(eventually_async(Duration::from_secs(10), logged).await, "the first timeouts are logged");
    let (_, page) = owner.get_html(&format!("{HOOKS}/{hanging_id}")).await;
    let errors = select_all_attr(&page, "tr[data-testid=delivery-attempt]", "data-error");
    assert!(!errors.is_empty() && errors.iter().all(|e| e == "timeout"), "{errors:?}");
    // And the API stayed fast throughout.
    let started = std::time::Instant::now();
    assert_eq!(ping(&app, &token).await.0, 200);
    assert!(started.elapsed() < Duration::from_secs(1));
}
