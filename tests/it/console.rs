//! The console's rough edges a new user hits, checked over HTTP: notices shown
//! once, where staff land, links to the docs, what a new key's scopes mean,
//! health marks that are right, webhook health, a confirmed secret rotation,
//! and charts that show today's use (or say there is none).

use crate::support::*;
use scraper::Html;

fn sql(app: &TestApp, statement: &str) {
    use diesel::connection::SimpleConnection;
    app.conn().batch_execute(statement).expect("sql");
}

#[tokio::test]
async fn a_notice_is_shown_once_and_never_comes_from_the_url() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, .. } = create_key(&owner, &[("label", "Soon revoked")]).await;
    let res = owner.post_form(&format!("{KEYS}/{key_id}/revoke"), &[]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, KEYS.to_owned()), "no notice in the URL");
    let (_, first) = owner.get_html(KEYS).await;
    assert!(first.html().contains("Key revoked."), "the notice shows after the action");
    let (_, again) = owner.get_html(KEYS).await;
    assert!(!again.html().contains("Key revoked."), "and not on a refresh");
    let (_, forged) = owner.get_html(&format!("{KEYS}?notice=revoked")).await;
    assert!(!forged.html().contains("Key revoked."), "a link cannot put a notice on the page");
}

#[tokio::test]
async fn staff_without_an_organisation_land_on_the_support_console() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("help@latchkey.test", "Hal Help", true);
    let staff = app.visitor();
    assert_eq!(staff.login("help@latchkey.test", PASSWORD).await.status(), 303);
    let res = staff.get("/").await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/support".to_owned()));
}

#[tokio::test]
async fn the_api_docs_are_linked_from_the_keys_page_and_the_user_menu() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, keys) = owner.get_html(KEYS).await;
    assert_eq!(select_attr(&keys, "[data-testid=docs-link]", "href").as_deref(), Some("/docs/api"));
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    assert_eq!(select_attr(&dashboard, "[data-testid=menu-docs]", "href").as_deref(), Some("/docs/api"));
}

#[tokio::test]
async fn the_key_form_asks_for_an_explicit_access_choice_and_a_blank_form_grants_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(count(&form, "input[type=radio][name=access]"), 2, "full or custom");
    assert_eq!(count(&form, "input[name=access][checked]"), 0, "neither is chosen for you");
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let res = owner.post_form(KEYS, &[("form_id", form_id.as_str()), ("label", "Blank")]).await;
    assert_eq!(res.status(), 422, "a form left blank is an error, not full access");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let said = select_all_text(&html, "#access-error").concat();
    assert!(said.contains("Choose full access to this API, or choose its permissions and roles"), "{said}");
    assert_eq!(select_attr(&html, "#label", "value").as_deref(), Some("Blank"), "values kept");
    assert_eq!(app.key_count("acme"), 0, "nothing was created");
    let cases = [("full", None, "Full access"), ("custom", Some("orders:read"), "orders:read")];
    for (access, scope, expected) in cases {
        let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
        let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
        let mut fields = vec![("form_id", form_id.as_str()), ("label", "k"), ("access", access)];
        if let Some(scope) = scope {
            fields.push(("scopes", scope));
        }
        let html = Html::parse_document(&owner.post_form(KEYS, &fields).await.text().await.expect("body"));
        let said = select_all_text(&html, "[data-testid=secret-scopes]").concat();
        assert!(said.contains(expected), "{access}: {said}");
    }
    let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let res = owner.post_form(KEYS, &[("form_id", form_id.as_str()), ("label", "Nothing"), ("access", "custom")]).await;
    assert_eq!(res.status(), 422, "custom with nothing ticked");
}

fn marks(html: &Html, key_id: &str) -> Vec<String> {
    select_all_text(html, &format!("tr[data-key-id={key_id}] [data-testid=health-mark]"))
}

#[tokio::test]
async fn health_marks_follow_the_rules_and_rotations_link_both_keys() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: fresh, .. } = create_key(&owner, &[("label", "Fresh")]).await;
    let CreatedKey { id: idle, .. } = create_key(&owner, &[("label", "Idle")]).await;
    let CreatedKey { id: old, .. } = create_key(&owner, &[("label", "Old")]).await;
    let unused = |html: &Html| select_all_text(html, "[data-testid=count-unused]").concat().parse::<i64>().expect("n");
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    let before = unused(&dashboard);
    sql(&app, &format!("UPDATE api_keys SET created_at = '2020-01-01 00:00:00' WHERE key_id = '{idle}'"));
    sql(&app, &format!("UPDATE api_keys SET created_at = '2020-01-01 00:00:00' WHERE key_id = '{old}'"));
    let (_, list) = owner.get_html(KEYS).await;
    assert!(marks(&list, &fresh).is_empty(), "a key made minutes ago is not 'unused': {:?}", marks(&list, &fresh));
    let fresh_row = select_all_text(&list, &format!("tr[data-key-id={fresh}] td")).concat();
    assert!(fresh_row.contains("Never used"), "{fresh_row}");
    assert!(marks(&list, &idle).contains(&"unused".to_owned()), "never used and older than 7 days");
    assert!(marks(&list, &old).contains(&"rotation recommended".to_owned()));
    // "Unused (90 days)" counts only keys older than the window: the two made in 2020, never the fresh one.
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    assert_eq!(unused(&dashboard), before + 2, "keys made minutes ago are not counted as unused");

    // Rotating the old key: no more rotation advice on it, and each key links to the other.
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{old}/rotate")).await;
    let form_id = select_attr(&confirm, "input[name=form_id]", "value").expect("form id");
    let res = owner.post_form(&format!("{KEYS}/{old}/rotate"), &[("grace", "24h"), ("form_id", &form_id)]).await;
    let html = Html::parse_document(&res.text().await.expect("body"));
    let new = select_attr(&html, "[data-testid=secret-dialog]", "data-key-id").expect("replacement");
    let (_, list) = owner.get_html(KEYS).await;
    assert!(!marks(&list, &old).contains(&"rotation recommended".to_owned()), "{:?}", marks(&list, &old));
    // A rotating key stops at the end of its grace, and says so (not "Never").
    let ends = select_all_text(&list, &format!("tr[data-key-id={old}] [data-testid=key-ends]")).concat();
    assert_eq!(ends, "Ends in 23 hours (rotation)", "wrapping, not widening the table");
    let (_, old_page) = owner.get_html(&format!("{KEYS}/{old}")).await;
    // The key's own activity comes before its (long) request log.
    let page = old_page.html();
    let (activity, requests) = (page.find("<h2>Activity</h2>"), page.find("id=\"requests-title\""));
    assert!(activity.is_some() && activity < requests, "activity first");
    assert_eq!(select_attr(&old_page, "[data-testid=replaced-by]", "href"), Some(format!("{KEYS}/{new}")));
    let (_, new_page) = owner.get_html(&format!("{KEYS}/{new}")).await;
    assert_eq!(select_attr(&new_page, "[data-testid=rotated-from]", "href"), Some(format!("{KEYS}/{old}")));
}

#[tokio::test]
async fn a_failing_endpoint_is_badged_failing_not_enabled() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", "http://127.0.0.1:9/hook", &["order.created"]).await;
    let health = |html: &Html| select_attr(html, "[data-testid=webhook-health]", "data-health");
    let (_, list) = owner.get_html("/orgs/acme/settings/webhooks").await;
    assert_eq!(health(&list).as_deref(), Some("healthy"));
    sql(&app, &format!("UPDATE webhook_endpoints SET failing_since = '2026-01-02 03:04:00' WHERE public_id = '{id}'"));
    for path in ["/orgs/acme/settings/webhooks".to_owned(), format!("/orgs/acme/settings/webhooks/{id}")] {
        let (_, html) = owner.get_html(&path).await;
        assert_eq!(health(&html).as_deref(), Some("failing"), "{path}");
        assert!(html.html().contains("since 2026-01-02 03:04 UTC"), "{path}");
    }
}

#[tokio::test]
async fn rotating_a_signing_secret_asks_first_and_explains_the_overlap() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, secret } = add_webhook(&owner, "acme", "http://127.0.0.1:9/hook", &["order.created"]).await;
    let (_, page) = owner.get_html(&format!("/orgs/acme/settings/webhooks/{id}")).await;
    let link = select_attr(&page, "[data-testid=rotate-secret]", "href").expect("a link, not a one-click form");
    let (status, confirm) = owner.get_html(&link).await;
    assert_eq!(status, 200);
    let text = select_all_text(&confirm, "[data-testid=confirm-rotate-secret]").concat();
    assert!(text.contains("both the old and the new secret sign"), "{text}");
    let res = owner.post_form(&link, &[]).await;
    let html = Html::parse_document(&res.text().await.expect("body"));
    let new = select_all_text(&html, "[data-testid=new-secret]").pop().expect("new secret");
    assert!(new.starts_with("whsec_") && new != secret);
}

#[tokio::test]
async fn charts_show_todays_use_at_once_or_say_there_is_none() {
    // A scheduler that never runs in the test: counts stay in memory, and must still show.
    let app = spawn_app_with(|c| c.scheduler_interval = std::time::Duration::from_secs(3600)).await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "Chart")]).await;
    let (_, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(select_attr(&page, "[data-testid=usage-chart]", "data-total").as_deref(), Some("0"));
    assert!(select_all_text(&page, ".chart-empty").concat().contains("No requests"), "an empty state");
    assert_eq!(count(&page, "svg[data-testid=usage-chart]"), 0, "no empty axes");
    for _ in 0..3 {
        assert_eq!(ping(&app, &token).await.0, 200);
    }
    let (_, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(select_attr(&page, "svg[data-testid=usage-chart]", "data-total").as_deref(), Some("3"));
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    assert_eq!(select_attr(&dashboard, "svg[data-testid=usage-chart]", "data-total").as_deref(), Some("3"));
}
