//! The API keeps its contract on odd input: no nulls in fields that cannot be
//! null, PATCH checks only what it is given, a deleted category leaves its
//! products valid, repeated query parameters are refused, and HTTP details
//! (405 + Allow, HEAD, WWW-Authenticate) follow the RFCs.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn create(app: &TestApp, token: &str, resource: &str, body: Value) -> Value {
    let (status, created, _) = api(app, Method::POST, &format!("/api/v1/{resource}"), token, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

fn detail_fields(body: &Value) -> Vec<&str> {
    body["error"]["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|d| d["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_patch_cannot_write_null_into_a_field_that_cannot_be_null_but_clears_a_nullable_one() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let order = create(&app, &token, "orders", json!({"customer_email": "a@example.com", "total_cents": 5})).await;
    let path = format!("/api/v1/orders/{}", order["id"].as_str().expect("id"));
    let nulls = json!({"status": null, "currency": null, "total_cents": null});
    let (status, body, _) = api(&app, Method::PATCH, &path, &token, Some(nulls)).await;
    assert_eq!((status, code(&body)), (422, "validation_failed"), "{body}");
    assert_eq!(detail_fields(&body), ["total_cents", "currency", "status"]);
    let (_, stored, _) = api(&app, Method::GET, &path, &token, None).await;
    assert_eq!(stored, order, "nothing changed");

    let product = create(&app, &token, "products", json!({"name": "Mug", "sku": "M-1", "price_cents": 9})).await;
    let path = format!("/api/v1/products/{}", product["id"].as_str().expect("id"));
    let (status, body, _) = api(&app, Method::PATCH, &path, &token, Some(json!({"price_cents": null}))).await;
    assert_eq!((status, detail_fields(&body)), (422, vec!["price_cents"]));
    let (status, cleared, _) = api(&app, Method::PATCH, &path, &token, Some(json!({"sku": null}))).await;
    assert_eq!((status, &cleared["sku"], &cleared["price_cents"]), (200, &Value::Null, &json!(9)));
    let (status, body, _) =
        api(&app, Method::POST, "/api/v1/orders", &token, Some(json!({"customer_email": "a@b.co", "status": null})))
            .await;
    assert_eq!((status, detail_fields(&body)), (422, vec!["status"]), "create refuses null too");
}

#[tokio::test]
async fn deleting_a_category_clears_it_from_its_products_which_stay_editable() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let category = create(&app, &token, "categories", json!({"name": "Kitchen"})).await;
    let category_id = category["id"].as_str().expect("id");
    let product = create(&app, &token, "products", json!({"name": "Mug", "category_id": category_id})).await;
    let other = create(&app, &token, "products", json!({"name": "Pan"})).await;
    let path = format!("/api/v1/products/{}", product["id"].as_str().expect("id"));
    let (status, _, _) = api(&app, Method::DELETE, &format!("/api/v1/categories/{category_id}"), &token, None).await;
    assert_eq!(status, 204);
    let (_, stored, _) = api(&app, Method::GET, &path, &token, None).await;
    assert_eq!(stored["category_id"], Value::Null, "the reference was cleared");
    let (status, patched, _) = api(&app, Method::PATCH, &path, &token, Some(json!({"price_cents": 5}))).await;
    assert_eq!((status, &patched["price_cents"]), (200, &json!(5)), "{patched}");
    let other_path = format!("/api/v1/products/{}", other["id"].as_str().expect("id"));
    assert_eq!(api(&app, Method::GET, &other_path, &token, None).await.1, other, "other products untouched");
    let (status, body, _) =
        api(&app, Method::PATCH, &path, &token, Some(json!({"category_id": "cat_0000000000000000"}))).await;
    assert_eq!((status, detail_fields(&body)), (422, vec!["category_id"]), "a given unknown category is refused");
}

#[tokio::test]
async fn a_repeated_or_malformed_query_parameter_is_refused_by_name() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    for _ in 0..3 {
        create(&app, &token, "categories", json!({"name": "c"})).await;
    }
    let (status, body, _) = api(&app, Method::GET, "/api/v1/categories?limit=1&limit=2", &token, None).await;
    assert_eq!((status, detail_fields(&body)), (422, vec!["limit"]), "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("query parameter") && !message.contains("body"), "{message}");
    assert!(body["error"]["details"][0]["message"].as_str().expect("detail").contains("more than once"));
    for bad in ["limit=0", "limit=101", "limit=abc", "limit=", "cursor=-1", "cursor=x"] {
        let (status, body, _) = api(&app, Method::GET, &format!("/api/v1/categories?{bad}"), &token, None).await;
        assert_eq!((status, code(&body)), (422, "validation_failed"), "{bad}");
    }
    let (status, page, _) = api(&app, Method::GET, "/api/v1/categories?limit=2&cursor=", &token, None).await;
    assert_eq!((status, page["data"].as_array().map(Vec::len)), (200, Some(2)));
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_allow_on_the_api_and_the_console() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let order = create(&app, &token, "orders", json!({"customer_email": "a@example.com"})).await;
    let item = format!("/api/v1/orders/{}", order["id"].as_str().expect("id"));
    for (method, path, allow) in [
        (Method::PUT, "/api/v1/ping".to_owned(), "GET, HEAD"),
        (Method::PUT, "/api/v1/orders".to_owned(), "GET, HEAD, POST"),
        (Method::POST, item.clone(), "GET, HEAD, PATCH, DELETE"),
    ] {
        let (status, body, headers) = api(&app, method.clone(), &path, &token, None).await;
        assert_eq!((status, code(&body)), (405, "method_not_allowed"), "{method} {path}");
        assert_eq!(headers["allow"], allow, "{method} {path}");
    }
    let owner = app.logged_in("owner@acme.test").await;
    for (method, path, allow) in [
        (Method::PUT, "/login", "GET, HEAD, POST"),
        (Method::POST, "/orgs/acme", "GET, HEAD"),
        (Method::DELETE, "/orgs/acme/settings/api-keys", "GET, HEAD, POST"),
        (Method::POST, "/healthz", "GET, HEAD"),
    ] {
        let res = owner.http.request(method.clone(), format!("{}{path}", app.base)).send().await.expect("send");
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
    }
}

#[tokio::test]
async fn head_is_answered_wherever_get_is_with_headers_and_no_body() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let owner = app.logged_in("owner@acme.test").await;
    for path in ["/healthz", "/readyz", "/docs/api", "/orgs/acme", "/orgs/acme/settings/api-keys", "/login"] {
        let get = owner.get(path).await.status();
        let res = owner.http.head(format!("{}{path}", app.base)).send().await.expect("HEAD");
        assert_eq!(res.status(), get, "HEAD {path} answers as GET does");
        assert!(res.headers().contains_key("x-request-id"), "{path}");
        assert!(res.bytes().await.expect("body").is_empty(), "HEAD {path} has no body");
    }
    for path in ["/api/v1/ping", "/api/v1/orders", "/api/v1/openapi.json"] {
        let res = api_client().head(format!("{}{path}", app.base)).bearer_auth(&token).send().await.expect("HEAD");
        assert_eq!(res.status(), 200, "HEAD {path}");
        assert!(res.bytes().await.expect("body").is_empty(), "HEAD {path} has no body");
    }
}

#[tokio::test]
async fn a_401_carries_a_bearer_challenge() {
    let app = spawn_app().await;
    let res = api_client().get(format!("{}/api/v1/ping", app.base)).send().await.expect("GET");
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="latchkey""#);
    let (status, _, headers) = ping(&app, "lk_live_nope").await;
    assert_eq!(status, 401);
    assert_eq!(headers["www-authenticate"], r#"Bearer realm="latchkey", error="invalid_token""#);
}

#[tokio::test]
async fn the_api_docs_use_the_public_url_whatever_host_the_request_names() {
    let app = spawn_app().await;
    let res = app
        .visitor()
        .http
        .get(format!("{}/docs/api", app.base))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("forwarded", "host=evil.example;proto=https")
        .send()
        .await
        .expect("GET");
    let body = res.text().await.expect("body");
    assert!(body.contains(&format!("curl {}/api/v1/ping", app.base)), "the public URL is used");
    assert!(!body.contains("evil.example"), "client-supplied hosts are ignored");
}
