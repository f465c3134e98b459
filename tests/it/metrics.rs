//! `/metrics`: the Prometheus text format, or OpenMetrics when asked for, with request, key, webhook and queue figures.

use crate::support::*;

/// What Prometheus itself sends: OpenMetrics first, the text format as a fallback.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The OpenMetrics exposition, as Prometheus asks for it.
pub async fn scrape(app: &TestApp) -> String {
    let (kind, body) = scrape_accepting(app, Some(PROMETHEUS_ACCEPT)).await;
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    body
}

/// `/metrics` with this `Accept` header (or none): the content type and the body.
async fn scrape_accepting(app: &TestApp, accept: Option<&str>) -> (String, String) {
    let mut req = api_client().get(format!("{}/metrics", app.base));
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    let res = req.send().await.expect("scrape");
    assert_eq!(res.status(), 200);
    let vary = res.headers().get("vary").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(vary.to_ascii_lowercase().contains("accept"), "caches keep the formats apart: {vary:?}");
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (kind, res.text().await.expect("body"))
}

/// `promtool check metrics` on `text`: (exit code, what it said). Debian's
/// `prometheus` package has it; scripts/bootstrap installs it.
fn promtool_check(text: &str) -> (Option<i32>, String) {
    use std::io::Write;
    let promtool = std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".into());
    let child = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = child.unwrap_or_else(|e| {
        panic!("this test needs promtool ({e}): `apt-get install prometheus` (scripts/test installs it)")
    });
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("promtool");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), said)
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
    // The real scheduler loop: its run times and lag are what is measured.
    let app = spawn_app_with_jobs(|_| {}).await;
    let ran = || async {
        sample(&scrape(&app).await, "latchkey_scheduler_last_run_timestamp_seconds").is_some_and(|t| t > 0.0)
    };
    assert!(eventually_async(std::time::Duration::from_secs(6), ran).await, "the scheduler ran");
    let text = scrape(&app).await;
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

#[tokio::test]
async fn scrapers_that_do_not_ask_for_openmetrics_get_the_text_format_promtool_accepts() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    assert_eq!(ping(&app, &token).await.0, 200);
    assert_eq!(ping(&app, "lk_live_00000000000000000000000000000000000000").await.0, 401);
    for accept in [None, Some("text/plain;version=0.0.4"), Some("text/plain"), Some("*/*")] {
        let (kind, text) = scrape_accepting(&app, accept).await;
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{accept:?}: {kind}");
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"), "{accept:?}: no OpenMetrics-only lines");
        // Counters are named with their `_total` in the text format's HELP and TYPE lines.
        assert!(text.contains("# TYPE latchkey_http_requests_total counter"), "{text}");
        assert!(text.contains("# HELP latchkey_http_requests_total "), "{text}");
        let ping_200 = r#"latchkey_http_requests_total{method="GET",route="/api/v1/ping",status="200"}"#;
        assert_eq!(sample(&text, ping_200), Some(1.0), "{text}");
        let (code, said) = promtool_check(&text);
        assert_eq!(code, Some(0), "promtool check metrics: {said}\n{text}");
        assert_eq!(said.trim(), "", "no lint finding");
    }
}

#[tokio::test]
async fn openmetrics_is_served_only_to_scrapers_that_ask_for_it() {
    let app = spawn_app().await;
    for accept in [PROMETHEUS_ACCEPT, "application/openmetrics-text", "application/openmetrics-text; version=1.0.0"] {
        let (kind, text) = scrape_accepting(&app, Some(accept)).await;
        assert_eq!(kind, "application/openmetrics-text; version=1.0.0; charset=utf-8", "{accept}");
        assert!(text.ends_with("# EOF\n"), "{accept}: {text}");
    }
    // Asked for with q=0 (not acceptable), or after the text format: the text format.
    for accept in ["application/openmetrics-text;q=0, text/plain", "text/plain, application/openmetrics-text;q=0.5"] {
        let (kind, _) = scrape_accepting(&app, Some(accept)).await;
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{accept}: {kind}");
    }
}
