//! Leak response in the browser: a token turns up somewhere it should not
//! be; the owner pastes it into Look up, finds the key, revokes it from the
//! result, and reads what the key did in its request log.

use crate::browser::*;
use crate::support::*;
use fantoccini::Locator;
use std::time::Duration;

#[tokio::test]
async fn paste_a_leaked_token_find_the_key_revoke_it_and_read_its_requests() {
    let app = spawn_app().await;
    app.seed_acme();
    let (key_id, token) = app.make_scoped_key("acme", "Warehouse sync", &["orders:read"]);
    assert_eq!(ping(&app, &token).await.0, 200, "the leaked key works, for now");
    let (_driver, client) = start_browser(false).await;
    client.goto(&format!("{}/login", app.base)).await.expect("open");
    log_in(&client, "owner@acme.test").await;
    click(&client, "[data-testid=nav-api-keys]").await;
    click(&client, "[data-testid=lookup-link]").await;
    assert_eq!(path(&client).await, "/orgs/acme/settings/api-keys/lookup");
    screenshot(&client, "leak-01-lookup").await;

    // A mangled token is a form error, next to the field.
    let mangled = format!("{}x", &token[..token.len() - 1]);
    type_into(&client, "#token", &mangled).await;
    click(&client, "[data-testid=lookup-submit]").await;
    css(&client, "#token-error").await;
    assert!(client.find_all(Locator::Css("[data-testid=lookup-result]")).await.expect("find").is_empty());

    // The real one finds the key, and the page never shows the token back.
    type_into(&client, "#token", &token).await;
    click(&client, "[data-testid=lookup-submit]").await;
    let result = css(&client, "[data-testid=lookup-result][data-found=true]").await;
    assert_eq!(result.attr("data-key-id").await.expect("attr").as_deref(), Some(key_id.as_str()));
    assert!(!client.source().await.expect("source").contains(&token), "the token is not echoed");
    screenshot(&client, "leak-02-found").await;

    click(&client, "[data-testid=lookup-revoke]").await;
    click(&client, "[data-testid=confirm-button]").await;
    css(&client, "tr[data-testid=key-row][data-status=revoked]").await;
    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"), "revoked from the lookup");

    // What did it do? Its request log has the served call and the refused one.
    client.goto(&format!("{}/orgs/acme/settings/api-keys/{key_id}", app.base)).await.expect("key page");
    let logged = eventually_async(Duration::from_secs(5), || async {
        app.flush_request_log().await;
        let conn = &mut app.conn();
        latchkey::db::request_log::page(conn, row_id(&app, &key_id), &Default::default(), None, 10)
            .map(|rows| rows.len() >= 2)
            .unwrap_or(false)
    })
    .await;
    assert!(logged, "both requests are logged within seconds");
    client.refresh().await.expect("reload");
    css(&client, "tr[data-testid=request-row][data-status=\"200\"]").await;
    css(&client, "tr[data-testid=request-row][data-status=\"401\"]").await;
    screenshot(&client, "leak-03-requests").await;
}

fn row_id(app: &TestApp, key_id: &str) -> i64 {
    let org = org_id(app, "acme");
    latchkey::db::api_keys::find(&mut app.conn(), org, key_id).expect("query").expect("key").id
}
