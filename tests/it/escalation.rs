//! No escalation through restrictions (docs/api-guide.md: No escalation): a
//! restricted `keys:write` key can only issue, change or rotate keys at most
//! as restricted as itself — allowlist inside its own, expiry no later, rate
//! limit no higher — and cannot loosen its own restrictions. The answer is
//! 403 `scope_escalation` naming the JSON field; nothing changes.

use crate::support::*;
use latchkey::db::api_keys::KeySettings;
use latchkey::domain::key_settings::IpAllowlist;
use latchkey::domain::scopes::Scopes;
use reqwest::Method;
use serde_json::{Value, json};

fn restricted(app: &TestApp) -> (String, String) {
    let settings = KeySettings {
        label: "Restricted CI".into(),
        description: String::new(),
        scopes: Scopes::parse(&["keys:write", "orders:read"]).unwrap(),
        expires_at: Some((chrono::Utc::now() + chrono::Duration::days(30)).naive_utc()),
        allowed_ips: IpAllowlist::parse("127.0.0.0/8").unwrap(),
        rate_limit_per_minute: Some(50),
        owner_id: None,
        metadata: None,
    };
    app.make_key_with("acme", settings)
}

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn refused_on(answer: &Value, field: &str) -> bool {
    code(answer) == "scope_escalation" && answer["error"]["message"].as_str().unwrap_or_default().contains(field)
}

#[tokio::test]
async fn a_restricted_key_cannot_issue_a_less_restricted_one() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, token) = restricted(&app);
    let before = app.key_count("acme");
    let within = json!({"scopes": ["orders:read"], "allowed_ips": ["127.0.0.1/32"], "expires_at": in_days(10), "rate_limit_per_minute": 10});
    for (field, value) in [
        ("allowed_ips", json!([])),
        ("allowed_ips", json!(["10.0.0.0/8"])),
        ("expires_at", Value::Null),
        ("expires_at", json!(in_days(60))),
        ("rate_limit_per_minute", Value::Null),
        ("rate_limit_per_minute", json!(0)),
        ("rate_limit_per_minute", json!(51)),
    ] {
        let mut body = within.clone();
        body["label"] = json!("Child");
        body[field] = value.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        }
        let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &token, Some(body)).await;
        assert_eq!(status, 403, "{field} = {value}: {answer}");
        assert!(refused_on(&answer, field), "{field}: {answer}");
    }
    assert_eq!(app.key_count("acme"), before, "nothing was made");
    let mut body = within.clone();
    body["label"] = json!("Child within");
    let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &token, Some(body)).await;
    assert_eq!(status, 201, "a child inside every restriction: {answer}");
}

#[tokio::test]
async fn a_restricted_key_cannot_loosen_its_own_restrictions_or_a_childs() {
    let app = spawn_app().await;
    app.seed_acme();
    let (own_id, token) = restricted(&app);
    let own = format!("/api/v1/keys/{own_id}");
    for (field, value) in [
        ("allowed_ips", json!([])),
        ("expires_at", Value::Null),
        ("expires_at", json!(in_days(365))),
        ("rate_limit_per_minute", json!(0)),
    ] {
        let (status, answer, _) = api(&app, Method::PATCH, &own, &token, Some(json!({ field: value }))).await;
        assert_eq!(status, 403, "own {field} = {value}: {answer}");
        assert!(refused_on(&answer, field), "{answer}");
    }
    let (status, key, _) = api(&app, Method::GET, "/api/v1/keys/self", &token, None).await;
    assert_eq!((status, key["rate_limit_per_minute"].as_i64()), (200, Some(50)), "unchanged: {key}");
    assert_eq!(key["allowed_ips"], json!(["127.0.0.0/8"]));
    // Tightening is fine.
    let (status, _, _) = api(&app, Method::PATCH, &own, &token, Some(json!({"rate_limit_per_minute": 20}))).await;
    assert_eq!(status, 200);
    // Nor may it rotate a wider key: the replacement would carry the wide settings.
    let (open_id, _) = app.make_scoped_key("acme", "Open", &["orders:read"]);
    let path = format!("/api/v1/keys/{open_id}/rotate");
    let (status, answer, _) = api(&app, Method::POST, &path, &token, Some(json!({"grace": "none"}))).await;
    assert_eq!(status, 403, "{answer}");
    assert!(refused_on(&answer, "allowed_ips"), "{answer}");
}
