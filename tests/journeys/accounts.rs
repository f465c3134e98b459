//! Account journeys: changing a password (another browser's session ends),
//! resetting a forgotten one through the mailed link, and inviting people —
//! accept as a new account, and a revoked invitation's link failing.

use crate::browser::*;
use crate::support::*;
use fantoccini::Locator;

const NEWER: &str = "a much newer passphrase";
const NEWEST: &str = "the newest passphrase yet";

#[tokio::test]
async fn change_the_password_then_reset_a_forgotten_one() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_driver_a, here) = start_browser(false).await;
    let (_driver_b, elsewhere) = start_browser(false).await;
    for client in [&here, &elsewhere] {
        client.goto(&format!("{}/login", app.base)).await.expect("login page");
        log_in(client, "owner@acme.test").await;
        css(client, "[data-testid=org-name]").await;
    }

    // Through the user menu to the account page: two sessions, this one marked.
    click(&here, ".user-menu summary").await;
    click(&here, "[data-testid=menu-account]").await;
    assert_eq!(path(&here).await, "/account");
    assert_eq!(here.find_all(Locator::Css("tr[data-testid=session-row]")).await.expect("rows").len(), 2);
    css(&here, "tr[data-testid=session-row][data-current=true] .badge").await;
    screenshot(&here, "account-01-page").await;

    // A wrong current password is explained next to the field.
    type_into(&here, "#current_password", "not my password").await;
    type_into(&here, "#new_password", NEWER).await;
    click(&here, "[data-testid=change-password]").await;
    let error = css(&here, "#current_password-error").await.text().await.expect("text");
    assert_eq!(error, "That is not your current password.");
    type_into(&here, "#current_password", PASSWORD).await;
    type_into(&here, "#new_password", NEWER).await;
    click(&here, "[data-testid=change-password]").await;
    let notice = css(&here, "[data-testid=notice]").await.text().await.expect("text");
    assert!(notice.contains("Password changed"), "{notice}");
    assert_eq!(here.find_all(Locator::Css("tr[data-testid=session-row]")).await.expect("rows").len(), 1);
    screenshot(&here, "account-02-changed").await;

    // The other browser's session has ended.
    elsewhere.goto(&format!("{}/orgs/acme", app.base)).await.expect("reload");
    css(&elsewhere, "#email").await;
    assert_eq!(path(&elsewhere).await, "/login");

    // Forgot it already: the reset link arrives by mail.
    click(&elsewhere, "[data-testid=forgot-password]").await;
    type_into(&elsewhere, "#email", "owner@acme.test").await;
    click(&elsewhere, "button[type=submit]").await;
    css(&elsewhere, "[data-testid=reset-sent]").await;
    screenshot(&elsewhere, "account-03-reset-sent").await;
    let token = app.wait_for_link("owner@acme.test", 2, "lkr_").await;
    elsewhere.goto(&format!("{}/password-reset/{token}", app.base)).await.expect("open link");
    type_into(&elsewhere, "#new_password", NEWEST).await;
    click(&elsewhere, "button[type=submit]").await;
    let notice = css(&elsewhere, "[data-testid=notice]").await.text().await.expect("text");
    assert!(notice.contains("reset"), "{notice}");
    assert_eq!(path(&elsewhere).await, "/login");
    type_into(&elsewhere, "#email", "owner@acme.test").await;
    type_into(&elsewhere, "#password", NEWEST).await;
    click(&elsewhere, "button[type=submit]").await;
    css(&elsewhere, "[data-testid=org-name]").await;

    // The reset ended the first browser's session too; the link is spent.
    here.goto(&format!("{}/account", app.base)).await.expect("reload");
    css(&here, "#email").await;
    here.goto(&format!("{}/password-reset/{token}", app.base)).await.expect("open again");
    css(&here, "[data-testid=link-invalid]").await;
    here.close().await.expect("close");
    elsewhere.close().await.expect("close");
}

#[tokio::test]
async fn invite_a_colleague_who_accepts_and_revoke_another_invitation() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_driver_a, owner) = start_browser(false).await;
    owner.goto(&format!("{}/login", app.base)).await.expect("login page");
    log_in(&owner, "owner@acme.test").await;
    click(&owner, "[data-testid=nav-members]").await;
    for email in ["grace@example.com", "mallory@example.com"] {
        type_into(&owner, "#email", email).await;
        css(&owner, "#role").await.select_by_value("admin").await.expect("select");
        click(&owner, "[data-testid=add-member]").await;
        css(&owner, &format!("tr[data-testid=invitation-row][data-email=\"{email}\"]")).await;
    }
    screenshot(&owner, "invite-01-pending").await;
    let mallory = css(&owner, "tr[data-testid=invitation-row][data-email=\"mallory@example.com\"]").await;
    mallory.find(Locator::Css("[data-testid=revoke-invitation]")).await.expect("revoke").click().await.expect("click");
    // The page after the POST, not the one still on screen while it loads: wait for the row to go.
    let mut rows = 2;
    for _ in 0..50 {
        rows = owner.find_all(Locator::Css("tr[data-testid=invitation-row]")).await.expect("rows").len();
        if rows == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(rows, 1, "the revoked invitation is gone");
    css(&owner, "[role=status]").await;

    let (_driver_b, grace) = start_browser(false).await;
    let token = app.wait_for_link("grace@example.com", 1, "lki_").await;
    grace.goto(&format!("{}/invitations/{token}", app.base)).await.expect("open invitation");
    assert_eq!(css(&grace, "[data-testid=invitation-role]").await.text().await.expect("text"), "Admin");
    screenshot(&grace, "invite-02-accept").await;
    type_into(&grace, "#name", "Grace Hopper").await;
    type_into(&grace, "#password", PASSWORD).await;
    click(&grace, "[data-testid=accept-invitation]").await;
    css(&grace, "[data-testid=org-name]").await;
    assert_eq!(path(&grace).await, "/orgs/acme");
    css(&grace, "[data-testid=nav-api-keys]").await; // an admin's navigation
    screenshot(&grace, "invite-03-landed").await;

    let revoked = app.wait_for_link("mallory@example.com", 1, "lki_").await;
    grace.goto(&format!("{}/invitations/{revoked}", app.base)).await.expect("open revoked");
    css(&grace, "[data-testid=link-invalid]").await;
    owner.close().await.expect("close");
    grace.close().await.expect("close");
}
