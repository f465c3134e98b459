use crate::support::*;

const ADD: &str = "/orgs/acme/settings/members";

/// Members plus pending invitations: what the add form changes.
async fn members_count(app: &TestApp) -> usize {
    let mut conn = app.conn();
    let org = latchkey::db::orgs::find_by_slug(&mut conn, "acme").expect("query").expect("acme");
    let invited = latchkey::db::invitations::list_open(&mut conn, org.id).expect("invitations").len();
    latchkey::db::memberships::list(&mut conn, org.id).expect("list").len() + invited
}

#[tokio::test]
async fn a_form_post_without_a_valid_token_of_this_session_is_refused() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("new@acme.test", "New Person", false);
    let owner = app.logged_in("owner@acme.test").await;
    let stranger = app.logged_in("admin@acme.test").await;
    let foreign_token = stranger.csrf().await;
    let before = members_count(&app).await;

    let fields = [("email", "new@acme.test"), ("role", "member")];
    assert_eq!(owner.post_raw(ADD, &fields).await.status(), 403, "no token");
    let wrong = [("csrf_token", "0000"), fields[0], fields[1]];
    assert_eq!(owner.post_raw(ADD, &wrong).await.status(), 403, "wrong token");
    let foreign = [("csrf_token", foreign_token.as_str()), fields[0], fields[1]];
    assert_eq!(owner.post_raw(ADD, &foreign).await.status(), 403, "another session's token");
    assert_eq!(members_count(&app).await, before, "nothing changed");

    assert_eq!(owner.post_form(ADD, &fields).await.status(), 303, "the session's own token");
    assert_eq!(members_count(&app).await, before + 1);
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_even_with_a_valid_token() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let token = owner.csrf().await;
    let post = |origin: &'static str| {
        owner
            .http
            .post(format!("{}/logout", app.base))
            .header("origin", origin)
            .form(&[("csrf_token", token.as_str())])
            .send()
    };
    assert_eq!(post("https://evil.example").await.expect("POST").status(), 403);
    assert_eq!(owner.get("/orgs/acme").await.status(), 200, "still logged in");
    let same_origin: &'static str = Box::leak(app.base.clone().into_boxed_str());
    assert_eq!(post(same_origin).await.expect("POST").status(), 303);
}

#[tokio::test]
async fn an_origin_of_null_relies_on_the_token_alone() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let res = owner
        .http
        .post(format!("{}/logout", app.base))
        .header("origin", "null")
        .form(&[("csrf_token", "bad")])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 403);
    let token = owner.csrf().await;
    let res = owner
        .http
        .post(format!("{}/logout", app.base))
        .header("origin", "null")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn the_login_form_needs_a_token_too() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    let res = visitor.post_raw("/login", &[("email", "owner@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 403);
}
