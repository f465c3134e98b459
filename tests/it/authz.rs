//! Forward auth (`/authz` on `LATCHKEY_AUTHZ_BIND`; docs/operator-guide.md:
//! Forward auth), asked the way nginx's `auth_request` and Caddy's
//! `forward_auth` ask: the client's headers plus `X-Forwarded-*`.

use crate::apis::{billing, key_of, viewer_key};
use crate::request_log::{logged, wait_logged};
use crate::support::*;
use base64::Engine;
use latchkey::domain::scopes::Management;
use reqwest::Method;
use serde_json::{Value, json};

async fn app_with_authz(default_api: Option<&str>) -> TestApp {
    let default_api = default_api.map(str::to_owned);
    let app = spawn_app_with(move |c| {
        c.authz.bind = Some("127.0.0.1:0".into());
        c.authz.key_header = Some("X-Api-Key".into());
        c.authz.default_api = default_api;
    })
    .await;
    app.seed_acme();
    let definer = key_of(&app, "sample", &[], &[Management::ApisWrite]);
    assert_eq!(api(&app, Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await.0, 201);
    app
}

/// Asks `/authz` as a proxy would for `method uri` on `host`, with `headers` from the client.
async fn ask(app: &TestApp, (method, uri, host): (&str, &str, &str), headers: &[(&str, &str)]) -> reqwest::Response {
    let base = app.authz_base.as_deref().expect("authz listens");
    let mut req = api_client()
        .get(format!("{base}/authz"))
        .header("X-Forwarded-Method", method)
        .header("X-Forwarded-Uri", uri)
        .header("X-Forwarded-Host", host)
        .header("X-Forwarded-For", "198.51.100.7, 203.0.113.9");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("authz")
}

fn get<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn an_allowed_request_gets_the_keys_facts_as_headers_and_no_body() {
    let app = app_with_authz(None).await;
    let (key_id, token) = viewer_key(&app, "203.0.113.0/24", 0);
    let bearer = format!("Bearer {token}");
    let res =
        ask(&app, ("GET", "/v1/invoices/42?expand=lines", "billing.example.com"), &[("Authorization", &bearer)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(get(&res, "latchkey-key-id"), key_id);
    assert_eq!((get(&res, "latchkey-org"), get(&res, "latchkey-api")), ("acme", "billing"));
    assert_eq!((get(&res, "latchkey-owner"), get(&res, "latchkey-permissions")), ("cus_123", "invoices.read"));
    let metadata = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(get(&res, "latchkey-metadata")).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&metadata).unwrap(), json!({"plan": "pro"}));
    assert_eq!(res.text().await.unwrap(), "", "headers only: nginx reads no body of a subrequest");
    // The key may also come in the configured header; the allowlist sees the address the proxy appended.
    let res = ask(&app, ("GET", "/v1/invoices", "billing.example.com:443"), &[("X-Api-Key", &token)]).await;
    assert_eq!(res.status(), 200, "the port is not part of the host");
    wait_logged(&app, &key_id, 2).await;
    let row = logged(&app, &key_id).into_iter().find(|r| r.path == "/v1/invoices/42").expect("logged, no query");
    assert_eq!((row.method.as_str(), row.via.as_str(), row.ip.as_deref()), ("GET", "authz", Some("203.0.113.9")));
    assert_eq!(row.host.as_deref(), Some("billing.example.com"), "the host, as the proxy forwarded it");
    // Only the proxy's listener answers /authz.
    assert_eq!(api_client().get(format!("{}/authz", app.base)).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn refusals_say_why_in_the_status_a_header_and_the_apis_json_error() {
    let app = app_with_authz(None).await;
    let (_, token) = viewer_key(&app, "", 0);
    let bearer = format!("Bearer {token}");
    let host = "billing.example.com";
    let res = ask(&app, ("GET", "/v1/invoices", host), &[]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (401, "missing_key"));
    assert_eq!(get(&res, "www-authenticate"), r#"Bearer realm="latchkey""#);
    let res = ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", "Bearer nope")]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (401, "malformed_key"));
    assert!(get(&res, "www-authenticate").contains("invalid_token"));
    let res = ask(&app, ("POST", "/v1/invoices", host), &[("Authorization", &bearer)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-missing")), (403, "invoices.write"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_permissions");
    assert!(body["error"]["message"].as_str().unwrap().contains("invoices.write"), "{body}");
    let res = ask(&app, ("GET", "/v1/refunds", host), &[("Authorization", &bearer)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "no_route"));
    let res = ask(&app, ("GET", "/v1/invoices", "elsewhere.example.com"), &[("Authorization", &bearer)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "no_route"), "a host no API serves");
    let (_, outside) = viewer_key(&app, "10.0.0.0/8", 0);
    let res = ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &format!("Bearer {outside}"))]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "ip_not_allowed"));

    // Rate limited: 429 with Retry-After; behind nginx the same as 403, which nginx turns back.
    let (_, limited) = viewer_key(&app, "", 1);
    let limited = format!("Bearer {limited}");
    assert_eq!(ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &limited)]).await.status(), 200);
    let res = ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &limited)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (429, "rate_limited"));
    assert!(get(&res, "retry-after").parse::<u64>().unwrap() >= 1);
    let res =
        ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &limited), ("Latchkey-Proxy", "nginx")]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "rate_limited"));
    assert!(!get(&res, "retry-after").is_empty());

    // An organisation off the paid plan: its keys unlock nothing, here as in the REST API.
    use diesel::RunQueryDsl;
    diesel::sql_query("UPDATE orgs SET plan = 'trial' WHERE slug = 'acme'").execute(&mut app.conn()).unwrap();
    acknowledged(&app).await;
    let res = ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &bearer)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "plan_required"));
}

#[tokio::test]
async fn a_host_no_api_lists_goes_to_the_default_api() {
    let app = app_with_authz(Some("billing")).await;
    let (_, token) = viewer_key(&app, "", 0);
    let bearer = format!("Bearer {token}");
    let res = ask(&app, ("GET", "/v1/invoices/7", "internal:8080"), &[("Authorization", &bearer)]).await;
    assert_eq!(res.status(), 200);
    let sample = key_of(&app, "sample", &["*"], &[]);
    let res = ask(&app, ("GET", "/v1/invoices/7", "internal"), &[("Authorization", &format!("Bearer {sample}"))]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "wrong_api"), "a key of another API");
}

#[tokio::test]
async fn a_decision_spends_a_credit_and_a_spent_key_is_429_usage_exceeded() {
    let app = app_with_authz(None).await;
    let (key_id, token) = viewer_key(&app, "", 0);
    let row = app.key_by_id(&key_id).id;
    latchkey::db::credits::set(&mut app.conn(), row, (true, None, Some(1)), latchkey::db::now()).expect("credits");
    acknowledged(&app).await;
    let bearer = format!("Bearer {token}");
    let host = "billing.example.com";
    // A refused decision spends nothing.
    let res = ask(&app, ("POST", "/v1/invoices", host), &[("Authorization", &bearer)]).await;
    assert_eq!(res.status(), 403);
    let res = ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &bearer)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-credits-remaining")), (200, "0"));
    let res = ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &bearer)]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (429, "usage_exceeded"));
    let res =
        ask(&app, ("GET", "/v1/invoices", host), &[("Authorization", &bearer), ("Latchkey-Proxy", "nginx")]).await;
    assert_eq!((res.status().as_u16(), get(&res, "latchkey-code")), (403, "usage_exceeded"), "nginx turns it back");
}
