//! `POST /api/v1/keys/verify` (docs/api-guide.md: Verifying keys): every
//! code, what the answer says of the key, and that a verification counts as
//! a request of the verified key (its rate limit and request log).

use crate::apis::{billing, key_of, viewer_key};
use crate::request_log::{logged, wait_logged};
use crate::support::*;
use latchkey::domain::scopes::{Management, Scopes};
use reqwest::Method;
use serde_json::{Value, json};

struct Verifier<'a> {
    app: &'a TestApp,
    token: String,
}

impl Verifier<'_> {
    async fn ask(&self, body: Value) -> (u16, Value) {
        let (status, answer, _) = api(self.app, Method::POST, "/api/v1/keys/verify", &self.token, Some(body)).await;
        (status, answer)
    }

    /// The code for `key` asked with `extra` fields.
    async fn code(&self, key: &str, extra: Value) -> String {
        let mut body = json!({"key": key});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, answer) = self.ask(body).await;
        assert_eq!(status, 200, "{answer}");
        answer["code"].as_str().unwrap_or_default().to_owned()
    }
}

async fn setup(app: &TestApp) -> Verifier<'_> {
    app.seed_acme();
    let definer = key_of(app, "sample", &[], &[Management::ApisWrite]);
    assert_eq!(api(app, Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await.0, 201);
    Verifier { app, token: key_of(app, "billing", &[], &[Management::KeysVerify]) }
}

#[tokio::test]
async fn a_valid_key_is_described_and_its_verification_is_logged_as_its_own_request() {
    let app = spawn_app().await;
    let verifier = setup(&app).await;
    let (key_id, token) = viewer_key(&app, "", 0);
    let body = json!({"key": token, "api": "billing", "method": "GET", "path": "/v1/invoices/42",
        "client_ip": "203.0.113.9"});
    let (status, answer) = verifier.ask(body).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({
            "valid": true, "code": "VALID", "key_id": key_id, "org": "acme", "api": "billing", "owner_id": "cus_123",
            "metadata": {"plan": "pro"}, "permissions": ["invoices.read"], "roles": ["viewer"], "expires_at": null,
            "missing": [], "ratelimit": null, "credits_remaining": null,
        })
    );
    wait_logged(&app, &key_id, 1).await;
    let row = &logged(&app, &key_id)[0];
    assert_eq!(
        (row.method.as_str(), row.path.as_str(), row.status, row.via.as_str(), row.ip.as_deref()),
        ("GET", "/v1/invoices/42", 200, "verify", Some("203.0.113.9"))
    );
    let owner = app.logged_in("owner@acme.test").await;
    let (_, page) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(select_all_text(&page, "[data-testid=request-via]"), ["verify"], "the key page says how it was used");
}

#[tokio::test]
async fn every_refusal_has_its_code() {
    let app = spawn_app().await;
    let verifier = setup(&app).await;
    let (_, token) = viewer_key(&app, "", 0);
    let none = json!({});
    assert_eq!(verifier.code("not a token", none.clone()).await, "MALFORMED");
    assert_eq!(verifier.code(&format!("lk_live_{}", "A".repeat(38)), none.clone()).await, "MALFORMED", "bad checksum");
    let secret = latchkey::domain::token::ApiKeySecret::generate(&Default::default());
    assert_eq!(verifier.code(secret.expose(), none.clone()).await, "NOT_FOUND");
    let post = json!({"method": "POST", "path": "/v1/invoices"});
    let (status, answer) = verifier.ask(json!({"key": token, "method": "POST", "path": "/v1/invoices"})).await;
    assert_eq!(
        (status, &answer["code"], &answer["missing"]),
        (200, &json!("INSUFFICIENT_PERMISSIONS"), &json!(["invoices.write"]))
    );
    assert_eq!(answer["valid"], false);
    assert_eq!(
        verifier.code(&token, json!({"permissions": "invoices.read and invoices.write"})).await,
        "INSUFFICIENT_PERMISSIONS"
    );
    assert_eq!(verifier.code(&token, json!({"permissions": "invoices.read or refunds.read"})).await, "VALID");
    assert_eq!(verifier.code(&token, json!({"method": "GET", "path": "/v1/refunds"})).await, "NO_ROUTE");
    assert_eq!(verifier.code(&token, json!({"api": "sample"})).await, "WRONG_API");
    assert_eq!(verifier.code(&token, post.clone()).await, "INSUFFICIENT_PERMISSIONS");

    // Another organisation's key is as unknown as no key at all.
    let (_, foreign) = app.make_key_with(
        "other",
        latchkey::db::api_keys::KeySettings {
            label: "other's".into(),
            description: String::new(),
            scopes: Scopes::default(),
            expires_at: None,
            allowed_ips: Default::default(),
            rate_limit_per_minute: None,
            owner_id: None,
            metadata: None,
        },
    );
    assert_eq!(verifier.code(&foreign, none.clone()).await, "NOT_FOUND");

    let (_, allowlisted) = viewer_key(&app, "10.0.0.0/8", 0);
    assert_eq!(verifier.code(&allowlisted, json!({"client_ip": "203.0.113.9"})).await, "IP_NOT_ALLOWED");
    assert_eq!(verifier.code(&allowlisted, none.clone()).await, "IP_NOT_ALLOWED", "no address: not inside the list");
    assert_eq!(verifier.code(&allowlisted, json!({"client_ip": "10.1.2.3"})).await, "VALID");

    let (_, limited) = viewer_key(&app, "", 1);
    let (_, first) = verifier.ask(json!({"key": limited})).await;
    assert_eq!(
        (&first["code"], &first["ratelimit"]["limit"], &first["ratelimit"]["remaining"]),
        (&json!("VALID"), &json!(1), &json!(0))
    );
    let (_, second) = verifier.ask(json!({"key": limited})).await;
    assert_eq!(second["code"], "RATE_LIMITED");
    assert!(second["ratelimit"]["reset"].as_u64().unwrap() >= 1, "{second}");

    let (disabled_id, disabled) = viewer_key(&app, "", 0);
    let (expired_id, expired) = viewer_key(&app, "", 0);
    let (revoked_id, revoked) = viewer_key(&app, "", 0);
    let sql = |statement: String| {
        use diesel::RunQueryDsl;
        diesel::sql_query(statement).execute(&mut app.conn()).expect("sql");
    };
    sql(format!("UPDATE api_keys SET enabled = false WHERE key_id = '{disabled_id}'"));
    sql(format!("UPDATE api_keys SET expires_at = '2020-01-01 00:00:00' WHERE key_id = '{expired_id}'"));
    sql(format!("UPDATE api_keys SET revoked_at = '2020-01-01 00:00:00' WHERE key_id = '{revoked_id}'"));
    acknowledged(&app).await;
    assert_eq!(verifier.code(&disabled, none.clone()).await, "DISABLED");
    assert_eq!(verifier.code(&expired, none.clone()).await, "EXPIRED");
    assert_eq!(verifier.code(&revoked, none.clone()).await, "REVOKED");
    assert!(events(&app, org_id(&app, "acme")).iter().any(|e| e.action == "api_key.revoked_key_used"), "a leak sign");
    sql("UPDATE orgs SET plan = 'trial' WHERE slug = 'acme'".into());
    acknowledged(&app).await;
    let (status, _) = verifier.ask(json!({"key": token})).await;
    assert_eq!(status, 403, "the verifying key itself needs a paid plan");
}

#[tokio::test]
async fn verifying_needs_keys_verify_and_a_well_formed_body() {
    let app = spawn_app().await;
    let verifier = setup(&app).await;
    let (_, token) = viewer_key(&app, "", 0);
    let bare = Verifier { app: &app, token: key_of(&app, "billing", &["*"], &[Management::KeysWrite]) };
    let (status, answer) = bare.ask(json!({"key": token})).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("insufficient_scope")), "{answer}");
    for (body, field) in [
        (json!({}), "key"),
        (json!({"key": token, "method": "GET"}), "path"),
        (json!({"key": token, "permissions": "a and"}), "permissions"),
        (json!({"key": token, "client_ip": "nowhere"}), "client_ip"),
    ] {
        let (status, answer) = verifier.ask(body).await;
        assert_eq!((status, answer["error"]["details"][0]["field"].as_str()), (422, Some(field)), "{answer}");
    }
}
