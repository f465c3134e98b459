//! Forensics around the request log (docs/user-guide.md: Leak response): old rows are
//! pruned after `LATCHKEY_REQUEST_LOG_DAYS` (and networks after 30 days);
//! the first authenticated use of a key from a new network (/24) is recorded
//! as `api_key.new_network` — at most one a minute per key, though the key
//! still learns every network — and shows in the key's Activity; and objects
//! made through the API say which key made them (`created_by_key`).

use super::request_log::{AGENT, call, key_row, logged, wait_logged};
use crate::support::*;
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement).execute(&mut app.conn()).expect("sql");
}

fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The networks the key is known to have used, sorted.
fn networks(app: &TestApp, key_id: &str) -> Vec<String> {
    use latchkey::db::schema::key_networks::dsl;
    let row = key_row(app, "acme", key_id);
    let mut found: Vec<String> =
        dsl::key_networks.filter(dsl::api_key_id.eq(row)).select(dsl::network).load(&mut app.conn()).expect("networks");
    found.sort();
    found
}

/// The `api_key.new_network` entries of a key, oldest first.
fn new_networks(app: &TestApp, key_id: &str) -> Vec<latchkey::db::audit_events::StoredEvent> {
    super::leak_reports::audited(app, "acme", "api_key.new_network")
        .into_iter()
        .filter(|e| e.target_id.as_deref() == Some(key_id))
        .collect()
}

async fn call_from(app: &TestApp, token: &str, address: &str) -> u16 {
    let headers = [("user-agent", AGENT), ("x-forwarded-for", address)];
    api_with(app, Method::GET, "/api/v1/ping", token, None, &headers).await.0
}

async fn prune(app: &TestApp) {
    let state = latchkey::app::state::AppState::new(app.config.clone(), app.pool.clone());
    latchkey::jobs::prune_request_log(&state).await.expect("prune");
}

#[tokio::test]
async fn requests_older_than_the_kept_days_are_pruned_and_recent_ones_kept() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (key_id, token) = app.make_scoped_key("acme", "Old", &[]);
    for _ in 0..3 {
        assert_eq!(ping(&app, &token).await.0, 200);
    }
    wait_logged(&app, &key_id, 3).await;
    assert_eq!(networks(&app, &key_id), vec!["127.0.0.0/24"]);
    let rows = logged(&app, &key_id);
    sql(&app, &format!("UPDATE api_request_log SET at = '{}' WHERE id = {}", days_ago(31), rows[2].id));
    sql(&app, &format!("UPDATE api_request_log SET at = '{}' WHERE id = {}", days_ago(29), rows[1].id));
    sql(&app, &format!("UPDATE key_networks SET last_seen = '{}'", days_ago(31)));
    prune(&app).await;
    let kept: Vec<i64> = logged(&app, &key_id).iter().map(|r| r.id).collect();
    assert_eq!(kept, vec![rows[0].id, rows[1].id], "31 days old is gone; 29 days and today are kept (30 days)");
    assert!(networks(&app, &key_id).is_empty(), "a network unused for 30 days is forgotten");
    let (_, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(count(&page, "tr[data-testid=request-row]"), 2);

    // LATCHKEY_REQUEST_LOG_DAYS=7 keeps a week.
    let app = spawn_app_with(|c| c.leak.request_log_days = 7).await;
    app.seed_acme();
    let (key_id, token) = app.make_scoped_key("acme", "Weekly", &[]);
    for _ in 0..3 {
        assert_eq!(ping(&app, &token).await.0, 200);
    }
    wait_logged(&app, &key_id, 3).await;
    let rows = logged(&app, &key_id);
    sql(&app, &format!("UPDATE api_request_log SET at = '{}' WHERE id = {}", days_ago(8), rows[2].id));
    sql(&app, &format!("UPDATE api_request_log SET at = '{}' WHERE id = {}", days_ago(6), rows[1].id));
    prune(&app).await;
    let kept: Vec<i64> = logged(&app, &key_id).iter().map(|r| r.id).collect();
    assert_eq!(kept, vec![rows[0].id, rows[1].id]);
    assert_eq!(networks(&app, &key_id), vec!["127.0.0.0/24"], "a network seen today is remembered");
}

#[tokio::test]
async fn the_first_use_from_a_new_network_is_recorded_once_a_minute_at_most() {
    let app = spawn_app_with(|c| c.trusted_proxy_header = Some("x-forwarded-for".into())).await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (key_id, token) = app.make_scoped_key("acme", "Roaming", &[]);
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &token).await.0, 200);
    let recorded = eventually_async(Duration::from_secs(5), || async {
        app.flush_request_log().await;
        !new_networks(&app, &key_id).is_empty()
    })
    .await;
    assert!(recorded, "api_key.new_network within seconds of the first use");
    let first = &new_networks(&app, &key_id)[0];
    assert_eq!(first.actor_type, "system");
    let d = super::leak_reports::details(first);
    assert_eq!(
        (&d["network"], &d["ip"], &d["user_agent"]),
        (&json!("127.0.0.0/24"), &json!("127.0.0.1"), &json!(AGENT))
    );

    // More uses from the same /24 are nothing new.
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &token).await.0, 200);
    assert_eq!(call_from(&app, &token, "127.0.0.77").await, 200);
    wait_logged(&app, &key_id, 3).await;
    assert_eq!(new_networks(&app, &key_id).len(), 1);
    // A second network within the same minute is learned but not reported.
    assert_eq!(call_from(&app, &token, "203.0.113.9").await, 200);
    wait_logged(&app, &key_id, 4).await;
    assert_eq!(logged(&app, &key_id)[0].ip.as_deref(), Some("203.0.113.9"), "the address the trusted proxy saw");
    assert_eq!(networks(&app, &key_id), vec!["127.0.0.0/24", "203.0.113.0/24"]);
    assert_eq!(new_networks(&app, &key_id).len(), 1, "at most one a minute per key");

    // Another key's first use, from the proxied network: reported for that network.
    let (other_id, other) = app.make_scoped_key("acme", "Cloud", &[]);
    assert_eq!(call_from(&app, &other, "203.0.113.9").await, 200);
    assert!(
        eventually_async(Duration::from_secs(5), || async {
            app.flush_request_log().await;
            !new_networks(&app, &other_id).is_empty()
        })
        .await
    );
    let d = super::leak_reports::details(&new_networks(&app, &other_id)[0]);
    assert_eq!((&d["network"], &d["ip"]), (&json!("203.0.113.0/24"), &json!("203.0.113.9")));
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &other).await.0, 200);
    wait_logged(&app, &other_id, 2).await;
    assert_eq!(networks(&app, &other_id), vec!["127.0.0.0/24", "203.0.113.0/24"]);
    assert_eq!(new_networks(&app, &other_id).len(), 1);

    // The key page's Activity shows it.
    let (_, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(count(&page, "[data-testid=key-activity] tr[data-action=\"api_key.new_network\"]"), 1);
}

#[tokio::test]
async fn only_an_authenticated_use_counts_as_a_use_from_a_network() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let settings = latchkey::db::api_keys::KeySettings {
        label: "Office only".into(),
        description: String::new(),
        scopes: Default::default(),
        expires_at: None,
        allowed_ips: latchkey::domain::key_settings::IpAllowlist::parse("10.0.0.0/8").expect("allowlist"),
        rate_limit_per_minute: Some(0),
        owner_id: None,
        metadata: None,
    };
    let (fenced_id, fenced) = app.make_key_with("acme", settings);
    let (status, body, _) = call(&app, Method::GET, "/api/v1/ping", &fenced).await;
    assert_eq!((status, code(&body)), (403, "ip_not_allowed"));
    let (revoked_id, revoked) = app.make_scoped_key("acme", "Revoked", &[]);
    assert_eq!(owner.post_form(&format!("{KEYS}/{revoked_id}/revoke"), &[]).await.status(), 303);
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &revoked).await.0, 401);
    let (used_id, used) = app.make_scoped_key("acme", "Used", &[]);
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &used).await.0, 200);

    wait_logged(&app, &used_id, 1).await;
    assert!(
        eventually_async(Duration::from_secs(5), || async {
            app.flush_request_log().await;
            new_networks(&app, &used_id).len() == 1
        })
        .await
    );
    for key in [&fenced_id, &revoked_id] {
        assert_eq!(logged(&app, key).len(), 1, "the refused request is logged");
        assert!(new_networks(&app, key).is_empty(), "but is no use of the key");
        assert!(networks(&app, key).is_empty());
    }
}

#[tokio::test]
async fn objects_made_through_the_api_name_the_key_that_made_them() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let scopes: Vec<&str> = ADMIN_SCOPES.iter().copied().chain(["webhooks:write"]).collect();
    let (maker_id, maker) = app.make_scoped_key("acme", "Integration", &scopes);
    let (clerk_id, clerk) = app.make_scoped_key("acme", "Clerk", &["orders:write"]);

    let (status, customer, _) =
        api(&app, Method::POST, "/api/v1/customers", &maker, Some(json!({"email": "c@d.co"}))).await;
    assert_eq!(status, 201, "{customer}");
    assert_eq!(customer["created_by_key"], maker_id.as_str());
    let path = format!("/api/v1/customers/{}", customer["id"].as_str().unwrap());
    let (status, fetched, _) = api(&app, Method::GET, &path, &maker, None).await;
    assert_eq!((status, &fetched["created_by_key"]), (200, &json!(maker_id)));
    let order = json!({"customer_email": "c@d.co"});
    let (status, made, _) = api(&app, Method::POST, "/api/v1/orders", &clerk, Some(order)).await;
    assert_eq!((status, &made["created_by_key"]), (201, &json!(clerk_id)), "each key its own");
    let created = latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme")).expect("outbox");
    let event = created.iter().find(|e| e.event_type == "order.created").expect("order.created");
    let payload: serde_json::Value = serde_json::from_str(&event.payload).expect("json");
    assert_eq!(payload["data"]["created_by_key"], clerk_id.as_str(), "the webhook event carries it too");

    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": ["order.created"]});
    let (status, hook, _) = api(&app, Method::POST, "/api/v1/webhooks", &maker, Some(hook)).await;
    assert_eq!((status, &hook["created_by_key"]), (201, &json!(maker_id)), "{}", hook["error"]);

    let child = json!({"label": "Child", "scopes": ["orders:read"]});
    let (status, child, _) = api(&app, Method::POST, "/api/v1/keys", &maker, Some(child)).await;
    assert_eq!((status, &child["created_by_key"]), (201, &json!(maker_id)), "{}", child["error"]);
    let path = format!("/api/v1/keys/{}", child["id"].as_str().unwrap());
    assert_eq!(api(&app, Method::GET, &path, &maker, None).await.1["created_by_key"], maker_id.as_str());
    // A key made in the console was made by no key.
    let by_hand = create_key(&owner, &[("label", "By hand")]).await;
    let (status, read, _) = api(&app, Method::GET, &format!("/api/v1/keys/{}", by_hand.id), &maker, None).await;
    assert_eq!((status, &read["created_by_key"]), (200, &serde_json::Value::Null));
}

/// A key's log and networks are its own: a key made after another was
/// deleted (SQLite may give it the deleted key's row id) starts with none,
/// and its first use is reported even within the minute the deleted key's was.
#[tokio::test]
async fn a_new_key_does_not_inherit_a_deleted_keys_log_or_networks() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (old_id, old) = app.make_scoped_key("acme", "Deleted", &[]);
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &old).await.0, 200);
    wait_logged(&app, &old_id, 1).await;
    assert!(
        eventually_async(Duration::from_secs(5), || async {
            app.flush_request_log().await;
            new_networks(&app, &old_id).len() == 1
        })
        .await
    );
    let old_row = key_row(&app, "acme", &old_id);
    assert_eq!(owner.post_form(&format!("{KEYS}/{old_id}/delete"), &[]).await.status(), 303);

    let (new_id, new) = app.make_scoped_key("acme", "Successor", &[]);
    let new_row = key_row(&app, "acme", &new_id);
    let (_, page) = owner.get_html(&format!("{KEYS}/{new_id}")).await;
    let shown = count(&page, "tr[data-testid=request-row]");
    assert_eq!(
        shown, 0,
        "the new key (row {new_row}; the deleted one was row {old_row}) shows no request it never made"
    );
    assert!(networks(&app, &new_id).is_empty(), "nor networks it never used");
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &new).await.0, 200);
    let reported = eventually_async(Duration::from_secs(5), || async {
        app.flush_request_log().await;
        new_networks(&app, &new_id).len() == 1
    })
    .await;
    assert!(reported, "the new key's first use is reported as a new network");
    assert_eq!(logged(&app, &new_id).len(), 1);
}
