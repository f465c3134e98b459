//! Every console page, as a person sees it: at 1366×900 and at phone width
//! (390×844) no page scrolls sideways, no table's last column (its actions)
//! is off screen, no destructive dialog opens with focus on its destructive
//! button, and axe-core finds no accessibility violation of moderate impact
//! or worse, in light and in dark mode.
//!
//! axe-core comes from the npm registry: `scripts/test` fetches it once into
//! `target/axe/package/axe.min.js` (or set `AXE_JS`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

#[path = "support/mod.rs"]
mod support;

#[path = "support/browser.rs"]
mod browser;

#[path = "screens/checks.rs"]
mod checks;

use browser::*;
use checks::*;
use fantoccini::Locator;
use support::*;

const WIDTHS: [(u32, u32); 2] = [(1366, 900), (390, 844)];

/// The pages of the demo organisation an owner can open, plus a few key and webhook pages.
fn pages(app: &TestApp) -> Vec<String> {
    let org = latchkey::db::orgs::find_by_slug(&mut app.conn(), "demo").expect("q").expect("demo org");
    let query = latchkey::db::key_list::ListQuery::newest(50);
    let keys = latchkey::db::key_list::list(&mut app.conn(), org.id, &query, latchkey::db::now()).expect("keys");
    let key = keys.iter().find(|k| k.revoked_at.is_none()).expect("a live key");
    let hooks = latchkey::db::webhooks::list(&mut app.conn(), org.id).expect("hooks");
    let hook = hooks.first().expect("a webhook");
    let filter = latchkey::db::deliveries::AttemptFilter::default();
    let attempts = latchkey::db::deliveries::attempts_page(&mut app.conn(), hook.into(), &filter, None, 1);
    let attempt = attempts.expect("attempts").first().expect("a delivery attempt").0.id;
    let base = "/orgs/demo/settings";
    // A domain to prove, so the single sign-on page shows its table (and its TXT value, the widest cell).
    latchkey::db::sso::add_domain(&mut app.conn(), org.id, "demo.example", &"T".repeat(32)).expect("a domain");
    vec![
        "/orgs/demo".into(),
        format!("{base}/api-keys"),
        format!("{base}/api-keys/new"),
        format!("{base}/api-keys/lookup"),
        format!("{base}/api-keys/{}", key.key_id),
        format!("{base}/api-keys/{}/edit", key.key_id),
        format!("{base}/api-keys/{}/rotate", key.key_id),
        format!("{base}/apis"),
        format!("{base}/apis/new"),
        format!("{base}/apis/billing"),
        format!("{base}/apis/billing/delete"),
        format!("{base}/webhooks"),
        format!("{base}/webhooks/new"),
        format!("{base}/webhooks/{}", hook.public_id),
        format!("{base}/webhooks/{}/edit", hook.public_id),
        format!("{base}/webhooks/{}/attempts/{attempt}", hook.public_id),
        format!("{base}/webhooks/{}/rotate-secret", hook.public_id),
        format!("{base}/audit-log"),
        format!("{base}/audit-log/verify"),
        format!("{base}/members"),
        "/docs/api".into(),
        "/logout".into(),
        "/account".into(),
        "/account/two-factor".into(),
        format!("{base}/security"),
        format!("{base}/sso"),
    ]
}

/// A pending invitation (it shows on the members page) and the one-time
/// links of it and of a password reset: (invitation link, reset link).
async fn links(app: &TestApp) -> (String, String) {
    use latchkey::app::members::invitations::{Inviter, invite};
    use latchkey::domain::{Email, Role};
    let org = latchkey::db::orgs::find_by_slug(&mut app.conn(), "demo").expect("q").expect("demo org");
    let owner = app.user("owner@demo.latchkey.test");
    let meta = latchkey::app::audit::RequestMeta::default();
    let invitee = Email::parse("invitee@example.com").expect("email");
    invite(&mut app.conn(), &app.config, &org, &invitee, Role::Admin, &Inviter { user: &owner, meta: &meta })
        .expect("invite");
    let email = Email::parse("owner@demo.latchkey.test").expect("email");
    latchkey::app::accounts::password::request_reset(&mut app.conn(), &app.config, &email, "127.0.0.1").expect("reset");
    let invitation = app.wait_for_link("invitee@example.com", 1, "lki_").await;
    let reset = app.wait_for_link("owner@demo.latchkey.test", 1, "lkr_").await;
    (format!("/invitations/{invitation}"), format!("/password-reset/{reset}"))
}

/// Data as it grows in real use, beyond the demo's: a management key holding
/// every management scope, and a key it made through the API ("by API key …").
async fn realistic_keys(app: &TestApp) {
    let mut scopes: Vec<&str> = latchkey::domain::scopes::Management::ALL.iter().map(|m| m.name()).collect();
    // What it hands on, it must hold itself.
    scopes.extend(["orders:write", "customers:read", "products:read", "categories:read"]);
    let label = "Deployment automation with every management scope";
    let (_, bot) = app.make_scoped_key("demo", label, &scopes);
    let body = serde_json::json!({"label": "Made by the deployment bot for the nightly warehouse synchronisation", "scopes": ["orders:write", "customers:read", "products:read", "categories:read"]});
    let (status, answer, _) = api(app, reqwest::Method::POST, "/api/v1/keys", &bot, Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

async fn sweep(dark: bool) {
    let app = spawn_app().await;
    latchkey::cli::demo::run(&mut app.conn(), &app.config).expect("demo");
    realistic_keys(&app).await;
    let pages = pages(&app);
    let (invitation, reset) = links(&app).await;
    let axe = axe_source();
    let (_driver, client) = start_browser(dark).await;
    log_in_to_demo(&client, &app.base, "owner@demo.latchkey.test").await;
    css(&client, "[data-testid=dashboard-overview]").await;
    let scheme = if dark { "dark" } else { "light" };
    let is_dark = client
        .execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![])
        .await
        .expect("media")
        .as_bool();
    assert_eq!(is_dark, Some(dark), "the browser reports the {scheme} colour scheme");
    let mut problems = Vec::new();
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        for page in &pages {
            client.goto(&format!("{}{page}", app.base)).await.expect("open");
            client.wait().for_element(Locator::Css("main")).await.expect("main");
            let label = format!("{page} at {width}px, {scheme}");
            problems.extend(check_page(&client, &axe, &label).await);
            if page.ends_with("/api-keys") {
                problems.extend(key_rows_keep_state_and_menu_on_screen(&client, &label).await);
                problems.extend(dialogs_open_away_from_danger(&client, &label).await);
                if width == 1366 {
                    // A small laptop too: the list wraps its cells, never the page.
                    client.set_window_size(1024, 768).await.expect("resize");
                    problems.extend(check_page(&client, &axe, &format!("{page} at 1024px, {scheme}")).await);
                    client.set_window_size(width, height).await.expect("resize");
                }
            }
            let name: Vec<&str> = page
                .trim_start_matches('/')
                .split('/')
                .map(|part| {
                    if part.starts_with("key_") {
                        "KEY"
                    } else if part.starts_with("wh_") {
                        "WEBHOOK"
                    } else if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
                        "ID"
                    } else {
                        part
                    }
                })
                .collect();
            let name = name.join("_");
            screenshot(&client, &format!("screens/{scheme}-{width}-{name}")).await;
        }
    }
    // The delivery log, scrolled into view (the README shows it).
    let hook_page =
        pages.iter().find(|p| p.contains("/webhooks/wh_") && p.matches('/').count() == 5).expect("a webhook page");
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        client.goto(&format!("{}{hook_page}", app.base)).await.expect("open");
        let log = css(&client, "[data-testid=delivery-attempts]").await;
        // Its section's heading and filters too, below the sticky top bar.
        let scroll = "arguments[0].closest('section').scrollIntoView({block: 'start'}); window.scrollBy(0, -64);";
        client.execute(scroll, vec![serde_json::to_value(&log).expect("el")]).await.expect("scroll");
        screenshot(&client, &format!("screens/{scheme}-{width}-delivery-log")).await;
    }
    // The one-time secret page (a POST's answer), at both widths.
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        client.goto(&format!("{}/orgs/demo/settings/api-keys/new", app.base)).await.expect("new key");
        type_into(&client, "#label", "Screens check").await;
        click(&client, "#access-full").await;
        click(&client, ".key-form button[type=submit]").await;
        css(&client, "[data-testid=new-secret]").await;
        problems.extend(check_page(&client, &axe, &format!("the new key's secret at {width}px, {scheme}")).await);
        screenshot(&client, &format!("screens/{scheme}-{width}-secret")).await;
    }
    // Platform staff's pages, and the login page.
    client.goto(&format!("{}/logout", app.base)).await.expect("logout page");
    click(&client, "[data-testid=confirm-logout]").await;
    css(&client, "#email").await;
    let public = ["/login".to_owned(), "/password-reset".into(), reset, invitation, "/password-reset/expired".into()];
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        for page in &public {
            client.goto(&format!("{}{page}", app.base)).await.expect("open");
            client.wait().for_element(Locator::Css("main")).await.expect("main");
            let shown = if page.contains("lk") { "a one-time link page" } else { page.as_str() };
            problems.extend(check_page(&client, &axe, &format!("{shown} at {width}px, {scheme}")).await);
        }
    }
    // The second step of a login, for a demo person with an authenticator app.
    let admin = app.user("admin@demo.latchkey.test");
    latchkey::app::accounts::two_factor::begin_totp(&mut app.conn(), &app.config, &admin).expect("begin");
    latchkey::db::second_factors::confirm_totp(&mut app.conn(), admin.id, 1).expect("confirm");
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        log_in_to_demo(&client, &app.base, "admin@demo.latchkey.test").await;
        css(&client, "#code").await;
        problems.extend(check_page(&client, &axe, &format!("/login/two-factor at {width}px, {scheme}")).await);
        client.delete_all_cookies().await.expect("cookies");
    }
    log_in_to_demo(&client, &app.base, "support@demo.latchkey.test").await;
    css(&client, "[data-testid=support-orgs]").await;
    let staff_pages =
        ["/support", "/support/platform-log", "/support/orgs/demo/audit-log", "/support/orgs/demo/api-keys"];
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        for page in staff_pages {
            client.goto(&format!("{}{page}", app.base)).await.expect("open");
            client.wait().for_element(Locator::Css("main")).await.expect("main");
            problems.extend(check_page(&client, &axe, &format!("{page} at {width}px, {scheme}")).await);
        }
    }
    client.close().await.expect("close");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[tokio::test]
async fn every_console_page_fits_a_phone_and_desktop_and_passes_axe_in_light_mode() {
    sweep(false).await;
}

#[tokio::test]
async fn every_console_page_fits_a_phone_and_desktop_and_passes_axe_in_dark_mode() {
    sweep(true).await;
}

#[tokio::test]
async fn the_last_rows_menu_shows_every_item_and_only_one_menu_is_open_at_a_time() {
    let app = spawn_app().await;
    latchkey::cli::demo::run(&mut app.conn(), &app.config).expect("demo");
    let (_driver, client) = start_browser(false).await;
    log_in_to_demo(&client, &app.base, "owner@demo.latchkey.test").await;
    css(&client, "[data-testid=dashboard-overview]").await;
    for (width, height) in WIDTHS {
        client.set_window_size(width, height).await.expect("resize");
        client.goto(&format!("{}/orgs/demo/settings/api-keys", app.base)).await.expect("keys");
        // The last row sits at the bottom of the window; its menu must open where it fits.
        client
            .execute(
                "const rows = document.querySelectorAll('tr[data-testid=key-row]');
                 rows[rows.length - 1].scrollIntoView({block: 'end'});",
                vec![],
            )
            .await
            .expect("scroll");
        let rows = client.find_all(Locator::Css("[data-testid=key-menu] summary")).await.expect("menus");
        rows.last().expect("a row").click().await.expect("open the last menu");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await; // the toggle event runs after the click
        let hidden = client
            .execute(
                "const menu = document.querySelectorAll('[data-testid=key-menu]');
                 const last = menu[menu.length - 1];
                 const bad = [];
                 for (const item of last.querySelectorAll('.menu-item')) {
                   const r = item.getBoundingClientRect();
                   const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                   if (r.top < 0 || r.bottom > window.innerHeight || !(hit === item || item.contains(hit))) bad.push(item.textContent.trim() + ' ' + Math.round(r.top) + '-' + Math.round(r.bottom) + ' hit ' + (hit ? hit.tagName + '.' + hit.className : 'none') + ' up=' + last.classList.contains('menu-up'));
                 }
                 return [last.open, last.querySelectorAll('.menu-item').length, bad];",
                vec![],
            )
            .await
            .expect("menu items");
        screenshot(&client, &format!("screens/menu-last-row-{width}")).await;
        assert_eq!(hidden[0], serde_json::json!(true), "{width}px: the menu opened");
        assert!(hidden[1].as_u64().unwrap_or(0) >= 2, "{width}px: {hidden}");
        assert_eq!(hidden[2], serde_json::json!([]), "{width}px: every item is visible and on top: {hidden}");
        screenshot(&client, &format!("screens/menu-last-row-{width}")).await;
    }
    // Without any script's help, menus are exclusive: opening one closes the other.
    let exclusive = client
        .execute(
            "const [a, b] = document.querySelectorAll('[data-testid=key-menu]');
             a.open = true; b.open = true; return [a.open, b.open];",
            vec![],
        )
        .await
        .expect("exclusive");
    assert_eq!(exclusive, serde_json::json!([false, true]));
    // The menus do not announce a keyboard pattern they lack.
    let roles = client.execute("return document.querySelectorAll('[role=menu], [role=menuitem]').length", vec![]).await;
    assert_eq!(roles.expect("roles"), serde_json::json!(0));
    client.close().await.expect("close");
}
