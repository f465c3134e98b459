//! The per-key request log (docs/user-guide.md: Per-key request log): every API request that
//! names a known key — served or refused — shows on the key's page within a
//! few seconds, newest first, with method, path, status, error code, client,
//! user agent and request id; filtered by status class, IP and time, in
//! keyset pages of 50, and as CSV. Owners and admins only (support staff
//! read-only); nothing is kept when `LATCHKEY_REQUEST_LOG_DAYS=0`.

use crate::support::*;
use diesel::prelude::*;
use reqwest::Method;
use scraper::Html;
use std::time::Duration;

pub(crate) const AGENT: &str = "forensics-agent/2.0";

/// The database row id of key `key_id` of `slug`.
pub(crate) fn key_row(app: &TestApp, slug: &str, key_id: &str) -> i64 {
    latchkey::db::api_keys::find(&mut app.conn(), org_id(app, slug), key_id).expect("query").expect("key").id
}

/// Every logged request of the key, newest first.
pub(crate) fn logged(app: &TestApp, key_id: &str) -> Vec<latchkey::db::request_log::RequestRow> {
    let row = key_row(app, "acme", key_id);
    latchkey::db::request_log::page(&mut app.conn(), row, &Default::default(), None, 100_000).expect("log")
}

/// How many requests the log holds, for any key.
pub(crate) fn total_logged(app: &TestApp) -> i64 {
    use latchkey::db::schema::api_request_log::dsl;
    dsl::api_request_log.count().get_result(&mut app.conn()).expect("count")
}

/// Writes the request log's buffer until the key has `n` logged requests (up to 5 s:
/// a request is buffered once its answer is on its way, maybe a moment after the client has it).
pub(crate) async fn wait_logged(app: &TestApp, key_id: &str, n: usize) {
    let arrived = eventually_async(Duration::from_secs(5), || async {
        app.flush_request_log().await;
        logged(app, key_id).len() >= n
    })
    .await;
    assert!(arrived, "{n} requests logged within seconds; have {}", logged(app, key_id).len());
}

/// An API call with our user agent: (status, body, X-Request-Id).
pub(crate) async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> (u16, serde_json::Value, String) {
    let body = (method == Method::POST).then(|| serde_json::json!({"customer_email": "a@b.co"}));
    let (status, body, headers) = api_with(app, method, path, token, body, &[("user-agent", AGENT)]).await;
    let id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("X-Request-Id").to_owned();
    (status, body, id)
}

/// The rows of the key page's request log: (status, row text).
fn rows(page: &Html) -> Vec<(String, String)> {
    let sel = scraper::Selector::parse("tr[data-testid=request-row]").expect("selector");
    page.select(&sel)
        .map(|tr| {
            let text = tr.text().collect::<Vec<_>>().join(" ");
            (tr.value().attr("data-status").unwrap_or_default().to_owned(), text)
        })
        .collect()
}

fn statuses(page: &Html) -> Vec<String> {
    rows(page).into_iter().map(|r| r.0).collect()
}

/// The request ids of a page's rows (their last cell).
fn request_ids(page: &Html) -> Vec<String> {
    select_all_text(page, "tr[data-testid=request-row] td:last-child")
}

#[tokio::test]
async fn served_and_refused_requests_show_on_the_key_page_newest_first() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (key_id, token) = app.make_scoped_key("acme", "Reader", &["customers:read"]);

    let (status, _, served) = call(&app, Method::GET, "/api/v1/ping", &token).await;
    assert_eq!(status, 200);
    let (status, body, refused) = call(&app, Method::POST, "/api/v1/orders", &token).await;
    assert_eq!((status, code(&body)), (403, "insufficient_scope"));
    let (status, body, missing) = call(&app, Method::GET, "/api/v1/customers/cus_0000000000000000", &token).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    // Malformed, unknown and absent tokens name no key: logged under none.
    let tampered = super::leak_lookup::tampered(&token);
    for bad in [tampered.as_str(), &super::leak_lookup::unknown_token(), "garbage"] {
        assert_eq!(call(&app, Method::GET, "/api/v1/ping", bad).await.0, 401);
    }
    assert_eq!(api_client().get(format!("{}/api/v1/ping", app.base)).send().await.unwrap().status(), 401);
    assert_eq!(owner.post_form(&format!("{KEYS}/{key_id}/revoke"), &[]).await.status(), 303);
    let (status, body, revoked) = call(&app, Method::GET, "/api/v1/ping", &token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"));

    wait_logged(&app, &key_id, 4).await;
    assert_eq!(total_logged(&app), 4, "only requests that named the key are logged");
    let (status, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(statuses(&page), vec!["401", "404", "403", "200"], "newest first");
    assert_eq!(request_ids(&page), vec![revoked.clone(), missing, refused, served]);
    let rows = rows(&page);
    assert!(rows[0].1.contains("GET /api/v1/ping") && rows[0].1.contains("revoked_key"), "{}", rows[0].1);
    assert!(rows[1].1.contains("GET /api/v1/customers/cus_0000000000000000") && rows[1].1.contains("not_found"));
    assert!(rows[2].1.contains("POST /api/v1/orders") && rows[2].1.contains("insufficient_scope"));
    assert!(rows[3].1.contains("GET /api/v1/ping"));
    for (_, text) in &rows {
        assert!(text.contains("127.0.0.1") && text.contains(AGENT), "client shown: {text}");
    }
    assert!(!page.html().contains(&token), "no token on the page");
    let stored = logged(&app, &key_id);
    assert_eq!(stored[3].error_code, None, "a served request has no error code");
    assert_eq!(stored[0].request_id, revoked);
}

#[tokio::test]
async fn the_log_filters_by_status_address_and_time_and_exports_csv() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (key_id, token) = app.make_scoped_key("acme", "Filtered", &[]);
    for path in ["/api/v1/ping", "/api/v1/ping", "/api/v1/customers/cus_0000000000000000"] {
        call(&app, Method::GET, path, &token).await;
    }
    wait_logged(&app, &key_id, 3).await;
    let today = chrono::Utc::now().date_naive();
    let (yesterday, tomorrow) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let page = format!("{KEYS}/{key_id}");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (String::new(), vec!["404", "200", "200"]),
        ("?status=4xx".into(), vec!["404"]),
        ("?status=2xx".into(), vec!["200", "200"]),
        ("?status=5xx".into(), vec![]),
        ("?ip=127.0.0.1".into(), vec!["404", "200", "200"]),
        ("?ip=10.9.9.9".into(), vec![]),
        (format!("?from={yesterday}"), vec!["404", "200", "200"]),
        (format!("?from={tomorrow}"), vec![]),
        (format!("?to={yesterday}"), vec![]),
        (format!("?from={yesterday}&to={today}&status=2xx&ip=127.0.0.1"), vec!["200", "200"]),
    ];
    for (query, want) in cases {
        let (status, html) = owner.get_html(&format!("{page}{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(statuses(&html), want, "{query}");
        assert_eq!(count(&html, "[data-testid=form-error]"), 0, "{query}");
        assert_eq!(count(&html, "[data-testid=no-requests]"), usize::from(want.is_empty()), "{query}");
    }
    let bad = [
        ("?from=yesterday".to_owned(), "from"),
        ("?to=2026-13-45".to_owned(), "to"),
        (format!("?from={tomorrow}&to={yesterday}"), "to"),
        ("?ip=not-an-ip".to_owned(), "ip"),
    ];
    for (query, field) in bad {
        let (status, html) = owner.get_html(&format!("{page}{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(count(&html, &format!("#req-{field}-error[data-testid=form-error]")), 1, "{query}");
        assert!(statuses(&html).is_empty(), "a bad filter lists nothing: {query}");
    }

    // The CSV: a header row and one row per request, same filters.
    let csv = |query: String| {
        let owner = &owner;
        let page = &page;
        async move {
            let res = owner.get(&format!("{page}/requests.csv{query}")).await;
            let status = res.status().as_u16();
            let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (status, kind, res.text().await.expect("body"))
        }
    };
    let (status, kind, text) = csv(String::new()).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,method,path,status,error_code,latency_ms,ip,user_agent,request_id,repeats,via,host");
    assert_eq!(lines.len(), 4, "{text}");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("csv row")).collect();
    let first: Vec<&str> = records[0].iter().skip(1).take(4).collect();
    assert_eq!(first, ["GET", "/api/v1/customers/cus_0000000000000000", "404", "not_found"]);
    assert_eq!((&records[2][6], &records[2][7]), ("127.0.0.1", AGENT));
    assert_eq!(records[2][8], logged(&app, &key_id)[2].request_id);
    let (status, _, text) = csv("?status=4xx".into()).await;
    assert_eq!((status, text.lines().count()), (200, 2));
    let (status, _, text) = csv("?ip=10.9.9.9".into()).await;
    assert_eq!((status, text.lines().count()), (200, 1), "only the header");
    let (status, _, text) = csv(format!("?to={yesterday}")).await;
    assert_eq!((status, text.lines().count()), (200, 1));
    assert_eq!(csv("?from=yesterday".into()).await.0, 400, "a bad filter is refused");
    assert!(!text.contains(&token));
}

#[tokio::test]
async fn the_log_pages_fifty_at_a_time_keeping_the_filters() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (key_id, token) = app.make_scoped_key("acme", "Busy", &[]);
    let mut ids = Vec::new();
    for _ in 0..52 {
        ids.push(call(&app, Method::GET, "/api/v1/ping", &token).await.2);
    }
    for _ in 0..3 {
        call(&app, Method::GET, "/api/v1/customers/cus_0000000000000000", &token).await;
    }
    wait_logged(&app, &key_id, 55).await;

    let (_, first) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(statuses(&first).len(), 50);
    assert_eq!(statuses(&first)[..4], ["404", "404", "404", "200"]);
    let next = select_attr(&first, "[data-testid=requests-next]", "href").expect("a link to older requests");
    let (_, second) = owner.get_html(next.split('#').next().unwrap()).await;
    assert_eq!(statuses(&second), vec!["200"; 5]);
    assert_eq!(count(&second, "[data-testid=requests-next]"), 0, "the last page");
    let mut seen = request_ids(&first);
    seen.extend(request_ids(&second));
    assert_eq!(seen[3..].to_vec(), ids.iter().rev().cloned().collect::<Vec<_>>(), "every request once, newest first");

    // With a filter, the next page keeps it.
    let (_, first) = owner.get_html(&format!("{KEYS}/{key_id}?status=2xx")).await;
    assert_eq!(request_ids(&first), ids.iter().rev().take(50).cloned().collect::<Vec<_>>());
    let next = select_attr(&first, "[data-testid=requests-next]", "href").expect("next page");
    assert!(next.contains("status=2xx"), "{next}");
    let (_, second) = owner.get_html(next.split('#').next().unwrap()).await;
    assert_eq!(request_ids(&second), vec![ids[1].clone(), ids[0].clone()]);
    assert_eq!(count(&second, "[data-testid=requests-next]"), 0);
    // The export is not paged.
    let text = owner.get(&format!("{KEYS}/{key_id}/requests.csv")).await.text().await.unwrap();
    assert_eq!(text.lines().count(), 56);
}

#[tokio::test]
async fn only_owners_and_admins_see_the_log_and_staff_read_it() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("help@latchkey.test", "Hank Helpdesk", true);
    let (key_id, token) = app.make_scoped_key("acme", "Watched", &[]);
    let (other_id, other_token) = app.make_scoped_key("other", "Theirs", &[]);
    let (_, _, request_id) = call(&app, Method::GET, "/api/v1/ping", &token).await;
    assert_eq!(ping(&app, &other_token).await.0, 200);
    wait_logged(&app, &key_id, 1).await;

    let admin = app.logged_in("admin@acme.test").await;
    let (status, page) = admin.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!((status, request_ids(&page)), (200, vec![request_id.clone()]));
    assert_eq!(admin.get(&format!("{KEYS}/{key_id}/requests.csv")).await.status(), 200);
    for email in ["member@acme.test", "readonly@acme.test"] {
        let visitor = app.logged_in(email).await;
        assert_eq!(visitor.get(&format!("{KEYS}/{key_id}")).await.status(), 403, "{email}");
        assert_eq!(visitor.get(&format!("{KEYS}/{key_id}/requests.csv")).await.status(), 403, "{email}");
    }
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(owner.get(&format!("{KEYS}/{other_id}")).await.status(), 404, "another org's key");
    let res = owner.get(&format!("{KEYS}/{other_id}/requests.csv")).await;
    assert_eq!(res.status(), 404);
    let outsider = app.logged_in("outsider@other.test").await;
    assert_eq!(outsider.get(&format!("{KEYS}/{key_id}/requests.csv")).await.status(), 404);

    let staff = app.logged_in("help@latchkey.test").await;
    let (status, page) = staff.get_html(&format!("/support/orgs/acme/api-keys/{key_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(request_ids(&page), vec![request_id.clone()], "staff see the log");
    assert_eq!(count(&page, "[data-testid=requests-csv]"), 0, "read-only: no export");
    assert_eq!(count(&page, "form[method=post]:not([action^='/logout'])"), 0);
    let (_, filtered) = staff.get_html(&format!("/support/orgs/acme/api-keys/{key_id}?status=4xx")).await;
    assert!(request_ids(&filtered).is_empty(), "staff may filter");
    let res = staff.get(&format!("{KEYS}/{key_id}/requests.csv")).await;
    assert_eq!(res.status(), 403, "staff may not export through the org's console");
}

#[tokio::test]
async fn nothing_is_logged_when_the_log_is_kept_zero_days() {
    let app = spawn_app_with(|c| c.leak.request_log_days = 0).await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (key_id, token) = app.make_scoped_key("acme", "Unlogged", &["customers:read"]);
    assert_eq!(call(&app, Method::GET, "/api/v1/ping", &token).await.0, 200);
    assert_eq!(call(&app, Method::POST, "/api/v1/orders", &token).await.0, 403);
    app.flush_request_log().await;
    app.run_jobs().await;
    assert_eq!(total_logged(&app), 0);
    let (status, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(count(&page, "[data-testid=request-row]"), 0);
    assert_eq!(count(&page, "[data-testid=no-requests]"), 1);
    let text = owner.get(&format!("{KEYS}/{key_id}/requests.csv")).await.text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "only the header");
}

#[tokio::test]
async fn refusals_of_every_kind_are_logged_without_query_strings_or_hostile_markup() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (limited_id, limited) = app.make_key_with(
        "acme",
        latchkey::db::api_keys::KeySettings {
            label: "Limited".into(),
            description: String::new(),
            scopes: Default::default(),
            expires_at: None,
            allowed_ips: Default::default(),
            rate_limit_per_minute: Some(1),
            owner_id: None,
            metadata: None,
        },
    );
    assert_eq!(call(&app, Method::GET, "/api/v1/customers?limit=5&email=secret%40x.co", &limited).await.0, 200);
    let (status, body, _) = call(&app, Method::GET, "/api/v1/ping", &limited).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"));
    let moment_ago = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
    let (expired_id, expired) = app.make_expiring_key("acme", "Expiring", moment_ago);
    let (status, body, _) = call(&app, Method::GET, "/api/v1/ping", &expired).await;
    assert_eq!((status, code(&body)), (401, "expired_key"));
    let (hostile_id, hostile) = app.make_scoped_key("acme", "Hostile", &[]);
    let long = format!("<script>alert(1)</script>{}", "x".repeat(300));
    for agent in ["=HYPERLINK(\"http://evil.test\")", long.as_str()] {
        let (status, _, _) =
            api_with(&app, Method::GET, "/api/v1/ping", &hostile, None, &[("user-agent", agent)]).await;
        assert_eq!(status, 200);
    }

    wait_logged(&app, &limited_id, 2).await;
    wait_logged(&app, &expired_id, 1).await;
    wait_logged(&app, &hostile_id, 2).await;
    let rows = logged(&app, &limited_id);
    assert_eq!((rows[0].status, rows[0].error_code.as_deref()), (429, Some("rate_limited")));
    assert_eq!(rows[1].path, "/api/v1/customers", "no query string is logged");
    let rows = logged(&app, &expired_id);
    assert_eq!((rows[0].status, rows[0].error_code.as_deref()), (401, Some("expired_key")));
    let rows = logged(&app, &hostile_id);
    let kept = rows[0].user_agent.clone().unwrap_or_default();
    assert_eq!(kept.chars().count(), 256, "user agents are kept to 256 characters");
    assert!(long.starts_with(&kept));

    let (_, page) = owner.get_html(&format!("{KEYS}/{limited_id}")).await;
    assert!(!page.html().contains("secret%40x.co") && !page.html().contains("limit=5"));
    let res = owner.get(&format!("{KEYS}/{hostile_id}")).await;
    let text = res.text().await.unwrap();
    assert!(!text.contains("<script>alert(1)"), "the user agent is escaped on the page");
    assert!(text.contains("&lt;script&gt;alert(1)") || text.contains("&#60;script&#62;alert(1)"));
    let csv = owner.get(&format!("{KEYS}/{hostile_id}/requests.csv")).await.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let agents: Vec<String> = reader.records().map(|r| r.expect("row")[7].to_owned()).collect();
    assert_eq!(agents[1], "'=HYPERLINK(\"http://evil.test\")", "a formula is defused in the CSV");
}
