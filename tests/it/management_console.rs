//! The console side of management scopes: the "Management" group of the key
//! form, keys holding one marked "admin key", full access never including
//! one, and a key's API changes shown in the audit log as an API key actor.

use crate::support::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn management_scopes_are_ticked_in_their_own_group_and_mark_an_admin_key() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (status, form) = owner.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(status, 200);
    for scope in ["keys:read", "keys:write", "keys:self_rotate", "webhooks:read", "webhooks:write", "audit:read"] {
        let selector = format!("fieldset input[type=checkbox][name=scopes][value=\"{scope}\"]");
        assert_eq!(count(&form, &selector), 1, "{scope} can be ticked");
    }
    let admin = create_key(&owner, &[("label", "Terraform"), ("scopes", "keys:write")]).await;
    let full = create_key(&owner, &[("label", "Everything")]).await;
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(count(&list, "[data-testid=admin-key]"), 1, "only the key with a management scope is an admin key");
    let (_, detail) = owner.get_html(&format!("{KEYS}/{}", admin.id)).await;
    assert_eq!(count(&detail, "[data-testid=admin-key]"), 1);

    // Full access holds no management scope; the admin key holds what was ticked (write implies read) and no resource scope.
    let (status, body, _) = api(&app, Method::GET, "/api/v1/keys", &full.token, None).await;
    assert_eq!((status, code(&body)), (403, "insufficient_scope"));
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("keys:read"), "{body}");
    let (status, body, _) = api(&app, Method::GET, "/api/v1/keys", &admin.token, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = api(&app, Method::GET, "/api/v1/orders", &admin.token, None).await;
    assert_eq!(status, 403, "a management scope grants no resource");

    // A change the admin key makes shows in the console's log as that key, with its prefix, and the actor filter finds it.
    let (status, _, _) =
        api(&app, Method::PATCH, &format!("/api/v1/keys/{}", full.id), &admin.token, Some(json!({"enabled": false})))
            .await;
    assert_eq!(status, 403, "the admin key cannot change a full-access key: that would be an escalation");
    let (status, made, _) = api(
        &app,
        Method::POST,
        "/api/v1/keys",
        &admin.token,
        Some(json!({"label": "made by the API", "scopes": ["keys:read"]})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let (_, log) = owner.get_html(&format!("/orgs/acme/settings/audit-log?actor={}", admin.id)).await;
    let text = select_all_text(&log, "main").join(" ");
    assert!(text.contains(&format!("API key {}", admin.id)), "the actor is shown as the key");
    assert!(text.contains("api_key.created") || text.contains("API key created"), "{text}");
    assert_eq!(made["created_by"]["type"], "api_key", "created_by names the key: {made}");
    assert_eq!(made["created_by"]["id"], admin.id.as_str());
    let event =
        events(&app, org_id(&app, "acme")).into_iter().rfind(|e| e.action == "api_key.created").expect("audited");
    assert_eq!((event.actor_type.as_str(), event.actor_name.as_deref()), ("api_key", Some(admin.id.as_str())));
    assert!(event.details.contains("\"actor_prefix\":\"lk_"), "{}", event.details);
}

/// A NUL in a free-text filter matches nothing — on PostgreSQL, too, which
/// refuses NUL in any text it is given (the contract test found a 500 here).
#[tokio::test]
async fn a_nul_in_a_text_filter_matches_nothing_instead_of_failing() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, admin) = app.make_scoped_key("acme", "Admin", &["keys:read", "audit:read"]);
    for path in ["/api/v1/audit-events?actor=a%00b", "/api/v1/audit-events?target=%00", "/api/v1/keys?q=x%00"] {
        let (status, body, _) = api(&app, Method::GET, path, &admin, None).await;
        assert_eq!((status, &body["data"]), (200, &json!([])), "{path}: {body}");
    }
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(owner.get("/orgs/acme/settings/audit-log?actor=%00").await.status(), 200);
    assert_eq!(owner.get(&format!("{KEYS}?q=%00")).await.status(), 200);
}
