//! The public revocation endpoint (docs/user-guide.md: Reporting a token you found): anyone may POST
//! `{"tokens":[…]}` to `/api/v1/revocations` without a key and always gets
//! `202 {"received":N}`; each token of a live key is recorded as
//! `api_key.exposed`, revoked (or deactivated, or only reported, by
//! `LATCHKEY_EXPOSED_KEY_ACTION`), sent as a webhook event, mailed to owners
//! and admins and shown in a dashboard banner. Bad bodies are 422; more than
//! 10 reports a minute from one address are 429.

use crate::support::*;
use latchkey::domain::leak::ExposedKeyAction;
use serde_json::{Value, json};
use std::time::Duration;

pub(crate) const REPORTER: &str = "leak-finder/1.0";

/// `POST /api/v1/revocations` with no key, as a stranger's script would: (status, body, headers).
pub(crate) async fn report_with(
    app: &TestApp,
    body: &str,
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = api_client()
        .post(format!("{}/api/v1/revocations", app.base))
        .header("content-type", "application/json")
        .header("user-agent", REPORTER)
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("report");
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let text = res.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), headers)
}

pub(crate) async fn report(app: &TestApp, tokens: &[&str]) -> (u16, Value) {
    let (status, body, _) = report_with(app, &json!({ "tokens": tokens }).to_string(), &[]).await;
    (status, body)
}

/// The audit events of `slug` with this action.
pub(crate) fn audited(app: &TestApp, slug: &str, action: &str) -> Vec<latchkey::db::audit_events::StoredEvent> {
    events(app, org_id(app, slug)).into_iter().filter(|e| e.action == action).collect()
}

pub(crate) fn details(event: &latchkey::db::audit_events::StoredEvent) -> Value {
    serde_json::from_str(&event.details).expect("details are JSON")
}

/// The webhook events of `slug` of this type (their payloads), oldest first.
pub(crate) fn sent(app: &TestApp, slug: &str, event_type: &str) -> Vec<Value> {
    latchkey::db::outbox::for_org(&mut app.conn(), org_id(app, slug))
        .expect("outbox")
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .map(|e| serde_json::from_str(&e.payload).expect("json"))
        .collect()
}

/// The `key_exposed` mails of `slug`: (recipient, subject, text).
pub(crate) fn exposure_mails(app: &TestApp, slug: &str) -> Vec<(String, String, String)> {
    let mut mails: Vec<_> = app
        .mails(org_id(app, slug))
        .into_iter()
        .filter(|m| m.kind == "key_exposed")
        .map(|m| (m.recipient, m.subject, m.text_body))
        .collect();
    mails.sort();
    mails
}

async fn banners(app: &TestApp, email: &str, slug: &str) -> Vec<String> {
    let visitor = app.logged_in(email).await;
    let (status, dashboard) = visitor.get_html(&format!("/orgs/{slug}")).await;
    assert_eq!(status, 200);
    select_all_attr(&dashboard, "[data-testid=banner-exposed]", "data-key-id")
}

#[tokio::test]
async fn a_reported_token_revokes_its_key_and_everyone_is_told() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    add_webhook(&owner, "acme", &receiver.url, &["api_key.exposed"]).await;
    let (key_id, token) = app.make_scoped_key("acme", "Leaky", &[]);
    let (bystander_id, bystander) = app.make_scoped_key("acme", "Bystander", &[]);
    let (other_id, other_token) = app.make_scoped_key("other", "Theirs", &[]);
    assert_eq!(ping(&app, &token).await.0, 200);
    assert!(banners(&app, "owner@acme.test", "acme").await.is_empty(), "no banner before a report");

    // A real token, another org's, garbage and a well-formed unknown one: the answer only counts them.
    let unknown = super::leak_lookup::unknown_token();
    let (status, answer) = report(&app, &[&token, "not a token", &other_token, &unknown]).await;
    assert_eq!((status, &answer), (202, &json!({"received": 4})));
    let (status, answer) = report(&app, &["garbage", "more garbage", "x", "y"]).await;
    assert_eq!((status, &answer), (202, &json!({"received": 4})), "garbage gets the very same answer");

    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"), "the reported key stops working at once");
    assert_eq!(ping(&app, &bystander).await.0, 200, "other keys are untouched");
    let (status, body, _) = ping(&app, &other_token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"), "a key of any organisation is handled");

    let exposed = audited(&app, "acme", "api_key.exposed");
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].target_id.as_deref(), Some(key_id.as_str()));
    assert_eq!(exposed[0].actor_type, "system");
    let d = details(&exposed[0]);
    assert_eq!(d["source"], "public_report");
    assert_eq!(d["reporter_ip"], "127.0.0.1");
    assert_eq!(d["reporter_user_agent"], REPORTER);
    assert_eq!(d["action"], "revoke");
    assert_eq!(d["url"], Value::Null);
    assert!(!exposed[0].details.contains(&token), "the token is not in the audit log");
    let revoked = audited(&app, "acme", "api_key.revoked");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].target_id.as_deref(), Some(key_id.as_str()));
    assert_eq!(details(&revoked[0])["reason"], "exposed");
    let theirs = audited(&app, "other", "api_key.exposed");
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].target_id.as_deref(), Some(other_id.as_str()));

    // The webhook event, in the outbox and at the subscribed receiver.
    let events = sent(&app, "acme", "api_key.exposed");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["key_id"], key_id.as_str());
    assert_eq!(events[0]["data"]["state"], "revoked");
    assert_eq!(events[0]["data"]["source"], "public_report");
    assert_eq!(events[0]["data"]["action"], "revoke");
    assert!(!events[0].to_string().contains(&token));
    app.drain_deliveries().await;
    let delivered = !receiver.received.lock().expect("lock").is_empty();
    assert!(delivered, "api_key.exposed reaches the subscribed endpoint");
    let first: Value = serde_json::from_slice(&receiver.received.lock().expect("lock")[0].1).expect("json");
    assert_eq!(first["type"], "api_key.exposed");
    assert_eq!(first["data"]["key_id"], key_id.as_str());

    // Mail to owners and admins (not members), naming the key; the other org's owner hears of theirs.
    let mails = exposure_mails(&app, "acme");
    let recipients: Vec<&str> = mails.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(recipients, vec!["admin@acme.test", "owner@acme.test"]);
    for (_, subject, text) in &mails {
        assert!(subject.contains("\"Leaky\"") && subject.contains("revoked"), "{subject}");
        assert!(text.contains(&key_id) && text.contains("a public report") && text.contains("127.0.0.1"));
        assert!(!text.contains(&token) && !text.contains(&bystander_id));
    }
    let theirs: Vec<String> = exposure_mails(&app, "other").into_iter().map(|m| m.0).collect();
    assert_eq!(theirs, vec!["outsider@other.test".to_owned()]);

    // The dashboard banner, for the key's organisation only.
    assert_eq!(banners(&app, "owner@acme.test", "acme").await, vec![key_id.clone()]);
    assert_eq!(banners(&app, "admin@acme.test", "acme").await, vec![key_id.clone()]);
    assert_eq!(banners(&app, "outsider@other.test", "other").await, vec![other_id.clone()]);

    // Reported again: the key is no longer live, so nothing new happens.
    let (status, answer) = report(&app, &[&token]).await;
    assert_eq!((status, &answer), (202, &json!({"received": 1})));
    assert_eq!(audited(&app, "acme", "api_key.exposed").len(), 1);
    assert_eq!(audited(&app, "acme", "api_key.revoked").len(), 1);
    assert_eq!(sent(&app, "acme", "api_key.exposed").len(), 1);
    assert_eq!(exposure_mails(&app, "acme").len(), 2);
}

#[tokio::test]
async fn a_bad_report_body_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, token) = app.make_scoped_key("acme", "Leaky", &[]);
    let many: Vec<String> = (0..101).map(|i| format!("token-{i}")).collect();
    for (what, body, field) in [
        ("an empty array", json!({"tokens": []}), "tokens"),
        ("101 tokens", json!({"tokens": many}), "tokens"),
        ("non-strings", json!({"tokens": [token, 7, null]}), "tokens"),
        ("a string, not an array", json!({"tokens": token}), "tokens"),
        ("no tokens", json!({}), "tokens"),
        ("an extra field", json!({"tokens": [token], "note": "found it"}), "note"),
    ] {
        let (status, answer, _) = report_with(&app, &body.to_string(), &[]).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{what}");
        assert_eq!(detail_fields(&answer), vec![field.to_owned()], "{what}");
    }
    let (status, answer, _) = report_with(&app, "{\"tokens\": [", &[]).await;
    assert_eq!((status, code(&answer)), (400, "malformed_json"));
    assert_eq!(ping(&app, &token).await.0, 200, "a token in a refused body is not handled");
    assert!(audited(&app, "acme", "api_key.exposed").is_empty());
    // 100 tokens is the most, and fine.
    let hundred: Vec<&str> = many[..99].iter().map(String::as_str).chain([token.as_str()]).collect();
    let (status, answer) = report(&app, &hundred).await;
    assert_eq!((status, &answer), (202, &json!({"received": 100})));
    assert_eq!(ping(&app, &token).await.0, 401);
}

#[tokio::test]
async fn with_the_disable_action_a_reported_key_is_deactivated() {
    let app = spawn_app_with(|c| c.leak.exposed_key_action = ExposedKeyAction::Disable).await;
    app.seed_acme();
    let (key_id, token) = app.make_scoped_key("acme", "Leaky", &[]);
    assert_eq!(report(&app, &[&token]).await, (202, json!({"received": 1})));

    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (401, "disabled_key"));
    let exposed = audited(&app, "acme", "api_key.exposed");
    assert_eq!(exposed.len(), 1);
    assert_eq!(details(&exposed[0])["action"], "disable");
    let deactivated = audited(&app, "acme", "api_key.deactivated");
    assert_eq!(deactivated.len(), 1);
    assert_eq!(deactivated[0].target_id.as_deref(), Some(key_id.as_str()));
    assert!(audited(&app, "acme", "api_key.revoked").is_empty(), "deactivated, not revoked");
    let events = sent(&app, "acme", "api_key.exposed");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["state"], "disabled");
    assert_eq!(sent(&app, "acme", "api_key.deactivated").len(), 1);
    let mails = exposure_mails(&app, "acme");
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.1.contains("deactivated")), "{:?}", mails.iter().map(|m| &m.1).collect::<Vec<_>>());
    assert_eq!(banners(&app, "owner@acme.test", "acme").await, vec![key_id.clone()]);

    // A deactivated key is not live: a second report does nothing.
    assert_eq!(report(&app, &[&token]).await, (202, json!({"received": 1})));
    assert_eq!(audited(&app, "acme", "api_key.exposed").len(), 1);
    assert_eq!(audited(&app, "acme", "api_key.deactivated").len(), 1);
}

#[tokio::test]
async fn with_the_notify_action_a_reported_key_keeps_working_and_is_reported() {
    let app = spawn_app_with(|c| c.leak.exposed_key_action = ExposedKeyAction::Notify).await;
    app.seed_acme();
    let (key_id, token) = app.make_scoped_key("acme", "Leaky", &[]);
    assert_eq!(report(&app, &[&token]).await, (202, json!({"received": 1})));

    assert_eq!(ping(&app, &token).await.0, 200, "notify leaves the key working");
    let exposed = audited(&app, "acme", "api_key.exposed");
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0].target_id.as_deref(), Some(key_id.as_str()));
    assert_eq!(details(&exposed[0])["action"], "notify");
    for untouched in ["api_key.revoked", "api_key.deactivated", "api_key.updated"] {
        assert!(audited(&app, "acme", untouched).is_empty(), "{untouched}");
    }
    let events = sent(&app, "acme", "api_key.exposed");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["state"], "active");
    let mails = exposure_mails(&app, "acme");
    assert_eq!(mails.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(), vec!["admin@acme.test", "owner@acme.test"]);
    assert!(mails.iter().all(|m| m.2.contains("revoke it now")), "the mail says the key still works");
    assert_eq!(banners(&app, "owner@acme.test", "acme").await, vec![key_id.clone()]);

    // Still live, so a second report is recorded again.
    assert_eq!(report(&app, &[&token]).await, (202, json!({"received": 1})));
    assert_eq!(audited(&app, "acme", "api_key.exposed").len(), 2);
    assert_eq!(ping(&app, &token).await.0, 200);
}

#[tokio::test]
async fn reports_are_throttled_per_client_address() {
    let app = spawn_app_with(|c| c.trusted_proxy_header = Some("x-forwarded-for".into())).await;
    app.seed_acme();
    let (_, token) = app.make_scoped_key("acme", "Leaky", &[]);
    for i in 0..10 {
        let (status, answer) = report(&app, &["garbage"]).await;
        assert_eq!((status, &answer), (202, &json!({"received": 1})), "report {}", i + 1);
    }
    let body = json!({ "tokens": [token] }).to_string();
    let (status, answer, headers) = report_with(&app, &body, &[]).await;
    assert_eq!((status, code(&answer)), (429, "rate_limited"), "the 11th report within a minute");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(ping(&app, &token).await.0, 200, "a throttled report is not handled");
    assert!(audited(&app, "acme", "api_key.exposed").is_empty());
    // Even a bad body counts as throttled first.
    let (status, answer, _) = report_with(&app, "{}", &[]).await;
    assert_eq!((status, code(&answer)), (429, "rate_limited"));

    // Another address has its own allowance.
    let (status, answer, _) = report_with(&app, &body, &[("x-forwarded-for", "198.51.100.23")]).await;
    assert_eq!((status, &answer), (202, &json!({"received": 1})));
    assert_eq!(ping(&app, &token).await.0, 401);
    let exposed = audited(&app, "acme", "api_key.exposed");
    assert_eq!(details(&exposed[0])["reporter_ip"], "198.51.100.23", "the reporter as the trusted proxy saw it");
}

#[tokio::test]
async fn a_rotating_key_is_live_an_expired_one_is_not_and_the_banner_lasts_a_week() {
    let app = spawn_app().await;
    app.seed_acme();
    let (old_id, old) = app.make_scoped_key("acme", "CI", &["orders:read", "keys:self_rotate"]);
    let body = Some(json!({"grace": "1h"}));
    let (status, rotated, _) = api(&app, reqwest::Method::POST, "/api/v1/keys/self/rotate", &old, body).await;
    assert_eq!(status, 201, "{}", rotated["error"]);
    let new = rotated["token"].as_str().expect("the replacement's token").to_owned();
    let moment_ago = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
    let (expired_id, expired) = app.make_expiring_key("acme", "Expired", moment_ago);
    assert_eq!(ping(&app, &expired).await.0, 401);

    assert_eq!(report(&app, &[&old, &expired]).await, (202, json!({"received": 2})));
    let (status, body, _) = ping(&app, &old).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"), "a key in its grace period is live, and revoked");
    assert_eq!(ping(&app, &new).await.0, 200, "its replacement keeps working");
    let exposed: Vec<Option<String>> =
        audited(&app, "acme", "api_key.exposed").into_iter().map(|e| e.target_id).collect();
    assert_eq!(exposed, vec![Some(old_id.clone())], "an expired key is not live: nothing is done");
    assert_eq!(banners(&app, "owner@acme.test", "acme").await, vec![old_id.clone()]);
    assert!(!banners(&app, "owner@acme.test", "acme").await.contains(&expired_id));

    // The banner shows for a week after the report.
    let eight_days_ago = (chrono::Utc::now() - chrono::Duration::days(8)).format("%Y-%m-%d %H:%M:%S");
    let statement = format!("UPDATE api_keys SET exposed_at = '{eight_days_ago}' WHERE key_id = '{old_id}'");
    diesel::RunQueryDsl::execute(diesel::sql_query(statement), &mut app.conn()).expect("sql");
    assert!(banners(&app, "owner@acme.test", "acme").await.is_empty());
}
