//! The per-key request log under a flood (docs/user-guide.md: Leak response → Per-key
//! request log): a leaked key, revoked, then hammered with its token by 32
//! connections for 15 s, against a real `latchkey serve` process. The log
//! keeps the first few refusals a minute and counts the rest on one row, so
//! the database and the server's memory stay where they were, every refused
//! request is still accounted for, and the requests made before the flood
//! are still on the key's page and in its CSV.

use crate::support::*;
use diesel::r2d2::ManageConnection;
use std::time::{Duration, Instant};

const AGENT: &str = "integration-before-the-leak/1.0";
const FLOOD: Duration = Duration::from_secs(15);
const CONNECTIONS: usize = 32;
/// What 15 s of flood may add at most: 2.5 MB of database (5 MB for 30 s), and 20 MiB of RSS.
const MAX_GROWTH_BYTES: u64 = 2_500_000;
const MAX_RSS_GROWTH_KIB: u64 = 20 * 1024;

/// Bytes the database takes: the SQLite file and its write-ahead log, or the PostgreSQL database.
fn database_bytes(url: &str) -> u64 {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let size = |suffix: &str| std::fs::metadata(format!("{path}{suffix}")).map(|m| m.len()).unwrap_or(0);
        return size("") + size("-wal");
    }
    use diesel::prelude::*;
    let mut conn = diesel::PgConnection::establish(url).expect("connect");
    let size = diesel::dsl::sql::<diesel::sql_types::BigInt>("pg_database_size(current_database())");
    let bytes: i64 = diesel::select(size).get_result(&mut conn).expect("database size");
    u64::try_from(bytes).expect("a size")
}

/// The process's resident memory (`VmRSS`), in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of kB")
}

/// Every logged row of key `key_id` of acme, newest first.
fn logged(url: &str, key_id: &str) -> Vec<latchkey::db::request_log::RequestRow> {
    let mut conn = latchkey::db::Manager::new(url).connect().expect("connect");
    let org = latchkey::db::orgs::find_by_slug(&mut conn, "acme").expect("query").expect("org");
    let key = latchkey::db::api_keys::find(&mut conn, org.id, key_id).expect("query").expect("key");
    latchkey::db::request_log::page(&mut conn, key.id, &Default::default(), None, 1_000_000).expect("log")
}

/// Requests the rows stand for: each row itself and the repeats it counts.
fn requests_logged(rows: &[latchkey::db::request_log::RequestRow]) -> i64 {
    rows.iter().map(|r| 1 + r.repeats).sum()
}

/// Requests with `token` from `CONNECTIONS` connections until `FLOOD` has passed, each as
/// large as an attacker makes it (a long path, a long user agent): (answers by status, requests that failed).
async fn flood(base: &str, token: &str) -> (std::collections::BTreeMap<u16, u64>, u64) {
    let deadline = Instant::now() + FLOOD;
    let agent = format!("flood/1.0 {}", "a".repeat(600));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (url, token, agent) =
            (format!("{base}/api/v1/customers/cus_{}", "x".repeat(1500)), token.to_owned(), agent.clone());
        tasks.push(tokio::spawn(async move {
            // One client per task: one keep-alive connection each.
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("client");
            let (mut statuses, mut failed) = (std::collections::BTreeMap::new(), 0);
            while Instant::now() < deadline {
                match client.get(&url).bearer_auth(&token).header("user-agent", &agent).send().await {
                    Ok(res) => {
                        *statuses.entry(res.status().as_u16()).or_insert(0) += 1;
                        let _ = res.bytes().await;
                    }
                    Err(_) => failed += 1,
                }
            }
            (statuses, failed)
        }));
    }
    let (mut statuses, mut failed) = (std::collections::BTreeMap::new(), 0);
    for task in tasks {
        let (s, f) = task.await.expect("flood task");
        for (status, n) in s {
            *statuses.entry(status).or_insert(0) += n;
        }
        failed += f;
    }
    (statuses, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_with_a_revoked_token_leaves_the_database_and_memory_where_they_were() {
    let (url, _dir) = fresh_database();
    seed_acme_over_cli(&url);
    // One log line per request would be the biggest thing on disk; this test is about the database.
    let server = ServeProcess::start(&url, &[("RUST_LOG", "warn".into())]).await;
    let owner = visitor_for(&server.base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    let CreatedKey { id: key_id, token } =
        create_key(&owner, &[("label", "leaked"), ("rate_limit_per_minute", "0")]).await;

    // The integration's real requests, before anyone knew the token had leaked.
    let mut before = Vec::new();
    for path in ["/api/v1/ping", "/api/v1/customers", "/api/v1/customers/cus_0000000000000000", "/api/v1/ping"] {
        let res = api_client()
            .get(format!("{}{path}", server.base))
            .bearer_auth(&token)
            .header("user-agent", AGENT)
            .send()
            .await
            .expect("request");
        let id = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("X-Request-Id").to_owned();
        before.push((res.status().as_u16(), id));
    }
    assert_eq!(before.iter().map(|b| b.0).collect::<Vec<_>>(), [200, 200, 404, 200]);
    assert_eq!(owner.post_form(&format!("{KEYS}/{key_id}/revoke"), &[]).await.status(), 303);
    let res = api_client().get(format!("{}/api/v1/ping", server.base)).bearer_auth(&token).send().await.expect("ping");
    assert_eq!(res.status(), 401, "revoked");
    assert!(eventually(Duration::from_secs(8), || logged(&url, &key_id).len() == 5).await, "logged before the flood");
    // A real process: its writer (every second) and scheduler (every second here) finish what
    // the requests before the flood left, so the database's size is measured at rest.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (bytes_before, rss_before) = (database_bytes(&url), rss_kib(server.child.id()));

    let (statuses, failed) = flood(&server.base, &token).await;
    let refused = statuses.get(&401).copied().unwrap_or(0);
    assert_eq!(statuses.keys().copied().collect::<Vec<_>>(), [401], "every request refused: {statuses:?}");
    // A debug build on a shared machine answers a few thousand a second; released, tens of thousands.
    assert!(refused > 2_000, "a real flood: {refused} requests in {FLOOD:?}");

    // Every refused request is accounted for, on few rows, once the writer has run.
    let expected = 5 + refused;
    let settled = eventually(Duration::from_secs(10), || {
        let logged = requests_logged(&logged(&url, &key_id));
        logged >= i64::try_from(expected).unwrap_or(i64::MAX)
    })
    .await;
    // One more window of the real writer after the count was reached: a request counted twice would show.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows = logged(&url, &key_id);
    let accounted = u64::try_from(requests_logged(&rows)).expect("a count");
    assert!(settled, "all {expected} requests logged or counted; {accounted} are");
    assert!(accounted <= expected + failed, "{accounted} logged for {expected} made ({failed} failed)");
    let (bytes_after, rss_after) = (database_bytes(&url), rss_kib(server.child.id()));
    let grown = bytes_after.saturating_sub(bytes_before);
    assert!(
        grown < MAX_GROWTH_BYTES,
        "{refused} refused requests grew the database by {grown} bytes ({bytes_before} → {bytes_after}); {} rows",
        rows.len()
    );
    let rss_grown = rss_after.saturating_sub(rss_before);
    assert!(rss_grown < MAX_RSS_GROWTH_KIB, "RSS {rss_before} → {rss_after} KiB after {refused} refused requests");
    // Five refusals a minute listed one by one, the rest counted (the check and the flood span ≤ 3 minutes).
    let counted: Vec<_> = rows.iter().filter(|r| r.repeats > 0).collect();
    assert!(rows.len() <= 4 + 3 * 6, "{} rows for the flood", rows.len());
    assert!(!counted.is_empty() && counted.iter().all(|r| r.status == 401), "counted on rows of their kind");
    assert!(counted.iter().all(|r| r.error_code.as_deref() == Some("revoked_key")));

    // The requests made before the flood are still on the key's page and in its CSV.
    let (status, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(status, 200);
    let ids = select_all_text(&page, "tr[data-testid=request-row] td:last-child");
    for (_, id) in &before {
        assert!(ids.contains(id), "request {id} before the flood is listed");
    }
    let more = select_all_attr(&page, "[data-testid=request-repeats]", "data-repeats");
    let shown: i64 = more.iter().map(|n| n.parse::<i64>().expect("a count")).sum();
    assert_eq!(shown, counted.iter().map(|r| r.repeats).sum::<i64>(), "the page shows the counts");
    assert!(select_all_text(&page, "[data-testid=request-repeats]").iter().all(|t| t.ends_with("more like this")));
    let csv = owner.get(&format!("{KEYS}/{key_id}/requests.csv")).await.text().await.expect("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().expect("header").get(9), Some("repeats"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    for (_, id) in &before {
        assert!(records.iter().any(|r| &r[8] == id.as_str()), "request {id} is in the CSV");
    }
    let in_csv: u64 = records.iter().map(|r| 1 + r[9].parse::<u64>().expect("repeats")).sum();
    assert_eq!(in_csv, accounted, "the CSV accounts for every request too");
}
