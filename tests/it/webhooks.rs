use crate::support::*;
use scraper::Html;
use std::time::Duration;

const HOOKS: &str = "/orgs/acme/settings/webhooks";

async fn add(owner: &Visitor, url: &str, events: &[&str]) -> AddedWebhook {
    add_webhook(owner, "acme", url, events).await
}

async fn send_test(owner: &Visitor, id: &str) -> Html {
    let res = owner.post_form(&format!("{HOOKS}/{id}/test"), &[]).await;
    assert_eq!(res.status(), 200);
    Html::parse_document(&res.text().await.expect("body"))
}

#[tokio::test]
async fn send_test_posts_a_signed_event_and_shows_the_answer() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "thanks!", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, secret } = add(&owner, &receiver.url, &["order.created", "api_key.revoked"]).await;
    assert!(secret.starts_with("whsec_"));

    let html = send_test(&owner, &id).await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some("200"));
    let panel = select_all_text(&html, "[data-testid=webhook-test-result]").concat();
    assert!(
        panel.contains(&format!("$ POST {}", receiver.url))
            && panel.contains("thanks!")
            && panel.contains("x-receiver: yes"),
        "{panel}"
    );

    let received = receiver.received.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (reqwest::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            map.insert(name, value);
        }
    }
    let oracle = standardwebhooks::Webhook::new(&secret).expect("secret");
    assert!(oracle.verify(body, &map).is_ok(), "a Standard Webhooks library accepts the signature");
    let event: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!(event["type"], "webhook.test");
    assert_eq!(event["data"]["webhook_id"], id.as_str());
    let tested =
        events(&app, org_id(&app, "acme")).into_iter().find(|e| e.action == "webhook.tested").expect("audited");
    assert!(tested.details.contains("\"status\":200"));
}

#[tokio::test]
async fn send_test_reports_errors_statuses_timeouts_and_refusals() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let failing = Receiver::start(500, "boom", Duration::ZERO);
    let AddedWebhook { id, .. } = add(&owner, &failing.url, &["order.created"]).await;
    let html = send_test(&owner, &id).await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some("500"));

    let slow = Receiver::start(200, "late", Duration::from_secs(4));
    let AddedWebhook { id, .. } = add(&owner, &slow.url, &["order.created"]).await;
    let html = send_test(&owner, &id).await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-error").as_deref(), Some("timeout"));
    assert!(select_all_text(&html, "[data-testid=webhook-test-result]").concat().contains("Timed out after 2 s"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let AddedWebhook { id, .. } = add(&owner, &format!("http://127.0.0.1:{closed}/hooks"), &["order.created"]).await;
    let html = send_test(&owner, &id).await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-error").as_deref(), Some("refused"));
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some(""));
}

#[tokio::test]
async fn private_targets_are_refused_at_save_time_and_at_send_time() {
    let app = spawn_app_with(|c| {
        c.webhook_allow_private = false;
        c.webhook_allow_insecure = false;
    })
    .await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    for (url, message) in [
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://2130706433/hooks", "loopback"),
        ("https://0x7f.1/hooks", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[::ffff:0:7f00:1]/", "reserved"),
        ("https://localhost/hooks", "loopback"),
        ("http://hooks.example.com/x", "https://"),
        ("https://user:pw@hooks.example.com/", "user name"),
        ("not a url", "Start the URL with https://"),
        ("hooks.example.com/x", "Start the URL with https://"),
        ("ftp://hooks.example.com/x", "not ftp://"),
        ("https://", "no host name"),
    ] {
        let res = owner.post_form(HOOKS, &[("url", url), ("events", "order.created")]).await;
        assert_eq!(res.status(), 422, "{url}");
        let html = Html::parse_document(&res.text().await.expect("body"));
        let error = select_all_text(&html, "#url-error").concat();
        assert!(error.contains(message), "{url}: {error}");
        assert_eq!(select_attr(&html, "#url", "value").as_deref(), Some(url), "the input is kept");
    }
    let res = owner.post_form(HOOKS, &[("url", "https://hooks.example.com/x")]).await;
    assert_eq!(res.status(), 422, "no events chosen");

    // An endpoint whose address turns private later is refused when sending.
    insert_unchecked_endpoint(&app, "wh_0000000000000001", "https://127.0.0.1:9/hooks");
    let html = send_test(&owner, "wh_0000000000000001").await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-error").as_deref(), Some("blocked"));

    // A name that does not resolve (any more) is a DNS failure, in the panel and in /metrics.
    insert_unchecked_endpoint(&app, "wh_0000000000000002", "https://no-such-host.invalid/hooks");
    let html = send_test(&owner, "wh_0000000000000002").await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-error").as_deref(), Some("dns"));
    // Deliveries count them apart in /metrics.
    let token = app.make_key("acme", &[], "", Some(0));
    let order = serde_json::json!({"customer_email": "a@example.com"});
    assert_eq!(api(&app, reqwest::Method::POST, "/api/v1/orders", &token, Some(order)).await.0, 201);
    app.drain_deliveries().await;
    let metrics = app.visitor().get("/metrics").await.text().await.expect("metrics");
    assert!(metrics.contains(r#"latchkey_webhook_attempts_total{outcome="dns"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"latchkey_webhook_attempts_total{outcome="blocked"} 1"#), "{metrics}");
}

#[tokio::test]
async fn after_a_secret_rotation_both_secrets_sign() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(204, "", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, secret: old_secret } = add(&owner, &receiver.url, &["order.created"]).await;
    let res = owner.post_form(&format!("{HOOKS}/{id}/rotate-secret"), &[]).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.expect("body"));
    let new_secret = select_all_text(&html, "[data-testid=new-secret]").pop().expect("new secret");
    assert_ne!(old_secret, new_secret);
    send_test(&owner, &id).await;
    let received = receiver.received.lock().expect("lock").clone();
    let (headers, body) = &received[0];
    let signature = &headers.iter().find(|(k, _)| k == "webhook-signature").expect("signature").1;
    assert_eq!(signature.split(' ').count(), 2, "{signature}");
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (reqwest::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            map.insert(name, value);
        }
    }
    for secret in [&old_secret, &new_secret] {
        assert!(standardwebhooks::Webhook::new(secret).expect("secret").verify(body, &map).is_ok());
    }
    let stored = latchkey::db::webhooks::find(&mut app.conn(), org_id(&app, "acme"), &id).expect("q").expect("hook");
    assert!(!stored.secret_sealed.contains(&new_secret[6..]), "secrets are stored encrypted");
}

#[tokio::test]
async fn endpoints_are_edited_disabled_and_deleted_with_audit_events() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add(&owner, &receiver.url, &["order.created"]).await;
    let res =
        owner.post_form(&format!("{HOOKS}/{id}/edit"), &[("url", &receiver.url), ("events", "customer.created")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(owner.post_form(&format!("{HOOKS}/{id}/disable"), &[]).await.status(), 303);
    let (_, list) = owner.get_html(HOOKS).await;
    assert_eq!(select_attr(&list, "tr[data-testid=webhook-row]", "data-enabled").as_deref(), Some("false"));
    assert_eq!(owner.post_form(&format!("{HOOKS}/{id}/enable"), &[]).await.status(), 303);
    assert_eq!(owner.get(&format!("{HOOKS}/{id}/delete")).await.status(), 200, "asks first");
    assert_eq!(owner.post_form(&format!("{HOOKS}/{id}/delete"), &[]).await.status(), 303);
    let (_, list) = owner.get_html(HOOKS).await;
    assert_eq!(count(&list, "tr[data-testid=webhook-row]"), 0);
    let actions: Vec<String> = events(&app, org_id(&app, "acme"))
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("webhook."))
        .collect();
    assert_eq!(
        actions,
        ["webhook.created", "webhook.updated", "webhook.disabled", "webhook.updated", "webhook.deleted"]
    );
}

#[tokio::test]
async fn only_owners_and_admins_manage_webhooks() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add(&owner, &receiver.url, &["order.created"]).await;
    for (email, want) in
        [("admin@acme.test", 200), ("member@acme.test", 403), ("readonly@acme.test", 403), ("outsider@other.test", 404)]
    {
        let visitor = app.logged_in(email).await;
        for path in [HOOKS.to_owned(), format!("{HOOKS}/new"), format!("{HOOKS}/{id}")] {
            assert_eq!(visitor.get(&path).await.status(), want, "{email} {path}");
        }
        if want != 200 {
            assert_eq!(visitor.post_form(&format!("{HOOKS}/{id}/test"), &[]).await.status(), want, "{email} test");
            assert_eq!(visitor.post_form(&format!("{HOOKS}/{id}/delete"), &[]).await.status(), want, "{email} delete");
        }
    }
    assert_eq!(receiver.received.lock().expect("lock").len(), 0, "nothing was sent by the refused requests");
}

#[tokio::test]
async fn redirects_are_shown_and_never_followed() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(302, "moved", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add(&owner, &receiver.url, &["order.created"]).await;
    let html = send_test(&owner, &id).await;
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-status-code").as_deref(), Some("302"));
    assert!(select_all_text(&html, "[data-testid=webhook-test-result]").concat().contains("redirect not followed"));
    assert_eq!(receiver.received.lock().expect("lock").len(), 1, "one request, no second hop");
}
