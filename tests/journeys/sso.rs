//! The single sign-on journey in a real browser (docs/user-guide.md: Single
//! sign-on): an owner connects the organisation to a real OpenID provider
//! and proves its domain through dnsmasq; a colleague signs in through the
//! provider's own login and consent pages and lands in the organisation
//! with the role their groups map to; with "Require SSO" on, a member's
//! password is refused with a way to the provider.

use crate::browser::*;
use crate::support::*;

#[tokio::test]
async fn connect_prove_sign_in_through_the_provider_then_require_it() {
    let dns_port = free_port();
    let app = spawn_app_with(|config| config.sso.dns_resolver = Some(([127, 0, 0, 1], dns_port).into())).await;
    app.seed_acme();
    let provider = OpenIdProvider::start(&format!("{}/sso/callback", app.base)).await;
    let (_driver, owner) = start_browser(false).await;
    owner.goto(&format!("{}/login", app.base)).await.expect("login page");
    log_in(&owner, "owner@acme.test").await;
    css(&owner, "[data-testid=org-name]").await;

    // Security → Single sign-on: the connection, then the domain.
    owner.goto(&format!("{}/orgs/acme/settings/security", app.base)).await.expect("security");
    click(&owner, "[data-testid=sso-settings]").await;
    type_into(&owner, "#issuer", &provider.issuer).await;
    type_into(&owner, "#client_id", CLIENT_ID).await;
    type_into(&owner, "#client_secret", CLIENT_SECRET).await;
    type_into(&owner, "#domains", "example.com").await;
    type_into(&owner, "#group_claim", "groups").await;
    type_into(&owner, "#group_roles", "admins=admin").await;
    click(&owner, "[data-testid=save-sso]").await;
    css(&owner, "[data-testid=notice]").await;
    type_into(&owner, "#domain", "example.com").await;
    click(&owner, "[data-testid=add-domain]").await;
    let txt = css(&owner, "[data-testid=txt-value]").await.text().await.expect("the TXT value");
    let _dns = Dnsmasq::start(dns_port, "example.com", &[("example.com", &txt)]);
    click(&owner, "[data-testid=verify-domain]").await;
    css(&owner, "[data-testid=domain-verified]").await;
    screenshot(&owner, "sso-01-settings").await;

    // Alice signs in with her work address, through the provider's login and consent pages.
    let (_driver_b, alice) = start_browser(false).await;
    alice.goto(&format!("{}/login", app.base)).await.expect("login page");
    type_into(&alice, "#sso-email", "alice@example.com").await;
    click(&alice, "[data-testid=sso-start]").await;
    type_into(&alice, "input[name=login]", "alice").await;
    type_into(&alice, "input[name=password]", "anything").await;
    click(&alice, "button[type=submit]").await;
    css(&alice, "input[name=prompt][value=consent]").await;
    click(&alice, "button[type=submit]").await;
    css(&alice, "[data-testid=org-name]").await;
    assert!(path(&alice).await.starts_with("/orgs/acme"), "{}", path(&alice).await);
    screenshot(&alice, "sso-02-signed-in").await;
    let alice_user = app.user("alice@example.com");
    let role = latchkey::db::orgs::for_user(&mut app.conn(), alice_user.id).expect("orgs");
    assert_eq!(role.first().map(|(_, r)| r.as_str()), Some("admin"), "her group maps to admin");

    // Require SSO: a member's password is refused, with the way to the provider.
    owner.goto(&format!("{}/orgs/acme/settings/sso", app.base)).await.expect("sso page");
    click(&owner, "[data-testid=require-sso]").await;
    click(&owner, "[data-testid=save-sso]").await;
    css(&owner, "[data-testid=notice]").await;
    let (_driver_c, member) = start_browser(false).await;
    member.goto(&format!("{}/login", app.base)).await.expect("login page");
    log_in(&member, "member@acme.test").await;
    let said = css(&member, "[data-testid=sso-error]").await.text().await.expect("text");
    assert!(said.contains("requires single sign-on"), "{said}");
    css(&member, "[data-testid=sso-org-start]").await;
    screenshot(&member, "sso-03-required").await;
}
