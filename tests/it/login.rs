use crate::support::*;

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_and_come_back_after_it() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    let res = visitor.get("/orgs/acme/settings/members").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Forgs%2Facme%2Fsettings%2Fmembers");

    let (_, html) = visitor.get_html("/login?next=%2Forgs%2Facme%2Fsettings%2Fmembers").await;
    assert_eq!(select_attr(&html, "input[name=next]", "value").as_deref(), Some("/orgs/acme/settings/members"));
    let res = visitor
        .post_form(
            "/login",
            &[("email", "owner@acme.test"), ("password", PASSWORD), ("next", "/orgs/acme/settings/members")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/orgs/acme/settings/members");
    assert_eq!(visitor.get("/orgs/acme/settings/members").await.status(), 200);
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = spawn_app().await;
    app.seed_acme();
    for next in ["//evil.example/", "https://evil.example/", "/\\evil.example"] {
        let visitor = app.visitor();
        let res =
            visitor.post_form("/login", &[("email", "owner@acme.test"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), "/", "next={next}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_generic_error() {
    let app = spawn_app().await;
    app.seed_acme();
    let mut bodies = Vec::new();
    for email in ["owner@acme.test", "nobody@acme.test"] {
        let visitor = app.visitor();
        let res = visitor.login(email, "wrong password").await;
        assert_eq!(res.status(), 401);
        let html = scraper::Html::parse_document(&res.text().await.expect("body"));
        let error = select_all_text(&html, "[data-testid=form-error]");
        assert_eq!(error, ["Invalid email or password."]);
        assert_eq!(select_attr(&html, "#email", "value").as_deref(), Some(email), "the email is kept");
        bodies.push(error);
    }
    assert_eq!(bodies[0], bodies[1]);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_even_against_the_right_password() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    for _ in 0..5 {
        assert_eq!(visitor.login("owner@acme.test", "wrong password").await.status(), 401);
    }
    let res = visitor.login("owner@acme.test", PASSWORD).await;
    assert_eq!(res.status(), 429);
    let retry: i64 = res.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!((14 * 60..=15 * 60).contains(&retry), "the oldest counted failure leaves the window in ~15 min: {retry}");
    assert!(res.text().await.expect("body").contains("Too many failed attempts"));
    // Other accounts are not affected.
    assert_eq!(app.visitor().login("admin@acme.test", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    for i in 0..20 {
        let email = format!("guess{i}@acme.test");
        assert_eq!(visitor.login(&email, "wrong password").await.status(), 401);
    }
    let res = visitor.login("admin@acme.test", PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"), "429 says when to retry");
}

#[tokio::test]
async fn a_successful_login_forgives_earlier_failures() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    for _ in 0..4 {
        visitor.login("owner@acme.test", "wrong password").await;
    }
    assert_eq!(visitor.login("owner@acme.test", PASSWORD).await.status(), 303);
    let other = app.visitor();
    for _ in 0..4 {
        assert_eq!(other.login("owner@acme.test", "wrong password").await.status(), 401);
    }
    assert_eq!(other.login("owner@acme.test", PASSWORD).await.status(), 303);
}
