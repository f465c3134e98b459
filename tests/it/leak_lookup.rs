//! Settings → API keys → Look up a token (docs/user-guide.md: Leak response): owners
//! and admins paste a token (POST, with the CSRF token) and learn which key
//! of their organisation it is — state and a Revoke link — or that none
//! matches (another organisation's key, a deleted key); a malformed token is
//! refused (422) before any lookup. Every lookup is audited as
//! `api_key.looked_up`; the token is never echoed into the page or stored.

use crate::support::*;
use scraper::Html;

const LOOKUP: &str = "/orgs/acme/settings/api-keys/lookup";

/// The same token with its last character (part of the checksum) changed.
pub(crate) fn tampered(token: &str) -> String {
    let last = token.chars().last().expect("a token");
    let other = if last == 'A' { 'B' } else { 'A' };
    format!("{}{other}", &token[..token.len() - 1])
}

/// A well-formed token (right shape and checksum) that no key has.
pub(crate) fn unknown_token() -> String {
    latchkey::domain::token::ApiKeySecret::generate(&Default::default()).expose().to_owned()
}

/// POSTs `token` to the lookup form: (status, raw HTML, parsed page).
async fn look_up(visitor: &Visitor, token: &str) -> (u16, String, Html) {
    let res = visitor.post_form(LOOKUP, &[("token", token)]).await;
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let html = Html::parse_document(&text);
    (status, text, html)
}

fn lookups(app: &TestApp) -> Vec<latchkey::db::audit_events::StoredEvent> {
    events(app, org_id(app, "acme")).into_iter().filter(|e| e.action == "api_key.looked_up").collect()
}

fn details(event: &latchkey::db::audit_events::StoredEvent) -> serde_json::Value {
    serde_json::from_str(&event.details).expect("details are JSON")
}

#[tokio::test]
async fn owners_and_admins_look_up_a_token_and_see_its_key_with_a_revoke_link() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let key = create_key(&owner, &[("label", "Found in a log")]).await;

    let (status, form) = owner.get_html(LOOKUP).await;
    assert_eq!(status, 200);
    assert_eq!(count(&form, "form[data-testid=lookup-form] input[name=token]"), 1);
    assert_eq!(count(&form, "[data-testid=lookup-result]"), 0, "nothing looked up yet");
    assert!(lookups(&app).is_empty(), "opening the form is no lookup");

    let (status, text, html) = look_up(&owner, &key.token).await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-found").as_deref(), Some("true"));
    assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-key-id"), Some(key.id.clone()));
    assert_eq!(select_all_text(&html, "[data-testid=lookup-result] [data-testid=key-state]"), vec!["active"]);
    assert!(select_all_text(&html, "[data-testid=lookup-result] h2")[0].contains("Found in a log"));
    let revoke = select_attr(&html, "[data-testid=lookup-revoke]", "href").expect("a Revoke link for a live key");
    assert_eq!(revoke, format!("{KEYS}/{}/revoke", key.id));
    assert_eq!(owner.get(&revoke).await.status(), 200, "the link opens the revoke confirmation");
    assert!(!text.contains(&key.token), "the token is not echoed back into the page");

    let audited = lookups(&app);
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].target_id.as_deref(), Some(key.id.as_str()));
    assert_eq!(audited[0].actor_email.as_deref(), Some("owner@acme.test"));
    assert_eq!(details(&audited[0])["found"], true);
    assert!(!audited[0].details.contains(&key.token), "the token is not in the audit details");

    // An admin may look up too; once the key is revoked it shows so, without a Revoke link.
    let admin = app.logged_in("admin@acme.test").await;
    assert_eq!(admin.get(LOOKUP).await.status(), 200);
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/revoke", key.id), &[]).await.status(), 303);
    let (status, text, html) = look_up(&admin, &key.token).await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-found").as_deref(), Some("true"));
    assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-key-id"), Some(key.id.clone()));
    assert_eq!(select_all_text(&html, "[data-testid=lookup-result] [data-testid=key-state]"), vec!["revoked"]);
    assert_eq!(count(&html, "[data-testid=lookup-revoke]"), 0, "a revoked key has nothing to revoke");
    assert!(!text.contains(&key.token));
    let audited = lookups(&app);
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[1].actor_email.as_deref(), Some("admin@acme.test"));
    assert_eq!(audited[1].target_id.as_deref(), Some(key.id.as_str()));
}

#[tokio::test]
async fn members_may_not_look_up_and_other_organisations_see_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, token) = app.make_scoped_key("acme", "Secret", &[]);
    let member = app.logged_in("member@acme.test").await;
    assert_eq!(member.get(LOOKUP).await.status(), 403);
    assert_eq!(member.post_form(LOOKUP, &[("token", &token)]).await.status(), 403);
    let readonly = app.logged_in("readonly@acme.test").await;
    assert_eq!(readonly.get(LOOKUP).await.status(), 403);
    let outsider = app.logged_in("outsider@other.test").await;
    assert_eq!(outsider.get(LOOKUP).await.status(), 404);
    let res = outsider.post_form(LOOKUP, &[("token", &token)]).await;
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.expect("body").contains("Secret"));
    assert_eq!(app.visitor().get(LOOKUP).await.status(), 303, "anonymous visitors are sent to log in");
    assert!(lookups(&app).is_empty(), "a refused lookup is no lookup");

    // Without the form's CSRF token nothing is looked up.
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(owner.post_raw(LOOKUP, &[("token", &token)]).await.status(), 403);
    assert!(lookups(&app).is_empty());
}

#[tokio::test]
async fn another_organisations_key_a_deleted_key_and_an_unknown_token_are_not_found() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (other_id, other_token) = app.make_scoped_key("other", "Theirs", &[]);
    let deleted = create_key(&owner, &[("label", "Gone")]).await;
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/delete", deleted.id), &[]).await.status(), 303);

    for (what, token) in [
        ("another org's key", other_token.clone()),
        ("a deleted key", deleted.token.clone()),
        ("no key", unknown_token()),
    ] {
        let (status, text, html) = look_up(&owner, &token).await;
        assert_eq!(status, 200, "{what}");
        assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-found").as_deref(), Some("false"), "{what}");
        assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-key-id"), None, "{what}");
        assert_eq!(count(&html, "[data-testid=lookup-revoke]"), 0, "{what}");
        assert!(!text.contains(&token), "{what}: the token is not echoed back");
        assert!(!text.contains(&other_id) && !text.contains("Theirs"), "{what}: nothing of the other org shows");
    }
    let audited = lookups(&app);
    assert_eq!(audited.len(), 3);
    for event in &audited {
        assert_eq!(details(event)["found"], false);
        assert_eq!(event.target_id, None, "nothing found, no target");
        assert!(!event.details.contains(&other_token) && !event.details.contains(&deleted.token));
    }
    let theirs = events(&app, org_id(&app, "other"));
    assert!(theirs.iter().all(|e| e.action != "api_key.looked_up"), "the other org's log has no lookup");
    // The other org's key is untouched.
    assert_eq!(ping(&app, &other_token).await.0, 200);
}

#[tokio::test]
async fn a_malformed_token_is_refused_before_any_lookup() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, token) = app.make_scoped_key("acme", "Real", &[]);
    let bad_checksum = tampered(&token);
    let truncated = token[..token.len() - 3].to_owned();
    for (what, input) in [
        ("a bad checksum", bad_checksum.as_str()),
        ("a truncated token", truncated.as_str()),
        ("no token", ""),
        ("not a token at all", "hello world"),
    ] {
        let (status, text, html) = look_up(&owner, input).await;
        assert_eq!(status, 422, "{what}");
        assert_eq!(count(&html, "[data-testid=form-error]"), 1, "{what}");
        assert_eq!(count(&html, "[data-testid=lookup-result]"), 0, "{what}");
        assert_eq!(select_attr(&html, "input[name=token]", "aria-invalid").as_deref(), Some("true"), "{what}");
        if !input.is_empty() {
            assert!(!text.contains(input), "{what}: the input is not echoed back");
        }
    }
    assert!(lookups(&app).is_empty(), "a malformed token is not looked up (nor audited)");
    // White space around a pasted token is forgiven.
    let (status, _, html) = look_up(&owner, &format!("  {token}\n")).await;
    assert_eq!(status, 200);
    assert_eq!(select_attr(&html, "[data-testid=lookup-result]", "data-found").as_deref(), Some("true"));
}
