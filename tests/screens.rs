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

use browser::*;
use fantoccini::{Client, Locator};
use support::*;

const WIDTHS: [(u32, u32); 2] = [(1366, 900), (390, 844)];

fn axe_source() -> String {
    let path = std::env::var("AXE_JS")
        .unwrap_or_else(|_| format!("{}/target/axe/package/axe.min.js", env!("CARGO_MANIFEST_DIR")));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("axe-core not found at {path} ({e}); scripts/test fetches it with `npm pack axe-core`")
    })
}

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

/// Problems with the page now open: sideways scroll, a table cut off, and axe's moderate or worse findings.
async fn check_page(client: &Client, axe: &str, label: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let widths = client
        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
        .await
        .expect("widths");
    let (scroll, inner) = (widths[0].as_u64().unwrap_or(0), widths[1].as_u64().unwrap_or(0));
    if scroll > inner {
        // Name the outermost elements that stick out, to say what to fix.
        let culprits = client
            .execute(
                "const w = window.innerWidth; const out = [];
                 for (const el of document.querySelectorAll('body *')) {
                   const r = el.getBoundingClientRect();
                   if (r.right > w + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > w + 1)) {
                     out.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right));
                   }
                 }
                 return out.slice(0, 4).join(', ');",
                vec![],
            )
            .await
            .expect("culprits");
        problems.push(format!(
            "{label}: page scrolls sideways ({scroll} px in a {inner} px window): {}",
            culprits.as_str().unwrap_or_default()
        ));
    }
    // Every table's last column (its actions, as a rule) is in the window on each row.
    let cut = client
        .execute(
            "const w = window.innerWidth; const out = [];
             for (const row of document.querySelectorAll('main table tbody tr')) {
               const cell = row.lastElementChild;
               if (!cell || row.offsetParent === null) continue;
               const r = cell.getBoundingClientRect();
               const wrap = row.closest('.table-wrap');
               const edge = Math.min(w, wrap ? wrap.getBoundingClientRect().right : w);
               if (r.width === 0 || r.right > edge + 1) out.push((row.closest('table').dataset.testid || 'a table') + ' ' + Math.round(r.right));
             }
             return out.slice(0, 3);",
            vec![],
        )
        .await
        .expect("last columns");
    for c in cut.as_array().into_iter().flatten() {
        problems.push(format!("{label}: a table's last column is off screen: {}", c.as_str().unwrap_or_default()));
    }
    // Thumb-sized boxes and radios; the current settings tab in sight on the scrolling nav row.
    let small = client
        .execute(
            "const out = [];
             for (const box of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
               const r = box.getBoundingClientRect();
               if (box.offsetParent !== null && (r.width < 20 || r.height < 20)) out.push((box.id || box.name) + ' ' + Math.round(r.width));
             }
             for (const form of document.querySelectorAll('.filters')) {
               const input = form.querySelector('input, select'), button = form.querySelector(':scope > button');
               if (!input || !button) continue;
               const [a, b] = [input.getBoundingClientRect(), button.getBoundingClientRect()];
               // Side by side (not wrapped to a row of its own): the button's foot on the inputs' line.
               if (Math.abs(a.top - b.top) < 60 && Math.abs(a.bottom - b.bottom) > 4) out.push('a filter button off the line of its inputs by ' + Math.round(a.bottom - b.bottom) + ' px');
             }
             for (const button of document.querySelectorAll('main .panel .button')) {
               const panel = button.closest('.panel').getBoundingClientRect(), r = button.getBoundingClientRect();
               if (button.offsetParent !== null && r.width > 0 && r.right > panel.right + 1) out.push('a button runs past its card: ' + button.textContent.trim());
             }
             // On a phone, times, addresses and codes in tables wrap between words, never inside one.
             if (window.innerWidth < 500) {
               for (const el of document.querySelectorAll('main td time, main td .mono, main td code')) {
                 const text = el.firstChild;
                 if (el.offsetParent === null || !text || text.nodeType !== 3) continue;
                 let offset = 0;
                 for (const word of text.textContent.split(/(\\s+)/)) {
                   if (word.trim() && word.length < 40) {
                     const range = document.createRange();
                     range.setStart(text, offset);
                     range.setEnd(text, offset + word.length);
                     const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                     if (lines.size > 1) out.push('a word broken across lines: ' + word);
                   }
                   offset += word.length;
                 }
               }
             }
             const tab = document.querySelector('.sidenav a[aria-current=page]');
             if (tab && tab.offsetParent !== null) {
               const t = tab.getBoundingClientRect(), nav = tab.closest('.sidenav').getBoundingClientRect();
               if (t.left < nav.left - 1 || t.right > nav.right + 1) out.push('the current tab is scrolled out of sight');
             }
             return out.slice(0, 3);",
            vec![],
        )
        .await
        .expect("targets");
    for s in small.as_array().into_iter().flatten() {
        problems.push(format!("{label}: {}", s.as_str().unwrap_or_default()));
    }
    client.execute(axe, vec![]).await.expect("inject axe");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
               .filter(v => v.impact === 'moderate' || v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))));",
            vec![],
        )
        .await
        .expect("run axe");
    for v in found.as_array().into_iter().flatten() {
        problems.push(format!("{label}: axe {}", v.as_str().unwrap_or_default()));
    }
    problems
}

/// On the key list, every row's state badge and ⋯ menu are inside the window.
async fn key_rows_keep_state_and_menu_on_screen(client: &Client, label: &str) -> Vec<String> {
    let off = client
        .execute(
            "const w = window.innerWidth; const off = [];
             for (const row of document.querySelectorAll('tr[data-testid=key-row]')) {
               for (const sel of ['[data-testid=key-state]', '[data-testid=key-menu] summary']) {
                 const el = row.querySelector(sel);
                 if (el && (el.getBoundingClientRect().right > w || el.getBoundingClientRect().width === 0)) off.push(row.dataset.keyId + ' ' + sel);
               }
             }
             return off;",
            vec![],
        )
        .await
        .expect("rows");
    off.as_array()
        .into_iter()
        .flatten()
        .map(|o| format!("{label}: off screen: {}", o.as_str().unwrap_or_default()))
        .collect()
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

/// The key list's destructive dialogs (Revoke, Delete) open with focus on
/// Cancel or a field to fill, never on the destructive button.
async fn dialogs_open_away_from_danger(client: &Client, label: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for action in ["revoke", "delete"] {
        let item = format!("[data-testid=key-action-{action}]");
        let row = format!("tr[data-testid=key-row]:has({item})");
        if client.find(Locator::Css(&row)).await.is_err() {
            problems.push(format!("{label}: no key offers {action}, so its dialog went unchecked"));
            continue;
        }
        click(client, &format!("{row} [data-testid=key-menu] summary")).await;
        click(client, &format!("{row} {item}")).await;
        css(client, &format!("#action-dialog[open] [data-testid=confirm-{action}]")).await;
        let focused = client
            .execute(
                "const a = document.activeElement;
                 return [!!a.closest('#action-dialog'), a.matches('.button-danger, [data-testid=confirm-button]')];",
                vec![],
            )
            .await
            .expect("focus");
        if focused != serde_json::json!([true, false]) {
            problems
                .push(format!("{label}: the {action} dialog opens with focus on {focused} (in dialog, destructive)"));
        }
        press_escape(client, 1).await;
    }
    problems
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
