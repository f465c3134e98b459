//! Latchkey in front of a team's API through real proxies running the
//! recipes in `deploy/` (docs/operator-guide.md: Forward auth): nginx's
//! `auth_request` and Caddy's `forward_auth`, each before an upstream that
//! keeps the headers it got.

use crate::apis::{billing, key_of, viewer_key};
use crate::request_log::{logged, wait_logged};
use crate::support::*;
use latchkey::domain::scopes::Management;
use reqwest::Method;
use serde_json::json;

/// Latchkey (forward auth on, default API billing), billing defined, and an upstream.
async fn setup() -> (TestApp, Receiver, String) {
    let app = spawn_app_with(|c| {
        c.authz.bind = Some("127.0.0.1:0".into());
        c.authz.default_api = Some("billing".into());
    })
    .await;
    app.seed_acme();
    let definer = key_of(&app, "sample", &[], &[Management::ApisWrite]);
    assert_eq!(api(&app, Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await.0, 201);
    let upstream = Receiver::start(200, "from the upstream", std::time::Duration::ZERO);
    (app, upstream, definer)
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").trim_end_matches('/').split('/').next().unwrap().to_owned()
}

async fn send(proxy: &Proxy, method: Method, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = api_client().request(method, format!("{}{path}", proxy.base)).header("Latchkey-Owner", "forged");
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("through the proxy")
}

fn header<'a>(res: &'a reqwest::Response, name: &str) -> &'a str {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The checks every proxy passes.
async fn guards_the_api(app: &TestApp, upstream: &Receiver, definer: &str, proxy: &Proxy) {
    let (key_id, token) = viewer_key(app, "", 0);
    let res = send(proxy, Method::GET, "/v1/invoices/42", Some(&token)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "from the upstream");
    let (headers, _) = upstream.received.lock().unwrap().last().cloned().expect("the upstream was reached");
    let got = |name: &str| headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
    assert_eq!(got("latchkey-key-id"), [key_id.as_str()], "{headers:?}");
    assert_eq!(got("latchkey-owner"), ["cus_123"], "never the client's own: {headers:?}");
    assert_eq!(got("latchkey-permissions"), ["invoices.read"]);
    assert_eq!((got("latchkey-org"), got("latchkey-api")), (vec!["acme"], vec!["billing"]));
    let reached = upstream.received.lock().unwrap().len();

    let res = send(proxy, Method::GET, "/v1/invoices", None).await;
    assert_eq!(res.status(), 401);
    assert!(header(&res, "www-authenticate").starts_with("Bearer"), "{:?}", res.headers());
    let res = send(proxy, Method::POST, "/v1/invoices", Some(&token)).await;
    assert_eq!(res.status(), 403);
    let missing = header(&res, "latchkey-missing").to_owned();
    let said = format!("{missing} {}", res.text().await.unwrap());
    assert!(said.contains("invoices.write"), "names what is missing: {said}");
    let (_, outside) = viewer_key(app, "10.0.0.0/8", 0);
    assert_eq!(send(proxy, Method::GET, "/v1/invoices", Some(&outside)).await.status(), 403, "the forwarded client");
    let (_, inside) = viewer_key(app, "127.0.0.1/32", 0);
    assert_eq!(send(proxy, Method::GET, "/v1/invoices", Some(&inside)).await.status(), 200);
    let (_, limited) = viewer_key(app, "", 1);
    assert_eq!(send(proxy, Method::GET, "/v1/invoices", Some(&limited)).await.status(), 200);
    let res = send(proxy, Method::GET, "/v1/invoices", Some(&limited)).await;
    assert_eq!(res.status(), 429, "never 500: {:?}", res.headers());
    assert!(header(&res, "retry-after").parse::<u64>().unwrap_or(0) >= 1, "{:?}", res.headers());
    // A key with one credit: its second request is 429 usage_exceeded through the proxy too.
    let (metered_id, metered) = viewer_key(app, "", 0);
    let row = app.key_by_id(&metered_id).id;
    latchkey::db::credits::set(&mut app.conn(), row, (true, None, Some(1)), latchkey::db::now()).expect("credits");
    acknowledged(app).await;
    assert_eq!(send(proxy, Method::GET, "/v1/invoices", Some(&metered)).await.status(), 200);
    let res = send(proxy, Method::GET, "/v1/invoices", Some(&metered)).await;
    assert_eq!(res.status(), 429, "never 500 or 403: {:?}", res.headers());
    assert_eq!(header(&res, "latchkey-code"), "usage_exceeded");
    assert_eq!(upstream.received.lock().unwrap().len(), reached + 3, "only allowed requests reach the upstream");

    // A role edited in Latchkey holds from the very next request through the proxy.
    let roles = json!({"roles": [{"slug": "viewer", "name": "Viewer", "permissions": ["invoices.*"]}]});
    assert_eq!(api(app, Method::PATCH, "/api/v1/apis/billing", definer, Some(roles)).await.0, 200);
    assert_eq!(send(proxy, Method::POST, "/v1/invoices", Some(&token)).await.status(), 200);
    let restore = json!({"roles": billing()["roles"]});
    assert_eq!(api(app, Method::PATCH, "/api/v1/apis/billing", definer, Some(restore)).await.0, 200);

    // The key's request log has the forwarded method and path.
    wait_logged(app, &key_id, 3).await;
    let rows = logged(app, &key_id);
    let seen: Vec<(String, String, String)> =
        rows.iter().map(|r| (r.method.clone(), r.path.clone(), r.via.clone())).collect();
    assert!(seen.contains(&("POST".into(), "/v1/invoices".into(), "authz".into())), "{seen:?}");
    assert!(seen.contains(&("GET".into(), "/v1/invoices/42".into(), "authz".into())), "{seen:?}");
}

#[tokio::test]
async fn nginx_with_the_recipe_guards_an_api() {
    let (app, upstream, definer) = setup().await;
    let authz = host_port(app.authz_base.as_deref().expect("authz"));
    let proxy = Proxy::nginx(&[&authz], &host_port(&upstream.url)).await;
    guards_the_api(&app, &upstream, &definer, &proxy).await;
}

#[tokio::test]
async fn caddy_with_the_recipe_guards_an_api() {
    let (app, upstream, definer) = setup().await;
    let authz = host_port(app.authz_base.as_deref().expect("authz"));
    let proxy = Proxy::caddy(&authz, &host_port(&upstream.url)).await;
    guards_the_api(&app, &upstream, &definer, &proxy).await;
}

#[test]
fn the_operator_guide_shows_the_tested_recipes_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/operator-guide.md")).expect("guide");
    for (recipe, fence) in [("deploy/nginx/latchkey.conf", "```nginx\n"), ("deploy/caddy/Caddyfile", "```caddyfile\n")]
    {
        let text = std::fs::read_to_string(root.join(recipe)).expect("recipe");
        assert!(guide.contains(&format!("{fence}{text}```")), "{recipe} is in the guide as it is");
    }
}

#[tokio::test]
async fn a_key_revoked_through_one_instance_is_refused_at_once_through_nginx_balancing_two() {
    let (url, dir) = fresh_database();
    let b_authz = format!("127.0.0.1:{}", free_port());
    let mut env = shared_keys().to_vec();
    env.push(("LATCHKEY_AUTHZ_BIND", b_authz.clone()));
    env.push(("LATCHKEY_AUTHZ_DEFAULT_API", "billing".into()));
    let b = ServeProcess::start(&url, &env).await;
    crate::lifecycle::setup_over_http(&b.base).await;
    let a = spawn_app_on(url, dir, |c| {
        c.authz.bind = Some("127.0.0.1:0".into());
        c.authz.default_api = Some("billing".into());
    })
    .await;
    let definer = key_of(&a, "sample", &[], &[Management::ApisWrite, Management::KeysWrite]);
    assert_eq!(api(&a, Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await.0, 201);
    let upstream = Receiver::start(200, "ok", std::time::Duration::ZERO);
    let a_authz = host_port(a.authz_base.as_deref().expect("authz"));
    let proxy = Proxy::nginx(&[&a_authz, &b_authz], &host_port(&upstream.url)).await;
    let (key_id, token) = viewer_key(&a, "", 0);
    for _ in 0..4 {
        assert_eq!(
            send(&proxy, Method::GET, "/v1/invoices", Some(&token)).await.status(),
            200,
            "both instances allow it"
        );
    }
    let (status, _, _) = api(&a, Method::POST, &format!("/api/v1/keys/{key_id}/revoke"), &definer, None).await;
    assert_eq!(status, 200, "revoked through A");
    for _ in 0..4 {
        let res = send(&proxy, Method::GET, "/v1/invoices", Some(&token)).await;
        assert_eq!((res.status().as_u16(), header(&res, "latchkey-code")), (401, "revoked_key"), "A and B alike");
    }
    assert_eq!(upstream.received.lock().unwrap().len(), 4);
}
