use crate::support::*;
use latchkey::domain::UserId;
use scraper::Html;

const PAGE: &str = "/orgs/acme/settings/members";

fn user_id(app: &TestApp, email: &str) -> UserId {
    app.user(email).id
}

fn role_of(html: &Html, user_id: UserId) -> Option<String> {
    select_attr(html, &format!("tr[data-testid=member-row][data-user-id=\"{user_id}\"]"), "data-role")
}

#[tokio::test]
async fn an_existing_user_invited_with_a_role_has_it_once_they_accept() {
    let app = spawn_app().await;
    app.seed_acme();
    let newbie = app.seed_user("new@acme.test", "Nina New", false);
    let owner = app.logged_in("owner@acme.test").await;
    let res = owner.post_form(PAGE, &[("email", " New@Acme.test "), ("role", "admin")]).await;
    assert_eq!(res.status(), 303);
    let (_, html) = owner.get_html(&location(&res)).await;
    assert_eq!(role_of(&html, newbie.id), None, "invited, not added");
    let nina = app.logged_in("new@acme.test").await;
    assert_eq!(nina.get("/orgs/acme/settings/api-keys").await.status(), 404, "not a member yet");
    let token = app.wait_for_link("new@acme.test", 1, "lki_").await;
    assert_eq!(nina.post_form(&format!("/invitations/{token}"), &[]).await.status(), 303);
    let (_, html) = owner.get_html(PAGE).await;
    assert_eq!(role_of(&html, newbie.id).as_deref(), Some("admin"));
    // The new admin can now reach the admin pages.
    assert_eq!(nina.get("/orgs/acme/settings/api-keys").await.status(), 200);
}

#[tokio::test]
async fn adding_an_existing_member_or_a_bad_address_explains_why_and_keeps_the_input() {
    // (An address without an account is invited instead: tests/it/invitations.rs.)
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    for (email, message) in [("admin@acme.test", "already a member"), ("not-an-email", "valid email")] {
        let res = owner.post_form(PAGE, &[("email", email), ("role", "member")]).await;
        assert_eq!(res.status(), 422, "{email}");
        let html = Html::parse_document(&res.text().await.expect("body"));
        let errors = select_all_text(&html, "[data-testid=form-error]");
        assert!(errors.iter().any(|e| e.contains(message)), "{email}: {errors:?}");
        assert_eq!(select_attr(&html, "#email", "value").as_deref(), Some(email));
    }
    let res = owner.post_form(PAGE, &[("email", "admin@acme.test"), ("role", "superuser")]).await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner_id = user_id(&app, "owner@acme.test");
    let owner = app.logged_in("owner@acme.test").await;

    let res = owner.post_form(&format!("{PAGE}/{owner_id}/role"), &[("role", "admin")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    let errors = select_all_text(&html, "[data-testid=form-error]");
    assert!(errors[0].contains("at least one owner"), "{errors:?}");
    assert_eq!(role_of(&html, owner_id).as_deref(), Some("owner"));

    let res = owner.post_form(&format!("{PAGE}/{owner_id}/remove"), &[]).await;
    assert_eq!(res.status(), 422);
    let (_, html) = owner.get_html(PAGE).await;
    assert_eq!(role_of(&html, owner_id).as_deref(), Some("owner"));
}

#[tokio::test]
async fn with_a_second_owner_the_first_may_step_down() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner_id = user_id(&app, "owner@acme.test");
    let admin_id = user_id(&app, "admin@acme.test");
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(owner.post_form(&format!("{PAGE}/{admin_id}/role"), &[("role", "owner")]).await.status(), 303);
    assert_eq!(owner.post_form(&format!("{PAGE}/{owner_id}/role"), &[("role", "member")]).await.status(), 303);
    // Now a member, the former owner loses the members page at once.
    assert_eq!(owner.get(PAGE).await.status(), 403);
    let (_, html) = app.logged_in("admin@acme.test").await.get_html(PAGE).await;
    assert_eq!(role_of(&html, owner_id).as_deref(), Some("member"));
    assert_eq!(role_of(&html, admin_id).as_deref(), Some("owner"));
}

#[tokio::test]
async fn removing_a_member_asks_first_then_revokes_access() {
    let app = spawn_app().await;
    app.seed_acme();
    let member_id = user_id(&app, "member@acme.test");
    let member = app.logged_in("member@acme.test").await;
    let owner = app.logged_in("owner@acme.test").await;
    let (status, html) = owner.get_html(&format!("{PAGE}/{member_id}/remove")).await;
    assert_eq!(status, 200);
    assert!(html.html().contains("Mia Member"));
    assert_eq!(member.get("/orgs/acme").await.status(), 200, "the GET changed nothing");
    let res = owner.post_form(&format!("{PAGE}/{member_id}/remove"), &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(member.get("/orgs/acme").await.status(), 404);
    assert_eq!(owner.post_form(&format!("{PAGE}/{member_id}/remove"), &[]).await.status(), 404, "already gone");
}

#[tokio::test]
async fn admins_and_below_cannot_manage_members() {
    let app = spawn_app().await;
    app.seed_acme();
    let member_id = user_id(&app, "member@acme.test");
    for email in ["admin@acme.test", "member@acme.test", "readonly@acme.test"] {
        let visitor = app.logged_in(email).await;
        assert_eq!(
            visitor.post_form(PAGE, &[("email", "outsider@other.test"), ("role", "owner")]).await.status(),
            403,
            "{email}"
        );
        assert_eq!(
            visitor.post_form(&format!("{PAGE}/{member_id}/role"), &[("role", "owner")]).await.status(),
            403,
            "{email}"
        );
        assert_eq!(visitor.post_form(&format!("{PAGE}/{member_id}/remove"), &[]).await.status(), 403, "{email}");
    }
    let (_, html) = app.logged_in("owner@acme.test").await.get_html(PAGE).await;
    assert_eq!(role_of(&html, member_id).as_deref(), Some("member"));
}

#[tokio::test]
async fn member_ids_of_another_org_are_not_found() {
    let app = spawn_app().await;
    app.seed_acme();
    let outsider_id = user_id(&app, "outsider@other.test");
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(owner.post_form(&format!("{PAGE}/{outsider_id}/role"), &[("role", "member")]).await.status(), 404);
    assert_eq!(owner.post_form(&format!("{PAGE}/{outsider_id}/remove"), &[]).await.status(), 404);
    assert_eq!(owner.get(&format!("{PAGE}/{outsider_id}/remove")).await.status(), 404);
}

#[tokio::test]
async fn names_are_escaped_on_the_members_page() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let evil = app.seed_user("evil@acme.test", "<script>alert(1)</script>", false);
    app.add_member(&org, &evil, latchkey::domain::Role::Member);
    let owner = app.logged_in("owner@acme.test").await;
    let body = owner.get(PAGE).await.text().await.expect("body");
    assert!(!body.contains("<script>alert(1)</script>"));
    assert!(body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"));
}
