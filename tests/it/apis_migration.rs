//! Migration 000021 moves every key into the built-in sample API: keys made
//! before it, with every kind of scope list, answer ping and the resources
//! exactly as before.

use crate::support::*;
use diesel::RunQueryDsl;
use diesel::r2d2::ManageConnection;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use latchkey::domain::token::ApiKeySecret;
use reqwest::Method;
use serde_json::json;

/// Applies the migrations up to and including the one before APIs existed.
fn migrate_to_before_apis(conn: &mut latchkey::db::DbConn, backend: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    loop {
        let source = FileBasedMigrations::from_path(&dir).expect("migrations");
        let version = conn.run_next_migration(source).expect("a migration").to_string();
        if version.ends_with("000020") {
            return;
        }
    }
}

#[tokio::test]
async fn keys_made_before_apis_existed_answer_ping_and_the_resources_as_before() {
    let (url, dir) = fresh_database();
    let backend = if latchkey::db::is_postgres(&url) { "postgres" } else { "sqlite" };
    let mut conn = latchkey::db::Manager::new(&url).connect().expect("connect");
    migrate_to_before_apis(&mut conn, backend);
    diesel::sql_query(
        "INSERT INTO orgs (slug, name, plan, created_at, require_two_factor, max_key_lifetime_days, \
         require_key_expiry, forbid_full_access, require_ip_allowlist) \
         VALUES ('acme', 'Acme', 'paid', '2026-12-01 00:00:00', false, NULL, false, false, false)",
    )
    .execute(&mut conn)
    .expect("org");
    // Stored as the release before APIs stored them: sorted names, resources first; none = full access.
    let stored = ["", "orders:read,orders:write", "audit:read", "customers:read,keys:read,keys:write"];
    let mut tokens = Vec::new();
    for (i, scopes) in stored.iter().enumerate() {
        let secret = ApiKeySecret::generate(&Default::default());
        diesel::sql_query(format!(
            "INSERT INTO api_keys (org_id, key_id, token_hash, display_prefix, label, description, scopes, \
             allowed_ips, rate_limit_per_minute, enabled, created_at, created_by_name) \
             VALUES ((SELECT id FROM orgs WHERE slug = 'acme'), 'key_0000000000000{i:03}', '{}', '{}', 'old {i}', '', \
             '{scopes}', '', 0, true, '2026-12-01 00:00:00', 'tests')",
            secret.hash().to_hex(),
            secret.display_prefix()
        ))
        .execute(&mut conn)
        .expect("key");
        tokens.push(secret.expose().to_owned());
    }
    drop(conn);
    let app = spawn_app_on(url, dir, |_| {}).await;

    let eight = [
        "customers:read",
        "customers:write",
        "orders:read",
        "orders:write",
        "products:read",
        "products:write",
        "categories:read",
        "categories:write",
    ];
    let expected = [
        (json!(eight), true),
        (json!(["orders:read", "orders:write"]), false),
        (json!(["audit:read"]), false),
        (json!(["customers:read", "keys:read", "keys:write"]), false),
    ];
    for (token, (scopes, full)) in tokens.iter().zip(expected) {
        let (status, body, _) = ping(&app, token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!((&body["scopes"], &body["full_access"]), (&scopes, &json!(full)), "{body}");
    }
    // The resources decide as the scopes did: write reads, a missing scope is named.
    assert_eq!(api(&app, Method::GET, "/api/v1/orders", &tokens[1], None).await.0, 200);
    let (status, body, _) = api(&app, Method::GET, "/api/v1/orders", &tokens[3], None).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert_eq!(body["error"]["message"], "This API key needs the orders:read scope for this request.");
    let (status, body, _) = api(&app, Method::GET, "/api/v1/customers", &tokens[2], None).await;
    assert_eq!(
        (status, &body["error"]["message"]),
        (403, &json!("This API key needs the customers:read scope for this request."))
    );
    let body = json!({"email": "ada@example.com", "name": "Ada"});
    assert_eq!(api(&app, Method::POST, "/api/v1/customers", &tokens[0], Some(body)).await.0, 201);
    // And the management API shows them as keys of the sample API.
    let (_, key, _) = api(&app, Method::GET, "/api/v1/keys/key_0000000000000003", &tokens[3], None).await;
    assert_eq!((&key["api"], &key["permissions"]), (&json!("sample"), &json!(["customers:read"])), "{key}");
    let (_, key, _) = api(&app, Method::GET, "/api/v1/keys/key_0000000000000000", &tokens[3], None).await;
    assert_eq!(key["permissions"], json!(["*"]), "full access is the grant *");
}
