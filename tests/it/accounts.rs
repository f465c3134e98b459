//! The account page: profile, password change, sessions; and the password
//! reset by mail, with its throttles and the lifetime of its links.

use crate::support::*;
use diesel::RunQueryDsl;
use latchkey::domain::OrgId;

const NEW_PASSWORD: &str = "a much newer passphrase";

fn actions(app: &TestApp, slug: &str) -> Vec<String> {
    events(app, org_id(app, slug)).into_iter().map(|e| e.action).collect()
}

#[tokio::test]
async fn the_account_page_lists_sessions_and_logs_one_out() {
    let app = spawn_app().await;
    app.seed_acme();
    let laptop = app.logged_in("owner@acme.test").await;
    let phone = app.logged_in("owner@acme.test").await;
    let (status, html) = laptop.get_html("/account").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "tr[data-testid=session-row]"), 2);
    assert_eq!(count(&html, "tr[data-testid=session-row][data-current=true]"), 1, "this session is marked");
    assert!(select_all_text(&html, "tr[data-testid=session-row] td.device").iter().all(|d| d.contains(USER_AGENT)));
    // People read the device's name and whether it is active; the raw string stays in a disclosure.
    assert_eq!(select_all_text(&html, "[data-testid=session-device]"), ["latchkey-tests", "latchkey-tests"]);
    assert_eq!(select_all_text(&html, "[data-testid=session-activity]"), ["· active now", "· active now"]);
    assert_eq!(select_attr(&html, "[data-testid=session-device]", "title").as_deref(), Some(USER_AGENT));
    let other =
        select_attr(&html, "tr[data-testid=session-row][data-current=false]", "data-session-id").expect("other");

    // Someone else's session id looks like no session at all.
    let outsider = app.logged_in("outsider@other.test").await;
    let res = outsider.post_form(&format!("/account/sessions/{other}/revoke"), &[]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(phone.get("/account").await.status(), 200, "still logged in");

    let res = laptop.post_form(&format!("/account/sessions/{other}/revoke"), &[]).await;
    assert_eq!(res.status(), 303);
    let res = phone.get("/account").await;
    assert_eq!(res.status(), 303, "the phone's session has ended");
    assert!(location(&res).starts_with("/login"));
    assert_eq!(laptop.get("/account").await.status(), 200, "this one goes on");
    assert!(actions(&app, "acme").contains(&"session.revoked".to_owned()));
}

#[tokio::test]
async fn the_name_can_be_changed_and_bad_input_is_explained() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let res = owner.post_form("/account/profile", &[("name", "   ")]).await;
    assert_eq!(res.status(), 422);
    assert!(
        !select_all_text(&scraper::Html::parse_document(&res.text().await.unwrap()), "[data-testid=form-error]")
            .is_empty()
    );
    let res = owner.post_form("/account/profile", &[("name", "Olive O. Owner")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.user("owner@acme.test").name, "Olive O. Owner");
    assert!(actions(&app, "acme").contains(&"user.profile_changed".to_owned()));
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_keeps_this_one_and_mails_the_user() {
    let app = spawn_app().await;
    app.seed_acme();
    let here = app.logged_in("owner@acme.test").await;
    let elsewhere = app.logged_in("owner@acme.test").await;

    // A wrong current password changes nothing, and says so next to the field.
    let res = here
        .post_form("/account/password", &[("current_password", "not it at all"), ("new_password", NEW_PASSWORD)])
        .await;
    assert_eq!(res.status(), 422);
    let html = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select_all_text(&html, "#current_password-error"), vec!["That is not your current password."]);
    assert_eq!(elsewhere.get("/account").await.status(), 200);
    // A new password that breaks the rules is refused too.
    let res = here.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "short")]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(app.visitor().login("owner@acme.test", PASSWORD).await.status(), 303, "the old password still works");

    let res =
        here.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(here.get("/account").await.status(), 200, "this session continues");
    assert_eq!(elsewhere.get("/account").await.status(), 303, "every other session has ended");
    assert_eq!(app.visitor().login("owner@acme.test", PASSWORD).await.status(), 401);
    assert_eq!(app.visitor().login("owner@acme.test", NEW_PASSWORD).await.status(), 303);
    assert!(actions(&app, "acme").contains(&"user.password_changed".to_owned()));
    app.send_mail().await;
    let arrived = app.mails_to("owner@acme.test").iter().any(|m| m.contains("Your password was changed"));
    assert!(arrived, "the user is told by mail");
}

#[tokio::test]
async fn wrong_current_passwords_count_towards_the_login_throttle() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    for _ in 0..5 {
        let res = owner
            .post_form("/account/password", &[("current_password", "guess guess"), ("new_password", NEW_PASSWORD)])
            .await;
        assert_eq!(res.status(), 422);
    }
    let res =
        owner.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD)]).await;
    assert_eq!(res.status(), 429, "throttled even with the right password");
    assert_eq!(app.visitor().login("owner@acme.test", PASSWORD).await.status(), 429, "login is throttled too");
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_single_use_link_that_ends_every_session() {
    let app = spawn_app().await;
    app.seed_acme();
    let before = app.logged_in("admin@acme.test").await;
    let stranger = app.visitor();
    let (status, login) = stranger.get_html("/login").await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&login, "[data-testid=forgot-password]", "href").as_deref(), Some("/password-reset"));

    // Known and unknown addresses get the same answer.
    let known = stranger.post_form("/password-reset", &[("email", "admin@acme.test")]).await;
    let unknown = stranger.post_form("/password-reset", &[("email", "nobody@acme.test")]).await;
    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (200, 200));
    let (known, unknown) = (known.text().await.unwrap(), unknown.text().await.unwrap());
    let sent = |page: &str| select_all_text(&scraper::Html::parse_document(page), "[data-testid=reset-sent]").len();
    assert_eq!((sent(&known), sent(&unknown)), (1, 1));
    assert_eq!(
        known.replace("admin@acme.test", "X"),
        unknown.replace("nobody@acme.test", "X"),
        "nothing tells them apart"
    );

    let token = app.wait_for_link("admin@acme.test", 1, "lkr_").await;
    assert!(app.mails_to("nobody@acme.test").is_empty());
    // The outbox keeps the mail sealed: the link is nowhere in the database.
    let outbox = latchkey::db::mail::for_org(&mut app.conn(), OrgId::new(0)).expect("outbox");
    assert!(outbox.iter().any(|m| m.sealed && m.kind == "password_reset"));
    assert!(outbox.iter().all(|m| !m.text_body.contains(&token) && !m.html_body.contains(&token)));

    let link = format!("/password-reset/{token}");
    assert_eq!(stranger.get(&link).await.status(), 200);
    let res = stranger.post_form(&link, &[("new_password", "short")]).await;
    assert_eq!(res.status(), 422, "the password rules apply");
    let res = stranger.post_form(&link, &[("new_password", NEW_PASSWORD)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let (_, login) = stranger.get_html("/login").await;
    assert_eq!(select_all_text(&login, "[data-testid=notice]").len(), 1);

    assert_eq!(before.get("/account").await.status(), 303, "every session of the user ended");
    assert_eq!(app.visitor().login("admin@acme.test", PASSWORD).await.status(), 401);
    assert_eq!(app.visitor().login("admin@acme.test", NEW_PASSWORD).await.status(), 303);
    assert!(actions(&app, "acme").contains(&"user.password_reset".to_owned()));
    let res = stranger.get(&link).await;
    assert_eq!(res.status(), 400, "a used link answers 400");
    let page = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select_attr(&page, "[data-testid=link-invalid] ~ p a", "href").as_deref(), Some("/password-reset"));
    assert_eq!(stranger.post_form(&link, &[("new_password", "yet another passphrase")]).await.status(), 400);
}

#[tokio::test]
async fn reset_links_expire_and_die_when_the_password_changes_another_way() {
    let app = spawn_app().await;
    app.seed_acme();
    let stranger = app.visitor();
    stranger.post_form("/password-reset", &[("email", "owner@acme.test")]).await;
    stranger.post_form("/password-reset", &[("email", "admin@acme.test")]).await;
    let expired = app.wait_for_link("owner@acme.test", 1, "lkr_").await;
    let voided = app.wait_for_link("admin@acme.test", 1, "lkr_").await;
    let hash =
        latchkey::domain::link_token::LinkToken::parse(latchkey::domain::link_token::LinkKind::PasswordReset, &expired)
            .expect("token")
            .hash();
    diesel::sql_query(format!("UPDATE password_resets SET expires_at = created_at WHERE token_hash = '{hash}'"))
        .execute(&mut app.conn())
        .expect("expire");
    assert_eq!(stranger.get(&format!("/password-reset/{expired}")).await.status(), 400);

    let admin = app.logged_in("admin@acme.test").await;
    let res =
        admin.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", NEW_PASSWORD)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(stranger.get(&format!("/password-reset/{voided}")).await.status(), 400, "voided by the change");
    for bad in ["nonsense", "lkr_short", &format!("lki_{}", &voided[4..])] {
        assert_eq!(stranger.get(&format!("/password-reset/{bad}")).await.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn reset_mails_are_throttled_per_address_and_per_client_address() {
    let app = spawn_app().await;
    app.seed_acme();
    let stranger = app.visitor();
    for _ in 0..4 {
        let res = stranger.post_form("/password-reset", &[("email", "member@acme.test")]).await;
        assert_eq!(res.status(), 200, "the same page every time");
    }
    app.send_mail().await;
    assert_eq!(app.mails_to("member@acme.test").len(), 3, "at most 3 mails an hour per address");

    // Ten people behind one address can each ask once…
    for i in 0..10 {
        app.seed_user(&format!("person{i}@acme.test"), "Person", false);
        stranger.post_form("/password-reset", &[("email", &format!("person{i}@acme.test"))]).await;
    }
    // …and a spray of requests from one address stops mailing.
    for i in 0..10 {
        stranger.post_form("/password-reset", &[("email", &format!("ghost{i}@acme.test"))]).await;
    }
    stranger.post_form("/password-reset", &[("email", "readonly@acme.test")]).await;
    app.send_mail().await;
    for i in 0..10 {
        assert_eq!(app.mails_to(&format!("person{i}@acme.test")).len(), 1, "person{i} was mailed");
    }
    assert!(app.mails_to("readonly@acme.test").is_empty(), "the per-IP limit held");
}

#[tokio::test]
async fn a_reset_mail_leaves_within_seconds_not_at_the_next_scheduled_run() {
    // The real loops: this is about the mail sender's wake-up.
    let app = spawn_app_with_jobs(|c| c.scheduler_interval = std::time::Duration::from_secs(60)).await;
    app.seed_acme();
    // Let the start-up run of the scheduler pass, so only the wake-up can send.
    let last_run =
        || crate::metrics::sample(&app.state.metrics.encode(), "latchkey_scheduler_last_run_timestamp_seconds");
    assert!(eventually(std::time::Duration::from_secs(5), || last_run() > Some(0.0)).await, "the start-up run");
    let started = std::time::Instant::now();
    app.visitor().post_form("/password-reset", &[("email", "owner@acme.test")]).await;
    let mailed = eventually(std::time::Duration::from_secs(5), || !app.mails_to("owner@acme.test").is_empty()).await;
    assert!(mailed && started.elapsed() < std::time::Duration::from_secs(5));
    assert!(token_in(&app.mails_to("owner@acme.test")[0], "lkr_").is_some(), "a reset link");
}

#[tokio::test]
async fn the_reset_link_arrives_through_a_real_smtp_server_and_works() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("maildir");
    let maildir = dir.path().join("box");
    let mut smtp = start_smtp(port, &maildir);
    assert!(
        eventually(std::time::Duration::from_secs(10), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok())
            .await,
        "aiosmtpd listens"
    );
    let app = spawn_app_with(|c| c.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.seed_acme();
    let stranger = app.visitor();
    stranger.post_form("/password-reset", &[("email", "admin@acme.test")]).await;
    app.send_mail().await;
    let arrived = !received_in(&maildir).is_empty();
    let received = received_in(&maildir);
    let _ = smtp.kill();
    let _ = smtp.wait();
    assert!(arrived, "the reset mail reached the SMTP server");
    assert!(received[0].contains("To: admin@acme.test"));
    let token = token_in(&received[0], "lkr_").expect("a reset link");
    let res = stranger.post_form(&format!("/password-reset/{token}"), &[("new_password", NEW_PASSWORD)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.visitor().login("admin@acme.test", NEW_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn the_reset_page_takes_the_address_typed_on_the_login_page() {
    let app = spawn_app().await;
    app.seed_acme();
    let (status, html) = app.visitor().get_html("/password-reset?email=owner%40acme.test").await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "#email", "value").as_deref(), Some("owner@acme.test"));
    let (_, plain) = app.visitor().get_html("/password-reset").await;
    assert_eq!(select_attr(&plain, "#email", "value").as_deref(), Some(""));
}
