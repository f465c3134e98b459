//! Expiry warnings, mails (`.eml` and SMTP), dashboard banners and the
//! "needs attention" filter (docs/user-guide.md: Needs attention).

use crate::support::*;
use chrono::{Duration, NaiveDateTime};
use diesel::RunQueryDsl;
use latchkey::domain::OrgId;
use std::collections::BTreeSet;
use std::time::Duration as StdDuration;

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn sent(app: &TestApp, org_id: OrgId) -> usize {
    app.mails(org_id).iter().filter(|m| m.state == "sent").count()
}

fn expiring_events(app: &TestApp, org_id: OrgId) -> Vec<serde_json::Value> {
    latchkey::db::outbox::for_org(&mut app.conn(), org_id)
        .expect("outbox")
        .into_iter()
        .filter(|e| e.event_type == "api_key.expiring")
        .map(|e| serde_json::from_str(&e.payload).expect("json"))
        .collect()
}

fn notices(app: &TestApp) -> i64 {
    use diesel::dsl::count_star;
    use diesel::prelude::*;
    latchkey::db::schema::key_expiry_notices::table.select(count_star()).first(&mut app.conn()).expect("count")
}

#[tokio::test]
async fn each_expiry_warning_is_mailed_once_to_every_owner_and_admin() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let t = now();
    let (k29, token29) = app.make_expiring_key("acme", "Twenty-nine days", t + Duration::days(29));
    let (k7, _) = app.make_expiring_key("acme", "Seven days", t + Duration::days(7) - Duration::minutes(1));
    let (k1, _) = app.make_expiring_key("acme", "One day", t + Duration::days(1) - Duration::minutes(1));
    let (k0, _) = app.make_expiring_key("acme", "Expired now", t - Duration::minutes(1));
    app.make_expiring_key("acme", "Forty days", t + Duration::days(40));
    let (revoked, _) = app.make_expiring_key("acme", "Revoked soon", t + Duration::days(3));
    let row = latchkey::db::api_keys::find(&mut app.conn(), org.id, &revoked).expect("q").expect("key");
    latchkey::db::api_keys::revoke(&mut app.conn(), row.id, "tests").expect("revoke");

    app.run_jobs().await;
    assert!(sent(&app, org.id) >= 8, "8 mails sent");
    // Several more scheduler runs, then a restart on the same database and more runs there.
    app.run_jobs().await;
    app.run_jobs().await;
    let restarted = spawn_app_on(app.database_url.clone(), None, |_| {}).await;
    restarted.run_jobs().await;
    restarted.run_jobs().await;

    let mails = app.mails(org.id);
    assert_eq!(
        mails.len(),
        8,
        "4 keys × (owner, admin), nothing twice: {:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert_eq!(notices(&app), 4);
    let pairs: BTreeSet<(String, String)> = mails
        .iter()
        .map(|m| {
            let key =
                [&k29, &k7, &k1, &k0].into_iter().find(|k| m.text_body.contains(k.as_str())).expect("names its key");
            (key.clone(), m.recipient.clone())
        })
        .collect();
    assert_eq!(pairs.len(), 8, "one mail per key and recipient");
    assert!(mails.iter().all(|m| m.recipient == "owner@acme.test" || m.recipient == "admin@acme.test"));
    let subject =
        |key: &str| mails.iter().find(|m| m.text_body.contains(key)).map(|m| m.subject.clone()).expect("mail");
    assert!(subject(&k29).contains("expires in 29 days"), "{}", subject(&k29));
    assert!(subject(&k7).contains("expires in 7 days"), "{}", subject(&k7));
    assert!(subject(&k1).contains("expires within a day"), "{}", subject(&k1));
    assert!(subject(&k0).contains("has expired"), "{}", subject(&k0));
    let body = &mails.iter().find(|m| m.text_body.contains(&k29)).expect("mail").text_body;
    for needle in ["Twenty-nine days", "lk_live_", "Created by: tests", "Last used:  never", "/edit?focus=expires_at"] {
        assert!(body.contains(needle), "{needle} in {body}");
    }
    assert!(mails.iter().all(|m| !m.text_body.contains(&token29) && !m.html_body.contains(&token29)));

    // Written as .eml files, once each, by whichever scheduler claimed them.
    let files: Vec<(String, String)> =
        app.eml_files().into_iter().chain(eml_files_in(restarted.mail_dir.path())).collect();
    assert_eq!(files.len(), 8);
    assert!(
        files.iter().all(|(_, eml)| eml.contains("Content-Type: multipart/alternative") && !eml.contains(&token29))
    );
    assert!(files.iter().any(|(_, eml)| eml.contains("To: owner@acme.test")));

    // The same warnings before expiry raise webhook events: 30, 7 and 1 days (not on expiry).
    let events = expiring_events(&app, org.id);
    let warnings: BTreeSet<String> =
        events.iter().map(|e| e["data"]["warning"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(warnings, ["1d", "30d", "7d"].map(String::from).into());
    assert_eq!(events.len(), 3);
    let seven = events.iter().find(|e| e["data"]["key_id"] == k7.as_str()).expect("7-day event");
    assert_eq!(seven["data"]["days_left"], 7);
}

#[tokio::test]
async fn a_key_created_two_days_before_expiry_gets_only_the_most_urgent_warning() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let (key, _) = app.make_expiring_key("acme", "Short-lived", now() + Duration::days(2));
    app.run_jobs().await;
    assert!(sent(&app, org.id) >= 2);
    app.run_jobs().await;
    let mails = app.mails(org.id);
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.subject.contains("expires in 2 days") && m.text_body.contains(&key)));
    let events = expiring_events(&app, org.id);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["data"]["warning"], "7d");
}

#[tokio::test]
async fn two_schedulers_on_one_database_send_each_warning_once() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let second = spawn_app_on(app.database_url.clone(), None, |_| {}).await;
    for i in 0..10 {
        app.make_expiring_key("acme", &format!("Racing key {i}"), now() + Duration::days(3));
    }
    // Both schedulers run at once, again and again, racing for every warning and every message.
    for _ in 0..3 {
        tokio::join!(app.run_jobs(), second.run_jobs());
    }
    assert!(sent(&app, org.id) >= 20, "20 mails sent");
    tokio::join!(app.run_jobs(), second.run_jobs());
    assert_eq!(app.mails(org.id).len(), 20);
    assert_eq!(notices(&app), 10);
    assert_eq!(expiring_events(&app, org.id).len(), 10);
    let files = app.eml_files().len() + second.eml_files().len();
    assert_eq!(files, 20, "each message written once, by one of the two instances");
}

/// An SMTP server on `port` (Python's aiosmtpd, installed by scripts/test) storing mail in `maildir`.
#[tokio::test]
async fn mail_goes_out_through_smtp_and_a_failed_send_is_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let app = spawn_app_with(|c| c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let org = app.seed_acme();
    app.make_expiring_key("acme", "Via SMTP", now() + Duration::days(5));

    // Nothing listens yet: the sends fail, are kept, and wait for a retry.
    app.run_jobs().await;
    let mails = app.mails(org.id);
    assert!(
        mails.len() == 2 && mails.iter().all(|m| m.attempts >= 1 && m.state == "pending" && m.last_error.is_some()),
        "failed sends are kept for a retry"
    );
    assert!(app.mails(org.id).iter().all(|m| m.next_attempt_at > now()), "retried later, not at once");

    let dir = tempfile::tempdir().expect("maildir");
    let maildir = dir.path().join("box"); // aiosmtpd creates the maildir when it does not exist
    let mut smtp = start_smtp(port, &maildir);
    assert!(
        eventually(StdDuration::from_secs(10), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()).await,
        "aiosmtpd listens"
    );
    // Bring the retry forward instead of waiting a minute.
    diesel::sql_query("UPDATE mail_outbox SET next_attempt_at = created_at").execute(&mut app.conn()).expect("due");
    app.send_mail().await;
    let delivered = sent(&app, org.id) == 2;
    let received = received_in(&maildir);
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert!(
        delivered,
        "sent after the retry: {:?}",
        app.mails(org.id).iter().map(|m| &m.last_error).collect::<Vec<_>>()
    );
    assert_eq!(received.len(), 2);
    assert!(received.iter().any(|m| m.contains("To: owner@acme.test")));
    assert!(received.iter().any(|m| m.contains("To: admin@acme.test")));
    assert!(received.iter().all(|m| m.contains("Via SMTP")));
    assert!(app.eml_files().is_empty(), "with SMTP configured no .eml files are written");
}

#[tokio::test]
async fn dashboard_banners_counts_and_the_needs_attention_filter() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let t = now();
    let (soon, _) = app.make_expiring_key("acme", "Expires soon", t + Duration::days(3));
    let (gone, _) = app.make_expiring_key("acme", "Expired key", t - Duration::days(2));
    let (later, _) = app.make_expiring_key("acme", "Healthy key", t + Duration::days(90));
    let (leaked, leaked_token) = app.make_expiring_key("acme", "Leaked key", t + Duration::days(200));
    diesel::sql_query(format!(
        "UPDATE api_keys SET last_used_at = '{}' WHERE key_id IN ('{later}', '{leaked}')",
        t.format("%Y-%m-%d %H:%M:%S")
    ))
    .execute(&mut app.conn())
    .expect("mark used");
    let row = latchkey::db::api_keys::find(&mut app.conn(), org.id, &leaked).expect("q").expect("key");
    latchkey::db::api_keys::revoke(&mut app.conn(), row.id, "tests").expect("revoke");
    // The revoked key is used twice: one audit event a minute, one mail per manager a day.
    for _ in 0..2 {
        let (status, body, _) = ping(&app, &leaked_token).await;
        assert_eq!((status, code(&body)), (401, "revoked_key"));
    }

    let owner = app.logged_in("owner@acme.test").await;
    let (status, html) = owner.get_html("/orgs/acme").await;
    assert_eq!(status, 200);
    let banners = select_all_attr(&html, "[data-testid=banner-expiring]", "data-key-id");
    assert_eq!(banners, vec![gone.clone(), soon.clone()], "expired first, then soonest");
    for key in [&gone, &soon] {
        let link = format!("[data-testid=banner-expiring] a[href=\"/orgs/acme/settings/api-keys/{key}\"]");
        assert_eq!(count(&html, &link), 1, "each key is linked");
    }
    assert_eq!(select_all_attr(&html, "[data-testid=banner-revoked-use]", "data-key-id"), vec![leaked.clone()]);
    // One "needs attention" panel holds them all, with their count.
    let items = count(&html, "[data-testid=needs-attention] li.attention-item");
    assert_eq!(items, 3, "two expiring keys and one revoked key in use");
    assert_eq!(select_attr(&html, "[data-testid=needs-attention]", "data-count"), Some(items.to_string()));
    assert_eq!(count(&html, ".alert[data-testid^=banner]"), 0, "no loose banners");
    assert_eq!(select_all_text(&html, "[data-testid=count-expiring]"), vec!["1"]);
    // The card leads to a list of exactly the keys it counts.
    let link = select_attr(&html, "[data-testid=card-expiring]", "href").expect("link").replace("&amp;", "&");
    let (_, listed) = owner.get_html(&link).await;
    assert_eq!(select_all_attr(&listed, "tr[data-testid=key-row]", "data-key-id"), vec![soon.clone()]);
    assert_eq!(select_all_text(&html, "[data-testid=count-active]"), vec!["2"], "soon + healthy");
    assert!(count(&html, "[data-testid=recent-event]") > 0);
    // Recent activity reads as the audit log does: its words first, the code beside them.
    let labels = select_all_text(&html, "[data-testid=recent-event-label]");
    let actions = select_all_attr(&html, "[data-testid=recent-event]", "data-action");
    assert_eq!(labels.len(), actions.len());
    for (label, action) in labels.iter().zip(&actions) {
        assert_eq!(label, &latchkey::app::audit::human_label(action));
        assert_ne!(label, action, "a person's words, not the code");
    }
    assert_eq!(count(&html, "[data-testid=usage-chart]"), 1, "usage chart (its empty state: no requests yet)");

    let member = app.logged_in("member@acme.test").await;
    let (_, html) = member.get_html("/orgs/acme").await;
    assert_eq!(count(&html, "[data-testid=banner-expiring]"), 0, "members see no key data");

    let (_, html) = owner.get_html("/orgs/acme/settings/api-keys?state=attention").await;
    let mut rows = select_all_attr(&html, "tr[data-testid=key-row]", "data-key-id");
    rows.sort();
    let mut expected = vec![soon.clone(), gone.clone()];
    expected.sort();
    assert_eq!(rows, expected, "only keys with a health mark; healthy and revoked keys are left out");
    assert!(html.html().contains("expires soon"));

    let revoked_mails: Vec<_> = app.mails(org.id).into_iter().filter(|m| m.kind == "revoked_key_used").collect();
    assert_eq!(revoked_mails.len(), 2, "owner and admin, once");
    assert!(revoked_mails.iter().all(|m| m.text_body.contains(&leaked) && m.text_body.contains("127.0.0.1")));
}

#[tokio::test]
async fn the_renew_link_focuses_the_expiry_field() {
    let app = spawn_app().await;
    app.seed_acme();
    let (key, _) = app.make_expiring_key("acme", "Renew me", now() + Duration::days(3));
    let owner = app.logged_in("owner@acme.test").await;
    let (status, html) = owner.get_html(&format!("/orgs/acme/settings/api-keys/{key}/edit?focus=expires_at")).await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "input#expires_at[autofocus]"), 1);
    let (_, html) = owner.get_html(&format!("/orgs/acme/settings/api-keys/{key}/edit")).await;
    assert_eq!(count(&html, "input#expires_at[autofocus]"), 0);
}
