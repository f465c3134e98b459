//! Webhook operations (docs/user-guide.md: Webhooks → Webhook operations), against a
//! real receiver: the attempt page shows exactly what went on the wire, the
//! attempt log filters and pages, Recover re-sends exactly the failed
//! messages of its window, old attempts are pruned, health marks, and who
//! may do any of it. Send example and rotation overlaps: webhook_ops_send.rs.

use crate::support::*;
use diesel::prelude::*;
use latchkey::db::schema::{webhook_attempts as attempts, webhook_deliveries as deliveries};
use reqwest::Method;
use scraper::{Html, Selector};
use serde_json::json;
use std::time::Duration;

pub const HOOKS: &str = "/orgs/acme/settings/webhooks";

pub fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement).execute(&mut app.conn()).expect("sql");
}

pub fn ago(duration: chrono::Duration) -> String {
    (chrono::Utc::now() - duration).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Sends the deliveries due, then waits until the receiver has `n` messages; what it has then.
pub async fn received(app: &TestApp, receiver: &Receiver, n: usize) -> Vec<Received> {
    app.drain_deliveries().await;
    assert!(eventually(Duration::from_secs(10), || receiver.got().len() >= n).await, "{n} messages arrive");
    receiver.got()
}

pub fn header_map(headers: &[(String, String)]) -> reqwest::header::HeaderMap {
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (reqwest::header::HeaderName::from_bytes(k.as_bytes()), v.parse()) {
            map.insert(name, value);
        }
    }
    map
}

/// The endpoint's row id.
fn row_id(app: &TestApp, public_id: &str) -> i64 {
    latchkey::db::webhooks::find(&mut app.conn(), org_id(app, "acme"), public_id).expect("q").expect("hook").id
}

/// The endpoint's scope for direct queries (acme's).
fn scope(app: &TestApp, endpoint: i64) -> latchkey::db::deliveries::EndpointScope {
    latchkey::db::deliveries::EndpointScope { org_id: org_id(app, "acme"), endpoint_id: endpoint }
}

/// Sends the deliveries due until the endpoint has `n` recorded attempts, then
/// moves its pending retries a year out, so the log holds still while the test reads it.
async fn settle(app: &TestApp, endpoint: i64, n: i64) {
    app.drain_deliveries().await;
    let count = || {
        attempts::table.filter(attempts::endpoint_id.eq(endpoint)).count().get_result::<i64>(&mut app.conn()).unwrap()
    };
    assert!(eventually(Duration::from_secs(10), || count() >= n).await, "{n} attempts recorded");
    let later = (chrono::Utc::now() + chrono::Duration::days(365)).naive_utc();
    diesel::update(
        deliveries::table.filter(deliveries::endpoint_id.eq(endpoint)).filter(deliveries::state.eq("pending")),
    )
    .set(deliveries::next_attempt_at.eq(later))
    .execute(&mut app.conn())
    .unwrap();
}

/// The endpoint's deliveries, oldest first: (event id, state).
fn messages(app: &TestApp, endpoint: i64) -> Vec<(String, String)> {
    deliveries::table
        .filter(deliveries::endpoint_id.eq(endpoint))
        .order(deliveries::id.asc())
        .select((deliveries::event_id, deliveries::state))
        .load(&mut app.conn())
        .unwrap()
}

pub async fn order(app: &TestApp, token: &str) {
    let body = json!({"customer_email": "a@b.co"});
    assert_eq!(api(app, Method::POST, "/api/v1/orders", token, Some(body)).await.0, 201);
}

/// Text of the first match, exactly (no trimming).
fn raw_text(html: &Html, selector: &str) -> String {
    html.select(&Selector::parse(selector).unwrap()).next().map(|e| e.text().collect()).unwrap_or_default()
}

/// The attempt page's request headers: (name, value) as shown.
fn shown_headers(html: &Html) -> Vec<(String, String)> {
    let (rows, cell) =
        (Selector::parse("tr[data-testid=attempt-request-header]").unwrap(), Selector::parse("td").unwrap());
    html.select(&rows)
        .map(|r| (r.value().attr("data-name").unwrap().to_owned(), r.select(&cell).next().unwrap().text().collect()))
        .collect()
}

#[tokio::test]
async fn the_attempt_page_shows_exactly_what_was_sent_and_what_came_back() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(202, "accepted, thanks", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, secret } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    order(&app, &app.make_key("acme", &[], "", Some(0))).await;
    let (headers, body) = received(&app, &receiver, 1).await.remove(0);
    settle(&app, row_id(&app, &id), 1).await;

    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    let link = select_attr(&page, "tr[data-testid=delivery-attempt] [data-testid=attempt-link]", "href").unwrap();
    let attempt_id = select_attr(&page, "tr[data-testid=delivery-attempt]", "data-attempt-id").unwrap();
    assert_eq!(link, format!("{HOOKS}/{id}/attempts/{attempt_id}"));
    let (status, html) = owner.get_html(&link).await;
    assert_eq!(status, 200);
    // Every header the receiver got, and nothing it did not, with the same values.
    let (mut shown, mut got) = (shown_headers(&html), headers.clone());
    shown.sort();
    got.sort();
    assert_eq!(shown, got, "the page lists the headers as they arrived");
    let names: Vec<&str> = shown.iter().map(|(k, _)| k.as_str()).collect();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let shown_body = raw_text(&html, "[data-testid=attempt-request-body]");
    assert_eq!(shown_body.as_bytes(), body.as_slice(), "the exact body");
    assert_eq!(raw_text(&html, "[data-testid=attempt-request-url]"), receiver.url);
    // What the page shows verifies as a Standard Webhooks message, signature included.
    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    assert!(verifier.verify(shown_body.as_bytes(), &header_map(&shown)).is_ok());
    assert_eq!(select_attr(&html, "[data-testid=attempt-response-status]", "data-status-code").as_deref(), Some("202"));
    assert!(raw_text(&html, "[data-testid=attempt-response-body]").contains("accepted, thanks"));
    assert_eq!(
        select_attr(&html, "tr[data-testid=attempt-response-header][data-name=x-receiver]", "data-name").as_deref(),
        Some("x-receiver")
    );
    assert!(!html.html().contains(&secret[6..]), "the signing secret itself is never shown");

    // Only this endpoint's attempts: another endpoint's id, or no number at all, is not found.
    let other = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    assert_eq!(owner.get(&format!("{HOOKS}/{}/attempts/{attempt_id}", other.id)).await.status(), 404);
    assert_eq!(owner.get(&format!("{HOOKS}/{id}/attempts/x{attempt_id}")).await.status(), 404);
    let missing = attempt_id.parse::<i64>().unwrap() + 1000;
    assert_eq!(owner.get(&format!("{HOOKS}/{id}/attempts/{missing}")).await.status(), 404);
}

/// The attempts a page lists: (attempt id, status code, event type).
fn rows(html: &Html) -> Vec<(i64, String, String)> {
    let ids = select_all_attr(html, "tr[data-testid=delivery-attempt]", "data-attempt-id");
    let codes = select_all_attr(html, "tr[data-testid=delivery-attempt]", "data-status-code");
    let types = select_all_attr(html, "tr[data-testid=delivery-attempt]", "data-event-type");
    ids.into_iter().zip(codes).zip(types).map(|((i, c), t)| (i.parse().unwrap(), c, t)).collect()
}

#[tokio::test]
async fn attempts_are_filtered_and_paged_newest_first() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } =
        add_webhook(&owner, "acme", &receiver.url, &["order.created", "customer.created"]).await;
    let (endpoint, token) = (row_id(&app, &id), app.make_key("acme", &[], "", Some(0)));
    order(&app, &token).await;
    order(&app, &token).await;
    received(&app, &receiver, 2).await;
    receiver.set_status(500);
    let customer = json!({"email": "c@d.co"});
    assert_eq!(api(&app, Method::POST, "/api/v1/customers", &token, Some(customer)).await.0, 201);
    settle(&app, endpoint, 3).await;
    let page = |query: String| {
        let owner = &owner;
        let id = id.clone();
        async move { owner.get_html(&format!("{HOOKS}/{id}?{query}")).await }
    };
    let (_, all) = page(String::new()).await;
    let listed = rows(&all);
    assert_eq!(listed.len(), 3);
    assert!(listed.windows(2).all(|w| w[0].0 > w[1].0), "newest first");
    let (_, ok) = page("status=succeeded".into()).await;
    assert!(rows(&ok).iter().all(|(_, c, t)| c == "200" && t == "order.created") && rows(&ok).len() == 2);
    let (_, failed) = page("status=failed".into()).await;
    assert_eq!(
        rows(&failed).iter().map(|r| (r.1.as_str(), r.2.as_str())).collect::<Vec<_>>(),
        [("500", "customer.created")]
    );
    let (_, customers) = page("event=customer.created".into()).await;
    assert_eq!(rows(&customers).len(), 1);
    let (_, none) = page("event=order.created&status=failed".into()).await;
    assert_eq!((rows(&none).len(), count(&none, "[data-testid=no-attempts]")), (0, 1));
    // Time: the oldest attempt moved to a known minute.
    let oldest = listed[2].0;
    sql(&app, &format!("UPDATE webhook_attempts SET attempted_at = '2026-01-10 12:00:00' WHERE id = {oldest}"));
    let (_, day) = page("from=2026-01-10&to=2026-01-10".into()).await;
    assert_eq!(rows(&day).iter().map(|r| r.0).collect::<Vec<_>>(), [oldest]);
    let (_, after) = page("from=2026-01-10T12:01".into()).await;
    assert_eq!(rows(&after).len(), 2, "from is inclusive to the minute");
    // Bad values: the form again, 422, each error at its field, the values kept, nothing listed.
    let (status, bad) = page("status=sometimes&event=order.deleted&from=31%2F01%2F2026".into()).await;
    assert_eq!(status, 422);
    for field in ["att-status", "att-event", "att-from"] {
        assert_eq!(count(&bad, &format!("#{field}-error")), 1, "{field}");
    }
    assert_eq!(select_attr(&bad, "#att-from", "value").as_deref(), Some("31/01/2026"));
    assert_eq!(rows(&bad).len(), 0);

    // Pages of 50: 60 more failed attempts of the customer message.
    let message = messages(&app, endpoint).pop().unwrap().0;
    let delivery =
        latchkey::db::deliveries::find_for_endpoint(&mut app.conn(), scope(&app, endpoint), &message).unwrap().unwrap();
    for n in 0..60 {
        let new = latchkey::db::deliveries::NewAttempt {
            delivery_id: delivery.id,
            endpoint_id: endpoint,
            attempt: n + 2,
            trigger: "manual",
            status_code: Some(503),
            latency_ms: 5,
            error_class: None,
            excerpt: "busy",
            request_url: &receiver.url,
            request_headers: "[]",
            request_body: "{}",
            response_headers: "[]",
        };
        latchkey::db::deliveries::record_attempt(&mut app.conn(), new).unwrap();
    }
    for (filter, total) in [("", 63), ("status=failed", 61)] {
        let (_, first) = page(filter.into()).await;
        let older = select_attr(&first, "[data-testid=attempts-older]", "href").expect("an Older link");
        assert!(older.contains(filter), "{older} keeps the filter");
        let path = older.split('#').next().unwrap().to_owned();
        let (_, second) = owner.get_html(&path).await;
        let (a, b) = (rows(&first), rows(&second));
        assert_eq!((a.len(), a.len() + b.len()), (50, total), "{filter}");
        assert!(a.last().unwrap().0 > b[0].0, "the next page starts where the first ended");
        assert_eq!(count(&second, "[data-testid=attempts-older]"), 0);
        if !filter.is_empty() {
            assert!(b.iter().all(|r| r.1 != "200"));
        }
    }
}

#[tokio::test]
async fn recover_resends_exactly_the_failed_messages_in_the_window() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    let (endpoint, token) = (row_id(&app, &id), app.make_key("acme", &[], "", Some(0)));
    order(&app, &token).await; // delivered
    received(&app, &receiver, 1).await;
    receiver.set_status(500);
    for _ in 0..3 {
        order(&app, &token).await; // given up, waiting for a retry, and one from before the window
    }
    settle(&app, endpoint, 4).await;
    let [delivered, given_up, retrying, before_window] = <[_; 4]>::try_from(messages(&app, endpoint)).unwrap();
    assert_eq!((delivered.1.as_str(), retrying.1.as_str()), ("delivered", "pending"));
    sql(
        &app,
        &format!(
            "UPDATE webhook_deliveries SET state = 'failed' WHERE event_id IN ('{}', '{}')",
            given_up.0, before_window.0
        ),
    );
    sql(
        &app,
        &format!(
            "UPDATE webhook_deliveries SET created_at = '{}' WHERE event_id = '{}'",
            ago(chrono::Duration::days(3)),
            before_window.0
        ),
    );
    // A message queued but never tried has not failed.
    let org = org_id(&app, "acme");
    let untried = latchkey::db::transaction(&mut app.conn(), |conn| {
        let event = latchkey::db::outbox::enqueue_counted(
            conn,
            org,
            latchkey::domain::event_type::EventType::OrderCreated,
            json!({"id": "ord_x"}),
        )?;
        let later = (chrono::Utc::now() + chrono::Duration::days(365)).naive_utc();
        diesel::update(deliveries::table.filter(deliveries::event_id.eq(&event)))
            .set(deliveries::next_attempt_at.eq(later))
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(event)
    })
    .unwrap();
    let since = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();

    // A bad `since`: the form again with the error at the field and the value kept; nothing queued.
    for bad in ["yesterday", ""] {
        let res = owner.post_form(&format!("{HOOKS}/{id}/recover"), &[("since", bad)]).await;
        assert_eq!(res.status(), 422, "{bad:?}");
        let html = Html::parse_document(&res.text().await.unwrap());
        assert_eq!(count(&html, "#recover-since-error"), 1);
        assert_eq!(select_attr(&html, "#recover-since", "value").as_deref(), Some(bad));
    }
    receiver.set_status(200);
    let before = receiver.got().len();
    let res = owner.post_form(&format!("{HOOKS}/{id}/recover"), &[("since", &since)]).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select_attr(&html, "[data-testid=recover-result]", "data-count").as_deref(), Some("2"));
    let got = received(&app, &receiver, before + 2).await;
    app.drain_deliveries().await;
    let got_now = receiver.got();
    assert_eq!(got_now.len(), got.len(), "nothing else is sent");
    let mut resent: Vec<String> =
        got_now[before..].iter().map(|(h, _)| h.iter().find(|(k, _)| k == "webhook-id").unwrap().1.clone()).collect();
    resent.sort();
    let mut expected = vec![given_up.0.clone(), retrying.0.clone()];
    expected.sort();
    assert_eq!(resent, expected, "exactly the failed messages of the window");
    let states: Vec<(String, String)> = messages(&app, endpoint);
    assert!(
        eventually(Duration::from_secs(5), || messages(&app, endpoint).iter().filter(|m| m.1 == "delivered").count()
            == 3)
        .await,
        "{states:?}"
    );
    assert!(messages(&app, endpoint).iter().any(|m| m.0 == untried && m.1 == "pending"));
    let audited = events(&app, org).into_iter().filter(|e| e.action == "webhook.recovered").collect::<Vec<_>>();
    assert_eq!(audited.len(), 1, "refused requests record nothing");
    let details: serde_json::Value = serde_json::from_str(&audited[0].details).unwrap();
    assert_eq!(
        (details["count"].as_i64(), details["since"].as_str().map(|s| s.starts_with(&since[..10]))),
        (Some(2), Some(true))
    );
    // Once delivered, nothing is left to recover.
    let res = owner.post_form(&format!("{HOOKS}/{id}/recover"), &[("since", &since)]).await;
    let html = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select_attr(&html, "[data-testid=recover-result]", "data-count").as_deref(), Some("0"));
}

#[tokio::test]
async fn attempts_older_than_the_kept_days_are_pruned_but_pending_deliveries_keep_theirs() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    let (endpoint, token) = (row_id(&app, &id), app.make_key("acme", &[], "", Some(0)));
    order(&app, &token).await; // old, delivered
    order(&app, &token).await; // recent, delivered
    received(&app, &receiver, 2).await;
    receiver.set_status(500);
    order(&app, &token).await; // old, still waiting for a retry
    settle(&app, endpoint, 3).await;
    let [old, recent, pending] = <[_; 3]>::try_from(messages(&app, endpoint)).unwrap();
    let (days_31, days_8) = (ago(chrono::Duration::days(31)), ago(chrono::Duration::days(8)));
    for (message, at) in [(&old.0, &days_31), (&pending.0, &days_31), (&recent.0, &days_8)] {
        sql(
            &app,
            &format!(
                "UPDATE webhook_attempts SET attempted_at = '{at}' WHERE delivery_id = (SELECT id FROM webhook_deliveries WHERE event_id = '{message}')"
            ),
        );
        sql(&app, &format!("UPDATE webhook_deliveries SET created_at = '{at}' WHERE event_id = '{message}'"));
    }
    sql(&app, &format!("UPDATE webhook_deliveries SET next_attempt_at = '{days_31}' WHERE event_id = '{}'", old.0));
    sql(&app, &format!("UPDATE webhook_deliveries SET next_attempt_at = '{days_8}' WHERE event_id = '{}'", recent.0));
    let prune = |days: u32| {
        let mut config = app.config.clone();
        config.compliance.delivery_log_days = days;
        let state = latchkey::app::state::AppState::new(config, app.pool.clone());
        async move { latchkey::jobs::prune_delivery_log(&state).await.unwrap() }
    };
    let left = || attempts::table.select(attempts::delivery_id).load::<i64>(&mut app.conn()).unwrap().len();
    assert_eq!(prune(30).await, 1, "the old delivered message's attempt (LATCHKEY_DELIVERY_LOG_DAYS=30)");
    assert_eq!(left(), 2);
    let kept: Vec<String> = messages(&app, endpoint).into_iter().map(|m| m.0).collect();
    assert_eq!(
        kept,
        [recent.0.clone(), pending.0.clone()],
        "the finished delivery went with its log; the pending one stays"
    );
    assert_eq!(prune(30).await, 0, "nothing else is 30 days old");
    assert_eq!(prune(7).await, 1, "with 7 days kept, the 8-day-old attempt goes too");
    assert_eq!(left(), 1, "a pending delivery keeps its attempts, however old");
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    assert_eq!(select_all_attr(&page, "tr[data-testid=delivery-attempt]", "data-webhook-id"), [pending.0.as_str()]);
}

#[tokio::test]
async fn health_marks_say_healthy_failing_or_disabled_with_the_recent_record() {
    let app = spawn_app().await;
    app.seed_acme();
    let (up, down) = (Receiver::start(200, "ok", Duration::ZERO), Receiver::start(500, "no", Duration::ZERO));
    let owner = app.logged_in("owner@acme.test").await;
    let healthy = add_webhook(&owner, "acme", &up.url, &["order.created"]).await.id;
    let failing = add_webhook(&owner, "acme", &down.url, &["order.created"]).await.id;
    let disabled = add_webhook(&owner, "acme", &up.url, &["customer.created"]).await.id;
    assert_eq!(owner.post_form(&format!("{HOOKS}/{disabled}/disable"), &[]).await.status(), 303);
    let token = app.make_key("acme", &[], "", Some(0));
    order(&app, &token).await;
    order(&app, &token).await;
    settle(&app, row_id(&app, &healthy), 2).await;
    settle(&app, row_id(&app, &failing), 2).await;
    sql(
        &app,
        &format!(
            "UPDATE webhook_endpoints SET failing_since = '{}' WHERE public_id = '{failing}'",
            ago(chrono::Duration::minutes(185))
        ),
    );
    let mark = |html: &Html, hook: &str| {
        let scope = format!("tr[data-webhook-id={hook}] [data-testid=endpoint-health]");
        (select_attr(html, &scope, "data-health").unwrap_or_default(), select_all_text(html, &scope).concat())
    };
    let (_, list) = owner.get_html(HOOKS).await;
    let (kind, text) = mark(&list, &healthy);
    assert_eq!(kind, "healthy");
    assert!(text.contains("2 of the last 2 attempts succeeded"), "{text}");
    let (kind, text) = mark(&list, &failing);
    assert_eq!(kind, "failing");
    assert!(text.contains("for 3 h") && text.contains("2 of the last 2 attempts failed"), "{text}");
    assert_eq!(mark(&list, &disabled).0, "disabled");
    let (_, page) = owner.get_html(&format!("{HOOKS}/{failing}")).await;
    assert_eq!(select_attr(&page, "[data-testid=endpoint-health]", "data-health").as_deref(), Some("failing"));
    assert!(
        select_all_text(&page, "[data-testid=endpoint-health]").concat().contains("2 of the last 2 attempts failed")
    );
}

#[tokio::test]
async fn only_owners_and_admins_see_attempts_and_recover() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    order(&app, &app.make_key("acme", &[], "", Some(0))).await;
    settle(&app, row_id(&app, &id), 1).await;
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    let attempt = select_attr(&page, "[data-testid=attempt-link]", "href").unwrap();
    let sent = receiver.got().len();
    let since = [("since", "2020-01-01")];
    for (email, want) in
        [("member@acme.test", 403), ("readonly@acme.test", 403), ("outsider@other.test", 404), ("admin@acme.test", 200)]
    {
        let visitor = app.logged_in(email).await;
        assert_eq!(visitor.get(&attempt).await.status(), want, "{email} attempt page");
        assert_eq!(visitor.get(&format!("{HOOKS}/{id}?status=failed")).await.status(), want, "{email} filtered log");
        assert_eq!(visitor.post_form(&format!("{HOOKS}/{id}/recover"), &since).await.status(), want, "{email} recover");
        let example = [("event", "order.created")];
        let status = visitor.post_form(&format!("{HOOKS}/{id}/test"), &example).await.status();
        assert_eq!(status, want, "{email} send example");
    }
    assert_eq!(owner.post_raw(&format!("{HOOKS}/{id}/recover"), &since).await.status(), 403, "no CSRF token");
    assert_eq!(owner.post_raw(&format!("{HOOKS}/{id}/recover"), &[("csrf_token", "x"), since[0]]).await.status(), 403);
    let recovered = events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "webhook.recovered").count();
    assert_eq!(recovered, 1, "only the admin's recover was recorded");
    assert_eq!(receiver.got().len(), sent + 1, "only the admin's example was sent");
}
