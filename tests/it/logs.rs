//! The real binary's log output: never a secret (docs/security-model.md: Rules), the
//! format `LATCHKEY_LOG_FORMAT` asks for on every command, colour only on a
//! terminal, and webhook endpoints' changes of health.

use crate::support::*;
use std::process::Command;

#[tokio::test]
async fn no_token_or_password_reaches_the_server_log_even_at_debug_level() {
    let (url, dir) = fresh_database();
    let work = tempfile::tempdir().expect("dir");
    let bin = env!("CARGO_BIN_EXE_latchkey");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).env("DATABASE_URL", &url).output().expect("run");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["user", "create", "--email", "owner@acme.test", "--name", "Olive", "--password", PASSWORD]);
    run(&["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "paid", "--owner", "owner@acme.test"]);

    let keys = work.path().join("keys").display().to_string();
    let server = ServeProcess::start(&url, &[("RUST_LOG", "debug".into()), ("LATCHKEY_KEYS_FILE", keys)]).await;
    let base = server.base.clone();
    let visitor = visitor_for(&base);
    assert_eq!(visitor.login("owner@acme.test", "wrong-password-in-logs?").await.status(), 401);
    assert_eq!(visitor.login("owner@acme.test", PASSWORD).await.status(), 303);
    let CreatedKey { token, .. } = create_key(&visitor, &[("label", "Logged?")]).await;
    let client = reqwest::Client::new();
    for t in [token.clone(), format!("{}x", &token[..token.len() - 1])] {
        client.get(format!("{base}/api/v1/ping")).bearer_auth(&t).send().await.expect("ping");
    }
    drop(dir);
    let log = server.logs();
    assert!(log.contains("served"), "the log was written: {log}");
    assert!(!log.contains(&token[14..]), "token in the log");
    assert!(!log.contains(&token[8..30]), "part of the token in the log");
    assert!(!log.contains(PASSWORD) && !log.contains("wrong-password-in-logs"), "password in the log");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id() {
    let (url, _dir) = fresh_database();
    let server = ServeProcess::start(&url, &[("LATCHKEY_LOG_FORMAT", "json".into())]).await;
    let res = reqwest::get(format!("{}/api/v1/ping", server.base)).await.expect("ping");
    let request_id = res.headers()["x-request-id"].to_str().expect("id").to_owned();
    let served = |line: &serde_json::Value| {
        line["fields"]["message"] == "served" && line["span"]["request_id"] == request_id.as_str()
    };
    let mut lines = Vec::new();
    assert!(
        eventually(std::time::Duration::from_secs(5), || {
            lines = server.logs().lines().map(str::to_owned).collect();
            lines.iter().filter_map(|l| serde_json::from_str(l).ok()).any(|l| served(&l))
        })
        .await,
        "{lines:?}"
    );
    for line in &lines {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(parsed["timestamp"].is_string() && parsed["level"].is_string(), "{line}");
    }
    let entry: serde_json::Value =
        lines.iter().filter_map(|l| serde_json::from_str(l).ok()).find(served).expect("served line");
    assert_eq!(entry["fields"]["status"], 401);
    assert_eq!(entry["span"]["path"], "/api/v1/ping");
}

#[tokio::test]
async fn malformed_requests_from_clients_are_summarised_not_logged_as_errors() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (url, _dir) = fresh_database();
    let server = ServeProcess::start(&url, &[]).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    for i in 0..40 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
        let garbage = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header {i}\r\n\r\n");
        stream.write_all(garbage.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"), "the client is told");
    }
    let mut log = String::new();
    assert!(
        eventually(std::time::Duration::from_secs(5), || {
            log = server.logs();
            log.contains("clients sent malformed HTTP requests")
        })
        .await,
        "{log}"
    );
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "no ERROR line for client mistakes: {errors:?}");
    assert_eq!(log.matches("clients sent malformed HTTP requests").count(), 1, "one summary a minute: {log}");
}

/// How many attempts to the endpoint `hook` (public id) got `status`.
fn attempts_answered(url: &str, hook: &str, status: i64) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = "SELECT COUNT(*) AS n FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id \
               WHERE e.public_id = $1 AND a.status_code = $2";
    let mut conn = latchkey::db::pool(url).get().expect("connect");
    let count: Count = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(hook)
        .bind::<diesel::sql_types::BigInt, _>(status)
        .get_result(&mut *conn)
        .expect("count attempts");
    count.n
}

#[tokio::test]
async fn an_endpoint_that_fails_recovers_and_is_disabled_logs_each_change_once_with_its_id() {
    use std::time::Duration;
    let (url, _dir) = fresh_database();
    seed_acme_over_cli(&url);
    let server = ServeProcess::start(&url, &[]).await;
    let owner = visitor_for(&server.base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    let receiver = Receiver::start(500, "down", Duration::ZERO);
    let hook = add_webhook(&owner, "acme", &receiver.url, &["customer.created"]).await.id;
    let CreatedKey { token, .. } = create_key(&owner, &[("label", "Health")]).await;
    let customer = |n: u32| {
        let (base, token) = (server.base.clone(), token.clone());
        async move {
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/customers"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"email": format!("c{n}@example.com")}))
                .send()
                .await
                .expect("create customer");
            assert_eq!(res.status(), 201);
        }
    };
    let lines_with = |what: &str| -> Vec<String> {
        server.logs().lines().filter(|l| l.contains(&hook) && l.contains(what)).map(str::to_owned).collect()
    };

    // Three failed deliveries: the endpoint started failing once.
    for n in 0..3 {
        customer(n).await;
    }
    assert!(eventually(Duration::from_secs(10), || attempts_answered(&url, &hook, 500) == 3).await);
    // Its retries (about 5 s later) succeed: it recovered once.
    receiver.set_status(200);
    assert!(eventually(Duration::from_secs(15), || attempts_answered(&url, &hook, 200) == 3).await);
    // A 410 Gone: failing again, and disabled.
    receiver.set_status(410);
    customer(3).await;
    assert!(eventually(Duration::from_secs(10), || !lines_with("disabled").is_empty()).await, "{}", server.logs());

    let failing = lines_with("started failing");
    assert_eq!(failing.len(), 2, "one line per change, not per attempt: {failing:?}");
    assert!(failing.iter().all(|l| l.contains("WARN")), "{failing:?}");
    let recovered = lines_with("recovered");
    assert_eq!(recovered.len(), 1, "{recovered:?}");
    assert!(recovered[0].contains("INFO"), "{recovered:?}");
    let disabled = lines_with("disabled");
    assert_eq!(disabled.len(), 1, "{disabled:?}");
    assert!(disabled[0].contains("WARN") && disabled[0].contains("410"), "{disabled:?}");
}

/// Runs the real binary with stderr to a pipe (never a terminal).
fn run_cli(url: &str, keys: &std::path::Path, format: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("LATCHKEY_KEYS_FILE", keys)
        .env("LATCHKEY_LOG_FORMAT", format)
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .expect("run latchkey")
}

/// Every stderr line of `out`, parsed; panics on a line that is not a JSON object.
fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .map(|line| {
            let value: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{stderr}"));
            assert!(value["timestamp"].is_string() && value["level"].is_string(), "{line}");
            value
        })
        .collect()
}

#[test]
fn every_command_writes_json_lines_on_stderr_when_the_log_format_is_json() {
    let (url, _dir) = fresh_database();
    let work = tempfile::tempdir().expect("dir");
    let keys = work.path().join("keys");
    let migrations =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).expect("migrations").count();

    let out = run_cli(&url, &keys, "json", &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let applied: Vec<_> =
        json_lines(&out).into_iter().filter(|l| l["fields"]["message"] == "migration applied").collect();
    assert_eq!(applied.len(), migrations, "one INFO line per applied migration");
    assert!(applied.iter().all(|l| l["level"] == "INFO" && l["fields"]["version"].is_string()), "{applied:?}");

    for args in [
        &["user", "create", "--email", "owner@acme.test", "--name", "Olive", "--password", PASSWORD][..],
        &["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "paid", "--owner", "owner@acme.test"],
        &["audit", "verify", "--org", "acme"],
    ] {
        let out = run_cli(&url, &keys, "json", args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        json_lines(&out);
    }
    // A command that fails says why in a JSON line too.
    let out = run_cli(&url, &keys, "json", &["org", "set-plan", "--org", "nosuch", "--plan", "free"]);
    assert!(!out.status.success());
    let lines = json_lines(&out);
    assert!(
        lines.iter().any(|l| l["level"] == "ERROR" && l.to_string().contains("no organisation with slug nosuch")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn text_logs_written_to_a_file_or_a_pipe_carry_no_colour_codes() {
    let (url, _dir) = fresh_database();
    let work = tempfile::tempdir().expect("dir");
    let out = run_cli(&url, &work.path().join("keys"), "text", &["migrate"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("migration applied"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no escape codes in a pipe: {stderr:?}");

    let server = ServeProcess::start(&url, &[]).await;
    reqwest::get(format!("{}/healthz", server.base)).await.expect("healthz");
    let mut log = String::new();
    assert!(
        eventually(std::time::Duration::from_secs(5), || {
            log = server.logs();
            log.contains("served")
        })
        .await
    );
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains('\u{1b}'), "no escape codes in a log file: {log:?}");
}
