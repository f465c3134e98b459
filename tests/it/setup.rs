use crate::support::*;

#[tokio::test]
async fn a_fresh_install_sends_every_page_to_setup() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    for path in ["/", "/login", "/orgs/acme", "/orgs/acme/settings/members"] {
        let res = visitor.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/setup", "{path}");
    }
    assert_eq!(visitor.get("/healthz").await.status(), 200);
    assert_eq!(visitor.get("/setup").await.status(), 200);
}

#[tokio::test]
async fn setup_creates_the_owner_and_org_logs_in_and_then_closes_for_good() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    let res = visitor
        .post_form(
            "/setup",
            &[
                ("org_name", "Acme Inc"),
                ("org_slug", "acme"),
                ("name", "Ada"),
                ("email", "Ada@Example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/orgs/acme");

    let (status, html) = visitor.get_html("/orgs/acme").await;
    assert_eq!(status, 200);
    assert_eq!(select_all_text(&html, "[data-testid=org-name]"), ["Acme Inc"]);
    assert_eq!(visitor.get("/orgs/acme/settings/members").await.status(), 200, "the first user is an owner");

    // Closed: the form redirects to login, and a replayed POST creates nothing.
    let other = app.visitor();
    let res = other.get("/setup").await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/login".to_owned()));
    let res = other
        .post_form(
            "/setup",
            &[
                ("org_name", "Evil"),
                ("org_slug", "evil"),
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    let mut conn = app.conn();
    assert!(latchkey::db::orgs::find_by_slug(&mut conn, "evil").expect("query").is_none());
    assert_eq!(latchkey::db::users::count(&mut conn).expect("count"), 1);
    // The email was stored normalised, so login is case-insensitive.
    assert_eq!(app.visitor().login("ada@example.com", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn setup_with_bad_input_shows_each_error_next_to_its_field_and_keeps_the_values() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    let res = visitor
        .post_form(
            "/setup",
            &[
                ("org_name", "Acme <b>Inc</b>"),
                ("org_slug", "Not A Slug!"),
                ("name", ""),
                ("email", "nope"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(count(&html, "[data-testid=form-error]"), 4, "slug, name, email and password");
    assert_eq!(select_attr(&html, "#org_name", "value").as_deref(), Some("Acme <b>Inc</b>"));
    assert_eq!(select_attr(&html, "#org_slug", "value").as_deref(), Some("Not A Slug!"));
    assert_eq!(select_attr(&html, "#email", "value").as_deref(), Some("nope"));
    assert_eq!(select_attr(&html, "#password", "value"), None, "passwords are never echoed");
    assert_eq!(select_attr(&html, "#email", "aria-invalid").as_deref(), Some("true"));
    assert_eq!(latchkey::db::users::count(&mut app.conn()).expect("count"), 0, "nothing was created");
    assert_eq!(visitor.get("/").await.status(), 303, "setup is still open");
}
