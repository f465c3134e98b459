//! A role changed through one instance applies to the next request decided
//! by another (docs/operator-guide.md: Several instances): a real
//! `latchkey serve` process and an in-process server on one database.

use crate::apis::{billing, decision, key_of};
use crate::lifecycle::setup_over_http;
use crate::support::*;
use latchkey::domain::access::{Decision, PermissionSlug};
use latchkey::domain::scopes::Management;
use serde_json::json;

#[tokio::test]
async fn a_role_changed_through_one_instance_applies_to_the_next_request_decided_by_another() {
    let (url, dir) = fresh_database();
    let a = ServeProcess::start(&url, &shared_keys()).await;
    let owner = setup_over_http(&a.base).await;
    let b = spawn_app_on(url, dir, |_| {}).await;
    let definer = key_of(&b, "sample", &[], &[Management::ApisWrite]);
    let send = |method: reqwest::Method, body: serde_json::Value| {
        let (url, definer) = (format!("{}/api/v1/apis/billing", a.base), definer.clone());
        async move { api_client().request(method, url).bearer_auth(definer).json(&body).send().await.expect("sent") }
    };
    assert_eq!(send(reqwest::Method::PUT, billing()).await.status(), 201, "defined through A");

    // The customer's key, made in A's console: API billing, role viewer.
    let fields = [("label", "Acme Corp"), ("api", "billing"), ("roles", "viewer"), ("owner_id", "cus_123")];
    let CreatedKey { token, .. } = create_key(&owner, &fields).await;
    let refused = decision(&b.state, &token, "POST", "/v1/invoices").await;
    let missing = vec![PermissionSlug::parse("invoices.write").expect("slug")];
    assert_eq!(refused, latchkey::app::apis::decide::Outcome::Decided(Decision::InsufficientPermissions { missing }));

    // Viewer may now write too, changed through A; B decides the key's next request with it.
    let roles =
        json!({"roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.read", "invoices.write"]}]});
    assert_eq!(send(reqwest::Method::PATCH, roles).await.status(), 200);
    let now = decision(&b.state, &token, "POST", "/v1/invoices").await;
    assert!(matches!(now, latchkey::app::apis::decide::Outcome::Decided(Decision::Allowed { .. })), "{now:?}");
}
