//! docs/security-model.md: Roles, "who may do what", cell by cell, for the pages that exist.

use crate::support::*;
use latchkey::db::memberships;
use latchkey::domain::Role;

const PAGES: [&str; 5] = [
    "/orgs/acme",
    "/orgs/acme/settings/api-keys",
    "/orgs/acme/settings/webhooks",
    "/orgs/acme/settings/audit-log",
    "/orgs/acme/settings/members",
];

#[tokio::test]
async fn each_role_reaches_exactly_the_pages_the_spec_allows() {
    let app = spawn_app().await;
    app.seed_acme();
    let expected: [(&str, [u16; 5]); 4] = [
        ("owner@acme.test", [200, 200, 200, 200, 200]),
        ("admin@acme.test", [200, 200, 200, 200, 403]),
        ("member@acme.test", [200, 403, 403, 403, 403]),
        ("readonly@acme.test", [200, 403, 403, 403, 403]),
    ];
    for (email, statuses) in expected {
        let visitor = app.logged_in(email).await;
        for (path, want) in PAGES.iter().zip(statuses) {
            let (status, html) = visitor.get_html(path).await;
            assert_eq!(status, want, "{email} GET {path}");
            if want == 403 {
                assert_eq!(select_attr(&html, "[data-testid=error-page]", "data-status").as_deref(), Some("403"));
            }
        }
    }
}

#[tokio::test]
async fn the_settings_navigation_shows_only_what_the_role_allows() {
    let app = spawn_app().await;
    app.seed_acme();
    let expected = [
        ("owner@acme.test", [1, 1, 1, 1]),
        ("admin@acme.test", [1, 1, 1, 0]),
        ("member@acme.test", [0, 0, 0, 0]),
        ("readonly@acme.test", [0, 0, 0, 0]),
    ];
    for (email, links) in expected {
        let (_, html) = app.logged_in(email).await.get_html("/orgs/acme").await;
        let found: Vec<usize> = ["nav-api-keys", "nav-webhooks", "nav-audit-log", "nav-members"]
            .iter()
            .map(|id| count(&html, &format!("[data-testid={id}]")))
            .collect();
        assert_eq!(found, links, "{email}");
    }
}

#[tokio::test]
async fn members_and_read_only_users_see_only_the_org_name_and_its_owners() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, html) = app.logged_in("member@acme.test").await.get_html("/orgs/acme").await;
    assert_eq!(count(&html, "[data-testid=dashboard-overview]"), 0);
    assert_eq!(select_all_text(&html, "[data-testid=org-name]"), ["acme org"]);
    assert!(select_all_text(&html, "[data-testid=owners]")[0].contains("Olive Owner"));
    let (_, html) = app.logged_in("admin@acme.test").await.get_html("/orgs/acme").await;
    assert_eq!(count(&html, "[data-testid=dashboard-overview]"), 1);
}

#[tokio::test]
async fn users_of_another_org_get_404_as_if_the_org_did_not_exist() {
    let app = spawn_app().await;
    app.seed_acme();
    let outsider = app.logged_in("outsider@other.test").await;
    for path in PAGES {
        assert_eq!(outsider.get(path).await.status(), 404, "{path}");
    }
    let res =
        outsider.post_form("/orgs/acme/settings/members", &[("email", "outsider@other.test"), ("role", "owner")]).await;
    assert_eq!(res.status(), 404);
    let (status, missing) = outsider.get_html("/orgs/no-such-org").await;
    let (_, hidden) = outsider.get_html("/orgs/acme").await;
    assert_eq!(status, 404);
    assert_eq!(missing.html(), hidden.html(), "an existing org looks exactly like a missing one");
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_very_next_request() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let admin = app.logged_in("admin@acme.test").await;
    assert_eq!(admin.get("/orgs/acme/settings/api-keys").await.status(), 200);
    let admin_id = app.user("admin@acme.test").id;
    memberships::change_role(&mut app.conn(), org.id, admin_id, Role::Member).expect("demote");
    assert_eq!(admin.get("/orgs/acme/settings/api-keys").await.status(), 403);
    memberships::remove(&mut app.conn(), org.id, admin_id).expect("remove");
    assert_eq!(admin.get("/orgs/acme").await.status(), 404);
}

#[tokio::test]
async fn the_org_switcher_lists_every_org_of_the_user() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.user("owner@acme.test");
    app.seed_org("second", latchkey::domain::Plan::Free, &owner);
    let visitor = app.logged_in("owner@acme.test").await;
    let (_, html) = visitor.get_html("/orgs/acme").await;
    let links: Vec<String> = {
        let sel = scraper::Selector::parse("[data-testid=org-switcher] a").expect("sel");
        html.select(&sel).filter_map(|a| a.value().attr("href").map(str::to_owned)).collect()
    };
    assert_eq!(links, ["/orgs/acme", "/orgs/second"]);
    assert_eq!(visitor.get("/orgs/second").await.status(), 200);
    assert_eq!(visitor.get("/orgs/other").await.status(), 404);
}
