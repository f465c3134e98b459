//! Checks that a burst of simultaneous requests cannot pass (docs/security-model.md:
//! Rules): concurrent rotations of one key make exactly one replacement, and
//! the login throttle evaluates at most its limit of a burst of wrong
//! passwords, or of wrong second-step codes sent with one pending cookie.
//! Each burst is raced with the last byte of every request held back.

use crate::support::*;
use diesel::prelude::*;
use latchkey::db::schema::api_keys::dsl;

fn replacements(app: &TestApp, key_id: &str) -> i64 {
    dsl::api_keys.filter(dsl::rotated_from.eq(key_id)).count().get_result(&mut app.conn()).expect("count")
}

#[tokio::test]
async fn sixteen_simultaneous_rotations_of_one_key_make_exactly_one_replacement() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, admin) = app.make_scoped_key("acme", "CI", &ADMIN_SCOPES);
    let (target, _) = app.make_scoped_key("acme", "Rotated", &["orders:read"]);
    let auth = format!("Bearer {admin}");
    let path = format!("/api/v1/keys/{target}/rotate");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
    let requests = (0..16).map(|_| raw_request("POST", &path, &headers, r#"{"grace":"1h"}"#)).collect();
    let statuses = last_byte_race(app.port, requests).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "one winner: {statuses:?}");
    assert!(statuses.iter().all(|s| [201, 422].contains(s)), "the others are told it was rotated: {statuses:?}");
    assert_eq!(replacements(&app, &target), 1, "one replacement in the database");
    let rotated = events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "api_key.rotated").count();
    assert_eq!(rotated, 1);
}

#[tokio::test]
async fn simultaneous_console_rotations_make_exactly_one_replacement() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let key = create_key(&owner, &[("label", "Console rotated")]).await;
    let user = app.user("owner@acme.test");
    let cookie =
        app.forge_session(user.id, SessionTimes { login_ago: 60, seen_ago: 0, password_ago: 60 }, (60, 0), "race-csrf");
    // Each tab has its own rotation form (its own one-time form id).
    let mut requests = Vec::new();
    for _ in 0..16 {
        let (_, page) = owner.get_html(&format!("/orgs/acme/settings/api-keys/{}/rotate", key.id)).await;
        let form_id = select_attr(&page, "input[name=form_id]", "value").expect("form id");
        let body = format!("csrf_token=race-csrf&grace=24h&form_id={form_id}");
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        let path = format!("/orgs/acme/settings/api-keys/{}/rotate", key.id);
        requests.push(raw_request("POST", &path, &headers, &body));
    }
    let statuses = last_byte_race(app.port, requests).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "one secret shown: {statuses:?}");
    assert_eq!(replacements(&app, &key.id), 1);
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_has_at_most_the_limit_evaluated() {
    let app = spawn_app().await;
    app.seed_acme();
    let cookie = app.forge_anonymous("race-csrf");
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    let body = "csrf_token=race-csrf&email=member%40acme.test&password=not+the+password";
    let requests = (0..40).map(|_| raw_request("POST", "/login", &headers, body)).collect();
    let statuses = last_byte_race(app.port, requests).await;
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(evaluated <= 5, "at most 5 of 40 evaluated: {statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429].contains(s)), "{statuses:?}");
    assert_eq!(app.visitor().login("member@acme.test", PASSWORD).await.status(), 429, "and the account is locked");
}

#[tokio::test]
async fn a_burst_of_wrong_codes_with_one_pending_login_has_at_most_the_limit_evaluated() {
    let app = spawn_app().await;
    app.seed_acme();
    let user = app.user("member@acme.test");
    latchkey::db::second_factors::insert_pending_totp(&mut app.conn(), user.id, "unused").expect("factor");
    latchkey::db::second_factors::confirm_totp(&mut app.conn(), user.id, 0).expect("confirm");
    let cookie = app.forge_pending_login(user.id, 10, "race-csrf");
    let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
    // A recovery-code-shaped answer: checked against the stored hashes, always wrong.
    let body = "csrf_token=race-csrf&code=aaaaa-bbbbb";
    let requests = (0..40).map(|_| raw_request("POST", "/login/two-factor", &headers, body)).collect();
    let statuses = last_byte_race(app.port, requests).await;
    let evaluated = statuses.iter().filter(|s| [422, 303].contains(*s)).count();
    assert!(evaluated <= 5, "at most 5 of 40 codes checked: {statuses:?}");
    let failed = events(&app, org_id(&app, "acme"))
        .into_iter()
        .filter(|e| e.action == "session.login_failed" && e.details.contains("bad_second_factor"))
        .count();
    assert!(failed <= 5, "{failed} failures recorded");
    // An old copy of the cookie starts no fresh count.
    let again = app.visitor_with_cookie(&cookie);
    let res = again.post_raw("/login/two-factor", &[("csrf_token", "race-csrf"), ("code", "aaaaa-bbbbb")]).await;
    assert_ne!(res.status(), 422, "no sixth code is checked");
}
