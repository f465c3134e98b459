//! Two-factor journeys in Chromium: set up an authenticator app (the code
//! computed here from the secret the page shows), keep a recovery code, add
//! a passkey through Chromium's virtual authenticator, then log in with each
//! of the three; and an org requirement sending a member without a factor
//! to their account page, where a passkey as their first factor brings
//! recovery codes. The console runs at `http://localhost:PORT`
//! (browsers refuse an IP address as a passkey's domain).

use crate::browser::*;
use crate::support::*;
use fantoccini::{Client, Locator};
use latchkey::domain::second_factor::TotpSecret;

fn at(step_offset: u64) -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap() + step_offset * 30
}

async fn log_out(client: &Client) {
    click(client, ".user-menu summary").await;
    click(client, "[data-testid=logout]").await;
    css(client, "#email").await;
}

async fn password_then_second_step(client: &Client, base: &str, email: &str) {
    client.goto(&format!("{base}/login")).await.expect("login page");
    log_in(client, email).await;
    css(client, "#code").await;
    assert_eq!(path(client).await, "/login/two-factor");
}

#[tokio::test]
async fn authenticator_app_recovery_code_and_passkey_each_log_in() {
    let app = spawn_app_with(|c| {
        let origin = c.public_url.origin().replace("127.0.0.1", "localhost");
        c.public_url = latchkey::infra::config::PublicUrl::parse(&origin, true).expect("url");
    })
    .await;
    let base = app.base.replace("127.0.0.1", "localhost");
    app.seed_acme();
    let (_driver, client) = start_browser(false).await;
    client.goto(&format!("{base}/login")).await.expect("login page");
    log_in(&client, "owner@acme.test").await;
    css(&client, "[data-testid=org-name]").await;

    // The authenticator app: scan (here: read the secret), confirm, keep the recovery codes.
    client.goto(&format!("{base}/account")).await.expect("account");
    click(&client, "[data-testid=manage-two-factor]").await;
    let shown = css(&client, "[data-testid=totp-secret]").await.text().await.expect("secret");
    css(&client, "[data-testid=totp-qr] svg").await;
    screenshot(&client, "two-factor-01-setup").await;
    let secret = TotpSecret::from_base32(&shown).expect("base32");
    type_into(&client, "#code", &secret.code_at(at(0)).unwrap()).await;
    click(&client, "[data-testid=confirm-totp]").await;
    css(&client, "[data-testid=recovery-code]").await;
    let codes = client.find_all(Locator::Css("[data-testid=recovery-code]")).await.expect("codes");
    assert_eq!(codes.len(), 10);
    let recovery = codes[0].text().await.expect("code");
    // Copy says it copied; Print shows once script runs (printing needs it).
    click(&client, "[data-testid=copy-codes]").await;
    css(&client, "[data-testid=copy-codes][aria-live]").await;
    assert!(css(&client, "[data-testid=print-codes]").await.is_displayed().await.expect("shown"));
    screenshot(&client, "two-factor-02-recovery-codes").await;
    click(&client, "[data-testid=codes-done]").await;

    // A passkey, made by Chromium's virtual authenticator.
    add_virtual_authenticator(&client).await;
    client.goto(&format!("{base}/account/two-factor")).await.expect("two-factor page");
    type_into(&client, "#passkey-name", "Virtual key").await;
    click(&client, "[data-testid=add-passkey]").await;
    let row = css(&client, "tr[data-testid=passkey-row][data-name=\"Virtual key\"]").await;
    assert!(row.text().await.expect("text").contains("never"));
    screenshot(&client, "two-factor-03-passkey").await;

    // Log in three ways.
    log_out(&client).await;
    password_then_second_step(&client, &base, "owner@acme.test").await;
    type_into(&client, "#code", &secret.code_at(at(1)).unwrap()).await;
    click(&client, "[data-testid=verify-code]").await;
    css(&client, "[data-testid=org-name]").await;

    log_out(&client).await;
    password_then_second_step(&client, &base, "owner@acme.test").await;
    type_into(&client, "#code", &recovery).await;
    click(&client, "[data-testid=verify-code]").await;
    css(&client, "[data-testid=org-name]").await;

    log_out(&client).await;
    password_then_second_step(&client, &base, "owner@acme.test").await;
    screenshot(&client, "two-factor-04-second-step").await;
    // With a passkey on the account it comes first, and has the focus.
    let first = "const b = document.querySelector('[data-testid=use-passkey]'), c = document.getElementById('code');
                 return [document.activeElement === b, !!(b.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING)];";
    assert_eq!(client.execute(first, vec![]).await.expect("order"), serde_json::json!([true, true]));
    click(&client, "[data-testid=use-passkey]").await;
    css(&client, "[data-testid=org-name]").await;
    let login = events(&app, org_id(&app, "acme")).into_iter().rfind(|e| e.action == "session.login").unwrap();
    assert!(login.details.contains("password+passkey"), "{}", login.details);

    // Sudo mode, with the last confirmation long ago: the passkey stands in for the code.
    let owner = app.user("owner@acme.test");
    let times = SessionTimes { login_ago: 1800, seen_ago: 0, password_ago: 1800 };
    let forged = app.forge_session(owner.id, times, (1800, 0), "csrf-token");
    let value = forged.trim_start_matches("latchkey_session=").to_owned();
    client.delete_all_cookies().await.expect("clear cookies");
    // (WebDriver's add-cookie refuses a `localhost` domain; the page's script may set it.)
    client
        .execute("document.cookie = arguments[0]", vec![serde_json::json!(format!("latchkey_session={value}; path=/"))])
        .await
        .expect("cookie");
    let (key_id, token) =
        app.make_expiring_key("acme", "Sudo by passkey", chrono::Utc::now().naive_utc() + chrono::Duration::days(30));
    client.goto(&format!("{base}/orgs/acme/settings/api-keys/{key_id}/revoke")).await.expect("revoke page");
    css(&client, "#code").await;
    click(&client, "[data-testid=sudo-passkey]").await;
    css(&client, "[role=status]").await;
    assert_eq!(code(&ping(&app, &token).await.1), "revoked_key", "revoked after the passkey confirmed it");

    // The org requires a second factor: a member without one is sent to their account.
    client.goto(&format!("{base}/orgs/acme/settings/security")).await.expect("security");
    click(&client, "[data-testid=require-two-factor]").await;
    click(&client, "[data-testid=save-security]").await;
    css(&client, "[data-testid=notice]").await;
    log_out(&client).await;
    log_in(&client, "member@acme.test").await;
    css(&client, "[data-testid=two-factor-required]").await;
    assert_eq!(path(&client).await, "/account/two-factor", "the page with the one thing to do");
    screenshot(&client, "two-factor-05-required").await;
    // A passkey as the member's first factor comes with recovery codes, shown once.
    type_into(&client, "#passkey-name", "Member key").await;
    click(&client, "[data-testid=add-passkey]").await;
    css(&client, "[data-testid=recovery-code]").await;
    let codes = client.find_all(Locator::Css("[data-testid=recovery-code]")).await.expect("codes");
    assert_eq!(codes.len(), 10, "the first factor of any kind brings recovery codes");
    screenshot(&client, "two-factor-06-passkey-first-codes").await;
    client.close().await.expect("close");
}
