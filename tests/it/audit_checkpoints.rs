//! Signed audit checkpoints: taken on demand, on schedule and by the CLI;
//! served (public key, API, audit page, the JSON Lines export's last line);
//! verified in the app, by `latchkey audit verify` offline, and by an
//! independent Python verifier written from docs/user-guide.md alone — including a
//! chain rewritten with every hash recomputed, which only a checkpoint
//! signed before the rewrite can catch.

use crate::support::*;
use latchkey::app::audit::{self, Actor, Entry, RequestMeta};
use latchkey::db::checkpoints;
use latchkey::domain::OrgId;
use latchkey::domain::audit_chain::{EventFields, GENESIS_HASH};
use latchkey::domain::checkpoint::CheckpointSigner;
use reqwest::Method;

pub(super) fn seed_events(app: &TestApp, org_id: OrgId, n: usize) {
    let mut conn = app.conn();
    for i in 0..n {
        let entry = Entry::org_plan_changed(org_id, "acme", if i % 2 == 0 { "free" } else { "paid" }, "paid");
        audit::record(&mut conn, &Actor::cli(), &RequestMeta::default(), entry).expect("record");
    }
}

pub(super) fn signer(app: &TestApp) -> &CheckpointSigner {
    &app.config.compliance.audit_signer
}

fn take(app: &TestApp, org_id: OrgId) -> Option<checkpoints::StoredCheckpoint> {
    audit::checkpoints::take(&mut app.conn(), signer(app), org_id).expect("take")
}

/// Runs the CLI with `args`; (success, stdout + stderr).
pub(super) fn cli(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("LATCHKEY_KEYS_FILE", std::env::temp_dir().join(format!("latchkey-none-{}.keys", std::process::id())))
        .envs(env.iter().copied())
        .output()
        .expect("run");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The independent verifier: (success, output).
fn python_verify(file: &std::path::Path, key: &str) -> (bool, String) {
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/verify_audit_export.py"))
        .arg(file)
        .arg(key)
        .output()
        .expect("python3 with cryptography (scripts/bootstrap installs it)");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Both offline verifiers on `lines`: (latchkey ok, latchkey output, python ok, python output).
fn offline(app: &TestApp, lines: &[String], key: &str) -> (bool, String, bool, String) {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").expect("write export");
    let path = file.to_str().expect("path");
    let (ok, out) = cli(app, &["audit", "verify", "--file", path, "--public-key", key], &[]);
    let (py_ok, py_out) = python_verify(&file, key);
    (ok, out, py_ok, py_out)
}

pub(super) async fn export(owner: &Visitor) -> Vec<String> {
    let res = owner.get("/orgs/acme/settings/audit-log/export.jsonl").await;
    assert_eq!(res.status(), 200);
    res.text().await.expect("body").lines().map(str::to_owned).collect()
}

fn edit_line(lines: &[String], index: usize, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<String> {
    let mut copy = lines.to_vec();
    let mut value: serde_json::Value = serde_json::from_str(&copy[index]).expect("json");
    edit(&mut value);
    copy[index] = value.to_string();
    copy
}

#[tokio::test]
async fn checkpoints_are_signed_served_listed_exported_and_verify_offline() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 6);
    let owner = app.logged_in("owner@acme.test").await;
    let head = events(&app, acme).last().expect("events").seq;
    let checkpoint = take(&app, acme).expect("a checkpoint of the head");
    assert_eq!(checkpoint.seq, head);
    assert!(take(&app, acme).is_none(), "nothing new to sign");
    let public_key = signer(&app).public_key();
    assert_eq!(checkpoint.checkpoint().verify(&public_key), Ok(()));

    let res = owner.get("/.well-known/latchkey-audit-key").await;
    assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/plain"));
    assert_eq!(res.text().await.expect("key"), public_key);
    let (_, page) = owner.get_html("/orgs/acme/settings/audit-log").await;
    assert_eq!(select_all_attr(&page, "tr[data-testid=audit-checkpoint]", "data-seq"), vec![head.to_string()]);

    let (_, auditor) = app.make_scoped_key("acme", "Auditor", &["audit:read"]);
    let (status, body, _) = api(&app, Method::GET, "/api/v1/audit-checkpoints", &auditor, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["seq"], head);
    assert_eq!(body["data"][0]["signature"], checkpoint.signature);
    let (_, reader) = app.make_scoped_key("acme", "Reader", &["orders:read"]);
    assert_eq!(api(&app, Method::GET, "/api/v1/audit-checkpoints", &reader, None).await.0, 403);

    let lines = export(&owner).await;
    let last: serde_json::Value = serde_json::from_str(lines.last().expect("lines")).expect("json");
    assert_eq!(last["type"], "checkpoint");
    assert_eq!((last["seq"].as_i64(), last["hash"].as_str()), (Some(head), Some(checkpoint.hash.as_str())));
    let (ok, out, py_ok, py_out) = offline(&app, &lines, &public_key);
    assert!(ok && out.contains("is intact") && out.contains(&format!("event #{head}")), "{out}");
    assert!(py_ok && py_out.contains("1 checkpoints"), "{py_out}");

    // The key may also be given as a file holding it.
    let dir = tempfile::tempdir().expect("dir");
    let (file, key_file) = (dir.path().join("e.jsonl"), dir.path().join("key.txt"));
    std::fs::write(&file, lines.join("\n")).expect("write");
    std::fs::write(&key_file, format!("{public_key}\n")).expect("write");
    let args = ["audit", "verify", "--file", file.to_str().expect("p"), "--public-key", key_file.to_str().expect("p")];
    assert!(cli(&app, &args, &[]).0);

    // Another key, a forged checkpoint, an edited event: each is named.
    let other = CheckpointSigner::from_base64(&latchkey::infra::config::generate_key(32)).expect("key").public_key();
    let (ok, out, py_ok, _) = offline(&app, &lines, &other);
    assert!(!ok && !py_ok && out.contains("signature does not match"), "{out}");
    let forged = edit_line(&lines, lines.len() - 1, |c| c["seq"] = serde_json::json!(head - 1));
    let (ok, out, py_ok, _) = offline(&app, &forged, &public_key);
    assert!(!ok && !py_ok && out.contains(&format!("checkpoint at event #{}", head - 1)), "{out}");
    let edited = edit_line(&lines, 2, |e| e["ip"] = serde_json::json!("6.6.6.6"));
    let (ok, out, py_ok, py_out) = offline(&app, &edited, &public_key);
    assert!(!ok && out.contains("event #3: content changed"), "{out}");
    assert!(!py_ok && py_out.contains("event #3: content changed"), "{py_out}");
}

/// Rewrites the organisation's chain from `seq` on: event `seq` gets another
/// IP, and every hash after it is recomputed.
fn rewrite_chain_from(app: &TestApp, org_id: OrgId, seq: i64) {
    rewrite_chain(app, org_id, |fields| {
        if fields.seq == seq {
            fields.ip = Some("6.6.6.6".into());
        }
    });
}

/// Rewrites the organisation's chain as someone with write access to the
/// database could: `edit` may change any event's time or IP, and every hash
/// is recomputed so the chain still links up.
pub(super) fn rewrite_chain(app: &TestApp, org_id: OrgId, mut edit: impl FnMut(&mut EventFields)) {
    use diesel::RunQueryDsl;
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    let mut conn = app.conn();
    let mut prev = GENESIS_HASH.to_owned();
    for event in events(app, org_id) {
        let mut fields = event.fields();
        edit(&mut fields);
        let hash = fields.hash(&prev);
        let sql = "UPDATE audit_events SET occurred_at = $1, ip = $2, prev_hash = $3, hash = $4 WHERE org_id = $5 AND seq = $6";
        diesel::sql_query(sql)
            .bind::<Timestamp, _>(fields.occurred_at)
            .bind::<Nullable<Text>, _>(fields.ip.clone())
            .bind::<Text, _>(&prev)
            .bind::<Text, _>(&hash)
            .bind::<BigInt, _>(org_id.get())
            .bind::<BigInt, _>(event.seq)
            .execute(&mut conn)
            .expect("rewrite");
        prev = hash;
    }
    diesel::sql_query("UPDATE audit_chain_heads SET last_hash = $1 WHERE org_id = $2")
        .bind::<Text, _>(&prev)
        .bind::<BigInt, _>(org_id.get())
        .execute(&mut conn)
        .expect("head");
}

#[tokio::test]
async fn a_chain_rewritten_with_recomputed_hashes_is_caught_by_an_earlier_checkpoint() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 8);
    let owner = app.logged_in("owner@acme.test").await;
    let signed = take(&app, acme).expect("checkpoint").seq;
    seed_events(&app, acme, 3);
    let verify = "/orgs/acme/settings/audit-log/verify";
    let (_, html) = owner.get_html(verify).await;
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-intact").as_deref(), Some("true"));
    assert_eq!(select_attr(&html, "[data-testid=verify-checkpoints]", "data-count").as_deref(), Some("1"));
    assert_eq!(
        select_all_text(&html, "[data-testid=verify-checkpoints]").concat(),
        "1 signed checkpoint matches the chain."
    );

    rewrite_chain_from(&app, acme, 4);
    let public_key = signer(&app).public_key();
    // The chain alone still links up …
    let (ok, out) = cli(&app, &["audit", "verify", "--org", "acme"], &[]);
    assert!(ok && out.contains("Checkpoints NOT checked"), "{out}");
    // … the checkpoint does not.
    let (_, html) = owner.get_html(verify).await;
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-intact").as_deref(), Some("false"));
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-broken-checkpoint"), Some(signed.to_string()));
    let text = select_all_text(&html, "[data-testid=verify-result]").concat();
    assert!(text.contains("rewritten"), "{text}");
    let (ok, out) = cli(&app, &["audit", "verify", "--org", "acme", "--public-key", &public_key], &[]);
    assert!(!ok && out.contains(&format!("checkpoint at event #{signed}")) && out.contains("rewritten"), "{out}");

    // The export carries the checkpoint signed before the rewrite: both offline verifiers refuse it.
    let lines = export(&owner).await;
    let (ok, out, py_ok, py_out) = offline(&app, &lines, &public_key);
    assert!(!ok && out.contains("rewritten"), "{out}");
    assert!(!py_ok && py_out.contains("rewritten"), "{py_out}");
}

#[tokio::test]
async fn a_checkpoint_signed_with_another_key_is_reported_by_verify_integrity() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 3);
    let owner = app.logged_in("owner@acme.test").await;
    // The CLI refuses to sign without the server's key rather than make one up …
    let (ok, out) = cli(&app, &["audit", "checkpoint"], &[]);
    assert!(!ok && out.contains("LATCHKEY_AUDIT_SIGNING_KEY"), "{out}");
    // … and with another key its checkpoint is not the server's.
    let (ok, out) = cli(
        &app,
        &["audit", "checkpoint"],
        &[("LATCHKEY_AUDIT_SIGNING_KEY", &latchkey::infra::config::generate_key(32))],
    );
    assert!(ok && out.contains("Signed 1 checkpoint"), "{out}");
    let (_, html) = owner.get_html("/orgs/acme/settings/audit-log/verify").await;
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-intact").as_deref(), Some("false"));
    let text = select_all_text(&html, "[data-testid=verify-result]").concat();
    assert!(text.contains("bad signature"), "{text}");
}

#[tokio::test]
async fn checkpoints_are_taken_on_schedule_once_the_head_moves_on() {
    // The real signing loop: its schedule is the point.
    let app = spawn_app_with_jobs(|c| c.compliance.checkpoint_interval = std::time::Duration::from_secs(1)).await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 2);
    let latest = || checkpoints::latest(&mut app.conn(), acme).expect("latest").map(|c| c.seq);
    let first_head = events(&app, acme).last().expect("events").seq;
    assert!(eventually(std::time::Duration::from_secs(5), || latest() == Some(first_head)).await, "{:?}", latest());
    seed_events(&app, acme, 2);
    let head = events(&app, acme).last().expect("events").seq;
    assert!(eventually(std::time::Duration::from_secs(5), || latest() == Some(head)).await, "{:?}", latest());
    let all = checkpoints::all(&mut app.conn(), acme).expect("all");
    assert_eq!(all.len(), 2, "an unchanged head is not signed again");
    assert!(all.iter().all(|c| c.checkpoint().verify(&signer(&app).public_key()).is_ok()));
}
