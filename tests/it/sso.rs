//! Single sign-on against a real OpenID provider (npm oidc-provider) and a
//! real DNS server (dnsmasq) for the domain check (docs/user-guide.md:
//! Single sign-on): the settings, domain proof, just-in-time members with
//! mapped roles, refusals, and "Require SSO" with the owners' break-glass.

use crate::support::*;
use scraper::Html;

const SSO: &str = "/orgs/acme/settings/sso";

/// Saves acme's connection to `provider` as its owner; answers the page after.
async fn connect(owner: &Visitor, provider: &OpenIdProvider, require_sso: bool) {
    let mut fields = vec![
        ("issuer", provider.issuer.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("domains", "example.com, acme.test"),
        ("default_role", "read_only"),
        ("group_claim", "groups"),
        ("group_roles", "admins=admin\ndevs=member"),
    ];
    if require_sso {
        fields.push(("require_sso", "on"));
    }
    let res = owner.post_form(SSO, &fields).await;
    assert_eq!(res.status(), 303, "saved: {}", res.text().await.unwrap_or_default());
}

fn role_of(app: &TestApp, email: &str) -> Option<String> {
    let user =
        latchkey::db::users::find_by_email(&mut app.conn(), &latchkey::domain::Email::parse(email).ok()?).ok()??;
    latchkey::db::orgs::for_user(&mut app.conn(), user.id)
        .expect("orgs")
        .into_iter()
        .find(|(org, _)| org.slug.as_str() == "acme")
        .map(|(_, role)| role.as_str().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proven_domain_lets_people_in_through_the_provider_with_their_mapped_role() {
    let dns_port = free_port();
    let app = spawn_app_with(|config| {
        config.sso.dns_resolver = Some(([127, 0, 0, 1], dns_port).into());
    })
    .await;
    app.seed_acme();
    let provider = OpenIdProvider::start(&format!("{}/sso/callback", app.base)).await;
    let owner = app.logged_in("owner@acme.test").await;

    // A refused form keeps what was typed and says what is wrong next to the field.
    let res = owner
        .post_form(SSO, &[("issuer", "http://idp.example.com"), ("client_id", "x"), ("domains", "not a domain")])
        .await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    for field in ["issuer", "client_secret", "domains"] {
        assert!(select_attr(&html, &format!("#{field}-error"), "id").is_some(), "{field} has its error");
    }
    assert_eq!(select_attr(&html, "#issuer", "value").as_deref(), Some("http://idp.example.com"));

    connect(&owner, &provider, false).await;
    let (status, page) = owner.get_html(SSO).await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&page, "#issuer", "value"), Some(provider.issuer.clone()));
    assert_eq!(select_attr(&page, "#client_secret", "value").as_deref(), Some(""), "the secret is never shown");
    let stored = latchkey::db::sso::connection(&mut app.conn(), org_id(&app, "acme")).expect("q").expect("saved");
    assert!(!stored.client_secret_sealed.contains(CLIENT_SECRET), "the secret is sealed at rest");

    // The stored secret goes only to the provider it was given for.
    let moved = [
        ("issuer", "https://elsewhere.example"),
        ("client_id", CLIENT_ID),
        ("domains", "example.com"),
        ("default_role", "member"),
    ];
    let res = owner.post_form(SSO, &moved).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("body").contains("needs its client secret entered again"));

    // Until the domain is proven, an address there routes nowhere.
    let visitor = app.visitor();
    assert_eq!(sso_start(&visitor, "email=alice@example.com").await.status(), 404);
    assert_eq!(
        visitor.post_raw("/sso/start", &[("org", "acme")]).await.status(),
        403,
        "no login starts without the CSRF token"
    );
    assert_eq!(visitor.get("/sso/start?email=alice@example.com").await.status(), 404, "nor by link");
    // A login another site starts in this browser stops at the login page's button.
    let res = visitor
        .http
        .get(format!("{}/sso/start?org=acme", app.base))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(select_attr(&html, "[data-testid=sso-org-form] input[name=org]", "value").as_deref(), Some("acme"));
    assert_eq!(owner.post_form(&format!("{SSO}/domains"), &[("domain", "example.com")]).await.status(), 303);
    let (_, page) = owner.get_html(SSO).await;
    let txt = select_all_text(&page, "[data-testid=txt-value]").pop().expect("the TXT value to publish");
    assert!(txt.starts_with("latchkey-verification="), "{txt}");
    let verify = format!("{SSO}/domains/example.com/verify");
    {
        let _wrong = Dnsmasq::start(dns_port, "example.com", &[("example.com", "latchkey-verification=someone-else")]);
        let res = owner.post_form(&verify, &[]).await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.expect("body").contains("No TXT record"));
    }
    let _dns = Dnsmasq::start(dns_port, "example.com", &[("example.com", &txt)]);
    assert_eq!(owner.post_form(&verify, &[]).await.status(), 303);
    let (_, page) = owner.get_html(SSO).await;
    assert_eq!(count(&page, "[data-testid=domain-verified]"), 1);

    // Alice's first login makes her a member, with the role her groups map to.
    let alice = app.visitor();
    let done = sso_login(&alice, "email=alice@example.com", "alice").await;
    assert_eq!(done.status(), 303, "{}", done.text().await.unwrap_or_default());
    assert_eq!(alice.get("/orgs/acme").await.status(), 200, "signed in, and a member");
    assert_eq!(role_of(&app, "alice@example.com").as_deref(), Some("admin"));
    assert_eq!(app.visitor().login("alice@example.com", "!sso").await.status(), 401, "no password to guess");
    let log = events(&app, org_id(&app, "acme"));
    let provisioned = log.iter().find(|e| e.action == "member.provisioned").expect("member.provisioned");
    assert!(provisioned.details.contains(r#""role":"admin""#), "{}", provisioned.details);
    let login = log.iter().rev().find(|e| e.action == "session.login").expect("session.login");
    assert!(login.details.contains(r#""method":"sso""#), "{}", login.details);
    assert!(log.iter().any(|e| e.action == "sso.connection_changed" && !e.details.contains(CLIENT_SECRET)));
    assert!(log.iter().any(|e| e.action == "sso.domain_added"));
    assert!(log.iter().any(|e| e.action == "sso.domain_verified"));

    // By organisation too (the login box takes a slug); Dave's groups map to member.
    let dave = app.visitor();
    assert_eq!(sso_login(&dave, "email=acme", "dave").await.status(), 303);
    assert_eq!(role_of(&app, "dave@example.com").as_deref(), Some("member"));

    // A later login follows a changed mapping: admins now read-only, so Alice's devs group (member) wins.
    let fields = [
        ("issuer", provider.issuer.as_str()),
        ("client_id", CLIENT_ID),
        ("domains", "example.com"),
        ("default_role", "read_only"),
        ("group_claim", "groups"),
        ("group_roles", "admins=read_only\ndevs=member"),
    ];
    assert_eq!(owner.post_form(SSO, &fields).await.status(), 303, "saved without retyping the secret");
    let alice_again = app.visitor();
    assert_eq!(sso_login(&alice_again, "org=acme", "alice").await.status(), 303);
    assert_eq!(role_of(&app, "alice@example.com").as_deref(), Some("member"));

    // An address the provider does not vouch for, or outside the proven domains, gets nothing.
    let bob = app.visitor();
    let res = sso_login(&bob, "org=acme", "bob").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.expect("body").contains("email_verified"));
    let carol = app.visitor();
    let res = sso_login(&carol, "org=acme", "carol").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.expect("body").contains("not a domain this organisation proved"));
    assert_eq!(role_of(&app, "carol@elsewhere.test"), None);

    // A callback that this browser did not start is refused, as is one replayed.
    let stranger = app.visitor();
    assert_eq!(stranger.get("/sso/callback?code=x&state=y").await.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_sso_refuses_members_passwords_but_keeps_the_owners_break_glass() {
    let app = spawn_app().await;
    let org = app.seed_acme(); // member@acme.test is a member with a password
    let provider = OpenIdProvider::start(&format!("{}/sso/callback", app.base)).await;
    let owner = app.logged_in("owner@acme.test").await;
    connect(&owner, &provider, true).await;

    let refused = app.visitor();
    let res = refused.login("member@acme.test", PASSWORD).await;
    assert_eq!(res.status(), 403);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert!(select_all_text(&html, "[data-testid=sso-error]").concat().contains("requires single sign-on"));
    assert_eq!(select_attr(&html, "[data-testid=sso-org-form] input[name=org]", "value").as_deref(), Some("acme"));
    assert_eq!(refused.get("/orgs/acme").await.status(), 303, "not signed in");

    // acme's provider cannot speak for an address at a domain acme did not prove, even a member's.
    let outsider = app.user("outsider@other.test");
    app.add_member(&org, &outsider, latchkey::domain::Role::Member);
    let res = sso_login(&app.visitor(), "org=acme", "outsider").await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.expect("body").contains("not a domain this organisation proved"));

    // At a proven domain (acme.test, proven here straight in the database), the member signs in through the provider.
    let domain_added = latchkey::db::sso::add_domain(&mut app.conn(), org.id, "acme.test", "token").expect("domain");
    assert!(domain_added);
    let row = latchkey::db::sso::domain(&mut app.conn(), org.id, "acme.test").expect("q").expect("row");
    latchkey::db::sso::mark_verified(&mut app.conn(), row.id).expect("verified");
    let res = sso_login(&refused, "org=acme", "member").await;
    assert_eq!(res.status(), 303);
    assert_eq!(refused.get("/orgs/acme").await.status(), 200);

    // The owner's password still works, recorded as the break-glass way in.
    let owner_again = app.visitor();
    assert_eq!(owner_again.login("owner@acme.test", PASSWORD).await.status(), 303);
    let log = events(&app, org.id);
    let glass = log.iter().rev().find(|e| e.action == "session.login").expect("session.login");
    assert!(glass.details.contains(r#""break_glass":true"#), "{}", glass.details);
}
