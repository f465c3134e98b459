//! The cap on webhook endpoints per organisation
//! (`LATCHKEY_MAX_WEBHOOK_ENDPOINTS`, docs/operator-guide.md: Configuration): one more is
//! refused by the API (422 `validation_failed` naming the cap, on `url`) and
//! by the console (the form again, the error next to the URL, values kept);
//! the count is taken inside the creating transaction, so concurrent creates
//! cannot pass it either.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

const HOOKS: &str = "/orgs/acme/settings/webhooks";

async fn app_with_cap(cap: u32) -> TestApp {
    let app = spawn_app_with(|c| c.max_webhook_endpoints = cap).await;
    app.seed_acme();
    app
}

fn endpoint_count(app: &TestApp, slug: &str) -> usize {
    latchkey::db::webhooks::list(&mut app.conn(), org_id(app, slug)).expect("list").len()
}

fn created_events(app: &TestApp) -> usize {
    events(app, org_id(app, "acme")).iter().filter(|e| e.action == "webhook.created").count()
}

fn body(i: usize) -> serde_json::Value {
    json!({"url": format!("http://127.0.0.1:9/hook-{i}"), "events": ["order.created"]})
}

#[tokio::test]
async fn the_api_refuses_one_endpoint_past_the_cap_naming_it() {
    let app = app_with_cap(3).await;
    // Another organisation's endpoints do not count towards acme's cap.
    for i in 0..3 {
        insert_endpoint_of(&app, "other", &format!("wh_other{i:012}"), "http://127.0.0.1:9/other");
    }
    let (_, writer) = app.make_scoped_key("acme", "Hooks admin", &["webhooks:write"]);
    for i in 0..3 {
        let (status, created, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body(i))).await;
        assert_eq!(status, 201, "#{i} is within the cap: {created}");
    }
    let (status, refused, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body(3))).await;
    assert_eq!((status, code(&refused)), (422, "validation_failed"), "{refused}");
    assert!(
        refused["error"]["message"].as_str().unwrap_or_default().contains('3'),
        "the message names the cap: {refused}"
    );
    assert_eq!(detail_fields(&refused), vec!["url"]);
    assert!(detail_message(&refused, "url").contains("3 webhook endpoints"), "{refused}");
    assert_eq!((endpoint_count(&app, "acme"), created_events(&app)), (3, 3), "nothing more created or audited");

    // Deleting one makes room for one.
    let (_, list, _) = api(&app, Method::GET, "/api/v1/webhooks", &writer, None).await;
    let first = list["data"][0]["id"].as_str().expect("id").to_owned();
    let (status, _, _) = api(&app, Method::DELETE, &format!("/api/v1/webhooks/{first}"), &writer, None).await;
    assert_eq!(status, 204);
    let (status, _, _) = api(&app, Method::POST, "/api/v1/webhooks", &writer, Some(body(4))).await;
    assert_eq!(status, 201);
    assert_eq!(endpoint_count(&app, "acme"), 3);
}

#[tokio::test]
async fn the_console_form_shows_the_cap_next_to_the_url_and_keeps_the_values() {
    let app = app_with_cap(2).await;
    let owner = app.logged_in("owner@acme.test").await;
    for i in 0..2 {
        add_webhook(&owner, "acme", &format!("http://127.0.0.1:9/hook-{i}"), &["order.created"]).await;
    }
    let fields = [
        ("url", "http://127.0.0.1:9/one-too-many"),
        ("description", "Fulfilment"),
        ("events", "order.created"),
        ("events", "customer.created"),
    ];
    let res = owner.post_form(HOOKS, &fields).await;
    assert_eq!(res.status(), 422);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(count(&html, "[data-testid=secret-dialog]"), 0, "no secret: nothing was created");
    let error = select_all_text(&html, "#url-error").join(" ");
    assert!(error.contains("2 webhook endpoints"), "the cap is explained next to the URL: {error:?}");
    assert_eq!(select_attr(&html, "input[name=url]", "value").as_deref(), Some("http://127.0.0.1:9/one-too-many"));
    assert_eq!(select_attr(&html, "[name=description]", "value").as_deref(), Some("Fulfilment"));
    let ticked = select_all_attr(&html, "input[name=events][checked]", "value");
    assert_eq!(ticked, vec!["order.created", "customer.created"].into_iter().map(String::from).collect::<Vec<_>>());
    assert_eq!((endpoint_count(&app, "acme"), created_events(&app)), (2, 2));
}

#[tokio::test]
async fn concurrent_creates_cannot_pass_the_cap() {
    let app = app_with_cap(5).await;
    let (_, writer) = app.make_scoped_key("acme", "Hooks admin", &["webhooks:write"]);
    let owner = app.logged_in("owner@acme.test").await;
    let csrf = owner.csrf().await;
    // 24 creates at once, through the API and the console alike.
    let api_calls = (0..16).map(|i| {
        let (app, writer) = (&app, writer.clone());
        async move { api(app, Method::POST, "/api/v1/webhooks", &writer, Some(body(i))).await.0 }
    });
    let form_calls = (0..8).map(|i| {
        let (owner, csrf) = (&owner, csrf.clone());
        async move {
            let url = format!("http://127.0.0.1:9/form-{i}");
            let fields = [("csrf_token", csrf.as_str()), ("url", url.as_str()), ("events", "order.created")];
            owner.post_raw(HOOKS, &fields).await.status().as_u16()
        }
    });
    let (api_statuses, form_statuses) = futures_util::future::join(
        futures_util::future::join_all(api_calls),
        futures_util::future::join_all(form_calls),
    )
    .await;
    let created =
        api_statuses.iter().filter(|s| **s == 201).count() + form_statuses.iter().filter(|s| **s == 200).count();
    assert!(
        api_statuses.iter().chain(&form_statuses).all(|s| [200, 201, 422].contains(s)),
        "only created or refused: {api_statuses:?} {form_statuses:?}"
    );
    assert_eq!(created, 5, "exactly the cap was created: {api_statuses:?} {form_statuses:?}");
    assert_eq!((endpoint_count(&app, "acme"), created_events(&app)), (5, 5));
}
