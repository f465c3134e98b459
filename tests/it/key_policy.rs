//! An organisation's key policy: who may see and change it, and how the
//! console holds new, edited and rotated keys to it; older keys that break
//! it keep working, marked, and are counted on the dashboard.

use crate::support::*;
use scraper::Html;

const SECURITY: &str = "/orgs/acme/settings/security";

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

async fn strict_policy(owner: &Visitor) {
    let res = owner
        .post_form(
            &format!("{SECURITY}/key-policy"),
            &[
                ("max_key_lifetime_days", "30"),
                ("require_key_expiry", "on"),
                ("forbid_full_access", "on"),
                ("require_ip_allowlist", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn owners_set_the_policy_admins_read_it_and_changes_are_audited() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let res = owner.post_form(&format!("{SECURITY}/key-policy"), &[("max_key_lifetime_days", "0")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select_all_text(&html, "#max_key_lifetime_days-error").len(), 1);
    assert_eq!(select_attr(&html, "#max_key_lifetime_days", "value").as_deref(), Some("0"), "the input is kept");
    strict_policy(&owner).await;
    let event = events(&app, org_id(&app, "acme"))
        .into_iter()
        .rfind(|e| e.action == "org.key_policy_changed")
        .expect("audited");
    assert!(event.details.contains(r#""before":{"forbid_full_access":false"#), "{}", event.details);
    assert!(event.details.contains(r#""max_key_lifetime_days":30"#), "{}", event.details);

    let admin = app.logged_in("admin@acme.test").await;
    let (status, page) = admin.get_html(SECURITY).await;
    assert_eq!(status, 200, "admins read it");
    assert_eq!(count(&page, "[data-testid=key-policy-form] fieldset[disabled]"), 1, "read-only for admins");
    assert_eq!(select_attr(&page, "#max_key_lifetime_days", "value").as_deref(), Some("30"));
    assert_eq!(admin.post_form(&format!("{SECURITY}/key-policy"), &[]).await.status(), 403);
    assert_eq!(app.logged_in("member@acme.test").await.get(SECURITY).await.status(), 403);
}

#[tokio::test]
async fn new_and_edited_keys_must_meet_the_policy_and_older_ones_are_marked() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (older_id, older) =
        app.make_expiring_key("acme", "Older", chrono::Utc::now().naive_utc() + chrono::Duration::days(300));
    strict_policy(&owner).await;

    // Full access, no expiry, no allowlist: each refusal next to its field, nothing made.
    let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").unwrap();
    let before = app.mails(org_id(&app, "acme")).len();
    let res = owner.post_form(KEYS, &[("form_id", &form_id), ("label", "Too wide"), ("access", "full")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.unwrap());
    let errors = select_all_text(&html, "[data-testid=form-error]").join(" | ");
    for needle in ["forbids full access", "requires an IP allowlist", "limits keys to 30 days"] {
        assert!(errors.contains(needle), "{needle} in {errors}");
    }
    let too_long = in_days(45);
    let res = owner
        .post_form(
            KEYS,
            &[
                ("form_id", &form_id),
                ("label", "Too long"),
                ("access", "custom"),
                ("scopes", "orders:read"),
                ("allowed_ips", "10.0.0.0/8"),
                ("expires_at", &too_long),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let fine = in_days(20);
    let res = owner
        .post_form(
            KEYS,
            &[
                ("form_id", &form_id),
                ("label", "Within policy"),
                ("access", "custom"),
                ("scopes", "orders:read"),
                ("allowed_ips", "10.0.0.0/8"),
                ("expires_at", &fine),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "a key that meets the policy is made");
    assert_eq!(app.mails(org_id(&app, "acme")).len(), before);

    // The older key keeps working, marked, and counted on the dashboard.
    assert_eq!(ping(&app, &older).await.0, 200);
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(
        select_all_text(&list, "[data-testid=health-mark]").iter().filter(|m| *m == "violates policy").count(),
        1
    );
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    assert!(select_all_text(&dashboard, "[data-testid=banner-policy]")[0].starts_with("1 key breaks"));
    // The banner leads to the "violates policy" filter, which lists exactly the keys it counts.
    let link = select_attr(&dashboard, "[data-testid=banner-policy-link]", "href").expect("link");
    assert_eq!(link, format!("{KEYS}?state=violates_policy"));
    let (_, filtered) = owner.get_html(&link).await;
    let rows: Vec<String> = {
        let select = scraper::Selector::parse("tr[data-testid=key-row]").expect("selector");
        filtered.select(&select).filter_map(|r| r.value().attr("data-key-id").map(str::to_owned)).collect()
    };
    assert_eq!(rows, std::slice::from_ref(&older_id), "only the key that breaks the policy");
    assert_eq!(select_attr(&filtered, "#state option[selected]", "value").as_deref(), Some("violates_policy"));

    // Editing the older key means meeting the policy first.
    let res = owner
        .post_form(
            &format!("{KEYS}/{older_id}/edit"),
            &[("label", "Older, renamed"), ("access", "full"), ("enabled", "on")],
        )
        .await;
    assert_eq!(res.status(), 422, "an edit that leaves the key breaking the policy is refused");
    let res = owner
        .post_form(
            &format!("{KEYS}/{older_id}/edit"),
            &[
                ("label", "Older, fixed"),
                ("enabled", "on"),
                ("access", "custom"),
                ("scopes", "orders:read"),
                ("allowed_ips", "10.0.0.0/8"),
                ("expires_at", &fine),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "narrowing it to the policy is fine");
    let (_, list) = owner.get_html(KEYS).await;
    assert!(!select_all_text(&list, "[data-testid=health-mark]").iter().any(|m| m == "violates policy"));
}

#[tokio::test]
async fn a_rotation_caps_the_expiry_and_refuses_a_replacement_that_breaks_the_policy() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let scoped = latchkey::db::api_keys::KeySettings {
        label: "Scoped".into(),
        description: String::new(),
        scopes: latchkey::domain::scopes::Scopes::parse(&["orders:read"]).unwrap(),
        expires_at: Some(chrono::Utc::now().naive_utc() + chrono::Duration::days(90)),
        allowed_ips: latchkey::domain::key_settings::IpAllowlist::parse("10.0.0.0/8").unwrap(),
        rate_limit_per_minute: None,
        owner_id: None,
        metadata: None,
    };
    let (scoped_id, _) = app.make_key_with("acme", scoped);
    let (wide_id, _) =
        app.make_expiring_key("acme", "Wide", chrono::Utc::now().naive_utc() + chrono::Duration::days(10));
    strict_policy(&owner).await;

    let rotate = |id: String| {
        let owner = &owner;
        async move {
            let (_, confirm) = owner.get_html(&format!("{KEYS}/{id}/rotate")).await;
            let form_id = select_attr(&confirm, "input[name=form_id]", "value").unwrap();
            owner.post_form(&format!("{KEYS}/{id}/rotate"), &[("grace", "none"), ("form_id", &form_id)]).await
        }
    };
    let res = rotate(wide_id).await;
    assert_eq!(res.status(), 422, "full access is forbidden now");
    assert!(res.text().await.unwrap().contains("forbids full access"));

    let res = rotate(scoped_id).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.unwrap());
    let new_id = select_attr(&html, "[data-testid=secret-dialog]", "data-key-id").unwrap();
    let org = org_id(&app, "acme");
    let new = latchkey::db::api_keys::find(&mut app.conn(), org, &new_id).unwrap().unwrap();
    let days = (new.expires_at.unwrap() - chrono::Utc::now().naive_utc()).num_days();
    assert!((29..=30).contains(&days), "capped at 30 days, not 90: {days}");
}
