//! Checkpoint coverage: with the server's key, every event older than two
//! checkpoint intervals must be covered by a checkpoint signed in time, or
//! "Verify integrity" and `latchkey audit verify` say "not proven" — so
//! deleting the checkpoints, rewriting the chain and having its head signed
//! again is caught. A running server signs in time, so its log stays
//! intact. And the offline check of a copy names the events after its last
//! checkpoint, and refuses a copy that starts mid-chain.

use super::audit_checkpoints::{cli, export, rewrite_chain, seed_events, signer};
use crate::support::*;
use latchkey::db::checkpoints;
use latchkey::domain::OrgId;
use latchkey::domain::checkpoint::{CheckpointSigner, format_signed_at};

const VERIFY: &str = "/orgs/acme/settings/audit-log/verify";

/// The verify page: (its result's data-intact, the result's text, the page).
async fn verify_page(owner: &Visitor) -> (Option<String>, String, scraper::Html) {
    let (status, html) = owner.get_html(VERIFY).await;
    assert_eq!(status, 200);
    let intact = select_attr(&html, "[data-testid=verify-result]", "data-intact");
    let text = select_all_text(&html, "[data-testid=verify-result]").concat();
    (intact, text, html)
}

/// Signs the organisation's current head as the server would have at `at`.
fn sign_head_at(app: &TestApp, org_id: OrgId, at: chrono::NaiveDateTime) {
    let head = events(app, org_id).pop().expect("events");
    let c = signer(app).sign(org_id.get(), head.seq, &head.hash, &format_signed_at(at.and_utc()));
    checkpoints::insert(&mut app.conn(), &c, &signer(app).public_key(), at).expect("insert checkpoint");
}

#[tokio::test]
async fn a_chain_rewritten_after_its_checkpoints_were_deleted_and_signed_again_is_not_proven() {
    let key = latchkey::infra::config::generate_key(32);
    let app = spawn_app_with(|c| c.compliance.audit_signer = CheckpointSigner::from_base64(&key).expect("key")).await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let owner = app.logged_in("owner@acme.test").await;
    seed_events(&app, acme, 6);
    let with_key = [("LATCHKEY_AUDIT_SIGNING_KEY", key.as_str())];

    // Normal operation, three days ago: the events happened then and the
    // scheduler signed them within the hour. Newer events are not due yet.
    rewrite_chain(&app, acme, |e| e.occurred_at -= chrono::Duration::days(3));
    let last_old = events(&app, acme).pop().expect("events");
    sign_head_at(&app, acme, last_old.occurred_at + chrono::Duration::minutes(30));
    seed_events(&app, acme, 2);
    let (intact, text, _) = verify_page(&owner).await;
    assert_eq!(intact.as_deref(), Some("true"), "{text}");
    let (ok, out) = cli(&app, &["audit", "verify", "--org", "acme"], &with_key);
    assert!(ok && out.contains("is intact"), "{out}");

    // Someone with write access to the database deletes the checkpoints,
    // edits event #4 with every hash recomputed, and gets the head signed again.
    {
        use diesel::RunQueryDsl;
        diesel::sql_query("DELETE FROM audit_checkpoints WHERE org_id = $1")
            .bind::<diesel::sql_types::BigInt, _>(acme.get())
            .execute(&mut app.conn())
            .expect("delete checkpoints");
    }
    rewrite_chain(&app, acme, |e| {
        if e.seq == 4 {
            e.ip = Some("6.6.6.6".into());
        }
    });
    let (ok, out) = cli(&app, &["audit", "checkpoint"], &with_key);
    assert!(ok && out.contains("Signed 1 checkpoint"), "{out}");

    // The new checkpoint matches the chain, but was signed too late for the old events.
    let (intact, text, html) = verify_page(&owner).await;
    assert_eq!(intact.as_deref(), Some("false"), "{text}");
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-not-proven").as_deref(), Some("true"));
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-first-uncovered").as_deref(), Some("1"));
    let old = events(&app, acme).iter().filter(|e| e.seq <= last_old.seq).count();
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-uncovered"), Some(old.to_string()));
    assert!(text.contains("Not proven") && text.contains("not covered") && !text.contains("Intact"), "{text}");
    let (ok, out) = cli(&app, &["audit", "verify", "--org", "acme"], &with_key);
    assert!(!ok, "{out}");
    assert!(out.contains("NOT PROVEN") && out.contains("not covered") && out.contains("event #1."), "{out}");
    assert!(!out.contains("is intact"), "{out}");
}

#[tokio::test]
async fn a_running_server_signs_every_event_in_time_so_its_log_stays_intact() {
    let every = std::time::Duration::from_secs(2);
    // The real signing loop: whether it keeps to its interval is the point.
    let app = spawn_app_with_jobs(|c| c.compliance.checkpoint_interval = every).await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let owner = app.logged_in("owner@acme.test").await;
    seed_events(&app, acme, 2);
    // A timing test of the real loop: events recorded an interval apart, each batch to be signed in time.
    tokio::time::sleep(every + std::time::Duration::from_millis(500)).await;
    seed_events(&app, acme, 2);
    let last = std::time::Instant::now();
    let head = events(&app, acme).pop().expect("events").seq;
    let latest = || checkpoints::latest(&mut app.conn(), acme).expect("latest").map(|c| c.seq);
    assert!(eventually(every * 3, || latest() == Some(head)).await, "{:?}", latest());
    // Wait until every event is older than two intervals: all are due now.
    tokio::time::sleep((every * 2 + std::time::Duration::from_millis(300)).saturating_sub(last.elapsed())).await;
    let (intact, text, html) = verify_page(&owner).await;
    assert_eq!(intact.as_deref(), Some("true"), "{text}");
    let count = select_attr(&html, "[data-testid=verify-checkpoints]", "data-count").expect("count");
    assert!(count.parse::<u32>().expect("number") >= 2, "{count}");
}

#[tokio::test]
async fn verify_file_counts_the_events_after_the_last_checkpoint_and_refuses_a_copy_that_starts_mid_chain() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let owner = app.logged_in("owner@acme.test").await;
    seed_events(&app, acme, 4);
    let take = || latchkey::app::audit::checkpoints::take(&mut app.conn(), signer(&app), acme).expect("take");
    let signed = take().expect("checkpoint").seq;
    seed_events(&app, acme, 3);
    let key = signer(&app).public_key();
    let dir = tempfile::tempdir().expect("dir");
    let check = |name: &str, lines: &[String]| {
        let file = dir.path().join(name);
        std::fs::write(&file, lines.join("\n") + "\n").expect("write");
        cli(&app, &["audit", "verify", "--file", file.to_str().expect("path"), "--public-key", &key], &[])
    };

    // Three events came after the checkpoint: a good copy, said so.
    let (ok, out) = check("tail.jsonl", &export(&owner).await);
    assert!(ok && out.contains(&format!("event #{signed}")), "{out}");
    assert!(out.contains("3 events at the end are not covered by a checkpoint"), "{out}");
    take().expect("checkpoint of the new head");
    let (ok, out) = check("covered.jsonl", &export(&owner).await);
    assert!(ok && out.contains("is intact") && !out.contains("not covered"), "{out}");

    // A copy without its first two events (a receiver that subscribed late) names where it starts and how to backfill.
    let lines = export(&owner).await;
    let (ok, out) = check("late.jsonl", &lines[2..]);
    assert!(!ok, "{out}");
    assert!(out.contains("starts at event #3") && out.contains("after=0"), "{out}");
}
