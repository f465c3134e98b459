//! `latchkey demo` keeps to the machine: its webhook endpoints live under
//! `.invalid` (a name that never resolves), nothing is left for a running
//! server to send, and sending anyway (Send test, Recover) is an ordinary DNS
//! failure — while the healthy/failing story and its history stay.

use crate::support::*;

/// Runs `latchkey demo` on `database_url` with keys of its own (not a keys
/// file other tests write at the same time); answers the encryption key a
/// server needs to unseal the secrets it sealed.
fn seed_demo(database_url: &str) -> Vec<u8> {
    use base64::Engine;
    let keys = tempfile::tempdir().expect("keys dir");
    let encryption_key = latchkey::infra::config::generate_key(32);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .arg("demo")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("LATCHKEY_SESSION_KEY", latchkey::infra::config::generate_key(64))
        .env("LATCHKEY_ENCRYPTION_KEY", &encryption_key)
        .env("LATCHKEY_KEYS_FILE", keys.path().join("latchkey.keys"))
        .output()
        .expect("run latchkey demo");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    base64::engine::general_purpose::STANDARD.decode(encryption_key).expect("base64")
}

/// The demo's webhook endpoints of the org `demo`, and its deliveries (state, due at).
fn demo_webhooks(app: &TestApp) -> (Vec<latchkey::db::webhooks::Endpoint>, Vec<(String, chrono::NaiveDateTime)>) {
    use diesel::prelude::*;
    use latchkey::db::schema::webhook_deliveries as d;
    let org = org_id(app, "demo");
    let hooks = latchkey::db::webhooks::list(&mut app.conn(), org).expect("endpoints");
    let deliveries = d::table
        .filter(d::org_id.eq(org.get()))
        .select((d::state, d::next_attempt_at))
        .load(&mut app.conn())
        .expect("deliveries");
    (hooks, deliveries)
}

fn attempt_classes(app: &TestApp) -> Vec<Option<String>> {
    use diesel::prelude::*;
    use latchkey::db::schema::webhook_attempts as a;
    a::table.order(a::id.asc()).select(a::error_class).load(&mut app.conn()).expect("attempts")
}

#[tokio::test]
async fn a_server_running_the_demo_contacts_nothing_off_the_machine() {
    let (url, dir) = fresh_database();
    let key = seed_demo(&url);
    // The demo's own key, and a production-like guard (private targets refused).
    let app = spawn_app_on(url, dir, |c| {
        c.encryption_key = key;
        c.webhook_allow_private = false;
    })
    .await;
    let (hooks, deliveries) = demo_webhooks(&app);
    assert_eq!(hooks.len(), 2);
    for hook in &hooks {
        let parsed = url::Url::parse(&hook.url).expect("a URL");
        let host = parsed.host_str().unwrap_or_default();
        assert!(host.ends_with(".invalid"), "{} is on a name that never resolves (RFC 6761)", hook.url);
    }
    assert!(!deliveries.is_empty(), "the demo has a delivery history");
    let pending: Vec<_> = deliveries.iter().filter(|(state, _)| state == "pending").collect();
    assert!(pending.is_empty(), "nothing is left for the server to send: {pending:?}");

    // The story is kept: one healthy endpoint, one failing, attempts on both.
    let owner = app.visitor();
    assert_eq!(owner.login("owner@demo.latchkey.test", latchkey::cli::demo::DEMO_PASSWORD).await.status(), 303);
    let (_, list) = owner.get_html("/orgs/demo/settings/webhooks").await;
    let mut marks = select_all_attr(&list, "[data-testid=webhook-health]", "data-health");
    marks.sort();
    assert_eq!(marks, vec!["failing", "healthy"]);
    let before = attempt_classes(&app);
    app.run_jobs().await;
    app.drain_deliveries().await;
    assert_eq!(attempt_classes(&app).len(), before.len(), "the running server sent nothing");

    // Sending to such an endpoint anyway (Send test, Recover) is an ordinary DNS failure.
    let failing = hooks.iter().find(|h| h.failing_since.is_some()).expect("the failing endpoint");
    let page = format!("/orgs/demo/settings/webhooks/{}", failing.public_id);
    let res = owner.post_form(&format!("{page}/test"), &[("event", "")]).await;
    assert_eq!(res.status(), 200);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(select_attr(&html, "[data-testid=webhook-test-result]", "data-error").as_deref(), Some("dns"));
    let since = (chrono::Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d").to_string();
    assert_eq!(owner.post_form(&format!("{page}/recover"), &[("since", &since)]).await.status(), 200);
    app.drain_deliveries().await;
    let retried = attempt_classes(&app).iter().filter(|c| c.as_deref() == Some("dns")).count() >= 8;
    assert!(retried, "{:?}", attempt_classes(&app));

    // A busy demo key's request log reads newest first, as its heading says.
    use diesel::prelude::*;
    use latchkey::db::schema::{api_keys as k, api_request_log as r};
    let busy: String = k::table
        .inner_join(r::table.on(r::api_key_id.eq(k::id)))
        .select(k::key_id)
        .first(&mut app.conn())
        .expect("a key with requests");
    let (_, page) = owner.get_html(&format!("/orgs/demo/settings/api-keys/{busy}")).await;
    let times = select_all_attr(&page, "tr[data-testid=request-row] time", "datetime");
    assert!(times.len() > 10 && times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
}
