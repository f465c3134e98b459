//! The backup drill (docs/backup.md): a real server under write load,
//! `latchkey backup`, `latchkey restore` into an empty database, and a
//! second real server on the restored copy — on SQLite, and on PostgreSQL
//! with the cluster's own `pg_dump`.

use crate::lifecycle::setup_over_http;
use crate::support::*;
use latchkey::domain::backup_manifest::Manifest;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

async fn ping(base: &str, token: &str) -> (u16, serde_json::Value) {
    let res = api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).send().await.expect("ping");
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

/// Orders and new keys through `owner`'s server until `stop`; counts what was acknowledged.
async fn write_load(owner: &Visitor, token: &str, stop: &AtomicBool, acknowledged: &AtomicUsize) {
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        let res = api_client()
            .post(format!("{}/api/v1/orders", owner.base))
            .bearer_auth(token)
            .json(&serde_json::json!({"customer_email": format!("buyer{i}@example.com")}))
            .send()
            .await
            .expect("order");
        assert_eq!(res.status(), 201, "order acknowledged");
        if i % 4 == 0 {
            create_key(owner, &[("label", &format!("load {i}"))]).await;
        }
        acknowledged.fetch_add(1, Ordering::SeqCst);
        i += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_write_load_restores_into_a_server_that_works() {
    let (url, _dir) = fresh_database();
    let work = tempfile::tempdir().expect("work dir");
    let keys_file = work.path().join("latchkey.keys");
    // Keys generated into the keys file, as on a fresh install: the backup has to carry it.
    let a = ServeProcess::start(&url, &[("LATCHKEY_KEYS_FILE", keys_file.display().to_string())]).await;
    let owner = setup_over_http(&a.base).await;
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let hook = add_webhook(&owner, "acme", &receiver.url, &["customer.created"]).await;
    let mut kept = Vec::new();
    for i in 0..4 {
        kept.push(create_key(&owner, &[("label", &format!("kept {i}")), ("rate_limit_per_minute", "0")]).await);
    }
    let revoked = create_key(&owner, &[("label", "revoked")]).await;
    let res = owner.post_form(&format!("/orgs/acme/settings/api-keys/{}/revoke", revoked.id), &[]).await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());

    // The backup runs while orders and keys keep coming.
    let (stop, acknowledged) = (AtomicBool::new(false), AtomicUsize::new(0));
    let backup_dir = work.path().join("backup");
    let backup = async {
        assert!(
            eventually(Duration::from_secs(30), || acknowledged.load(Ordering::SeqCst) >= 10).await,
            "load under way"
        );
        let (u, k, d) = (url.clone(), keys_file.clone(), backup_dir.clone());
        let out =
            tokio::task::spawn_blocking(move || latchkey_cli(&["backup", "--to", &d.display().to_string()], &u, &k))
                .await
                .expect("backup task");
        let during = acknowledged.load(Ordering::SeqCst);
        stop.store(true, Ordering::SeqCst);
        (out, during)
    };
    let ((out, during), ()) = tokio::join!(backup, write_load(&owner, &kept[0].token, &stop, &acknowledged));
    assert!(out.status.success(), "{}", said(&out));
    assert!(acknowledged.load(Ordering::SeqCst) > during && during >= 10, "writes went on during the backup");

    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(backup_dir.join("manifest.json")).expect("manifest"))
            .expect("a manifest");
    assert!(manifest.files.contains_key("latchkey.keys"), "{:?}", manifest.files);
    assert!(manifest.files.len() == 2 && manifest.counts["api_keys"] >= 5, "{manifest:?}");
    assert!(manifest.chain_heads["acme"].seq > 5, "{:?}", manifest.chain_heads);
    let again = latchkey_cli(&["backup", "--to", &backup_dir.display().to_string()], &url, &keys_file);
    assert!(!again.status.success() && said(&again).contains("is not empty"), "{}", said(&again));

    // Restore into an empty database, with the keys file written where the new server reads it.
    let (restored_url, _restored_dir) = fresh_database();
    let restored_keys = work.path().join("restored.keys");
    let from = ["restore", "--from", &backup_dir.display().to_string()];
    let out = latchkey_cli(&from, &restored_url, &restored_keys);
    assert!(out.status.success(), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("acme: intact"), "{}", said(&out));
    assert_eq!(std::fs::read(&restored_keys).expect("keys written"), std::fs::read(&keys_file).expect("keys"));
    let found = latchkey::db::snapshot::contents(&mut latchkey::db::connect(&restored_url).expect("connect"))
        .expect("contents");
    assert_eq!(found.counts, manifest.counts, "every table has the manifest's rows");
    let twice = latchkey_cli(&from, &restored_url, &restored_keys);
    assert!(!twice.status.success() && said(&twice).contains("not empty"), "{}", said(&twice));

    // A second server on the restored copy.
    let b = ServeProcess::start(&restored_url, &[("LATCHKEY_KEYS_FILE", restored_keys.display().to_string())]).await;
    for key in &kept {
        assert_eq!(ping(&b.base, &key.token).await.0, 200, "an acknowledged key authenticates");
    }
    let (status, body) = ping(&b.base, &revoked.token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("revoked_key")), "revoked stays revoked");
    // The session cookie made on A is still good (same session key), and Send test signs with the restored secret.
    let owner_b = Visitor { http: owner.http.clone(), base: b.base.clone() };
    let res = owner_b.post_form(&format!("/orgs/acme/settings/webhooks/{}/test", hook.id), &[("event", "")]).await;
    assert_eq!(res.status(), 200);
    let got = receiver.got();
    let signed = got.last().is_some_and(|message| crate::deliveries::verifies(message, &hook.secret));
    assert!(signed, "the test event is signed with the secret shown when the endpoint was added");
}

#[test]
fn restore_refuses_a_damaged_backup_and_writes_nothing() {
    let (url, _dir) = fresh_database();
    seed_acme_over_cli(&url);
    let work = tempfile::tempdir().expect("work dir");
    let keys = work.path().join("latchkey.keys");
    std::fs::write(&keys, "LATCHKEY_SESSION_KEY=x\n").expect("keys");
    let dir = work.path().join("backup");
    assert!(latchkey_cli(&["backup", "--to", &dir.display().to_string()], &url, &keys).status.success());
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest")).expect("parse");
    let dump = manifest.files.keys().find(|f| f.starts_with("latchkey.") && *f != "latchkey.keys").expect("dump");
    let mut bytes = std::fs::read(dir.join(dump)).expect("dump");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(dir.join(dump), bytes).expect("damage");
    let (target, _target_dir) = fresh_database();
    let restored_keys = work.path().join("restored.keys");
    let out = latchkey_cli(&["restore", "--from", &dir.display().to_string()], &target, &restored_keys);
    assert!(!out.status.success() && said(&out).contains("does not match the manifest's checksum"), "{}", said(&out));
    assert!(!restored_keys.exists(), "no keys file written");
    let mut conn = latchkey::db::connect(&target).expect("connect");
    assert!(latchkey::db::tables::names(&mut conn).expect("tables").is_empty(), "the database stays empty");
}
