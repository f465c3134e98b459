//! SCIM 2.0 provisioning (docs/user-guide.md: SCIM provisioning): PyPI
//! scim2-tester against `/scim/v2`, and deprovisioning — a member set
//! inactive loses the membership and their session at its next request,
//! the keys they made are marked, and the organisation hears of it.

use crate::support::*;
use scraper::Html;

/// An owner of acme makes a SCIM token in the console; answers it.
async fn scim_token(owner: &Visitor) -> String {
    let res = owner.post_form("/orgs/acme/settings/sso/scim-token", &[]).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.expect("body"));
    select_all_text(&html, "[data-testid=new-secret]").pop().expect("the token, shown once")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_tester_finds_the_users_endpoint_conformant() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let token = scim_token(&owner).await;
    let (base, token) = (format!("{}/scim/v2", app.base), token.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/scim_check.py"))
            .args([&base, &token])
            .output()
            .expect("python3 (scripts/bootstrap installs scim2-tester)")
    })
    .await
    .expect("task");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains(" 0 failed"), "{said}");
}

async fn scim(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = api_client().request(method, format!("{}/scim/v2{path}", app.base)).bearer_auth(token);
    if let Some(body) = body {
        request = request.header("content-type", "application/scim+json").body(body.to_string());
    }
    let res = request.send().await.expect("scim");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deprovisioned_member_loses_access_at_once_and_their_keys_are_marked() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let token = scim_token(&owner).await;
    let receiver = Receiver::start(200, "ok", std::time::Duration::ZERO);
    add_webhook(&owner, "acme", &receiver.url, &["member.deprovisioned"]).await;
    // The admin makes a key, and is signed in elsewhere.
    let admin = app.logged_in("admin@acme.test").await;
    let key = create_key(&admin, &[("label", "made by the leaver")]).await;
    assert_eq!(admin.get("/orgs/acme").await.status(), 200);

    // Only the organisation's token opens SCIM, and only its own members are Users.
    assert_eq!(scim(&app, reqwest::Method::GET, "/Users", "lks_wrong", None).await.0, 401);
    let outsider = app.user("outsider@other.test").id.get();
    assert_eq!(scim(&app, reqwest::Method::GET, &format!("/Users/{outsider}"), &token, None).await.0, 404);
    // Someone else's account is not taken over by naming its address (an invitation is the way).
    let squat = serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "outsider@other.test"});
    let (status, refused) = scim(&app, reqwest::Method::POST, "/Users", &token, Some(squat)).await;
    assert_eq!((status, refused["scimType"].as_str()), (409, Some("uniqueness")), "{refused}");
    let (status, found) =
        scim(&app, reqwest::Method::GET, "/Users?filter=userName%20eq%20%22ADMIN@acme.test%22", &token, None).await;
    assert_eq!((status, found["totalResults"].as_i64()), (200, Some(1)), "{found}");
    let id = found["Resources"][0]["id"].as_str().expect("id").to_owned();

    // The provider sets the admin inactive.
    let patch = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, user) = scim(&app, reqwest::Method::PATCH, &format!("/Users/{id}"), &token, Some(patch)).await;
    assert_eq!((status, user["active"].as_bool()), (200, Some(false)), "{user}");
    assert_eq!(admin.get("/orgs/acme").await.status(), 303, "the session ended with the next request");
    assert_eq!(app.visitor().login("admin@acme.test", PASSWORD).await.status(), 303, "the account remains");
    let relogged = app.logged_in("admin@acme.test").await;
    assert_eq!(relogged.get("/orgs/acme").await.status(), 404, "no longer a member");

    // The key still works, and says who made it is gone; the dashboard and the webhook say so too.
    let (_, list) = owner.get_html("/orgs/acme/settings/api-keys").await;
    let row = select_all_text(&list, &format!("tr[data-key-id=\"{}\"] [data-testid=health-mark]", key.id)).concat();
    assert!(row.contains("deprovisioned creator"), "{row}");
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    assert_eq!(count(&dashboard, "[data-testid=banner-deprovisioned]"), 1);
    app.drain_deliveries().await;
    let got = receiver.got();
    let event: serde_json::Value = serde_json::from_slice(&got.last().expect("the event arrived").1).expect("json");
    assert_eq!(event["type"], "member.deprovisioned");
    assert_eq!(event["data"]["user"]["email"], "admin@acme.test");
    assert_eq!(event["data"]["keys"][0], key.id.as_str());
    let log = events(&app, org_id(&app, "acme"));
    assert!(log.iter().any(|e| e.action == "member.deprovisioned"));
    let made = log.iter().find(|e| e.action == "sso.scim_token_created").expect("the token's making is audited");
    assert!(!made.details.contains(&token), "never the token itself");

    // Inactive, the User stays until deleted; then it is gone.
    assert_eq!(scim(&app, reqwest::Method::GET, &format!("/Users/{id}"), &token, None).await.1["active"], false);
    assert_eq!(scim(&app, reqwest::Method::DELETE, &format!("/Users/{id}"), &token, None).await.0, 204);
    assert_eq!(scim(&app, reqwest::Method::GET, &format!("/Users/{id}"), &token, None).await.0, 404);
    // The last owner cannot be deprovisioned.
    let owner_id = app.user("owner@acme.test").id.get();
    let (status, refused) = scim(&app, reqwest::Method::DELETE, &format!("/Users/{owner_id}"), &token, None).await;
    assert_eq!((status, refused["scimType"].as_str()), (400, Some("mutability")), "{refused}");
}
