//! Running it for years (docs/operator-guide.md): secrets read from files,
//! and the guard that keeps an older binary off a newer schema.

use crate::support::*;
use diesel::connection::SimpleConnection;
use std::process::Command;

/// Writes `value` plus a newline (as `echo` and editors leave one) to a file in `dir`.
fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{value}\n")).expect("secret file");
    path.display().to_string()
}

#[tokio::test]
async fn every_secret_setting_reads_from_its_file() {
    let (url, _dir) = fresh_database();
    seed_acme_over_cli(&url);
    let secrets = tempfile::tempdir().expect("secrets dir");
    let mut env: Vec<(&str, String)> = shared_keys()
        .into_iter()
        .map(|(name, value)| (leak(format!("{name}_FILE")), secret_file(secrets.path(), name, &value)))
        .collect();
    env.push(("DATABASE_URL_FILE", secret_file(secrets.path(), "db", &url)));
    env.push(("LATCHKEY_METRICS_TOKEN_FILE", secret_file(secrets.path(), "metrics", "metrics-token-from-a-file")));
    let server = ServeProcess::start("", &env).await;
    // The database came from its file: the org seeded there is served.
    let owner = visitor_for(&server.base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    assert_eq!(owner.get("/orgs/acme").await.status(), 200);
    // The metrics token came from its file, without its newline.
    let metrics = |token: &'static str| api_client().get(format!("{}/metrics", server.base)).bearer_auth(token).send();
    assert_eq!(metrics("metrics-token-from-a-file").await.expect("metrics").status(), 200);
    assert_eq!(metrics("wrong").await.expect("metrics").status(), 401);
    // No key was generated: every one came from a file.
    assert!(!server.logs().contains("using generated keys"), "{}", server.logs());
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

#[test]
fn a_secret_set_both_ways_or_in_a_missing_file_stops_start_up() {
    let (url, _dir) = fresh_database();
    let secrets = tempfile::tempdir().expect("secrets dir");
    let token = secret_file(secrets.path(), "metrics", "t");
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[("LATCHKEY_METRICS_TOKEN", "t"), ("LATCHKEY_METRICS_TOKEN_FILE", &token)], "not both"),
        (&[("LATCHKEY_SMTP_URL_FILE", "/nonexistent/smtp")], "cannot read LATCHKEY_SMTP_URL_FILE"),
        (&[("LATCHKEY_ENCRYPTION_KEY_FILE", "/dev/null")], "is empty"),
    ];
    for (env, message) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("LATCHKEY_BIND", "127.0.0.1:0")
            .env("LATCHKEY_KEYS_FILE", secrets.path().join("keys"))
            .envs(env.iter().copied())
            .output()
            .expect("serve");
        assert!(!out.status.success(), "{env:?} started");
        assert!(said(&out).contains(message), "{env:?}: {}", said(&out));
    }
}

#[tokio::test]
async fn a_schema_newer_than_the_binary_is_refused_before_anything_is_touched() {
    let (url, _dir) = fresh_database();
    seed_acme_over_cli(&url);
    let mut conn = latchkey::db::connect(&url).expect("connect");
    let binary = latchkey::db::binary_schema_version(&conn);
    conn.batch_execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231000000')").expect("newer");
    let before = latchkey::db::snapshot::contents(&mut conn).expect("contents");
    for command in ["migrate", "serve"] {
        let out = Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .arg(command)
            .env("DATABASE_URL", &url)
            .env("LATCHKEY_BIND", "127.0.0.1:0")
            .env("LATCHKEY_KEYS_FILE", std::env::temp_dir().join(format!("lk-guard-{}.keys", std::process::id())))
            .output()
            .expect("run");
        assert!(!out.status.success(), "{command} ran on a newer schema");
        let said = said(&out);
        assert!(said.contains("99991231000000") && said.contains(&binary), "{command} names both levels: {said}");
    }
    let after = latchkey::db::snapshot::contents(&mut conn).expect("contents");
    assert_eq!(after.counts, before.counts, "nothing was written");
}
