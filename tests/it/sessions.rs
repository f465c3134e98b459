use crate::support::*;
use latchkey::domain::UserId;

fn set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("latchkey_session="))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_private_httponly_and_samesite_lax() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    let res = visitor.login("owner@acme.test", PASSWORD).await;
    let cookie = set_cookie(&res);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http test server: {cookie}");
    assert!(!cookie.contains("owner@acme.test") && !cookie.contains("user_id"), "content is encrypted: {cookie}");
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_configured() {
    let app = spawn_app_with(|c| c.secure_cookies = true).await;
    app.seed_acme();
    let res = app.visitor().login("owner@acme.test", PASSWORD).await;
    assert!(set_cookie(&res).contains("Secure"));
}

#[tokio::test]
async fn login_issues_a_new_cookie_and_a_new_csrf_token() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    let before_token = visitor.csrf().await;
    let res = visitor.login("owner@acme.test", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let after_token = visitor.csrf().await;
    assert_ne!(before_token, after_token, "CSRF token rotated at login");
    // The pre-login token no longer works.
    let res = visitor.post_raw("/logout", &[("csrf_token", &before_token)]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(visitor.get("/orgs/acme").await.status(), 200, "still logged in");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.logged_in("owner@acme.test").await;
    let res = visitor.post_form("/logout", &[]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/login".to_owned()));
    let res = visitor.get("/orgs/acme").await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login"));
}

#[tokio::test]
async fn a_get_to_logout_only_asks_for_confirmation() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.logged_in("owner@acme.test").await;
    assert_eq!(visitor.get("/logout").await.status(), 200);
    assert_eq!(visitor.get("/orgs/acme").await.status(), 200);
}

#[tokio::test]
async fn logging_out_everywhere_ends_the_users_other_sessions_too() {
    let app = spawn_app().await;
    app.seed_acme();
    let laptop = app.logged_in("owner@acme.test").await;
    let phone = app.logged_in("owner@acme.test").await;
    let colleague = app.logged_in("admin@acme.test").await;
    let res = laptop.post_form("/logout/everywhere", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(laptop.get("/orgs/acme").await.status(), 303);
    assert_eq!(phone.get("/orgs/acme").await.status(), 303, "the other device is logged out");
    assert_eq!(colleague.get("/orgs/acme").await.status(), 200, "other users are not");
    assert_eq!(app.visitor().login("owner@acme.test", PASSWORD).await.status(), 303, "logging in again works");
}

/// A forged session whose cookie and server-side row both carry these times.
fn forged_session(app: &TestApp, user_id: UserId, login_ago: i64, seen_ago: i64) -> String {
    forged_session_with_row(app, user_id, (login_ago, seen_ago), (login_ago, seen_ago))
}

fn forged_session_with_row(app: &TestApp, user_id: UserId, cookie: (i64, i64), row: (i64, i64)) -> String {
    let times = SessionTimes { login_ago: cookie.0, seen_ago: cookie.1, password_ago: cookie.0 };
    app.forge_session(user_id, times, row, "t")
}

async fn status_with_cookie(app: &TestApp, cookie: &str) -> u16 {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let res = client.get(format!("{}/orgs/acme", app.base)).header("cookie", cookie).send().await.expect("GET");
    res.status().as_u16()
}

#[tokio::test]
async fn sessions_end_after_30_idle_minutes_or_12_hours_in_all() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.user("owner@acme.test");
    let minute = 60;
    assert_eq!(
        status_with_cookie(&app, &forged_session(&app, owner.id, 11 * 60 * minute, 5 * minute)).await,
        200,
        "active"
    );
    assert_eq!(status_with_cookie(&app, &forged_session(&app, owner.id, 60 * minute, 31 * minute)).await, 303, "idle");
    assert_eq!(
        status_with_cookie(&app, &forged_session(&app, owner.id, 13 * 60 * minute, minute)).await,
        303,
        "too old"
    );
}

#[tokio::test]
async fn the_server_side_row_ends_a_session_whose_cookie_still_looks_fresh() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.user("owner@acme.test");
    let minute = 60;
    let idle_row = forged_session_with_row(&app, owner.id, (minute, minute), (minute, 31 * minute));
    assert_eq!(status_with_cookie(&app, &idle_row).await, 303, "row idle for 31 minutes");
    let old_row = forged_session_with_row(&app, owner.id, (minute, minute), (13 * 60 * minute, minute));
    assert_eq!(status_with_cookie(&app, &old_row).await, 303, "row started 13 hours ago");
}

/// The `Cookie` header a visitor's jar would send, read from a login answer.
fn cookie_of(res: &reqwest::Response) -> String {
    set_cookie(res).split(';').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_copy_of_the_cookie_taken_before_logout_is_refused_after_it() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    let copy = cookie_of(&visitor.login("owner@acme.test", PASSWORD).await);
    assert_eq!(status_with_cookie(&app, &copy).await, 200, "the copy works while the session lives");
    assert_eq!(visitor.post_form("/logout", &[]).await.status(), 303);
    for _ in 0..2 {
        assert_eq!(status_with_cookie(&app, &copy).await, 303, "the copy is refused after logout");
    }
    let user = app.user("owner@acme.test");
    assert!(latchkey::db::sessions::for_user(&mut app.conn(), user.id).expect("rows").is_empty(), "row deleted");
}

#[tokio::test]
async fn each_login_is_a_server_side_session_with_its_device_and_address() {
    let app = spawn_app().await;
    app.seed_acme();
    let laptop = app.visitor();
    let laptop_cookie = cookie_of(&laptop.login("owner@acme.test", PASSWORD).await);
    let phone = app.logged_in("owner@acme.test").await;
    let user = app.user("owner@acme.test");
    let rows = latchkey::db::sessions::for_user(&mut app.conn(), user.id).expect("rows");
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(row.user_agent.as_deref(), Some(USER_AGENT));
        assert_eq!(row.token_hash.len(), 64, "only a SHA-256 is stored");
        assert!(!laptop_cookie.contains(&row.token_hash), "the cookie does not carry the stored hash");
    }
    assert_eq!(phone.post_form("/logout/everywhere", &[]).await.status(), 303);
    assert!(latchkey::db::sessions::for_user(&mut app.conn(), user.id).expect("rows").is_empty());
    assert_eq!(status_with_cookie(&app, &laptop_cookie).await, 303);
}
