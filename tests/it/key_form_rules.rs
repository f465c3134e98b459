//! The key form says the rules before they are broken: the org's key policy
//! next to the fields it constrains, expiry presets the policy allows, and
//! a summary of every problem at the top of a refused form.

use crate::support::*;
use scraper::Html;

async fn policy(owner: &Visitor, fields: &[(&str, &str)]) {
    let res = owner.post_form("/orgs/acme/settings/security/key-policy", fields).await;
    assert_eq!(res.status(), 303);
}

fn options(html: &Html) -> Vec<String> {
    let select = scraper::Selector::parse("#expires_in option").expect("selector");
    html.select(&select).filter_map(|o| o.value().attr("value").map(str::to_owned)).collect()
}

#[tokio::test]
async fn the_form_states_the_policy_and_offers_only_the_expiries_it_allows() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, open) = owner.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(options(&open), ["7", "30", "60", "90", "custom", "never"]);
    assert_eq!(select_attr(&open, "#expires_in option[selected]", "value").as_deref(), Some("never"));
    assert_eq!(select_all_text(&open, "[data-testid=expiry-rule]"), ["— optional"]);
    assert_eq!(count(&open, "[data-testid=policy-no-full-access]"), 0);

    policy(&owner, &[("max_key_lifetime_days", "45"), ("forbid_full_access", "on"), ("require_ip_allowlist", "on")])
        .await;
    let (_, strict) = owner.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(options(&strict), ["7", "30", "custom"], "no preset past 45 days, no 'never'");
    assert_eq!(select_attr(&strict, "#expires_in option[selected]", "value").as_deref(), Some("30"));
    assert_eq!(select_all_text(&strict, "[data-testid=expiry-rule]"), ["— required, at most 45 days"]);
    assert_eq!(count(&strict, "[data-testid=policy-no-full-access]"), 1);
    let allowlist = select_all_text(&strict, "[data-testid=allowlist-rule]").join("");
    assert!(allowlist.contains("required by the organisation's key policy"), "{allowlist}");
}

#[tokio::test]
async fn a_preset_counts_from_the_save_and_never_means_no_expiry() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let before = chrono::Utc::now().naive_utc();
    let in_30 = create_key(&owner, &[("label", "Thirty"), ("expires_in", "30"), ("expires_at", "2099-01-01")]).await;
    let expires = app.key_by_id(&in_30.id).expires_at.expect("an expiry");
    let days = (expires - before).num_minutes() as f64 / 1440.0;
    assert!((30.0..30.01).contains(&days), "30 days from the save, not the custom box: {days}");
    let never = create_key(&owner, &[("label", "Never"), ("expires_in", "never"), ("expires_at", "2099-01-01")]).await;
    assert_eq!(app.key_by_id(&never.id).expires_at, None);
    let custom =
        create_key(&owner, &[("label", "Custom"), ("expires_in", "custom"), ("expires_at", "2099-01-31")]).await;
    let at = app.key_by_id(&custom.id).expires_at.expect("custom date");
    assert_eq!(at.format("%Y-%m-%d %H:%M").to_string(), "2099-01-31 00:00");
    // The edit form of a key with an expiry starts on the custom date, showing it.
    let (_, edit) = owner.get_html(&format!("{KEYS}/{}/edit", custom.id)).await;
    assert_eq!(select_attr(&edit, "#expires_in option[selected]", "value").as_deref(), Some("custom"));
    assert_eq!(select_attr(&edit, "#expires_at", "value").as_deref(), Some("2099-01-31T00:00"));
}

#[tokio::test]
async fn a_refused_form_lists_every_problem_at_the_top_with_links_and_keeps_the_values() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    policy(&owner, &[("require_key_expiry", "on")]).await;
    let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let fields = [
        ("form_id", form_id.as_str()),
        ("label", ""),
        ("access", "full"),
        ("expires_in", "never"),
        ("rate_limit_per_minute", "lots"),
        ("owner_id", "cus_1"),
    ];
    let res = owner.post_form(KEYS, &fields).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    let links: Vec<String> = {
        let select = scraper::Selector::parse("[data-testid=error-summary] a").expect("selector");
        html.select(&select).filter_map(|a| a.value().attr("href").map(str::to_owned)).collect()
    };
    assert_eq!(links, ["#label", "#rate_limit_per_minute"], "in the form's order, each to its field");
    assert_eq!(select_all_text(&html, ".error-summary-title"), ["There are 2 problems"]);
    assert_eq!(select_attr(&html, "#owner_id", "value").as_deref(), Some("cus_1"), "values are kept");
    assert_eq!(count(&html, "#label[autofocus]"), 0, "the summary takes focus, not the first field");

    // A policy breach comes back the same way, next to the expiry and in the summary.
    let fields = [("form_id", form_id.as_str()), ("label", "Forever"), ("access", "full"), ("expires_in", "never")];
    let res = owner.post_form(KEYS, &fields).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    let summary = select_all_text(&html, "[data-testid=error-summary] a").join(" | ");
    assert!(summary.contains("requires an expiry date"), "{summary}");
    assert_eq!(select_attr(&html, "[data-testid=error-summary] a", "href").as_deref(), Some("#expires_in"));
    let res = owner.post_form(KEYS, &[("form_id", form_id.as_str()), ("label", "Odd"), ("expires_in", "31")]).await;
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert!(select_all_text(&html, "#expires_at-error").join("").contains("Choose one of the expiry options"));
}

#[tokio::test]
async fn creating_or_rotating_a_key_is_said_once_on_the_list_that_done_leads_to() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let created = create_key(&owner, &[("label", "Told")]).await;
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(select_all_text(&list, "[role=status].alert-success"), ["Key created. Its secret is not shown again."]);
    let (_, again) = owner.get_html(KEYS).await;
    assert_eq!(count(&again, ".alert-success"), 0, "once");
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{}/rotate", created.id)).await;
    let form_id = select_attr(&confirm, "input[name=form_id]", "value").expect("form id");
    let res =
        owner.post_form(&format!("{KEYS}/{}/rotate", created.id), &[("grace", "24h"), ("form_id", &form_id)]).await;
    assert_eq!(res.status(), 200);
    let (_, list) = owner.get_html(KEYS).await;
    let notice = select_all_text(&list, "[role=status].alert-success").concat();
    assert!(notice.starts_with("Key rotated."), "{notice}");
}
