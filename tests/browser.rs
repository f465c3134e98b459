//! User journeys in a real headless Chromium driven over WebDriver.
//! Screenshots of each page land in `target/screenshots/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

#[path = "support/mod.rs"]
mod support;

#[path = "support/browser.rs"]
mod browser;

#[path = "journeys/accounts.rs"]
mod accounts;

#[path = "journeys/two_factor.rs"]
mod two_factor;

#[path = "journeys/leaks.rs"]
mod leaks;

#[path = "journeys/dialogs.rs"]
mod dialogs;

#[path = "journeys/sso.rs"]
mod sso;

use browser::*;
use fantoccini::{Client, Locator};
use std::time::Duration;
use support::*;

/// The one-time secret survives Escape, and Done asks once before it leaves.
async fn secret_survives_escape_and_done_asks_first(client: &Client, secret: &str) {
    press_escape(client, 3).await;
    let shown = css(client, "[data-testid=new-secret]").await;
    assert!(shown.is_displayed().await.expect("displayed"), "the secret is still on screen after Escape ×3");
    assert_eq!(shown.text().await.expect("text"), secret);
    let open: bool = client
        .execute("return document.querySelector('[data-testid=secret-dialog]').matches(':modal')", vec![])
        .await
        .expect("script")
        .as_bool()
        .unwrap_or(false);
    assert!(open, "still a modal dialog");
    let before = client.current_url().await.expect("url");
    click(client, "[data-testid=secret-done]").await;
    let warning = css(client, "[data-testid=secret-warning]").await;
    assert!(warning.is_displayed().await.expect("displayed"), "Done warns first");
    assert_eq!(client.current_url().await.expect("url"), before, "the first Done does not leave");
    assert_eq!(css(client, "[data-testid=secret-done]").await.text().await.expect("text"), "I have stored it");
    press_escape(client, 1).await;
    assert!(css(client, "[data-testid=new-secret]").await.is_displayed().await.expect("displayed"));
    let count = client.find_all(Locator::Css("[data-testid=new-secret]")).await.expect("find").len();
    assert_eq!(count, 1, "exactly one secret element on the page");
}

#[tokio::test]
async fn setup_login_dashboard_and_members_journey() {
    let app = spawn_app().await;
    let (_driver, client) = start_browser(false).await;

    // A fresh install leads to setup.
    client.goto(&app.base).await.expect("open");
    assert_eq!(path(&client).await, "/setup");
    screenshot(&client, "01-setup").await;

    // A mistake is shown next to its field, with the other values kept.
    type_into(&client, "#org_name", "Acme Inc").await;
    type_into(&client, "#org_slug", "Acme Inc!").await;
    type_into(&client, "#name", "Ada Lovelace").await;
    type_into(&client, "#email", "ada@example.com").await;
    type_into(&client, "#password", PASSWORD).await;
    click(&client, "button[type=submit]").await;
    let error = css(&client, "#org_slug-error").await.text().await.expect("text");
    assert!(error.contains("lowercase"), "{error}");
    assert_eq!(css(&client, "#org_name").await.prop("value").await.expect("value").as_deref(), Some("Acme Inc"));
    screenshot(&client, "02-setup-error").await;

    css(&client, "#org_slug").await.clear().await.expect("clear");
    type_into(&client, "#org_slug", "acme").await;
    type_into(&client, "#password", PASSWORD).await;
    click(&client, "button[type=submit]").await;
    assert_eq!(css(&client, "[data-testid=org-name]").await.text().await.expect("text"), "Acme Inc");
    assert_eq!(path(&client).await, "/orgs/acme");
    screenshot(&client, "03-dashboard").await;

    // Log out through the user menu, then back in.
    click(&client, ".user-menu summary").await;
    click(&client, "[data-testid=logout]").await;
    css(&client, "#email").await;
    assert_eq!(path(&client).await, "/login");
    type_into(&client, "#email", "ada@example.com").await;
    type_into(&client, "#password", "wrong password").await;
    click(&client, "button[type=submit]").await;
    let error = css(&client, "[data-testid=form-error]").await.text().await.expect("text");
    assert_eq!(error, "Invalid email or password.");
    screenshot(&client, "04-login-error").await;
    type_into(&client, "#password", PASSWORD).await;
    click(&client, "button[type=submit]").await;
    css(&client, "[data-testid=org-name]").await;

    // Members: invite a colleague (who has an account) as admin through the form.
    app.seed_user("grace@example.com", "Grace Hopper", false);
    click(&client, "[data-testid=nav-members]").await;
    assert_eq!(path(&client).await, "/orgs/acme/settings/members");
    type_into(&client, "#email", "grace@example.com").await;
    css(&client, "#role").await.select_by_value("admin").await.expect("select");
    click(&client, "[data-testid=add-member]").await;
    let row = css(&client, "tr[data-testid=invitation-row][data-role=admin]").await;
    assert_eq!(row.attr("data-email").await.expect("attr").as_deref(), Some("grace@example.com"));
    screenshot(&client, "05-members").await;

    // The last owner cannot step down; the page says why.
    let owner_row = css(&client, "tr[data-testid=member-row][data-role=owner]").await;
    owner_row.find(Locator::Css("select")).await.expect("select").select_by_value("member").await.expect("choose");
    owner_row.find(Locator::Css("button")).await.expect("save").click().await.expect("save");
    let error = css(&client, "[data-testid=form-error]").await.text().await.expect("text");
    assert!(error.contains("at least one owner"), "{error}");
    screenshot(&client, "06-members-last-owner").await;

    client.close().await.expect("close browser");
}

#[tokio::test]
async fn owner_filters_the_audit_log_and_verifies_its_integrity() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let mut conn = app.conn();
    for i in 0..12 {
        let user = app.seed_user(&format!("p{i}@acme.test"), &format!("Person {i}"), false);
        let role = if i % 3 == 0 { latchkey::domain::Role::Admin } else { latchkey::domain::Role::Member };
        let entry = latchkey::app::audit::Entry::member_added(org.id, user.id, &user.email, role);
        latchkey::db::transaction(&mut conn, |c| {
            latchkey::db::memberships::add(c, org.id, user.id, role)
                .map_err(|_| diesel::result::Error::RollbackTransaction)?;
            latchkey::app::audit::record(
                c,
                &latchkey::app::audit::Actor::cli(),
                &latchkey::app::audit::RequestMeta::default(),
                entry,
            )
        })
        .expect("seed");
    }
    drop(conn);
    let (_driver, client) = start_browser(false).await;
    client.goto(&format!("{}/login", app.base)).await.expect("open");
    log_in(&client, "owner@acme.test").await;
    click(&client, "[data-testid=nav-audit-log]").await;
    let rows = client.find_all(Locator::Css("tr[data-testid=audit-row]")).await.expect("rows");
    assert_eq!(rows.len(), 13, "twelve additions and the login");

    css(&client, "#action").await.select_by_value("member.added").await.expect("choose action");
    click(&client, "[data-testid=apply-filters]").await;
    // Wait for the filtered page itself: the old page's rows are still there until it loads.
    for _ in 0..50 {
        if client.current_url().await.expect("url").query().is_some_and(|q| q.contains("action=member.added")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    css(&client, "option[value=\"member.added\"][selected]").await;
    let rows = client.find_all(Locator::Css("tr[data-testid=audit-row]")).await.expect("rows");
    assert_eq!(rows.len(), 12);
    for row in &rows {
        assert_eq!(row.attr("data-action").await.expect("attr").as_deref(), Some("member.added"));
    }
    let label = rows[0].find(Locator::Css("[data-testid=audit-action-label]")).await.expect("label");
    assert_eq!(label.text().await.expect("text"), "Member added", "a human label beside the code");
    click(&client, "tr[data-testid=audit-row] + tr.details-row summary").await;
    let details = css(&client, "tr[data-testid=audit-row] + tr.details-row [data-testid=audit-details]").await;
    assert!(details.text().await.expect("text").contains("\"role\""));
    // The details use the table's full width, not a narrow column.
    let widths = client
        .execute(
            "const d = document.querySelector('[data-testid=audit-details]').getBoundingClientRect().width;
             const t = document.querySelector('[data-testid=audit-table]').getBoundingClientRect().width;
             const wrap = document.querySelector('[data-testid=audit-table]').parentElement;
             return [d, t, wrap.scrollWidth <= wrap.clientWidth];",
            vec![],
        )
        .await
        .expect("widths");
    let (detail_width, table_width) = (widths[0].as_f64().unwrap_or(0.0), widths[1].as_f64().unwrap_or(1.0));
    assert!(detail_width > 0.8 * table_width, "details {detail_width} px of a {table_width} px table");
    assert_eq!(widths[2], serde_json::json!(true), "the table fits its box at desktop width");
    screenshot(&client, "07-audit-log-filtered").await;

    click(&client, "[data-testid=verify-link]").await;
    let result = css(&client, "[data-testid=verify-result]").await;
    assert_eq!(result.attr("data-intact").await.expect("attr").as_deref(), Some("true"));
    assert!(result.text().await.expect("text").contains("13 events checked"));
    screenshot(&client, "08-audit-verify").await;
    client.close().await.expect("close browser");
}

#[tokio::test]
async fn create_copy_and_revoke_a_key_through_the_menu() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_driver, client) = start_browser(false).await;
    client.goto(&format!("{}/login", app.base)).await.expect("open");
    log_in(&client, "owner@acme.test").await;
    click(&client, "[data-testid=nav-api-keys]").await;
    css(&client, "[data-testid=keys-empty]").await;
    screenshot(&client, "09-keys-empty").await;

    click(&client, "[data-testid=create-key]").await;
    type_into(&client, "#label", "Zapier order sync").await;
    type_into(&client, "#description", "Pushes new orders to the warehouse sheet").await;
    click(&client, "#scope-orders-write").await;
    let read = css(&client, "#scope-orders-read").await;
    assert_eq!(read.prop("checked").await.expect("prop").as_deref(), Some("true"), "ticking write ticks read");
    screenshot(&client, "10-key-form").await;
    click(&client, ".key-form button[type=submit]").await;

    // The one-time secret, in a modal with a copy button.
    let secret = css(&client, "[data-testid=new-secret]").await.text().await.expect("secret");
    assert!(secret.starts_with("lk_live_"), "{secret}");
    let modal: bool = client
        .execute("return document.querySelector('[data-testid=secret-dialog]').matches(':modal')", vec![])
        .await
        .expect("script")
        .as_bool()
        .unwrap_or(false);
    assert!(modal, "shown as a modal dialog");
    copy_secret(&client).await;
    screenshot(&client, "11-key-secret-modal").await;
    let (status, _, _) = ping(&app, &secret).await;
    assert_eq!(status, 200);
    secret_survives_escape_and_done_asks_first(&client, &secret).await;
    screenshot(&client, "11b-key-secret-stored").await;
    click(&client, "[data-testid=secret-done]").await;

    let row = css(&client, "tr[data-testid=key-row]").await;
    assert_eq!(row.attr("data-status").await.expect("attr").as_deref(), Some("active"));
    assert!(!client.source().await.expect("source").contains(&secret), "the secret is gone for good");
    screenshot(&client, "12-keys-list").await;

    // Three-dot menu → Revoke → confirmation dialog → revoked, greyed row.
    click(&client, "[data-testid=key-menu] summary").await;
    screenshot(&client, "13-key-menu").await;
    click(&client, "[data-testid=key-action-revoke]").await;
    let dialog = css(&client, "#action-dialog [data-testid=confirm-revoke]").await;
    assert!(dialog.text().await.expect("text").contains("can't be undone"));
    // Focus starts on Cancel, never on Revoke: Enter alone must not revoke.
    let focused = "const a = document.activeElement; return [a.matches('[data-cancel]'), a.matches('.button-danger')]";
    let on = client.execute(focused, vec![]).await.expect("focus");
    assert_eq!(on, serde_json::json!([true, false]), "the dialog opens with focus on Cancel");
    // Escape closes it and hands focus back to the ⋯ button that opened it.
    press_escape(&client, 1).await;
    let back = client.execute("return document.activeElement.matches('[data-testid=key-menu] summary')", vec![]).await;
    assert_eq!(back.expect("focus"), serde_json::json!(true), "focus is back on the ⋯ button");
    click(&client, "[data-testid=key-menu] summary").await;
    click(&client, "[data-testid=key-action-revoke]").await;
    css(&client, "#action-dialog[open] [data-testid=confirm-revoke]").await;
    screenshot(&client, "14-revoke-dialog").await;
    click(&client, "#action-dialog [data-testid=confirm-button]").await;
    let row = css(&client, "tr[data-testid=key-row][data-status=revoked]").await;
    assert_eq!(row.attr("class").await.expect("attr").as_deref(), Some("row-muted"));
    screenshot(&client, "15-key-revoked").await;
    let (status, body, _) = ping(&app, &secret).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"));

    // Back and reload never show the secret again.
    client.back().await.expect("back");
    assert!(!client.source().await.expect("source").contains(&secret));
    client.close().await.expect("close browser");
}

#[tokio::test]
async fn add_a_webhook_copy_its_secret_and_send_a_test() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(200, "{\"received\":true}", std::time::Duration::ZERO);
    let (_driver, client) = start_browser(false).await;
    client.goto(&format!("{}/login", app.base)).await.expect("open");
    log_in(&client, "owner@acme.test").await;
    click(&client, "[data-testid=nav-webhooks]").await;
    css(&client, "[data-testid=webhooks-empty]").await;
    click(&client, "[data-testid=add-webhook]").await;
    type_into(&client, "#url", &receiver.url).await;
    type_into(&client, "#description", "Warehouse sync").await;
    click(&client, "#event-order\\.created").await;
    screenshot(&client, "16-webhook-form").await;
    click(&client, ".key-form button[type=submit]").await;

    let secret = css(&client, "[data-testid=new-secret]").await.text().await.expect("secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    // Straight after the page loads, before any click.
    secret_survives_escape_and_done_asks_first(&client, &secret).await;
    copy_secret(&client).await;
    screenshot(&client, "17-webhook-secret").await;
    click(&client, "[data-testid=secret-done]").await;

    // Send test runs in place (no reload) and shows the receiver's answer.
    let before = path(&client).await;
    click(&client, "[data-testid=send-test]").await;
    let panel = css(&client, "[data-testid=webhook-test-result]").await;
    assert_eq!(panel.attr("data-status-code").await.expect("attr").as_deref(), Some("200"));
    assert!(panel.text().await.expect("text").contains("{\"received\":true}"));
    assert_eq!(path(&client).await, before, "no navigation");
    screenshot(&client, "18-webhook-test-panel").await;
    assert_eq!(receiver.received.lock().expect("lock").len(), 1);

    // A real delivery shows in the log; its attempt page shows the request as sent.
    let token = app.make_key("acme", &[], "", Some(0));
    let order = serde_json::json!({"customer_email": "a@b.co"});
    assert_eq!(api(&app, reqwest::Method::POST, "/api/v1/orders", &token, Some(order)).await.0, 201);
    app.drain_deliveries().await;
    client.refresh().await.expect("reload");
    click(&client, "[data-testid=attempt-link]").await;
    css(&client, "tr[data-testid=attempt-request-header][data-name=webhook-signature]").await;
    let body = css(&client, "[data-testid=attempt-request-body-pretty]").await.text().await.expect("body");
    assert!(body.contains("\"type\": \"order.created\""), "indented for reading: {body}");
    // Copy takes the exact bytes sent (the signature covers them), not the indented text.
    click(&client, "[data-testid=copy-request-body]").await;
    css(&client, "[data-testid=copy-request-body][aria-live]").await;
    screenshot(&client, "19-webhook-attempt").await;
    client.close().await.expect("close browser");
}

#[tokio::test]
async fn the_demo_dashboard_shows_banners_and_charts_and_renew_focuses_the_expiry() {
    let app = spawn_app().await;
    latchkey::cli::demo::run(&mut app.conn(), &app.config).expect("demo");
    let (_driver, client) = start_browser(false).await;
    log_in_to_demo(&client, &app.base, "owner@demo.latchkey.test").await;
    css(&client, "[data-testid=dashboard-overview]").await;
    assert_eq!(path(&client).await, "/orgs/demo");
    let banners = client.find_all(Locator::Css("[data-testid=banner-expiring]")).await.expect("banners");
    assert!(banners.len() >= 2, "an expiring and an expired key");
    css(&client, "[data-testid=banner-webhook]").await;
    css(&client, "[data-testid=banner-revoked-use]").await;
    let bars = client.find_all(Locator::Css("svg rect")).await.expect("bars");
    assert!(bars.len() > 30, "the usage chart has data");
    screenshot(&client, "dashboard-demo").await;

    // "Renew" opens the key's edit form with the expiry field focused.
    click(&client, "[data-testid=banner-expiring] a[href*=\"focus=expires_at\"]").await;
    css(&client, "input#expires_at").await;
    let focused =
        client.execute("return document.activeElement && document.activeElement.id", vec![]).await.expect("js");
    assert_eq!(focused, serde_json::json!("expires_at"));

    client.goto(&format!("{}/orgs/demo/settings/api-keys", app.base)).await.expect("keys");
    let all = client.find_all(Locator::Css("tr[data-testid=key-row]")).await.expect("rows").len();
    assert_eq!(all, 14, "a dozen sample keys and two of the Billing API");
    screenshot(&client, "keys-demo").await;
    client
        .execute(
            "document.getElementById('state').value = 'attention'; document.querySelector('form.filters').submit();",
            vec![],
        )
        .await
        .expect("filter");
    for _ in 0..50 {
        if client.current_url().await.expect("url").query().is_some_and(|q| q.contains("state=attention")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    css(&client, "option[value=attention][selected]").await;
    let needing = client.find_all(Locator::Css("tr[data-testid=key-row]")).await.expect("rows");
    assert!(!needing.is_empty() && needing.len() < all, "{} of {all} keys need attention", needing.len());
    for row in needing {
        // Expired and rotating show as the state badge; the other marks as small labels.
        let status = row.attr("data-status").await.expect("attr").unwrap_or_default();
        let marks = row.find_all(Locator::Css("[data-testid=health-mark]")).await.expect("marks");
        assert!(!marks.is_empty() || status == "expired" || status == "rotating", "a {status} key without a mark");
    }
    screenshot(&client, "keys-needs-attention-demo").await;

    // Every example in the API documentation has a Copy button, and it copies.
    client.goto(&format!("{}/docs/api", app.base)).await.expect("docs");
    css(&client, ".code-block > .copy-code").await;
    let counts = "return [document.querySelectorAll('pre.code').length, document.querySelectorAll('.code-block > .copy-code + pre.code').length]";
    let counts = client.execute(counts, vec![]).await.expect("counts");
    assert!(counts[0].as_u64() > Some(3) && counts[0] == counts[1], "one button per example: {counts}");
    click(&client, ".copy-code").await;
    css(&client, ".copy-code[aria-live]").await;
    client.close().await.expect("close");
}
