use crate::support::*;
use diesel::RunQueryDsl;
use latchkey::app::audit::{self, Actor, Entry, RequestMeta};
use latchkey::db::audit_events::StoredEvent;
use latchkey::domain::{OrgId, UserId};
use scraper::Html;

fn actions(events: &[StoredEvent]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

#[tokio::test]
async fn each_event_records_actor_ip_user_agent_request_and_trace_ids() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let visitor = app.visitor();
    let token = visitor.csrf().await;
    let res = visitor
        .http
        .post(format!("{}/login", app.base))
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .form(&[("csrf_token", token.as_str()), ("email", "owner@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    let request_id = res.headers()["x-request-id"].to_str().expect("id").to_owned();
    let login = events(&app, acme).into_iter().find(|e| e.action == "session.login").expect("login event");
    assert_eq!(login.actor_type, "user");
    assert_eq!(login.actor_email.as_deref(), Some("owner@acme.test"));
    assert_eq!(login.actor_name.as_deref(), Some("Olive Owner"));
    assert_eq!(login.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(login.user_agent.as_deref(), Some(USER_AGENT));
    assert_eq!(login.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(login.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));

    // Without traceparent the trace id is the request id.
    let member = app.user("member@acme.test").id;
    let res = visitor.post_form(&format!("/orgs/acme/settings/members/{member}/role"), &[("role", "admin")]).await;
    let request_id = res.headers()["x-request-id"].to_str().expect("id").to_owned();
    let changed = events(&app, acme).pop().expect("event");
    assert_eq!(changed.action, "member.role_changed");
    assert_eq!(changed.trace_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(changed.target_type.as_deref(), Some("user"));
    assert_eq!(changed.target_label.as_deref(), Some("member@acme.test"));
}

#[tokio::test]
async fn membership_changes_and_sessions_are_recorded_with_before_and_after() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let member_id = app.user("member@acme.test").id;
    let owner = app.logged_in("owner@acme.test").await;
    let page = "/orgs/acme/settings/members";
    assert_eq!(owner.post_form(&format!("{page}/{member_id}/role"), &[("role", "admin")]).await.status(), 303);
    assert_eq!(owner.post_form(&format!("{page}/{member_id}/remove"), &[]).await.status(), 303);
    assert_eq!(owner.post_form("/logout", &[]).await.status(), 303);
    let log = events(&app, acme);
    assert_eq!(actions(&log), ["session.login", "member.role_changed", "member.removed", "session.logout"]);
    assert_eq!(log[1].details, r#"{"after":{"role":"admin"},"before":{"role":"member"}}"#);
    assert_eq!(log[2].details, r#"{"role":"admin"}"#);
    assert_eq!(log[2].target_id.as_deref(), Some(member_id.to_string().as_str()));
    // A refused change leaves no event.
    let owner = app.logged_in("owner@acme.test").await;
    let owner_id = log[0].actor_id.expect("actor id");
    assert_eq!(owner.post_form(&format!("{page}/{owner_id}/remove"), &[]).await.status(), 422);
    assert_eq!(actions(&events(&app, acme)).last(), Some(&"session.login"));
}

#[tokio::test]
async fn session_events_go_to_every_org_of_the_user_and_failed_logins_never_keep_the_password() {
    let app = spawn_app().await;
    app.seed_acme();
    let outsider = app.user("outsider@other.test");
    let acme = latchkey::db::orgs::find_by_slug(&mut app.conn(), "acme").expect("q").expect("acme");
    app.add_member(&acme, &outsider, latchkey::domain::Role::Member);
    app.visitor().login("outsider@other.test", "hunter2-wrong").await;
    app.logged_in("outsider@other.test").await;
    app.visitor().login("nobody@nowhere.test", "hunter2-wrong").await;
    for slug in ["acme", "other"] {
        let log = events(&app, org_id(&app, slug));
        let sessions: Vec<&str> = actions(&log).into_iter().filter(|a| a.starts_with("session.")).collect();
        assert_eq!(sessions, ["session.login_failed", "session.login"], "{slug}");
        let failed = log.iter().find(|e| e.action == "session.login_failed").expect("failed");
        assert_eq!(failed.actor_type, "anonymous");
        assert!(failed.details.contains("outsider@other.test"));
    }
    let platform = events(&app, OrgId::new(0));
    assert_eq!(actions(&platform), ["session.login_failed"]);
    assert!(platform[0].details.contains("nobody@nowhere.test"));
    let dump: Vec<String> = [events(&app, OrgId::new(0)), events(&app, org_id(&app, "acme"))]
        .concat()
        .iter()
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(!dump.concat().contains("hunter2"), "no password in the audit log");
}

/// Appends `n` events straight through the audit module, alternating two actions.
fn seed_events(app: &TestApp, org_id: OrgId, n: usize) {
    let mut conn = app.conn();
    for i in 0..n {
        let entry = if i % 2 == 0 {
            Entry::member_added(
                org_id,
                UserId::new(i as i64),
                &format!("user{i}@acme.test"),
                latchkey::domain::Role::Member,
            )
        } else {
            Entry::org_plan_changed(org_id, "acme", "free", "paid")
        };
        audit::record(&mut conn, &Actor::cli(), &RequestMeta::default(), entry).expect("record");
    }
}

fn event_ids(html: &Html) -> Vec<i64> {
    let sel = scraper::Selector::parse("tr[data-testid=audit-row]").expect("sel");
    html.select(&sel).filter_map(|r| r.value().attr("data-event-id")?.parse().ok()).collect()
}

#[tokio::test]
async fn filters_combine_and_survive_keyset_pagination() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 130);
    let owner = app.logged_in("owner@acme.test").await;
    let mut path = "/orgs/acme/settings/audit-log?action=member.added&actor=system".to_owned();
    let mut seen = Vec::new();
    loop {
        let (status, html) = owner.get_html(&path).await;
        assert_eq!(status, 200);
        let sel = scraper::Selector::parse("tr[data-testid=audit-row]").expect("sel");
        assert!(html.select(&sel).all(|r| r.value().attr("data-action") == Some("member.added")));
        seen.extend(event_ids(&html));
        match select_attr(&html, "[data-testid=next-page]", "href") {
            Some(next) => path = next.replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 65, "every matching event once");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(sorted, seen, "newest first, no duplicates");

    let (_, html) = owner.get_html("/orgs/acme/settings/audit-log?target=user7%40acme.test").await;
    assert_eq!(event_ids(&html).len(), 0, "user7 was never added (odd index)");
    let (_, html) = owner.get_html("/orgs/acme/settings/audit-log?target=user8%40acme.test").await;
    assert_eq!(event_ids(&html).len(), 1);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let (_, html) = owner.get_html(&format!("/orgs/acme/settings/audit-log?from={tomorrow}")).await;
    assert_eq!(event_ids(&html).len(), 0);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, html) =
        owner.get_html(&format!("/orgs/acme/settings/audit-log?from={today}&to={today}&actor=owner%40acme.test")).await;
    assert_eq!(event_ids(&html).len(), 1, "the owner's login today");
}

#[tokio::test]
async fn bad_filter_values_are_explained_next_to_their_field() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (status, html) =
        owner.get_html("/orgs/acme/settings/audit-log?from=yesterday&action=session.hijacked&actor=x").await;
    assert_eq!(status, 422);
    assert_eq!(select_all_text(&html, "[data-testid=form-error]").len(), 2);
    assert_eq!(select_attr(&html, "#from", "value").as_deref(), Some("yesterday"));
    assert_eq!(select_attr(&html, "#actor", "value").as_deref(), Some("x"));
    assert_eq!(owner.get("/orgs/acme/settings/audit-log/export.csv?from=yesterday").await.status(), 400);
}

#[tokio::test]
async fn exports_stream_the_filtered_log_and_the_jsonl_copy_verifies_offline() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 2_100);
    let owner = app.logged_in("owner@acme.test").await;

    let res = owner.get("/orgs/acme/settings/audit-log/export.jsonl").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().expect("cd").contains("audit-log-acme.jsonl"));
    let body = res.text().await.expect("body");
    let lines: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 2_101, "every event, across export batches");
    // Re-verify the chain from the export alone, as an outside tool would.
    let mut verifier = latchkey::app::audit::chain::Verifier::default();
    for line in &lines {
        let text = |k: &str| line[k].as_str().map(str::to_owned);
        let fields = latchkey::app::audit::chain::EventFields {
            org_id: line["org_id"].as_i64().expect("org"),
            seq: line["seq"].as_i64().expect("seq"),
            occurred_at: chrono::NaiveDateTime::parse_from_str(
                &text("occurred_at").expect("t"),
                "%Y-%m-%dT%H:%M:%S%.6fZ",
            )
            .expect("time"),
            actor_type: text("actor_type").expect("actor"),
            actor_id: line["actor_id"].as_i64(),
            actor_email: text("actor_email"),
            actor_name: text("actor_name"),
            action: text("action").expect("action"),
            target_type: text("target_type"),
            target_id: text("target_id"),
            target_label: text("target_label"),
            ip: text("ip"),
            user_agent: text("user_agent"),
            request_id: text("request_id"),
            trace_id: text("trace_id"),
            details: text("details").expect("details"),
        };
        verifier
            .check(&fields, line["prev_hash"].as_str().expect("prev"), line["hash"].as_str().expect("hash"))
            .expect("chain");
    }

    let res = owner.get("/orgs/acme/settings/audit-log/export.csv?action=org.plan_changed").await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let body = res.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(reader.headers().expect("header").get(7), Some("action"));
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1_050);
    assert!(rows.iter().all(|r| r.get(7) == Some("org.plan_changed")));
}

async fn verify_result(visitor: &Visitor, path: &str) -> (String, String, String) {
    let (status, html) = visitor.get_html(path).await;
    assert_eq!(status, 200);
    let intact = select_attr(&html, "[data-testid=verify-result]", "data-intact").expect("result");
    let seq = select_attr(&html, "[data-testid=verify-result]", "data-broken-seq").unwrap_or_default();
    let text = select_all_text(&html, "[data-testid=verify-result]").concat();
    (intact, seq, text)
}

fn cli_verify(app: &TestApp) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["audit", "verify", "--org", "acme"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("run");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn tamper(app: &TestApp, sql: &str) {
    diesel::sql_query(sql).execute(&mut app.conn()).expect("tamper");
}

#[tokio::test]
async fn verify_says_intact_then_names_the_first_changed_or_missing_event() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 10);
    let owner = app.logged_in("owner@acme.test").await;
    let verify = "/orgs/acme/settings/audit-log/verify";
    let (intact, _, text) = verify_result(&owner, verify).await;
    assert_eq!(intact, "true");
    assert!(text.contains("11 events checked"), "{text}");
    let (ok, out) = cli_verify(&app);
    assert!(ok, "{out}");
    assert!(out.contains("intact: 11 events checked"), "{out}");

    // Change one field (the client IP) of event #4.
    tamper(&app, &format!("UPDATE audit_events SET ip = '6.6.6.6' WHERE org_id = {acme} AND seq = 4"));
    let (intact, seq, text) = verify_result(&owner, verify).await;
    assert_eq!((intact.as_str(), seq.as_str()), ("false", "4"));
    assert!(text.contains("content changed"), "{text}");
    let (ok, out) = cli_verify(&app);
    assert!(!ok, "the CLI exits non-zero");
    assert!(out.contains("BROKEN at event #4") && out.contains("content changed"), "{out}");
}

#[tokio::test]
async fn verify_detects_deleted_events_in_the_middle_and_at_the_end() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    seed_events(&app, acme, 10);
    let owner = app.logged_in("owner@acme.test").await;
    let verify = "/orgs/acme/settings/audit-log/verify";
    // Ten seeded events and the owner's login: remove the newest, #11.
    tamper(&app, &format!("DELETE FROM audit_events WHERE org_id = {acme} AND seq = 11"));
    let (intact, seq, text) = verify_result(&owner, verify).await;
    assert_eq!((intact.as_str(), seq.as_str()), ("false", "11"));
    assert!(text.contains("events missing at the end"), "{text}");

    tamper(&app, &format!("DELETE FROM audit_events WHERE org_id = {acme} AND seq = 5"));
    let (intact, seq, text) = verify_result(&owner, verify).await;
    assert_eq!((intact.as_str(), seq.as_str()), ("false", "6"));
    assert!(text.contains("event #5 should come before"), "{text}");
    let (ok, out) = cli_verify(&app);
    assert!(!ok && out.contains("event missing"), "{out}");
}

#[tokio::test]
async fn fifty_concurrent_writers_leave_one_intact_chain() {
    let app = spawn_app().await;
    app.seed_acme();
    let acme = org_id(&app, "acme");
    let before = events(&app, acme).len();
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("conn");
                let entry = Entry::member_added(
                    acme,
                    UserId::new(i),
                    &format!("c{i}@acme.test"),
                    latchkey::domain::Role::Member,
                );
                latchkey::db::transaction(&mut conn, |conn| {
                    audit::record(conn, &Actor::cli(), &RequestMeta::default(), entry)
                })
                .expect("record");
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("writer");
    }
    let log = events(&app, acme);
    assert_eq!(log.len(), before + 50);
    let seqs: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=log.len() as i64).collect::<Vec<_>>());
    let report = audit::verify_chain_only(&mut app.conn(), acme, |_| {}).expect("verify");
    assert!(report.broken.is_none(), "{:?}", report.broken);
    assert_eq!(report.checked, log.len() as u64);
}

#[tokio::test]
async fn staff_read_any_log_read_only_and_each_look_is_recorded() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("help@latchkey.test", "Hank Helpdesk", true);
    let acme = org_id(&app, "acme");
    let staff = app.logged_in("help@latchkey.test").await;

    let (status, html) = staff.get_html("/support?q=ACM").await;
    assert_eq!(status, 200);
    let slugs: Vec<String> = {
        let sel = scraper::Selector::parse("tr[data-testid=support-org-row]").expect("sel");
        html.select(&sel).filter_map(|r| r.value().attr("data-slug").map(str::to_owned)).collect()
    };
    assert_eq!(slugs, ["acme"]);

    let (status, html) = staff.get_html("/support/orgs/acme/audit-log").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "form[method=post]:not([action^='/logout'])"), 0, "no action buttons");
    assert_eq!(staff.get("/support/orgs/acme/audit-log/export.csv").await.status(), 200);
    let (intact, _, _) = verify_result(&staff, "/support/orgs/acme/audit-log/verify").await;
    assert_eq!(intact, "true");

    let views: Vec<StoredEvent> =
        events(&app, acme).into_iter().filter(|e| e.action == "support.viewed_audit_log").collect();
    assert_eq!(views.len(), 3);
    assert!(views.iter().all(|e| e.actor_type == "staff" && e.actor_email.as_deref() == Some("help@latchkey.test")));
    assert_eq!(views[1].details, r#"{"view":"export.csv"}"#);

    // The owner sees who looked.
    let owner = app.logged_in("owner@acme.test").await;
    let (_, html) = owner.get_html("/orgs/acme/settings/audit-log?action=support.viewed_audit_log").await;
    assert!(select_all_text(&html, "[data-testid=audit-actor]").iter().all(|a| a == "Support: Hank Helpdesk"));

    // Staff see the platform log.
    // Staff act on nothing in an organisation (docs/security-model.md: Roles; 403).
    assert_eq!(staff.get("/orgs/acme/settings/members").await.status(), 403);
    // The refusal says where staff read an organisation: the support console.
    let (status, refused) = staff.get_html("/orgs/acme/settings/api-keys").await;
    assert_eq!(status, 403);
    assert!(select_all_text(&refused, "h1").concat().contains("support console"));
    assert_eq!(
        select_attr(&refused, "[data-testid=error-way]", "href").as_deref(),
        Some("/support/orgs/acme/audit-log")
    );
    assert_eq!(
        staff
            .post_form("/orgs/acme/settings/members", &[("email", "help@latchkey.test"), ("role", "owner")])
            .await
            .status(),
        403
    );
    assert_eq!(staff.get("/support/platform-log").await.status(), 200);
    assert_eq!(staff.get("/support/orgs/nope/audit-log").await.status(), 404);
}

#[tokio::test]
async fn the_support_console_does_not_exist_for_non_staff() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    for path in [
        "/support",
        "/support/platform-log",
        "/support/orgs/acme/audit-log",
        "/support/orgs/acme/audit-log/export.jsonl",
    ] {
        assert_eq!(owner.get(path).await.status(), 404, "{path}");
    }
    let res = app.visitor().get("/support").await;
    assert_eq!(res.status(), 303, "anonymous users log in first");
}

#[tokio::test]
async fn members_get_403_and_other_orgs_404_on_every_audit_route() {
    let app = spawn_app().await;
    app.seed_acme();
    let routes = ["", "/export.csv", "/export.jsonl", "/verify"];
    for (email, want) in
        [("member@acme.test", 403), ("readonly@acme.test", 403), ("outsider@other.test", 404), ("admin@acme.test", 200)]
    {
        let visitor = app.logged_in(email).await;
        for route in routes {
            let path = format!("/orgs/acme/settings/audit-log{route}");
            assert_eq!(visitor.get(&path).await.status(), want, "{email} {path}");
        }
    }
}

#[tokio::test]
async fn cli_changes_are_recorded_as_system_actions() {
    let (url, dir) = fresh_database();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .expect("run");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["user", "create", "--email", "a@example.com", "--name", "A", "--password", PASSWORD]);
    run(&["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "free", "--owner", "a@example.com"]);
    run(&["org", "set-plan", "--org", "acme", "--plan", "paid"]);
    let app = spawn_app_on(url, dir, |_| {}).await;
    let log = events(&app, org_id(&app, "acme"));
    assert_eq!(actions(&log), ["org.created", "org.plan_changed"]);
    assert!(log.iter().all(|e| e.actor_type == "system" && e.actor_name.as_deref() == Some("cli")));
    assert_eq!(log[1].details, r#"{"after":{"plan":"paid"},"before":{"plan":"free"}}"#);
}
