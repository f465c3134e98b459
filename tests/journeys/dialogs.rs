//! The key list's action dialog when the server refuses: a wrong password
//! is answered inside the dialog, which stays open, and the right one then
//! revokes with the list's notice shown.

use crate::browser::*;
use crate::support::*;

#[tokio::test]
async fn a_wrong_password_in_the_revoke_dialog_is_answered_in_the_dialog() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.user("owner@acme.test");
    let in_30_days = chrono::Utc::now().naive_utc() + chrono::Duration::days(30);
    let (key_id, token) = app.make_expiring_key("acme", "Asked again", in_30_days);
    // Logged in half an hour ago: revoking asks for the password again.
    let times = SessionTimes { login_ago: 1800, seen_ago: 0, password_ago: 1800 };
    let cookie = app.forge_session(owner.id, times, (1800, 0), "csrf-token");
    let (_driver, client) = start_browser(false).await;
    client.goto(&format!("{}/login", app.base)).await.expect("origin");
    // The login page's own (HttpOnly) session cookie would shadow the forged one.
    client.delete_all_cookies().await.expect("clear cookies");
    let value = cookie.trim_start_matches("latchkey_session=").to_owned();
    let set = "document.cookie = arguments[0]";
    client.execute(set, vec![serde_json::json!(format!("latchkey_session={value}; path=/"))]).await.expect("cookie");
    client.goto(&format!("{}/orgs/acme/settings/api-keys", app.base)).await.expect("keys");
    click(&client, &format!("tr[data-key-id={key_id}] [data-testid=key-menu] summary")).await;
    click(&client, &format!("tr[data-key-id={key_id}] [data-testid=key-action-revoke]")).await;
    type_into(&client, "#action-dialog #password", "not my password").await;
    click(&client, "#action-dialog [data-testid=confirm-button]").await;
    // The refusal comes back into the dialog, which stays open on the same page.
    let error = css(&client, "#action-dialog #password-error").await.text().await.expect("error");
    assert!(!error.is_empty());
    assert_eq!(path(&client).await, "/orgs/acme/settings/api-keys");
    let open = client.execute("return document.getElementById('action-dialog').open", vec![]).await;
    assert_eq!(open.expect("open"), serde_json::json!(true));
    screenshot(&client, "revoke-dialog-wrong-password").await;
    type_into(&client, "#action-dialog #password", PASSWORD).await;
    click(&client, "#action-dialog [data-testid=confirm-button]").await;
    css(&client, &format!("tr[data-key-id={key_id}][data-status=revoked]")).await;
    let notice = css(&client, ".alert-success[role=status]").await.text().await.expect("notice");
    assert!(notice.starts_with("Key revoked."), "the list still says what happened: {notice}");
    assert_eq!(code(&ping(&app, &token).await.1), "revoked_key");
    client.close().await.expect("close");
}
