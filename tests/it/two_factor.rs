//! Two-factor authentication: setting up an authenticator app, logging in
//! with a code or a recovery code, replays, wrong codes, the pending login's
//! lifetime, sudo mode with a code, the org requirement, removal.

use crate::support::*;
use latchkey::domain::second_factor::TotpSecret;
use scraper::Html;

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// The app's code for the next 30-second step: the current step's code was
/// used to confirm the app, and each step is accepted only once.
fn next_code(secret: &TotpSecret) -> String {
    secret.code_at(unix_now() + 30).unwrap()
}

fn actions(app: &TestApp, slug: &str) -> Vec<String> {
    events(app, org_id(app, slug)).into_iter().map(|e| e.action).collect()
}

/// Sets up an authenticator for the visitor's account; returns its secret and recovery codes.
async fn enrol(visitor: &Visitor) -> (TotpSecret, Vec<String>) {
    let (status, page) = visitor.get_html("/account/two-factor").await;
    assert_eq!(status, 200);
    let shown = select_all_text(&page, "[data-testid=totp-secret]").pop().expect("secret shown");
    // Cancel sits beside Turn on, posting a form of its own.
    assert_eq!(count(&page, ".button-row [data-testid=confirm-totp] + [data-testid=cancel-totp][form=totp-cancel]"), 1);
    assert_eq!(select_attr(&page, "form#totp-cancel", "action").as_deref(), Some("/account/two-factor/cancel"));
    assert_eq!(
        select_all_text(&visitor.get_html("/account/two-factor").await.1, "[data-testid=totp-secret]"),
        vec![shown.clone()],
        "same secret on reload"
    );
    assert_eq!(count(&page, "[data-testid=totp-qr] svg"), 1, "a QR code drawn here");
    let secret = TotpSecret::from_base32(&shown).expect("base32");
    let res = visitor.post_form("/account/two-factor/totp", &[("code", "000000")]).await;
    let wrong = res.status();
    // (000000 may by chance be the current code; then it was simply accepted.)
    if wrong == 422 {
        let code = secret.code_at(unix_now()).expect("code");
        let res = visitor.post_form("/account/two-factor/totp", &[("code", &code)]).await;
        assert_eq!(res.status(), 200);
        let html = Html::parse_document(&res.text().await.unwrap());
        let codes = select_all_text(&html, "[data-testid=recovery-code]");
        assert_eq!(codes.len(), 10);
        // Download gives the same codes as a text file, one a line.
        let href = select_attr(&html, "[data-testid=download-codes]", "href").expect("download link");
        let body = href.strip_prefix("data:text/plain;charset=utf-8,").expect("a text file");
        let file: String = url::form_urlencoded::parse(format!("f={body}").as_bytes()).map(|(_, v)| v).collect();
        assert_eq!(file.lines().skip(2).collect::<Vec<_>>(), codes, "{file}");
        assert_eq!(
            select_attr(&html, "[data-testid=download-codes]", "download").as_deref(),
            Some("latchkey-recovery-codes.txt")
        );
        return (secret, codes);
    }
    panic!("a wrong code was not refused: {wrong}");
}

/// Logs in with the password; returns the visitor, now at the second step.
async fn password_step(app: &TestApp, email: &str) -> Visitor {
    let visitor = app.visitor();
    let res = visitor.login(email, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login/two-factor");
    visitor
}

#[tokio::test]
async fn an_authenticator_app_is_set_up_and_then_asked_for_at_every_login() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (secret, codes) = enrol(&owner).await;
    assert!(actions(&app, "acme").contains(&"user.two_factor_enabled".to_owned()));
    app.send_mail().await;
    assert!(app.mails_to("owner@acme.test").iter().any(|m| m.contains("turned on")));
    assert_eq!(owner.get("/orgs/acme").await.status(), 200, "a session from before keeps working");
    let stored = latchkey::db::second_factors::totp(&mut app.conn(), app.user("owner@acme.test").id).unwrap().unwrap();
    assert!(!stored.secret_sealed.contains(&secret.base32()), "sealed at rest");
    let (_, page) = owner.get_html("/account/two-factor").await;
    assert_eq!(count(&page, "[data-testid=totp-secret]"), 0, "no secret once confirmed");
    // Replacing the codes takes a second, deliberate click: the button sits behind a warning.
    let behind = "details[data-testid=regenerate-codes-disclosure]:not([open]) [data-testid=regenerate-codes]";
    assert_eq!(count(&page, behind), 1);
    assert!(codes.iter().all(|c| c.len() == 19));

    // The password alone reaches nothing but the second step.
    let visitor = password_step(&app, "owner@acme.test").await;
    let res = visitor.get("/orgs/acme").await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"));
    assert_eq!(visitor.get("/login/two-factor").await.status(), 200);
    let res = visitor.post_form("/login/two-factor", &[("code", "not a code")]).await;
    assert_eq!(res.status(), 422);
    let code = next_code(&secret);
    let res = visitor.post_form("/login/two-factor", &[("code", &code)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(visitor.get("/orgs/acme").await.status(), 200);
    let login = events(&app, org_id(&app, "acme")).into_iter().rfind(|e| e.action == "session.login").unwrap();
    assert!(login.details.contains("password+totp"), "{}", login.details);

    // The same code is refused the second time.
    let again = password_step(&app, "owner@acme.test").await;
    assert_eq!(again.post_form("/login/two-factor", &[("code", &code)]).await.status(), 422, "replay refused");
    let failed = events(&app, org_id(&app, "acme")).into_iter().rfind(|e| e.action == "session.login_failed").unwrap();
    assert!(failed.details.contains("bad_second_factor"));
}

#[tokio::test]
async fn a_recovery_code_works_once_and_mails_the_user() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, codes) = enrol(&app.logged_in("admin@acme.test").await).await;
    let visitor = password_step(&app, "admin@acme.test").await;
    let res = visitor.post_form("/login/two-factor", &[("code", &codes[3].to_uppercase())]).await;
    assert_eq!(res.status(), 303, "case and dashes do not matter");
    let login = events(&app, org_id(&app, "acme")).into_iter().rfind(|e| e.action == "session.login").unwrap();
    assert!(login.details.contains("password+recovery_code"));
    app.send_mail().await;
    assert!(app.mails_to("admin@acme.test").iter().any(|m| m.contains("recovery code was used")));
    let visitor = password_step(&app, "admin@acme.test").await;
    assert_eq!(visitor.post_form("/login/two-factor", &[("code", &codes[3])]).await.status(), 422, "used up");
    // New codes replace the old ones.
    let admin = app.logged_in_with_code("admin@acme.test", &codes[4]).await;
    let res = admin.post_form("/account/two-factor/recovery-codes", &[]).await;
    assert_eq!(res.status(), 200);
    let fresh = select_all_text(&Html::parse_document(&res.text().await.unwrap()), "[data-testid=recovery-code]");
    assert_eq!(fresh.len(), 10);
    let visitor = password_step(&app, "admin@acme.test").await;
    assert_eq!(
        visitor.post_form("/login/two-factor", &[("code", &codes[5])]).await.status(),
        422,
        "old codes stop working"
    );
    assert!(actions(&app, "acme").contains(&"user.recovery_codes_regenerated".to_owned()));
}

#[tokio::test]
async fn five_wrong_codes_end_the_pending_login_and_count_towards_the_throttle() {
    let app = spawn_app().await;
    app.seed_acme();
    let (secret, _) = enrol(&app.logged_in("member@acme.test").await).await;
    let visitor = password_step(&app, "member@acme.test").await;
    for i in 0..4 {
        assert_eq!(visitor.post_form("/login/two-factor", &[("code", "12345x")]).await.status(), 422, "attempt {i}");
    }
    let res = visitor.post_form("/login/two-factor", &[("code", "12345x")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    assert_eq!(location(&visitor.get("/login/two-factor").await), "/login", "the pending login is over");
    let code = next_code(&secret);
    assert_eq!(visitor.post_form("/login/two-factor", &[("code", &code)]).await.status(), 303);
    assert_eq!(visitor.get("/orgs/acme").await.status(), 303, "and a right code no longer logs in");
    assert_eq!(app.visitor().login("member@acme.test", PASSWORD).await.status(), 429, "the throttle counted them");
}

#[tokio::test]
async fn the_pending_login_lives_five_minutes() {
    let app = spawn_app().await;
    app.seed_acme();
    let (secret, _) = enrol(&app.logged_in("member@acme.test").await).await;
    let user = app.user("member@acme.test");
    let stale = app.visitor_with_cookie(&app.forge_pending_login(user.id, 6 * 60, "csrf-token"));
    let code = next_code(&secret);
    let res = stale.post_raw("/login/two-factor", &[("csrf_token", "csrf-token"), ("code", &code)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login", "expired: back to the password");
    let fresh = app.visitor_with_cookie(&app.forge_pending_login(user.id, 60, "csrf-token"));
    let res = fresh.post_raw("/login/two-factor", &[("csrf_token", "csrf-token"), ("code", &code)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/", "within five minutes the code logs in");
}

#[tokio::test]
async fn sudo_mode_asks_a_user_with_a_second_factor_for_a_code() {
    let app = spawn_app().await;
    app.seed_acme();
    let (secret, _) = enrol(&app.logged_in("admin@acme.test").await).await;
    let admin = app.stale_sudo_session("admin@acme.test", 30);
    let key = create_key(&admin, &[("label", "Sudo with a code")]).await;
    let path = format!("{KEYS}/{}/revoke", key.id);
    let (_, page) = admin.get_html(&path).await;
    assert_eq!(count(&page, "input[name=code]"), 1);
    assert_eq!(count(&page, "input[name=password]"), 0);
    let res = admin.post_form(&path, &[("password", PASSWORD)]).await;
    assert_eq!(res.status(), 422, "the password does not stand in for the code");
    let res = admin.post_form(&path, &[("code", "000001")]).await;
    assert_eq!(res.status(), 422);
    let res = admin.post_form(&path, &[("code", &next_code(&secret))]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(code(&ping(&app, &key.token).await.1), "revoked_key");
}

#[tokio::test]
async fn an_org_can_require_a_second_factor_of_every_member() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    // Without a factor of one's own the box cannot be ticked, and the page says why.
    let (_, page) = owner.get_html("/orgs/acme/settings/security").await;
    assert_eq!(count(&page, "#require_two_factor[disabled][aria-describedby=tfa-blocked]"), 1);
    assert_eq!(count(&page, "[data-testid=tfa-blocked]"), 1);
    let res = owner.post_form("/orgs/acme/settings/security/two-factor", &[("require_two_factor", "on")]).await;
    assert_eq!(res.status(), 422, "not without a factor of one's own");
    enrol(&owner).await;
    let (_, page) = owner.get_html("/orgs/acme/settings/security").await;
    assert_eq!(count(&page, "#require_two_factor[disabled]"), 0, "a live box once the owner has a factor");
    let res = owner.post_form("/orgs/acme/settings/security/two-factor", &[("require_two_factor", "on")]).await;
    assert_eq!(res.status(), 303);
    assert!(actions(&app, "acme").contains(&"org.two_factor_requirement_changed".to_owned()));
    assert_eq!(owner.get("/orgs/acme/settings/api-keys").await.status(), 200);

    let admin = app.logged_in("admin@acme.test").await;
    let res = admin.get("/orgs/acme/settings/api-keys").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account/two-factor?required=acme");
    let (_, page) = admin.get_html("/account/two-factor?required=acme").await;
    let banner = select_all_text(&page, "[data-testid=two-factor-required]").concat();
    assert!(banner.starts_with("acme org requires"), "the page names the organisation that asks: {banner}");
    assert_eq!(admin.post_form(KEYS, &[("label", "blocked")]).await.status(), 403);
    // The REST API is not affected.
    let token = app.make_key("acme", &[], "", None);
    assert_eq!(ping(&app, &token).await.0, 200);
    // Once the admin has a factor, the org opens again.
    enrol(&admin).await;
    assert_eq!(admin.get("/orgs/acme/settings/api-keys").await.status(), 200);
    let res = owner.post_form("/orgs/acme/settings/security/two-factor", &[]).await;
    assert_eq!(res.status(), 303, "turned off");
    assert_eq!(app.logged_in("member@acme.test").await.get("/orgs/acme").await.status(), 200);
}

#[tokio::test]
async fn removing_the_app_needs_the_password_and_a_code() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (secret, _) = enrol(&owner).await;
    let code = next_code(&secret);
    let res = owner.post_form("/account/two-factor/disable", &[("password", "wrong password"), ("code", &code)]).await;
    assert_eq!(res.status(), 422);
    let res = owner.post_form("/account/two-factor/disable", &[("password", PASSWORD), ("code", "123")]).await;
    assert_eq!(res.status(), 422);
    let res = owner.post_form("/account/two-factor/disable", &[("password", PASSWORD), ("code", &code)]).await;
    assert_eq!(res.status(), 303);
    assert!(actions(&app, "acme").contains(&"user.two_factor_disabled".to_owned()));
    assert_eq!(
        app.visitor().login("owner@acme.test", PASSWORD).await.status(),
        303,
        "the password alone logs in again"
    );
    let mailed = || app.mails_to("owner@acme.test").iter().any(|m| m.contains("turned off"));
    app.send_mail().await;
    assert!(mailed());
}

#[tokio::test]
async fn a_second_factor_passes_the_per_ip_throttle_but_not_the_per_account_one() {
    let app = spawn_app().await;
    app.seed_acme();
    let (secret, _) = enrol(&app.logged_in("admin@acme.test").await).await;
    // Someone behind the same address sprays wrong passwords at other accounts.
    for i in 0..20 {
        app.visitor().login(&format!("nobody{i}@acme.test"), "wrong wrong wrong").await;
    }
    assert_eq!(app.visitor().login("member@acme.test", PASSWORD).await.status(), 429, "no second factor: throttled");
    let visitor = password_step(&app, "admin@acme.test").await;
    let res = visitor.post_form("/login/two-factor", &[("code", &next_code(&secret))]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(visitor.get("/orgs/acme").await.status(), 200, "password and second factor got through");
    // The account's own throttle still holds.
    for _ in 0..5 {
        app.visitor().login("admin@acme.test", "wrong wrong wrong").await;
    }
    assert_eq!(app.visitor().login("admin@acme.test", PASSWORD).await.status(), 429);
}

#[tokio::test]
async fn an_orgs_requirement_of_a_second_factor_applies_to_staff_in_support_too() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("help@latchkey.test", "Hal Help", true);
    let owner = app.logged_in("owner@acme.test").await;
    enrol(&owner).await;
    let res = owner.post_form("/orgs/acme/settings/security/two-factor", &[("require_two_factor", "on")]).await;
    assert_eq!(res.status(), 303);
    let (key_id, _) = app.make_scoped_key("acme", "Some key", &[]);
    let org_views = || actions(&app, "acme").iter().filter(|a| a.starts_with("support.viewed")).count();
    let pages = [
        "/support/orgs/acme/audit-log".to_owned(),
        "/support/orgs/acme/audit-log/export.csv".to_owned(),
        "/support/orgs/acme/audit-log/export.jsonl".to_owned(),
        "/support/orgs/acme/audit-log/verify".to_owned(),
        "/support/orgs/acme/api-keys".to_owned(),
        format!("/support/orgs/acme/api-keys/{key_id}"),
    ];

    // Staff without a second factor see nothing of acme, and no view is recorded.
    let staff = app.logged_in("help@latchkey.test").await;
    for path in &pages {
        let res = staff.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/account/two-factor?required=acme", "{path}");
    }
    assert_eq!(org_views(), 0);
    // What is not acme's data stays open: the search, the platform log, orgs without the requirement.
    assert_eq!(staff.get("/support?q=acme").await.status(), 200);
    assert_eq!(staff.get("/support/platform-log").await.status(), 200);
    assert_eq!(staff.get("/support/orgs/other/audit-log").await.status(), 200);

    // With a factor of their own, staff read acme as before, each look recorded.
    enrol(&staff).await;
    for path in &pages {
        assert_eq!(staff.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(org_views(), pages.len());
}
