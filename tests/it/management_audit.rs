//! The management API's `GET /api/v1/audit-events` (newest-first pages,
//! the console's filters, incremental pulls with `after`, a hash chain the
//! client can verify on its own), and how changes made through the
//! management API are recorded: as the calling key, with the request's
//! address, user agent and id, and as the same audit action and webhook
//! event type as the same change made in the console.

use crate::support::*;
use reqwest::Method;

/// An app without the request log: its `api_key.new_network` entries would
/// land in the audit log at their own pace, and these tests count entries.
async fn app() -> TestApp {
    spawn_app_with(|c| c.leak.request_log_days = 0).await
}
use serde_json::{Value, json};
use sha2::Digest;

const EVENT_FIELDS: &str = "id org_id seq occurred_at actor_type actor_id actor_email actor_name action target_type \
    target_id target_label ip user_agent request_id trace_id details prev_hash hash";

/// A log with some history: `n` keys created through the API by an admin key.
async fn history(app: &TestApp, n: usize) -> (String, String) {
    let (admin_id, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    for i in 0..n {
        let body = json!({"label": format!("Key {i}"), "scopes": ["orders:read"]});
        assert_eq!(api(app, Method::POST, "/api/v1/keys", &admin, Some(body)).await.0, 201);
    }
    (admin_id, admin)
}

async fn pull(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body, _) = api(app, Method::GET, &format!("/api/v1/audit-events?{query}"), token, None).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn data(page: &Value) -> &Vec<Value> {
    page["data"].as_array().expect("data")
}

fn seqs(page: &Value) -> Vec<i64> {
    data(page).iter().map(|e| e["seq"].as_i64().expect("seq")).collect()
}

/// The hash of an event as documented (src/domain/audit_chain.rs), computed from its JSON alone.
fn hash_of(e: &Value) -> String {
    let canonical = json!([
        1,
        e["org_id"],
        e["seq"],
        e["occurred_at"],
        e["actor_type"],
        e["actor_id"],
        e["actor_email"],
        e["actor_name"],
        e["action"],
        e["target_type"],
        e["target_id"],
        e["target_label"],
        e["ip"],
        e["user_agent"],
        e["request_id"],
        e["trace_id"],
        e["details"],
    ])
    .to_string();
    let mut sha = sha2::Sha256::new();
    sha.update(format!("{}\n{canonical}", e["prev_hash"].as_str().expect("prev_hash")).as_bytes());
    hex::encode(sha.finalize())
}

#[tokio::test]
async fn the_log_reads_newest_first_in_cursor_pages_with_audit_read_only() {
    let app = app().await;
    app.seed_acme();
    let (_, admin) = history(&app, 6).await;
    let auditor = app.make_key("acme", &["audit:read"], "", Some(0));
    let stored: Vec<i64> = events(&app, org_id(&app, "acme")).iter().rev().map(|e| e.id).collect();
    assert_eq!(stored.len(), 6);

    let all = pull(&app, &auditor, "").await;
    assert_eq!(data(&all).iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>(), stored, "newest first");
    assert_eq!(
        (&all["next_cursor"], &all["next_after"], &all["has_more"]),
        (&Value::Null, &Value::Null, &json!(false))
    );
    for event in data(&all) {
        assert_eq!(field_names(event), sorted(EVENT_FIELDS), "{event}");
        assert!(event["details"].is_string(), "details is the stored JSON text");
    }
    let newest = &data(&all)[0];
    assert_eq!((&newest["action"], &newest["target_type"]), (&json!("api_key.created"), &json!("api_key")));
    assert_eq!(newest["org_id"], org_id(&app, "acme").get());

    let mut paged = Vec::new();
    let mut query = "limit=4".to_owned();
    loop {
        let page = pull(&app, &auditor, &query).await;
        paged.extend(data(&page).iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page["has_more"], true);
                query = format!("limit=4&cursor={cursor}");
            }
            None => {
                assert_eq!(page["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(paged, stored, "pages neither repeat nor skip");
    for bad in ["limit=0", "limit=101", "cursor=abc"] {
        let (status, body, _) = api(&app, Method::GET, &format!("/api/v1/audit-events?{bad}"), &auditor, None).await;
        assert_eq!((status, code(&body)), (422, "validation_failed"), "{bad}");
    }

    // audit:read reads the log and nothing else; nothing else reads the log.
    for path in ["/api/v1/orders", "/api/v1/keys", "/api/v1/webhooks"] {
        assert_eq!(code(&api(&app, Method::GET, path, &auditor, None).await.1), "insufficient_scope", "{path}");
    }
    for token in [admin, app.make_key("acme", &[], "", Some(0))] {
        let (status, body, _) = api(&app, Method::GET, "/api/v1/audit-events", &token, None).await;
        assert_eq!((status, code(&body)), (403, "insufficient_scope"));
        assert!(body["error"]["message"].as_str().unwrap().contains("audit:read"));
    }
    // Another organisation's log is not visible.
    let theirs = app.make_key("other", &["audit:read"], "", Some(0));
    assert_eq!(pull(&app, &theirs, "").await["data"], json!([]));
}

#[tokio::test]
async fn filters_narrow_the_log_and_bad_values_are_refused() {
    let app = app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let console = create_key(&owner, &[("label", "From the console")]).await;
    let (admin_id, _) = history(&app, 2).await;
    let (expired_id, _) =
        app.make_expiring_key("acme", "Old", chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1));
    let org = org_id(&app, "acme");
    app.run_jobs().await;
    let seen = events(&app, org).iter().any(|e| e.action == "api_key.expired");
    assert!(seen, "the scheduler records the expiry");
    let auditor = app.make_key("acme", &["audit:read"], "", Some(0));
    let total = data(&pull(&app, &auditor, "").await).len();

    let by_owner = pull(&app, &auditor, "actor=Owner@Acme.test").await;
    assert!(!data(&by_owner).is_empty() && data(&by_owner).len() < total);
    assert!(data(&by_owner).iter().all(|e| e["actor_email"] == "owner@acme.test"));
    let by_key = pull(&app, &auditor, &format!("actor={admin_id}")).await;
    assert_eq!(data(&by_key).len(), 2);
    assert!(data(&by_key).iter().all(|e| e["actor_type"] == "api_key" && e["actor_name"] == admin_id.as_str()));
    let by_system = pull(&app, &auditor, "actor=system").await;
    assert!(data(&by_system).iter().any(|e| e["action"] == "api_key.expired" && e["target_id"] == expired_id.as_str()));
    assert!(data(&by_system).iter().all(|e| e["actor_type"] == "system"));

    let created = pull(&app, &auditor, "action=api_key.created").await;
    assert_eq!(data(&created).len(), 3);
    assert!(data(&created).iter().all(|e| e["action"] == "api_key.created"));
    let target = pull(&app, &auditor, &format!("target={}", console.id)).await;
    assert!(!data(&target).is_empty());
    assert!(data(&target).iter().all(|e| e["target_id"] == console.id.as_str()));
    let both = pull(&app, &auditor, &format!("actor={admin_id}&action=api_key.revoked")).await;
    assert_eq!(data(&both).len(), 0);

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    assert_eq!(data(&pull(&app, &auditor, "from=2000-01-01").await).len(), total);
    assert_eq!(
        data(&pull(&app, &auditor, &format!("from=2000-01-01&to={today}")).await).len(),
        total,
        "to is inclusive"
    );
    assert_eq!(data(&pull(&app, &auditor, "to=2000-01-01").await).len(), 0);
    assert_eq!(data(&pull(&app, &auditor, &format!("from={tomorrow}")).await).len(), 0);
    assert_eq!(data(&pull(&app, &auditor, &format!("from={today}T00:00")).await).len(), total);

    for (query, field) in [
        ("action=api_key.exploded", "action"),
        ("from=yesterday", "from"),
        ("to=31/01/2026", "to"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("after=-1", "after"),
        ("after=abc", "after"),
        ("after=1&cursor=5", "cursor"),
        ("action=api_key.created&action=api_key.revoked", "action"),
        ("action=%0B", "action"),
        ("from=%202026-01-01", "from"),
        ("after=", "after"),
    ] {
        let (status, body, _) = api(&app, Method::GET, &format!("/api/v1/audit-events?{query}"), &auditor, None).await;
        assert_eq!((status, code(&body)), (422, "validation_failed"), "{query}: {body}");
        assert!(detail_fields(&body).contains(&field.to_owned()), "{query}: {body}");
    }
}

#[tokio::test]
async fn after_pulls_oldest_first_from_a_seq_and_the_chain_verifies_client_side() {
    let app = app().await;
    app.seed_acme();
    let (_, admin) = history(&app, 7).await;
    let auditor = app.make_key("acme", &["audit:read"], "", Some(0));

    let first = pull(&app, &auditor, "after=0&limit=3").await;
    assert_eq!(seqs(&first), [1, 2, 3], "oldest first");
    assert_eq!(
        (&first["next_after"], &first["has_more"], &first["next_cursor"]),
        (&json!(3), &json!(true), &Value::Null)
    );
    let mut pulled = data(&first).clone();
    let mut after = 3;
    loop {
        let page = pull(&app, &auditor, &format!("after={after}&limit=3")).await;
        let got = seqs(&page);
        assert!(got.iter().all(|s| *s > after), "{got:?} after {after}");
        pulled.extend(data(&page).iter().cloned());
        after = page["next_after"].as_i64().unwrap();
        if got.is_empty() || page["has_more"] == false {
            assert_eq!(after, *got.last().unwrap_or(&after));
            break;
        }
        assert_eq!(after, *got.last().unwrap());
    }
    assert_eq!(pulled.iter().map(|e| e["seq"].as_i64().unwrap()).collect::<Vec<_>>(), (1..=7).collect::<Vec<_>>());
    let caught_up = pull(&app, &auditor, "after=7").await;
    assert_eq!(
        (&caught_up["data"], &caught_up["next_after"], &caught_up["has_more"]),
        (&json!([]), &json!(7), &json!(false))
    );

    // Verify the chain as an outside client would: links and hashes.
    assert_eq!(pulled[0]["prev_hash"], "0".repeat(64));
    for (i, event) in pulled.iter().enumerate() {
        assert_eq!(event["hash"].as_str().unwrap(), hash_of(event), "event {}", event["seq"]);
        if i > 0 {
            assert_eq!(event["prev_hash"], pulled[i - 1]["hash"], "event {} links to the one before", event["seq"]);
        }
    }
    // A tampered field no longer matches its hash.
    let mut forged = pulled[2].clone();
    forged["target_label"] = json!("someone else");
    assert_ne!(hash_of(&forged), forged["hash"].as_str().unwrap());

    // The next change appears after the last seq pulled, and chains on.
    let (status, _, _) =
        api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "Late", "scopes": ["orders:read"]})))
            .await;
    assert_eq!(status, 201);
    let next = pull(&app, &auditor, "after=7").await;
    assert_eq!(seqs(&next), [8]);
    assert_eq!(next["data"][0]["prev_hash"], pulled[6]["hash"]);
    assert_eq!(next["data"][0]["hash"].as_str().unwrap(), hash_of(&next["data"][0]));
    let filtered = pull(&app, &auditor, "after=0&action=api_key.created&limit=100").await;
    assert_eq!(seqs(&filtered).len(), 8);
}

#[tokio::test]
async fn api_changes_are_recorded_as_the_calling_key_with_the_requests_metadata() {
    let app = app().await;
    app.seed_acme();
    let (admin_id, admin) = app.make_scoped_key("acme", "Deployer", &ADMIN_SCOPES);
    let (_, me, _) = api(&app, Method::GET, "/api/v1/keys/self", &admin, None).await;
    let prefix = me["prefix"].as_str().unwrap().to_owned();
    let ua = [("User-Agent", "deploy-bot/2.1")];
    let body = json!({"label": "Made by a key", "scopes": ["orders:read"]});
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace}-00f067aa0ba902b7-01");
    let first = [ua[0], ("traceparent", traceparent.as_str())];
    let (status, made, headers) = api_with(&app, Method::POST, "/api/v1/keys", &admin, Some(body), &first).await;
    assert_eq!(status, 201);
    let request_id = headers["x-request-id"].to_str().unwrap().to_owned();
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["created_by"], json!({"type": "api_key", "id": admin_id, "name": made["created_by"]["name"]}));
    let path = format!("/api/v1/keys/{id}");
    let calls: [(Method, String, Option<Value>); 4] = [
        (Method::PATCH, path.clone(), Some(json!({"label": "Renamed", "enabled": false}))),
        (Method::POST, format!("{path}/rotate"), Some(json!({"grace": "1h"}))),
        (Method::POST, format!("{path}/revoke"), None),
        (Method::DELETE, path.clone(), None),
    ];
    for (method, path, body) in calls {
        assert!(api_with(&app, method.clone(), &path, &admin, body, &ua).await.0 < 300, "{method} {path}");
    }

    let log = events(&app, org_id(&app, "acme"));
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "api_key.created",
        "api_key.updated",
        "api_key.deactivated",
        "api_key.rotated",
        "api_key.revoked",
        "api_key.deleted",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    for event in &log {
        assert_eq!(event.actor_type, "api_key", "{}", event.action);
        assert_eq!(event.actor_name.as_deref(), Some(admin_id.as_str()), "the key's id: {}", event.action);
        assert_eq!((event.actor_id, event.actor_email.as_deref()), (None, None));
        let details: Value = serde_json::from_str(&event.details).unwrap();
        assert_eq!(details["actor_prefix"], prefix.as_str(), "{}: {}", event.action, event.details);
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"), "{}", event.action);
        assert_eq!(event.user_agent.as_deref(), Some("deploy-bot/2.1"), "{}", event.action);
        assert!(event.request_id.as_deref().is_some_and(|r| !r.is_empty()), "{}", event.action);
    }
    assert_eq!(log[0].request_id.as_deref(), Some(request_id.as_str()), "the id the response carried");
    assert_ne!(log[0].request_id, log.last().unwrap().request_id);
    assert_eq!(log[0].trace_id.as_deref(), Some(trace), "the trace of the W3C traceparent header");

    // Webhook events name the key as their actor too.
    let outbox = latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme")).unwrap();
    let created = outbox.iter().find(|e| e.event_type == "api_key.created").expect("api_key.created sent");
    let payload: Value = serde_json::from_str(&created.payload).unwrap();
    assert_eq!(payload["data"]["actor"]["type"], "api_key");
    assert_eq!(payload["data"]["actor"]["name"], admin_id.as_str());
}

#[tokio::test]
async fn a_console_change_and_the_same_api_change_record_the_same_action_and_event() {
    let app = app().await;
    app.seed_acme();
    let (admin_id, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let owner = app.logged_in("owner@acme.test").await;
    let by_console = create_key(&owner, &[("label", "Console key")]).await;
    let (_, by_api, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "API key"}))).await;
    let api_id = by_api["id"].as_str().unwrap().to_owned();

    let (_, console_obj, _) = api(&app, Method::GET, &format!("/api/v1/keys/{}", by_console.id), &admin, None).await;
    assert_eq!(console_obj["created_by"], json!({"type": "user", "email": "owner@acme.test", "name": "Olive Owner"}));
    assert_eq!(by_api["created_by"]["type"], "api_key");
    assert_eq!(by_api["created_by"]["id"], admin_id.as_str());

    let org = org_id(&app, "acme");
    let outbox = |event_type: &str, key_id: &str| -> Vec<Value> {
        latchkey::db::outbox::for_org(&mut app.conn(), org)
            .unwrap()
            .into_iter()
            .filter(|e| e.event_type == event_type)
            .map(|e| serde_json::from_str::<Value>(&e.payload).unwrap())
            .filter(|p| p["data"]["key_id"] == key_id)
            .collect()
    };
    let audited = |action: &str, key_id: &str| -> Vec<latchkey::db::audit_events::StoredEvent> {
        events(&app, org).into_iter().filter(|e| e.action == action && e.target_id.as_deref() == Some(key_id)).collect()
    };
    for (action, console_path, api_call) in [
        (
            "api_key.deactivated",
            "deactivate",
            (Method::PATCH, format!("/api/v1/keys/{api_id}"), Some(json!({"enabled": false}))),
        ),
        (
            "api_key.activated",
            "activate",
            (Method::PATCH, format!("/api/v1/keys/{api_id}"), Some(json!({"enabled": true}))),
        ),
        ("api_key.revoked", "revoke", (Method::POST, format!("/api/v1/keys/{api_id}/revoke"), None)),
    ] {
        let res = owner.post_form(&format!("{KEYS}/{}/{console_path}", by_console.id), &[]).await;
        assert_eq!(res.status(), 303, "console {console_path}");
        let (method, path, body) = api_call;
        assert_eq!(api(&app, method, &path, &admin, body).await.0, 200, "{path}");
        let (console_events, api_events) = (audited(action, &by_console.id), audited(action, &api_id));
        assert_eq!((console_events.len(), api_events.len()), (1, 1), "{action} audited once for each");
        assert_eq!(console_events[0].actor_email.as_deref(), Some("owner@acme.test"));
        assert_eq!(api_events[0].actor_name.as_deref(), Some(admin_id.as_str()));
        let (console_sent, api_sent) = (outbox(action, &by_console.id), outbox(action, &api_id));
        assert_eq!((console_sent.len(), api_sent.len()), (1, 1), "{action} sent once for each");
        assert_eq!(console_sent[0]["data"]["actor"]["type"], "user");
        assert_eq!(api_sent[0]["data"]["actor"]["type"], "api_key");
        let shape = |p: &Value| field_names(&p["data"]);
        assert_eq!(shape(&console_sent[0]), shape(&api_sent[0]), "{action}: the same event data");
        assert_eq!(console_sent[0]["data"]["state"], api_sent[0]["data"]["state"]);
    }
    // Created: the same action and event for both.
    for key_id in [&by_console.id, &api_id] {
        assert_eq!(audited("api_key.created", key_id).len(), 1);
        assert_eq!(outbox("api_key.created", key_id).len(), 1);
    }
}
