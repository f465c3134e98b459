//! `/metrics`: Prometheus/OpenMetrics text with request, key, webhook and queue figures.

use crate::support::*;

pub async fn scrape(app: &TestApp) -> String {
    let res = api_client().get(format!("{}/metrics", app.base)).send().await.expect("scrape");
    assert_eq!(res.status(), 200);
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    res.text().await.expect("body")
}

/// The value of the sample `line_start` (metric name and labels), if present.
pub fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_by_route_and_keys_by_outcome() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let owner = app.logged_in("owner@acme.test").await;
    let (status, body, _) = ping(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(ping(&app, &token).await.0, 200);
    let key_id = body["key_id"].as_str().expect("key id").to_owned();
    assert_eq!(ping(&app, "lk_live_00000000000000000000000000000000000000").await.0, 401);
    let res = api_client().get(format!("{}/api/v1/ping", app.base)).send().await.expect("no key");
    assert_eq!(res.status(), 401);
    assert_eq!(owner.get(&format!("/orgs/acme/settings/api-keys/{key_id}")).await.status(), 200);

    let text = scrape(&app).await;
    let ping_200 = r#"latchkey_http_requests_total{method="GET",route="/api/v1/ping",status="200"}"#;
    assert_eq!(sample(&text, ping_200), Some(2.0), "{text}");
    let ping_401 = r#"latchkey_http_requests_total{method="GET",route="/api/v1/ping",status="401"}"#;
    assert_eq!(sample(&text, ping_401), Some(2.0));
    assert_eq!(sample(&text, r#"latchkey_api_key_verifications_total{outcome="ok"}"#), Some(2.0));
    assert_eq!(sample(&text, r#"latchkey_api_key_verifications_total{outcome="malformed_key"}"#), Some(1.0));
    assert_eq!(sample(&text, r#"latchkey_api_key_verifications_total{outcome="missing_key"}"#), Some(1.0));
    // Routes are patterns: ids never become label values (bounded cardinality, nothing identifying).
    let page =
        r#"latchkey_http_requests_total{method="GET",route="/orgs/{slug}/settings/api-keys/{key_id}",status="200"}"#;
    assert_eq!(sample(&text, page), Some(1.0), "{text}");
    assert!(!text.contains(&key_id) && !text.contains("acme"));
    let count = r#"latchkey_http_request_duration_seconds_count{method="GET",route="/api/v1/ping"}"#;
    assert_eq!(sample(&text, count), Some(4.0));
    assert!(
        text.contains(
            r#"latchkey_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/ping"} 4"#
        )
    );
    assert_eq!(sample(&text, r#"latchkey_outbox_depth{queue="webhook_deliveries"}"#), Some(0.0));
    assert_eq!(sample(&text, r#"latchkey_outbox_depth{queue="mail_outbox"}"#), Some(0.0));
    assert!(text.contains("# EOF"));
}

#[tokio::test]
async fn the_scheduler_reports_its_runs() {
    let app = spawn_app().await;
    let mut text = String::new();
    for _ in 0..30 {
        text = scrape(&app).await;
        if sample(&text, "latchkey_scheduler_last_run_timestamp_seconds").is_some_and(|t| t > 0.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let last = sample(&text, "latchkey_scheduler_last_run_timestamp_seconds").expect("last run");
    assert!((chrono::Utc::now().timestamp() as f64 - last).abs() < 30.0, "{text}");
    assert!(sample(&text, "latchkey_scheduler_lag_seconds").is_some_and(|lag| (0.0..5.0).contains(&lag)));
}

#[tokio::test]
async fn a_metrics_token_keeps_scrapers_out_without_it() {
    let app = spawn_app_with(|c| c.metrics_token = Some("scrape-me-0123456789".into())).await;
    let url = format!("{}/metrics", app.base);
    let none = api_client().get(&url).send().await.expect("scrape");
    assert_eq!(none.status(), 401);
    let wrong = api_client().get(&url).bearer_auth("scrape-me-wrong").send().await.expect("scrape");
    assert_eq!(wrong.status(), 401);
    let right = api_client().get(&url).bearer_auth("scrape-me-0123456789").send().await.expect("scrape");
    assert_eq!(right.status(), 200);
    assert!(right.text().await.expect("body").contains("latchkey_http_requests_total"));
}
