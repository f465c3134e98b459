//! Upgrading (docs/upgrading.md): a database saved at the previous
//! release's schema level, with data of every kind (the demo organisation
//! plus keys, a webhook and records made through a real server), is
//! migrated by this binary and still works: keys authenticate, revoked
//! ones stay revoked, the webhook signs with its old secret, the audit
//! chain verifies.
//!
//! The fixtures in tests/fixtures/upgrade/<level>/ are written by the
//! ignored test below, run with a release's binary before a migration is
//! added (once on SQLite, once with LATCHKEY_TEST_DATABASE_URL set):
//!
//! ```text
//! cargo nextest run --test it --run-ignored only -E 'test(write_upgrade_fixture)'
//! ```

use crate::deliveries::verifies;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upgrade");

/// What a fixture's database holds that only its maker knew: secrets shown once.
#[derive(serde::Serialize, serde::Deserialize)]
struct Known {
    schema_version: String,
    keys_file: String,
    active_token: String,
    revoked_token: String,
    webhook_id: String,
    webhook_secret: String,
}

fn backend(url: &str) -> &'static str {
    if latchkey::db::is_postgres(url) { "postgres" } else { "sqlite" }
}

/// The newest fixture directory (schema levels sort as numbers of equal length).
fn newest_fixture() -> PathBuf {
    let mut levels: Vec<PathBuf> =
        std::fs::read_dir(FIXTURES).expect("fixtures").map(|e| e.expect("entry").path()).collect();
    levels.sort();
    levels.pop().expect("a fixture")
}

/// Loads a fixture's SQL into the empty database `url`.
fn load(url: &str, sql: &Path) {
    if latchkey::db::is_postgres(url) {
        let out = Command::new("psql")
            .args(["--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--dbname", url, "--file"])
            .arg(sql)
            .output()
            .expect("psql");
        assert!(out.status.success(), "{}", said(&out));
    } else {
        use diesel::connection::SimpleConnection;
        let text = std::fs::read_to_string(sql).expect("fixture");
        let path = latchkey::db::sqlite_path(url);
        let mut conn = <diesel::SqliteConnection as diesel::Connection>::establish(path).expect("open");
        conn.batch_execute(&text).expect("load the fixture");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_the_previous_release_upgrades_and_everything_still_works() {
    let (url, _dir) = fresh_database();
    let fixture = newest_fixture();
    let known: Known = serde_json::from_str(
        &std::fs::read_to_string(fixture.join(format!("{}.json", backend(&url)))).expect("fixture facts"),
    )
    .expect("json");
    load(&url, &fixture.join(format!("{}.sql", backend(&url))));
    let work = tempfile::tempdir().expect("work");
    let keys_file = work.path().join("latchkey.keys");
    std::fs::write(&keys_file, &known.keys_file).expect("keys file");

    let mut conn = latchkey::db::connect(&url).expect("connect");
    assert_eq!(latchkey::db::database_schema_version(&mut conn).expect("level"), Some(known.schema_version.clone()));
    let binary = latchkey::db::binary_schema_version(&conn);
    assert!(!latchkey::db::is_newer_level(&known.schema_version, &binary), "the fixture is not from the future");
    let out = latchkey_cli(&["migrate"], &url, &keys_file);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(latchkey::db::database_schema_version(&mut conn).expect("level"), Some(binary));
    for org in ["demo", "acme"] {
        let out = latchkey_cli(&["audit", "verify", "--org", org], &url, &keys_file);
        assert!(out.status.success() && said(&out).contains("is intact"), "{org}: {}", said(&out));
    }

    let server = ServeProcess::start(&url, &[("LATCHKEY_KEYS_FILE", keys_file.display().to_string())]).await;
    let ping = |token: String| {
        let base = server.base.clone();
        async move { api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).send().await.expect("ping") }
    };
    assert_eq!(ping(known.active_token.clone()).await.status(), 200, "a key made before the upgrade works");
    let refused = ping(known.revoked_token.clone()).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.json::<serde_json::Value>().await.expect("json")["error"]["code"], "revoked_key");
    let owner = visitor_for(&server.base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    // The old endpoint, pointed at a live receiver, signs with the secret it was given before the upgrade.
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let hook = format!("/orgs/acme/settings/webhooks/{}", known.webhook_id);
    let res = owner.post_form(&format!("{hook}/edit"), &[("url", &receiver.url), ("events", "customer.created")]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    assert_eq!(owner.post_form(&format!("{hook}/test"), &[("event", "")]).await.status(), 200);
    let got = receiver.got();
    assert!(got.last().is_some_and(|m| verifies(m, &known.webhook_secret)), "signed with the pre-upgrade secret");
    // New work on the old data: a key made now works too.
    let fresh = create_key(&owner, &[("label", "after the upgrade")]).await;
    assert_eq!(ping(fresh.token).await.status(), 200);
    let (status, demo) = {
        let demo_owner = visitor_for(&server.base);
        demo_owner.login("owner@demo.latchkey.test", latchkey::cli::demo::DEMO_PASSWORD).await;
        demo_owner.get_html("/orgs/demo/settings/api-keys").await
    };
    assert_eq!(status, 200);
    assert_eq!(count(&demo, "tr[data-testid=key-row]"), 14, "the demo's keys are all listed");
}

/// Writes this release's fixture (see the module's comment); not part of the suite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/fixtures/upgrade: run by hand at a release"]
async fn write_upgrade_fixture() {
    let (url, _dir) = fresh_database();
    let work = tempfile::tempdir().expect("work");
    let keys_file = work.path().join("latchkey.keys");
    let keys: String = shared_keys().iter().map(|(name, value)| format!("{name}={value}\n")).collect();
    std::fs::write(&keys_file, &keys).expect("keys");
    assert!(latchkey_cli(&["demo"], &url, &keys_file).status.success());
    seed_acme_over_cli(&url);
    let server = ServeProcess::start(&url, &[("LATCHKEY_KEYS_FILE", keys_file.display().to_string())]).await;
    let owner = visitor_for(&server.base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    let active = create_key(&owner, &[("label", "kept across the upgrade"), ("rate_limit_per_minute", "0")]).await;
    let revoked = create_key(&owner, &[("label", "revoked before the upgrade")]).await;
    owner.post_form(&format!("{KEYS}/{}/revoke", revoked.id), &[]).await;
    let hook = add_webhook(&owner, "acme", "http://127.0.0.1:9/hooks", &["order.created"]).await;
    let res = api_client()
        .post(format!("{}/api/v1/orders", server.base))
        .bearer_auth(&active.token)
        .json(&serde_json::json!({"customer_email": "buyer@example.com"}))
        .send()
        .await
        .expect("order");
    assert_eq!(res.status(), 201);
    drop(server);
    assert!(latchkey_cli(&["audit", "checkpoint"], &url, &keys_file).status.success());

    let mut conn = latchkey::db::connect(&url).expect("connect");
    let level = latchkey::db::database_schema_version(&mut conn).expect("level").expect("migrated");
    let dir = Path::new(FIXTURES).join(&level);
    std::fs::create_dir_all(&dir).expect("fixture dir");
    let sql = dir.join(format!("{}.sql", backend(&url)));
    let out = if latchkey::db::is_postgres(&url) {
        Command::new("pg_dump").args(["--no-owner", "--no-privileges", "--dbname", &url, "--file"]).arg(&sql).output()
    } else {
        Command::new("sqlite3").arg(latchkey::db::sqlite_path(&url)).arg(".dump").output().inspect(|out| {
            std::fs::write(&sql, &out.stdout).expect("write the dump");
        })
    }
    .expect("dump");
    assert!(out.status.success(), "{}", said(&out));
    let known = Known {
        schema_version: level,
        keys_file: keys,
        active_token: active.token,
        revoked_token: revoked.token,
        webhook_id: hook.id,
        webhook_secret: hook.secret,
    };
    let json = serde_json::to_string_pretty(&known).expect("json") + "\n";
    std::fs::write(dir.join(format!("{}.json", backend(&url))), json).expect("facts");
}
