//! The audit stream: an endpoint subscribed to `audit.event` gets every
//! audit event of its organisation, signed, in chain order, exactly as the
//! JSON Lines export has it — once each under normal operation, at least
//! once across a killed server — and `audit.checkpoint` for each checkpoint.

use crate::deliveries::verifies;
use crate::support::*;
use latchkey::app::audit::{self, Actor, Entry, RequestMeta};
use latchkey::domain::OrgId;
use std::time::Duration;

fn record_events(conn: &mut latchkey::db::DbConn, org_id: OrgId, n: usize) {
    for i in 0..n {
        let entry = Entry::org_plan_changed(org_id, "acme", if i % 2 == 0 { "free" } else { "paid" }, "paid");
        audit::record(conn, &Actor::cli(), &RequestMeta::default(), entry).expect("record");
    }
}

/// The received messages' bodies of one type, in arrival order.
fn bodies(receiver: &Receiver, event_type: &str) -> Vec<serde_json::Value> {
    let got = receiver.received.lock().expect("lock").clone();
    got.iter()
        .filter_map(|(_, body)| serde_json::from_slice::<serde_json::Value>(body).ok())
        .filter(|b| b["type"] == event_type)
        .collect()
}

fn seqs(receiver: &Receiver) -> Vec<i64> {
    bodies(receiver, "audit.event").iter().filter_map(|b| b["data"]["seq"].as_i64()).collect()
}

#[tokio::test]
async fn every_audit_event_streams_once_in_chain_order_as_exported_and_checkpoints_follow() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let hook = add_webhook(&owner, "acme", &receiver.url, &["audit.event", "audit.checkpoint"]).await;
    record_events(&mut app.conn(), acme, 25);
    let head = events(&app, acme).last().expect("events").seq;
    app.drain_deliveries().await;
    assert!(seqs(&receiver).last() == Some(&head), "{:?}", seqs(&receiver));
    app.drain_deliveries().await;
    let got = seqs(&receiver);
    let first = got[0];
    assert_eq!(got, (first..=head).collect::<Vec<_>>(), "each event once, in chain order");
    assert!(head - first >= 25, "the events after the endpoint was added: {first}..{head}");

    // Each message is the export's line for that event, and signed with the endpoint's secret.
    let exported: Vec<serde_json::Value> = owner
        .get("/orgs/acme/settings/audit-log/export.jsonl")
        .await
        .text()
        .await
        .expect("export")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    for body in bodies(&receiver, "audit.event") {
        let seq = body["data"]["seq"].as_i64().expect("seq");
        assert_eq!(Some(&body["data"]), exported.iter().find(|e| e["seq"] == seq), "event #{seq}");
    }
    assert!(receiver.received.lock().expect("lock").iter().all(|m| verifies(m, &hook.secret)));

    let checkpoint = audit::checkpoints::take(&mut app.conn(), &app.config.compliance.audit_signer, acme)
        .expect("take")
        .expect("checkpoint");
    app.drain_deliveries().await;
    assert!(!bodies(&receiver, "audit.checkpoint").is_empty());
    let sent = &bodies(&receiver, "audit.checkpoint")[0]["data"];
    assert_eq!(
        (sent["seq"].as_i64(), sent["signature"].as_str()),
        (Some(checkpoint.seq), Some(checkpoint.signature.as_str()))
    );
}

#[tokio::test]
async fn an_endpoint_not_subscribed_gets_no_audit_events() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let receiver = Receiver::start(200, "ok", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    add_webhook(&owner, "acme", &receiver.url, &["api_key.revoked"]).await;
    record_events(&mut app.conn(), acme, 3);
    app.run_jobs().await;
    app.drain_deliveries().await;
    assert!(receiver.received.lock().expect("lock").is_empty());
    let outbox = latchkey::db::outbox::for_org(&mut app.conn(), acme).expect("outbox");
    assert!(outbox.iter().all(|e| e.event_type != "audit.event"), "nothing queued without a subscriber");
}

#[tokio::test]
async fn the_stream_survives_a_killed_server_at_least_once_and_in_order() {
    let (url, _dir) = fresh_database();
    let mut env = shared_keys().to_vec();
    // A short send limit keeps the claim of the message in flight at the kill short (limit + 15 s).
    env.push(("LATCHKEY_WEBHOOK_TIMEOUT_SECS", "2".into()));
    seed_acme_over_cli(&url);
    // A slow receiver: the server is killed while most of the stream still waits.
    let receiver = Receiver::start(200, "ok", Duration::from_millis(150));
    let mut first = ServeProcess::start(&url, &env).await;
    let owner = visitor_for(&first.base);
    assert_eq!(owner.login("owner@acme.test", PASSWORD).await.status(), 303);
    add_webhook(&owner, "acme", &receiver.url, &["audit.event"]).await;
    let pool = latchkey::db::pool(&url);
    let mut conn = pool.get().expect("conn");
    let acme = latchkey::db::orgs::find_by_slug(&mut conn, "acme").expect("find").expect("acme").id;
    record_events(&mut conn, acme, 30);
    let (head, _) = latchkey::db::audit_events::head(&mut conn, acme).expect("head");
    assert!(eventually(Duration::from_secs(10), || seqs(&receiver).len() >= 3).await, "the stream started");
    first.signal("KILL");
    first.wait_exit(Duration::from_secs(5)).await.expect("killed");
    assert!(seqs(&receiver).last() < Some(&head), "killed mid-stream: {:?}", seqs(&receiver));

    let _second = ServeProcess::start(&url, &env).await;
    assert!(
        eventually(Duration::from_secs(40), || seqs(&receiver).last() == Some(&head)).await,
        "{:?}",
        seqs(&receiver)
    );
    let got = seqs(&receiver);
    let mut unique = got.clone();
    unique.dedup();
    assert_eq!(
        unique,
        (got[0]..=head).collect::<Vec<_>>(),
        "every event, in order (a resend repeats the one in flight)"
    );
    assert!(got.len() - unique.len() <= 1, "at most the message in flight at the kill is sent twice: {got:?}");
}
