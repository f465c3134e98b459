//! Re-authentication after the sudo window (docs/security-model.md: Rules): sudo
//! prompts and the two-factor forms share the login throttle (429 past it)
//! and record every wrong answer as `session.sudo_failed`; adding, replacing
//! or removing a second factor and new recovery codes ask for the password
//! (and a code) on their own form.

use crate::support::*;
use latchkey::domain::second_factor::TotpSecret;
use scraper::Html;

const KEYS: &str = "/orgs/acme/settings/api-keys";

fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

fn sudo_failures(app: &TestApp) -> Vec<String> {
    events(app, org_id(app, "acme"))
        .into_iter()
        .filter(|e| e.action == "session.sudo_failed")
        .map(|e| e.details)
        .collect()
}

/// Gives `email` a confirmed authenticator app straight in the database.
fn with_app(app: &TestApp, email: &str) -> TotpSecret {
    let (user, secret) = (app.user(email), TotpSecret::generate());
    let sealed = latchkey::domain::crypto::seal(&app.config.encryption_key, secret.bytes()).unwrap();
    latchkey::db::second_factors::insert_pending_totp(&mut app.conn(), user.id, &sealed).unwrap();
    latchkey::db::second_factors::confirm_totp(&mut app.conn(), user.id, 0).unwrap();
    secret
}

#[tokio::test]
async fn wrong_sudo_passwords_are_throttled_like_logins_and_each_is_audited() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", None);
    let key_id = ping(&app, &token).await.1["key_id"].as_str().unwrap().to_owned();
    let owner = app.stale_sudo_session("owner@acme.test", 30);
    let revoke = format!("{KEYS}/{key_id}/revoke");
    for i in 0..5 {
        let res = owner.post_form(&revoke, &[("password", "not it")]).await;
        assert_eq!(res.status(), 422, "wrong answer {i}");
    }
    let res = owner.post_form(&revoke, &[("password", PASSWORD)]).await;
    assert_eq!(res.status(), 429, "past the limit even the right password waits");
    let html = Html::parse_document(&res.text().await.unwrap());
    assert!(html.html().contains("Too many wrong answers"), "the form says why");
    assert_eq!(ping(&app, &token).await.0, 200, "nothing was revoked");
    let failures = sudo_failures(&app);
    assert_eq!(failures.len(), 6);
    assert_eq!(failures.iter().filter(|d| d.contains("wrong_answer")).count(), 5);
    assert!(failures.iter().all(|d| d.contains("key_action")));
    assert_eq!(app.visitor().login("owner@acme.test", PASSWORD).await.status(), 429, "one throttle for all");
}

#[tokio::test]
async fn wrong_sudo_codes_and_wrong_removal_codes_are_throttled_and_audited() {
    let app = spawn_app().await;
    app.seed_acme();
    let secret = with_app(&app, "admin@acme.test");
    let token = app.make_key("acme", &[], "", None);
    let key_id = ping(&app, &token).await.1["key_id"].as_str().unwrap().to_owned();
    let admin = app.stale_sudo_session("admin@acme.test", 30);
    for _ in 0..3 {
        assert_eq!(admin.post_form(&format!("{KEYS}/{key_id}/revoke"), &[("code", "000001")]).await.status(), 422);
    }
    // The removal form: right password, wrong code — two more failures, then the throttle.
    for _ in 0..2 {
        let fields = [("password", PASSWORD), ("code", "000001")];
        assert_eq!(admin.post_form("/account/two-factor/disable", &fields).await.status(), 422);
    }
    let code = secret.code_at(unix_now()).unwrap();
    let res = admin.post_form("/account/two-factor/disable", &[("password", PASSWORD), ("code", &code)]).await;
    assert_eq!(res.status(), 429, "the removal form shares the throttle");
    assert!(latchkey::db::second_factors::has_any(&mut app.conn(), app.user("admin@acme.test").id).unwrap());
    let failures = sudo_failures(&app);
    assert_eq!(failures.iter().filter(|d| d.contains("wrong_answer")).count(), 5);
    assert_eq!(failures.iter().filter(|d| d.contains("second_factor")).count(), 3);
}

#[tokio::test]
async fn after_the_sudo_window_an_authenticator_is_only_added_with_the_password() {
    let app = spawn_app().await;
    app.seed_acme();
    let member = app.stale_sudo_session("member@acme.test", 30);
    let (_, page) = member.get_html("/account/two-factor").await;
    assert_eq!(count(&page, "form[action='/account/two-factor/totp'] input[name=password]"), 1, "asked on the form");
    let secret = TotpSecret::from_base32(&select_all_text(&page, "[data-testid=totp-secret]").pop().unwrap()).unwrap();
    let code = secret.code_at(unix_now()).unwrap();
    let res = member.post_form("/account/two-factor/totp", &[("code", &code)]).await;
    assert_eq!(res.status(), 422, "the session alone does not add a factor");
    let user = app.user("member@acme.test");
    assert!(!latchkey::db::second_factors::has_any(&mut app.conn(), user.id).unwrap());
    let res = member.post_form("/account/two-factor/totp", &[("code", &code), ("password", "wrong")]).await;
    assert_eq!(res.status(), 422);
    let res = member.post_form("/account/two-factor/totp", &[("code", &code), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 200, "with the password it is added");
    assert!(latchkey::db::second_factors::has_any(&mut app.conn(), user.id).unwrap());
}

#[tokio::test]
async fn after_the_sudo_window_codes_and_passkeys_need_the_password_and_a_code() {
    let app = spawn_app().await;
    app.seed_acme();
    let secret = with_app(&app, "owner@acme.test");
    let owner = app.stale_sudo_session("owner@acme.test", 30);
    let user = app.user("owner@acme.test");
    let unused = || latchkey::db::second_factors::unused_recovery_codes(&mut app.conn(), user.id).unwrap();
    let before = unused();
    assert_eq!(owner.post_form("/account/two-factor/recovery-codes", &[]).await.status(), 422);
    let fields = [("password", PASSWORD)];
    assert_eq!(owner.post_form("/account/two-factor/recovery-codes", &fields).await.status(), 422, "no code");
    assert_eq!(unused(), before, "no new codes");
    // Adding a passkey: the options are refused without the answer, and the
    // registration itself needs a confirmed window.
    let res = owner.post_form("/account/passkeys/options", &[("password", PASSWORD)]).await;
    assert_eq!(res.status(), 422);
    let res = owner.post_form("/account/passkeys", &[("name", "laptop"), ("credential", "{}")]).await;
    assert_eq!(res.status(), 403);
    let code = secret.code_at(unix_now() + 30).unwrap();
    let fields = [("password", PASSWORD), ("code", code.as_str())];
    let res = owner.post_form("/account/two-factor/recovery-codes", &fields).await;
    assert_eq!(res.status(), 200, "password and code: new codes");
    assert_eq!(count(&Html::parse_document(&res.text().await.unwrap()), "[data-testid=recovery-code]"), 10);
}
