//! The real binary's log output never carries a secret (README: Security model).

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
