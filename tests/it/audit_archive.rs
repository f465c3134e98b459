//! `latchkey audit archive`, `latchkey audit verify --archive` and audit
//! retention (docs/operator-guide.md: Retention): only a prefix ending at a
//! signed checkpoint leaves the database, the live log verifies on its own
//! from that anchor, and archive plus live rows verify as one chain.

use crate::support::*;
use latchkey::domain::checkpoint::CheckpointSigner;
use std::path::Path;
use std::process::Output;

struct Cli {
    url: String,
    keys_file: std::path::PathBuf,
    public_key: String,
}

impl Cli {
    fn new(url: &str, dir: &Path) -> Self {
        let keys: Vec<_> = shared_keys().to_vec();
        let text: String = keys.iter().map(|(name, value)| format!("{name}={value}\n")).collect();
        let keys_file = dir.join("latchkey.keys");
        std::fs::write(&keys_file, text).expect("keys file");
        let seed = &keys.iter().find(|(n, _)| *n == "LATCHKEY_AUDIT_SIGNING_KEY").expect("signing key").1;
        let public_key = CheckpointSigner::from_base64(seed).expect("signer").public_key();
        Self { url: url.to_owned(), keys_file, public_key }
    }

    fn run(&self, args: &[&str]) -> Output {
        latchkey_cli(args, &self.url, &self.keys_file)
    }

    /// Runs and expects success; answers what it printed.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let said = said(&out);
        assert!(out.status.success(), "{args:?}: {said}");
        said
    }

    /// `n` audited changes, made now: the plan of acme, back and forth.
    fn plan_changes(&self, n: usize) {
        for i in 0..n {
            self.ok(&["org", "set-plan", "--org", "acme", "--plan", if i % 2 == 0 { "free" } else { "paid" }]);
        }
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} succeeded: {}", said(&out));
        said(&out)
    }
}

fn stored_events(url: &str) -> i64 {
    let mut conn = latchkey::db::connect(url).expect("connect");
    let org = latchkey::db::orgs::find_by_slug(&mut conn, "acme").expect("q").expect("acme");
    latchkey::db::audit_events::count(&mut conn, org.id).expect("count")
}

#[test]
fn archives_leave_a_live_log_that_verifies_alone_and_joins_its_archive() {
    let (url, _dir) = fresh_database();
    seed_acme_over_cli(&url);
    let work = tempfile::tempdir().expect("work");
    let cli = Cli::new(&url, work.path());
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let (first, second) = (work.path().join("first.jsonl"), work.path().join("second.jsonl"));
    let (first_s, second_s) = (first.display().to_string(), second.display().to_string());

    let seeded = stored_events(&url);
    cli.plan_changes(20);
    cli.ok(&["audit", "checkpoint"]);
    let signed = seeded + 20;
    cli.plan_changes(10); // not signed yet
    let out = cli.ok(&["audit", "archive", "--org", "acme", "--before", &tomorrow, "--to", &first_s]);
    assert!(out.contains(&format!("Archived events #1–#{signed}")), "{out}");
    assert_eq!(stored_events(&url), 10 + 1, "the unsigned events and the audit.archived event are left");

    let live = cli.ok(&["audit", "verify", "--org", "acme"]);
    assert!(live.contains("is intact") && live.contains(&format!("starts at event #{}", signed + 1)), "{live}");
    let offline = cli.ok(&["audit", "verify", "--file", &first_s, "--public-key", &cli.public_key]);
    assert!(offline.contains(&format!("is intact: {signed} events checked")), "{offline}");
    let joined = cli.ok(&["audit", "verify", "--org", "acme", "--archive", &first_s]);
    let one_chain = format!("(events #1–#{signed}) and the live log (from #{}) verify as one chain", signed + 1);
    assert!(joined.contains(&one_chain), "{joined}");

    // Without a checkpoint after the first archive nothing more can go, and nothing is written.
    let refused = cli.fails(&["audit", "archive", "--org", "acme", "--before", &tomorrow, "--to", &second_s]);
    assert!(refused.contains("no signed checkpoint covers"), "{refused}");
    assert!(!second.exists());

    // A second archive starts at the first one's checkpoint and carries it as its anchor.
    cli.ok(&["audit", "checkpoint"]); // signs the audit.archived event, the head
    let out = cli.ok(&["audit", "archive", "--org", "acme", "--before", &tomorrow, "--to", &second_s]);
    assert!(out.contains(&format!("Archived events #{}–#{}", signed + 1, signed + 11)), "{out}");
    let offline = cli.ok(&["audit", "verify", "--file", &second_s, "--public-key", &cli.public_key]);
    assert!(offline.contains("is intact: 11 events checked"), "{offline}");
    cli.ok(&["audit", "verify", "--org", "acme", "--archive", &second_s]);
    let stale = cli.fails(&["audit", "verify", "--org", "acme", "--archive", &first_s]);
    assert!(stale.contains("give the archive that ends there"), "{stale}");

    // Events deleted by hand up to a checkpoint, with no trim recorded, are missing, not archived
    // (on a copy of the SQLite file: the check is the same code on both databases).
    if !latchkey::db::is_postgres(&url) {
        use diesel::prelude::*;
        use latchkey::db::schema::audit_events::dsl;
        cli.plan_changes(5);
        cli.ok(&["audit", "checkpoint"]);
        cli.plan_changes(2);
        let scratch = tempfile::tempdir().expect("scratch");
        let copy = scratch.path().join("copy.db");
        std::fs::copy(latchkey::db::sqlite_path(&url), &copy).expect("copy");
        let copy_url = format!("sqlite://{}", copy.display());
        let mut conn = latchkey::db::connect(&copy_url).expect("copy");
        let acme = latchkey::db::orgs::find_by_slug(&mut conn, "acme").expect("q").expect("acme");
        let head = latchkey::db::audit_events::head(&mut conn, acme.id).expect("head").0;
        // Up to the checkpoint just signed: the two events after it stay.
        diesel::delete(dsl::audit_events.filter(dsl::org_id.eq(acme.id.get())).filter(dsl::seq.le(head - 2)))
            .execute(&mut conn)
            .expect("delete by hand");
        let tampered = Cli { url: copy_url, keys_file: cli.keys_file.clone(), public_key: cli.public_key.clone() };
        let said = tampered.fails(&["audit", "verify", "--org", "acme"]);
        assert!(said.contains("BROKEN"), "{said}");
    }

    // An archive changed afterwards no longer verifies.
    let text = std::fs::read_to_string(&second).expect("archive");
    let tampered = text.replacen("free", "trial", 1);
    assert_ne!(text, tampered);
    std::fs::write(&second, tampered).expect("tamper");
    let broken = cli.fails(&["audit", "verify", "--file", &second_s, "--public-key", &cli.public_key]);
    assert!(broken.contains("BROKEN"), "{broken}");
    let broken = cli.fails(&["audit", "verify", "--org", "acme", "--archive", &second_s]);
    assert!(broken.contains("BROKEN"), "{broken}");
}

#[tokio::test]
async fn retention_trims_to_a_checkpoint_and_the_console_still_says_intact() {
    let (url, dir) = migrated_database();
    let app = spawn_app_on(url, dir, |config| {
        config.compliance.audit_retention_days = Some(30);
        config.compliance.usage_retention_days = 30;
        config.compliance.outbox_retention_days = 1;
    })
    .await;
    // 90 days of history, its checkpoints signed as it was written.
    latchkey::cli::demo::run(&mut app.conn(), &app.config).expect("demo");
    let demo = org_id(&app, "demo");
    let before = events(&app, demo).len();

    let retained = latchkey::app::maintenance::apply_retention(&app.state).await.expect("retention");
    assert!(retained.audit_events > 0 && retained.usage_days > 0, "{retained:?}");
    let left = events(&app, demo);
    assert_eq!(left.len(), before - retained.audit_events + 1, "the trim is itself recorded");
    let trimmed = left.iter().find(|e| e.action == "audit.archived").expect("audit.archived");
    assert!(trimmed.details.contains(r#""reason":"retention""#), "{}", trimmed.details);
    let cutoff = chrono::Utc::now().naive_utc() - chrono::Duration::days(30);
    let first = left.iter().min_by_key(|e| e.seq).expect("events left");
    assert!(first.seq > 1, "old events went");
    // Events just before the cutoff stay when no checkpoint after them is old enough: never more than that.
    assert!(left.iter().filter(|e| e.occurred_at < cutoff).all(|e| e.seq > first.seq - 1));

    let owner = app.visitor();
    assert_eq!(owner.login("owner@demo.latchkey.test", latchkey::cli::demo::DEMO_PASSWORD).await.status(), 303);
    let (status, html) = owner.get_html("/orgs/demo/settings/audit-log/verify").await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "[data-testid=verify-result]", "data-intact").as_deref(), Some("true"));
    let anchor = select_attr(&html, "[data-testid=verify-anchor]", "data-seq").expect("anchor shown");
    assert_eq!(anchor.parse::<i64>().expect("seq"), first.seq - 1);

    // Usage older than 30 days is gone; an outbox event a delivery still names is kept.
    use diesel::prelude::*;
    use latchkey::db::schema::{key_usage_daily as usage, outbox_events as outbox, webhook_deliveries as deliveries};
    let mut conn = app.conn();
    // Two messages from last week: one no delivery names any more, one still waiting for a retry.
    let data = serde_json::json!({});
    let orphan = latchkey::db::outbox::enqueue_counted(
        &mut conn,
        demo,
        latchkey::domain::event_type::EventType::OrderCreated,
        data.clone(),
    )
    .expect("enqueue");
    let waiting = latchkey::db::outbox::enqueue_counted(
        &mut conn,
        demo,
        latchkey::domain::event_type::EventType::OrderCreated,
        data,
    )
    .expect("enqueue");
    let named = deliveries::table.filter(deliveries::event_id.eq(&waiting)).count().get_result::<i64>(&mut *conn);
    assert!(named.expect("count") > 0, "a demo endpoint subscribes to order.created: the message waits for it");
    // The orphan's own deliveries (to the demo's subscribers) finished and left the log.
    diesel::delete(deliveries::table.filter(deliveries::event_id.eq(&orphan))).execute(&mut *conn).expect("aged out");
    let last_week = chrono::Utc::now().naive_utc() - chrono::Duration::days(7);
    diesel::update(outbox::table.filter(outbox::event_id.eq_any([&orphan, &waiting])))
        .set(outbox::created_at.eq(last_week))
        .execute(&mut *conn)
        .expect("date back");
    drop(conn);
    let pruned = latchkey::app::maintenance::apply_retention(&app.state).await.expect("retention");
    assert!(pruned.outbox_events >= 1, "{pruned:?}");
    let mut conn = app.conn();
    let left: Vec<String> = outbox::table.select(outbox::event_id).load(&mut *conn).expect("outbox");
    assert!(!left.contains(&orphan) && left.contains(&waiting), "the named message stays");
    let oldest: Option<chrono::NaiveDate> =
        usage::table.select(diesel::dsl::min(usage::day)).first(&mut *conn).expect("min");
    assert!(oldest.is_some_and(|d| d >= cutoff.date()), "{oldest:?}");
    let named: Vec<String> = deliveries::table.select(deliveries::event_id).load(&mut *conn).expect("deliveries");
    let kept: Vec<String> = outbox::table.select(outbox::event_id).load(&mut *conn).expect("outbox");
    assert!(named.iter().all(|id| kept.contains(id)), "every delivery's message is still there to resend");
    drop(conn);

    assert_eq!(pruned.audit_events, 0, "nothing more was old enough and signed");
}
