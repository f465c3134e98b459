//! Invitations: inviting an address without an account, accepting as a new
//! account or as the account the address has since, refreshing, resending,
//! revoking, expiry, and who may do what.

use crate::support::*;
use diesel::RunQueryDsl;
use scraper::Html;

const MEMBERS: &str = "/orgs/acme/settings/members";

fn actions(app: &TestApp) -> Vec<String> {
    events(app, org_id(app, "acme")).into_iter().map(|e| e.action).collect()
}

/// The pending invitation rows of the members page: (email, role, id).
async fn pending(owner: &Visitor) -> Vec<(String, String, String)> {
    let (_, html) = owner.get_html(MEMBERS).await;
    let emails = select_all_attr(&html, "tr[data-testid=invitation-row]", "data-email");
    let roles = select_all_attr(&html, "tr[data-testid=invitation-row]", "data-role");
    let ids = select_all_attr(&html, "tr[data-testid=invitation-row]", "data-invitation-id");
    emails.into_iter().zip(roles).zip(ids).map(|((e, r), i)| (e, r, i)).collect()
}

fn role_in_acme(app: &TestApp, email: &str) -> Option<String> {
    let user = latchkey::db::users::find_by_email(&mut app.conn(), &latchkey::domain::Email::parse(email).unwrap())
        .unwrap()?;
    latchkey::db::orgs::for_user(&mut app.conn(), user.id)
        .unwrap()
        .into_iter()
        .find(|(org, _)| org.slug == "acme")
        .map(|(_, role)| role.as_str().to_owned())
}

#[tokio::test]
async fn an_invited_address_creates_its_account_from_the_mailed_link_and_lands_in_the_org() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let res = owner.post_form(MEMBERS, &[("email", "New.Person@Example.com"), ("role", "admin")]).await;
    assert_eq!(res.status(), 303);
    let rows = pending(&owner).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].0.as_str(), rows[0].1.as_str()), ("new.person@example.com", "admin"));
    let token = app.wait_for_link("new.person@example.com", 1, "lki_").await;
    let outbox = app.mails(org_id(&app, "acme"));
    assert!(outbox.iter().all(|m| !m.text_body.contains(&token)), "the outbox keeps the link sealed");

    let link = format!("/invitations/{token}");
    let guest = app.visitor();
    let (status, page) = guest.get_html(&link).await;
    assert_eq!(status, 200);
    assert_eq!(select_all_text(&page, "[data-testid=invitation-role]"), vec!["Admin"]);
    assert!(select_all_text(&page, "[data-testid=invitation-summary]")[0].contains("Olive Owner"));

    // Bad input keeps the name and explains each field.
    let res = guest.post_form(&link, &[("name", "Nina New"), ("password", "short")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select_attr(&html, "input[name=name]", "value").as_deref(), Some("Nina New"));
    assert_eq!(select_all_text(&html, "#password-error").len(), 1);

    // Extra fields cannot choose another role or organisation.
    let res = guest
        .post_form(
            &link,
            &[("name", "Nina New"), ("password", PASSWORD), ("role", "owner"), ("org", "other"), ("email", "x@y.z")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/orgs/acme");
    // The organisation's page says so, once.
    let (_, landed) = guest.get_html("/orgs/acme").await;
    assert_eq!(select_all_text(&landed, "[data-testid=notice]"), ["You have joined this organisation."]);
    let (_, again) = guest.get_html("/orgs/acme").await;
    assert_eq!(count(&again, "[data-testid=notice]"), 0);
    assert_eq!(guest.get("/orgs/acme/settings/api-keys").await.status(), 200, "logged in, as an admin");
    assert_eq!(role_in_acme(&app, "new.person@example.com").as_deref(), Some("admin"));
    assert_eq!(guest.get("/orgs/other").await.status(), 404);
    let acts = actions(&app);
    assert!(acts.contains(&"member.invited".to_owned()));
    let added = events(&app, org_id(&app, "acme")).into_iter().rfind(|e| e.action == "member.added").unwrap();
    assert!(added.details.contains("\"via\":\"invitation\""), "{}", added.details);
    assert!(pending(&owner).await.is_empty());
    assert_eq!(app.visitor().get(&link).await.status(), 400, "single use");
}

#[tokio::test]
async fn inviting_again_or_resending_replaces_the_link_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    owner.post_form(MEMBERS, &[("email", "twice@example.com"), ("role", "member")]).await;
    let first = app.wait_for_link("twice@example.com", 1, "lki_").await;
    owner.post_form(MEMBERS, &[("email", "twice@example.com"), ("role", "read_only")]).await;
    let second = app.wait_for_link("twice@example.com", 2, "lki_").await;
    let rows = pending(&owner).await;
    assert_eq!(rows.len(), 1, "refreshed, not duplicated");
    assert_eq!(rows[0].1, "read_only");
    assert_eq!(app.visitor().get(&format!("/invitations/{first}")).await.status(), 400);
    assert_eq!(app.visitor().get(&format!("/invitations/{second}")).await.status(), 200);

    let res = owner.post_form(&format!("{MEMBERS}/invitations/{}/resend", rows[0].2), &[]).await;
    assert_eq!(res.status(), 303);
    let third = app.wait_for_link("twice@example.com", 3, "lki_").await;
    assert_eq!(app.visitor().get(&format!("/invitations/{second}")).await.status(), 400);
    assert_eq!(app.visitor().get(&format!("/invitations/{third}")).await.status(), 200);
    assert!(actions(&app).contains(&"member.invitation_resent".to_owned()));
}

#[tokio::test]
async fn revoked_and_expired_invitations_cannot_be_accepted() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    owner.post_form(MEMBERS, &[("email", "revoked@example.com"), ("role", "member")]).await;
    owner.post_form(MEMBERS, &[("email", "late@example.com"), ("role", "member")]).await;
    let revoked = app.wait_for_link("revoked@example.com", 1, "lki_").await;
    let late = app.wait_for_link("late@example.com", 1, "lki_").await;
    let id = pending(&owner).await.into_iter().find(|r| r.0 == "revoked@example.com").unwrap().2;
    assert_eq!(owner.post_form(&format!("{MEMBERS}/invitations/{id}/revoke"), &[]).await.status(), 303);
    assert_eq!(owner.post_form(&format!("{MEMBERS}/invitations/{id}/revoke"), &[]).await.status(), 404, "once");
    let guest = app.visitor();
    let res = guest.post_form(&format!("/invitations/{revoked}"), &[("name", "R"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 400);
    assert!(role_in_acme(&app, "revoked@example.com").is_none());
    assert!(actions(&app).contains(&"member.invitation_revoked".to_owned()));

    diesel::sql_query("UPDATE invitations SET expires_at = created_at WHERE email = 'late@example.com'")
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(guest.get(&format!("/invitations/{late}")).await.status(), 400);
    let res = guest.post_form(&format!("/invitations/{late}"), &[("name", "L"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 400);
    assert!(role_in_acme(&app, "late@example.com").is_none());
    for bad in ["nonsense", &format!("lkr_{}", &late[4..])] {
        assert_eq!(guest.get(&format!("/invitations/{bad}")).await.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn an_address_that_has_an_account_by_then_logs_in_and_accepts_as_that_account_only() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    owner.post_form(MEMBERS, &[("email", "later@example.com"), ("role", "admin")]).await;
    let token = app.wait_for_link("later@example.com", 1, "lki_").await;
    app.seed_user("later@example.com", "Lee Later", false);
    let link = format!("/invitations/{token}");

    let guest = app.visitor();
    let (_, page) = guest.get_html(&link).await;
    assert_eq!(select_attr(&page, "[data-testid=login-to-accept]", "href"), Some(format!("/login?next={link}")));
    let res = guest.post_form(&link, &[("name", "Impostor"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 303, "no account is made: log in first");
    assert!(location(&res).starts_with("/login"));

    // Another account cannot take it.
    let other = app.logged_in("member@acme.test").await;
    assert_eq!(other.post_form(&link, &[]).await.status(), 409);
    assert_eq!(role_in_acme(&app, "member@acme.test").as_deref(), Some("member"));

    let later = app.logged_in("later@example.com").await;
    let res = later.post_form(&link, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/orgs/acme");
    assert_eq!(role_in_acme(&app, "later@example.com").as_deref(), Some("admin"));
    assert_eq!(later.post_form(&link, &[]).await.status(), 400, "used up");
}

#[tokio::test]
async fn an_address_with_an_account_is_invited_like_any_other_and_only_owners_manage_invitations() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    // The same answer for an address with an account as for one without.
    let known = owner.post_form(MEMBERS, &[("email", "outsider@other.test"), ("role", "member")]).await;
    let unknown = owner.post_form(MEMBERS, &[("email", "nobody@example.com"), ("role", "member")]).await;
    assert_eq!((known.status(), location(&known)), (unknown.status(), location(&unknown)));
    let (_, known_page) = owner.get_html(&location(&known)).await;
    assert_eq!(select_all_text(&known_page, "[role=status]"), ["Invitation sent. The link in it works for 7 days."]);
    assert_eq!(role_in_acme(&app, "outsider@other.test"), None, "not a member before accepting");
    let emails: Vec<String> = pending(&owner).await.into_iter().map(|p| p.0).collect();
    assert!(emails.contains(&"outsider@other.test".to_owned()));

    // While only invited, the account's own events stay out of acme's log.
    let token = app.wait_for_link("outsider@other.test", 1, "lki_").await;
    let outsider = app.logged_in("outsider@other.test").await;
    assert_eq!(app.visitor().login("outsider@other.test", "wrong password").await.status(), 401);
    let theirs = |app: &TestApp| {
        events(app, org_id(app, "acme"))
            .into_iter()
            .filter(|e| {
                e.actor_email.as_deref() == Some("outsider@other.test") || e.details.contains("outsider@other.test")
            })
            .map(|e| e.action)
            .collect::<Vec<_>>()
    };
    assert!(theirs(&app).iter().all(|a| !a.starts_with("session.")), "{:?}", theirs(&app));
    let res = outsider.post_form(&format!("/invitations/{token}"), &[]).await;
    assert_eq!(location(&res), "/orgs/acme");
    assert_eq!(role_in_acme(&app, "outsider@other.test").as_deref(), Some("member"));
    let res = owner.post_form(MEMBERS, &[("email", "outsider@other.test"), ("role", "member")]).await;
    assert_eq!(res.status(), 422, "already a member");

    let id = pending(&owner).await[0].2.clone();
    let admin = app.logged_in("admin@acme.test").await;
    assert_eq!(admin.post_form(MEMBERS, &[("email", "x@example.com"), ("role", "owner")]).await.status(), 403);
    for verb in ["resend", "revoke"] {
        assert_eq!(admin.post_form(&format!("{MEMBERS}/invitations/{id}/{verb}"), &[]).await.status(), 403);
    }
    assert_eq!(pending(&owner).await.len(), 1);
}
