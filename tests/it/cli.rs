//! The real `latchkey` binary against a real database.

use crate::support::*;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn latchkey(database_url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        // `demo` reads the encryption key; keep the generated keys file out of the source tree.
        .env("LATCHKEY_KEYS_FILE", std::env::temp_dir().join(format!("latchkey-cli-test-{}.keys", std::process::id())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run latchkey");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn users_and_orgs_made_on_the_command_line_can_log_in() {
    let (url, dir) = fresh_database();
    let pw = format!("{PASSWORD}\n");
    let out = latchkey(
        &url,
        &["user", "create", "--email", "Ada@Example.com", "--name", "Ada L", "--password-stdin"],
        Some(&pw),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = latchkey(
        &url,
        &["user", "create", "--email", "bob@example.com", "--name", "Bob", "--password", PASSWORD],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = latchkey(
        &url,
        &["org", "create", "--slug", "acme", "--name", "Acme Inc", "--plan", "trial", "--owner", "ada@example.com"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = latchkey(
        &url,
        &["org", "add-member", "--org", "acme", "--email", "bob@example.com", "--role", "read_only"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = latchkey(&url, &["org", "set-plan", "--org", "acme", "--plan", "paid"], None);
    assert!(out.status.success(), "{}", text(&out));

    let app = spawn_app_on(url, dir, |_| {}).await;
    let ada = app.logged_in("ada@example.com").await;
    let (status, html) = ada.get_html("/orgs/acme").await;
    assert_eq!(status, 200);
    assert!(html.html().contains("paid"), "plan change applied");
    let bob = app.logged_in("bob@example.com").await;
    assert_eq!(bob.get("/orgs/acme").await.status(), 200);
    assert_eq!(bob.get("/orgs/acme/settings/api-keys").await.status(), 403, "read-only");
}

#[test]
fn password_stdin_trims_only_the_trailing_newline() {
    let (url, _dir) = fresh_database();
    let out = latchkey(
        &url,
        &["user", "create", "--email", "sp@example.com", "--name", "Spaces", "--password-stdin"],
        Some("  spaced pass  \r\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let pool = latchkey::db::pool(&url);
    let (_, hash) = latchkey::db::users::find_for_login(
        &mut pool.get().expect("conn"),
        &latchkey::domain::Email::parse("sp@example.com").expect("e"),
    )
    .expect("q")
    .expect("user");
    assert!(latchkey::infra::password::verify("  spaced pass  ", &hash));
}

#[test]
fn bad_arguments_fail_clearly_and_create_nothing() {
    let (url, _dir) = fresh_database();
    let cases: &[(&[&str], &str)] = &[
        (&["user", "create", "--email", "nope", "--name", "X", "--password", PASSWORD], "valid email"),
        (&["user", "create", "--email", "x@example.com", "--name", "X", "--password", "short"], "at least 8"),
        (&["user", "create", "--email", "x@example.com", "--name", "X"], "--password"),
        (
            &["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "gold", "--owner", "x@example.com"],
            "free, trial or paid",
        ),
        (
            &["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "paid", "--owner", "ghost@example.com"],
            "no user with email",
        ),
        (&["org", "add-member", "--org", "ghost", "--email", "x@example.com", "--role", "admin"], "no organisation"),
        (&["org", "set-plan", "--org", "ghost", "--plan", "paid"], "no organisation"),
        (&["org", "add-member", "--org", "acme", "--email", "x@example.com", "--role", "king"], "Choose a role"),
    ];
    for (args, message) in cases {
        let out = latchkey(&url, args, None);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
    }
    let pool = latchkey::db::pool(&url);
    let mut conn = pool.get().expect("conn");
    assert_eq!(latchkey::db::users::count(&mut conn).expect("count"), 0);
    assert!(latchkey::db::orgs::find_by_slug(&mut conn, "acme").expect("q").is_none());
}

#[test]
fn duplicates_are_refused() {
    let (url, _dir) = fresh_database();
    let args = ["user", "create", "--email", "a@example.com", "--name", "A", "--password", PASSWORD];
    assert!(latchkey(&url, &args, None).status.success());
    let out = latchkey(&url, &args, None);
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists"));
    let org = ["org", "create", "--slug", "acme", "--name", "Acme", "--plan", "paid", "--owner", "a@example.com"];
    assert!(latchkey(&url, &org, None).status.success());
    let out = latchkey(&url, &org, None);
    assert!(!out.status.success());
    assert!(text(&out).contains("already exists"));
    let out =
        latchkey(&url, &["org", "add-member", "--org", "acme", "--email", "a@example.com", "--role", "admin"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("already a member"));
}

#[test]
fn migrate_applies_pending_migrations_once() {
    let (url, _dir) = fresh_database();
    let first = latchkey(&url, &["migrate"], None);
    assert!(first.status.success(), "{}", text(&first));
    let versions =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).expect("migrations").count();
    assert!(text(&first).contains(&format!("{versions} migration(s) applied")), "{}", text(&first));
    let again = latchkey(&url, &["migrate"], None);
    assert!(text(&again).contains("0 migration(s) applied"), "{}", text(&again));
}

#[tokio::test]
async fn demo_seeds_one_user_per_role_and_is_safe_to_run_twice() {
    let (url, dir) = fresh_database();
    let out = latchkey(&url, &["demo"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("owner@demo.latchkey.test"));
    // Progress never counts past its total ("seeding: 11/10" once did).
    let all = format!("{}{}", text(&out), String::from_utf8_lossy(&out.stderr));
    let steps: Vec<(u64, u64)> = all
        .lines()
        .filter_map(|l| l.split_once("seeding: ")?.1.split_whitespace().next()?.split_once('/'))
        .filter_map(|(n, total)| Some((n.parse().ok()?, total.parse().ok()?)))
        .collect();
    assert!(!steps.is_empty(), "progress lines are printed: {all}");
    assert!(steps.iter().all(|(n, total)| n <= total), "{steps:?}");
    assert_eq!(steps.last().map(|(n, total)| n == total), Some(true), "it ends at its total: {steps:?}");
    let again = latchkey(&url, &["demo"], None);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("already exists"));

    let app = spawn_app_on(url, dir, |_| {}).await;
    let owner = app.visitor();
    assert_eq!(owner.login("owner@demo.latchkey.test", latchkey::cli::demo::DEMO_PASSWORD).await.status(), 303);
    let (_, html) = owner.get_html("/orgs/demo/settings/members").await;
    assert_eq!(count(&html, "tr[data-testid=member-row]"), 4);
    let (_, keys) = owner.get_html("/orgs/demo/settings/api-keys").await;
    let states: Vec<String> = {
        let sel = scraper::Selector::parse("tr[data-testid=key-row]").expect("sel");
        keys.select(&sel).filter_map(|r| r.value().attr("data-status").map(str::to_owned)).collect()
    };
    assert_eq!(states.len(), 14, "a dozen sample keys and two of the Billing API");
    for state in ["active", "rotating", "disabled", "expired", "revoked"] {
        assert!(states.iter().any(|s| s == state), "{state} in {states:?}");
    }
    for mark in ["expires soon", "expired", "rotation recommended", "unused", "rotating"] {
        assert!(keys.html().contains(mark), "health mark {mark}");
    }
    // The dashboard shows banners and a chart with data.
    let (_, dash) = owner.get_html("/orgs/demo").await;
    assert!(count(&dash, "[data-testid=banner-expiring]") >= 2, "expiring and expired keys");
    assert_eq!(count(&dash, "[data-testid=banner-webhook]"), 1, "the failing endpoint");
    assert_eq!(count(&dash, "[data-testid=banner-revoked-use]"), 1);
    assert!(count(&dash, "svg rect") > 30, "usage bars");
    // Webhooks with deliveries, records, and 90 days of intact audit history.
    let (_, hooks) = owner.get_html("/orgs/demo/settings/webhooks").await;
    let hook_links = select_all_attr(&hooks, "a[href^=\"/orgs/demo/settings/webhooks/wh_\"]", "href");
    assert!(!hook_links.is_empty());
    let (_, hook) = owner.get_html(&hook_links[0]).await;
    assert!(hook.html().contains("200") || hook.html().contains("503"), "attempts are listed");
    let org = org_id(&app, "demo");
    let log = events(&app, org);
    assert!(log.len() > 60, "{} events", log.len());
    let oldest = log.iter().map(|e| e.occurred_at).min().expect("events");
    assert!(oldest < chrono::Utc::now().naive_utc() - chrono::Duration::days(90));
    assert!(log.windows(2).all(|w| w[0].occurred_at <= w[1].occurred_at), "times grow with the chain");
    let verify = latchkey(&app.database_url, &["audit", "verify", "--org", "demo"], None);
    assert!(verify.status.success(), "{}", text(&verify));
    let orders = latchkey::db::records::page(&mut app.conn(), org, "orders", 0, 100).expect("orders");
    assert_eq!(orders.len(), 5);
}

#[test]
fn every_command_has_help_with_examples() {
    let (url, _dir) = fresh_database();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["demo", "--help"],
        &["user", "create", "--help"],
        &["org", "create", "--help"],
        &["org", "add-member", "--help"],
        &["org", "set-plan", "--help"],
    ] {
        let out = latchkey(&url, args, None);
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out).contains("Example"), "{args:?}: {}", text(&out));
    }
}

/// `latchkey serve` on `url`, which must refuse to start: (exit status, stderr).
fn serve_must_fail(url: &str) -> (std::process::ExitStatus, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
        .env("LATCHKEY_KEYS_FILE", std::env::temp_dir().join(format!("latchkey-cli-test-{}.keys", std::process::id())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    for _ in 0..100 {
        if child.try_wait().expect("try_wait").is_some() {
            let out = child.wait_with_output().expect("output");
            return (out.status, String::from_utf8_lossy(&out.stderr).into_owned());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("serve started on an unusable database: {url}");
}

#[test]
fn serve_refuses_a_database_it_cannot_write_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("latchkey.db");
    let writable = format!("sqlite://{}", path.display());
    assert!(latchkey(&writable, &["migrate"], None).status.success());
    // Opened read-only (as a read-only file or mount would be): refused before serving.
    let (status, err) = serve_must_fail(&format!("sqlite://file:{}?mode=ro", path.display()));
    assert!(!status.success());
    assert!(err.contains("the database cannot be written") && err.contains("readonly"), "{err}");
    assert!(err.contains("free disk space"), "{err}");
    // A directory that does not exist: the message names the file and what SQLite needs.
    let missing = dir.path().join("no/such/dir/latchkey.db");
    let (status, err) = serve_must_fail(&format!("sqlite://{}", missing.display()));
    assert!(!status.success());
    assert!(err.contains(&format!("cannot open the SQLite database {}", missing.display())), "{err}");
    assert!(err.contains("-wal"), "{err}");
}

#[test]
fn serve_refuses_a_read_only_postgresql() {
    let (url, _dir) = fresh_database();
    if !latchkey::db::is_postgres(&url) {
        return; // the SQLite variants are above; this one needs the PostgreSQL run
    }
    assert!(latchkey(&url, &["migrate"], None).status.success());
    let name = url.rsplit('/').next().expect("database name").to_owned();
    let mut admin = diesel::PgConnection::establish(&url).expect("connect");
    admin.batch_execute(&format!("ALTER DATABASE {name} SET default_transaction_read_only = on")).expect("alter");
    let (status, err) = serve_must_fail(&url);
    assert!(!status.success());
    assert!(err.contains("the database cannot be written") && err.contains("only allows reads"), "{err}");
}

#[tokio::test]
async fn set_password_ends_every_session_and_lifts_the_throttle() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let member = app.logged_in("member@acme.test").await;
    for _ in 0..5 {
        app.visitor().login("member@acme.test", "wrong wrong wrong").await;
    }
    assert_eq!(app.visitor().login("member@acme.test", PASSWORD).await.status(), 429, "locked out");

    let out = latchkey(
        &app.database_url,
        &["user", "set-password", "--email", "nobody@acme.test", "--password", "whatever whatever"],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("no user with email nobody@acme.test"), "{}", text(&out));
    let out = latchkey(
        &app.database_url,
        &["user", "set-password", "--email", "member@acme.test", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!out.status.success(), "the password rules apply");
    let out = latchkey(
        &app.database_url,
        &["user", "set-password", "--email", "member@acme.test", "--password-stdin"],
        Some("an operator's new passphrase\n"),
    );
    assert!(out.status.success(), "{}", text(&out));

    assert_eq!(member.get("/orgs/acme").await.status(), 303, "the old session has ended");
    assert_eq!(
        app.visitor().login("member@acme.test", "an operator's new passphrase").await.status(),
        303,
        "throttle lifted"
    );
    let event = events(&app, org.id).into_iter().rfind(|e| e.action == "user.password_reset").expect("audited");
    assert_eq!((event.actor_type.as_str(), event.actor_name.as_deref()), ("system", Some("cli")));
}

#[tokio::test]
async fn reset_two_factor_removes_every_factor_and_ends_every_session() {
    use latchkey::db::second_factors as factors;
    let app = spawn_app().await;
    let org = app.seed_acme();
    let user = app.user("admin@acme.test");
    let session = app.logged_in("admin@acme.test").await;
    let meta = latchkey::app::audit::RequestMeta::default();
    latchkey::app::accounts::two_factor::begin_totp(&mut app.conn(), &app.config, &user).expect("begin");
    factors::confirm_totp(&mut app.conn(), user.id, 1).expect("confirm");
    latchkey::app::accounts::two_factor::regenerate_recovery_codes(&mut app.conn(), &app.config, &user, &meta)
        .expect("codes");
    assert!(factors::has_any(&mut app.conn(), user.id).unwrap());
    assert_eq!(location(&app.visitor().login("admin@acme.test", PASSWORD).await), "/login/two-factor");

    let out = latchkey(&app.database_url, &["user", "reset-two-factor", "--email", "admin@acme.test"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!factors::has_any(&mut app.conn(), user.id).unwrap());
    assert_eq!(factors::unused_recovery_codes(&mut app.conn(), user.id).unwrap(), 0);
    assert_eq!(session.get("/orgs/acme").await.status(), 303, "sessions ended");
    assert_eq!(location(&app.visitor().login("admin@acme.test", PASSWORD).await), "/", "the password alone logs in");
    let event = events(&app, org.id).into_iter().rfind(|e| e.action == "user.two_factor_disabled").expect("audited");
    assert_eq!(event.actor_type, "system");
    let out = latchkey(&app.database_url, &["user", "reset-two-factor", "--email", "ghost@acme.test"], None);
    assert!(!out.status.success());
}
