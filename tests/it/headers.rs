use crate::support::*;

#[tokio::test]
async fn every_response_carries_security_headers_and_a_unique_request_id() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.logged_in("owner@acme.test").await;
    let mut ids = std::collections::HashSet::new();
    for path in ["/orgs/acme", "/login", "/no-such-page", "/healthz", "/static/app.css"] {
        let res = visitor.get(path).await;
        let h = res.headers();
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{path}");
        assert_eq!(h.get("referrer-policy").map(|v| v.as_bytes()), Some(&b"same-origin"[..]), "{path}");
        let id = h.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(id.len(), 20, "{path}");
        assert!(ids.insert(id), "request ids are unique");
    }
}

#[tokio::test]
async fn api_answers_carry_the_api_security_headers_and_no_session_cookie() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for path in ["/api/v1/ping", "/api/v1/nope", "/api/v1/openapi.json"] {
        let res = client.get(format!("{}{path}", app.base)).send().await.expect("request");
        let h = res.headers();
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{path}");
        assert_eq!(h.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{path}");
        assert_eq!(h.get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]), "{path}");
        assert!(h.get("set-cookie").is_none(), "{path}: the API never sets a session cookie");
        assert_eq!(h.get("x-request-id").map(|v| v.len()), Some(20), "{path}");
    }
}

#[tokio::test]
async fn console_pages_are_never_cached() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.logged_in("owner@acme.test").await;
    let anonymous = app.visitor();
    for (who, path) in [(&visitor, "/orgs/acme"), (&visitor, "/orgs/acme/settings/members"), (&anonymous, "/login")] {
        let res = who.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers().get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]), "{path}");
    }
}

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    assert_eq!(visitor.get("/healthz").await.status(), 200);
    assert_eq!(visitor.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn readiness_fails_when_the_database_cannot_be_reached() {
    // A server whose database is a file in a directory that does not exist.
    let app = spawn_app().await;
    let broken = latchkey::db::pool("sqlite:///nonexistent-dir/x/latchkey.db");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let state = latchkey::app::state::AppState::new(app.config.clone(), broken);
    let server = latchkey::web::server::Application::build(state, listener, Some(1)).expect("build");
    tokio::spawn(server.run_until_stopped());
    let res = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.expect("GET");
    assert_eq!(res.status(), 503);
    assert_eq!(reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.expect("GET").status(), 200);
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_and_assets_their_content_type() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.logged_in("owner@acme.test").await;
    let (status, html) = visitor.get_html("/definitely/not/here").await;
    assert_eq!(status, 404);
    assert_eq!(select_attr(&html, "[data-testid=error-page]", "data-status").as_deref(), Some("404"));
    let res = visitor.get("/static/app.css").await;
    assert_eq!(res.headers().get("content-type").map(|v| v.as_bytes()), Some(&b"text/css; charset=utf-8"[..]));
    assert_eq!(visitor.get("/static/../Cargo.toml").await.status(), 404);
}

/// The HSTS header of a response, if any.
fn hsts(res: &reqwest::Response) -> Option<String> {
    res.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Pages, probes, assets, API answers, errors and redirects: every kind of response.
const EVERY_KIND: [&str; 9] = [
    "/login",
    "/orgs/acme",
    "/no-such-page",
    "/healthz",
    "/metrics",
    "/static/app.css",
    "/.well-known/latchkey-audit-key",
    "/api/v1/ping",
    "/api/v1/openapi.json",
];

#[tokio::test]
async fn every_response_carries_hsts_for_a_year_when_the_public_url_is_https() {
    let public = latchkey::infra::config::PublicUrl::parse("https://keys.example.test", true).expect("url");
    let app = spawn_app_with(|c| c.public_url = public).await;
    app.seed_acme();
    let visitor = app.visitor();
    for path in EVERY_KIND {
        let res = visitor.get(path).await;
        let value = hsts(&res).unwrap_or_else(|| panic!("{path} ({}) has no HSTS header", res.status()));
        let max_age = value
            .split(';')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or_default();
        assert!(max_age >= 31_536_000, "{path}: at least a year, got {value}");
    }
    for (path, status) in [("/api/v1/ping", 405), ("/login", 403)] {
        let res = visitor.post_raw(path, &[]).await;
        assert_eq!(res.status(), status, "{path}");
        assert!(hsts(&res).is_some(), "{path}: refusals too");
    }
}

#[tokio::test]
async fn no_hsts_is_sent_when_the_public_url_is_plain_http() {
    let app = spawn_app().await;
    app.seed_acme();
    let visitor = app.visitor();
    for path in EVERY_KIND {
        assert_eq!(hsts(&visitor.get(path).await), None, "{path}");
    }
}

#[tokio::test]
async fn exports_are_never_cached() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("help@latchkey.test", "Hal Help", true);
    let (key_id, token) = app.make_scoped_key("acme", "Logged", &[]);
    assert_eq!(ping(&app, &token).await.0, 200);
    let owner = app.logged_in("owner@acme.test").await;
    let staff = app.logged_in("help@latchkey.test").await;
    let exports = [
        (&owner, format!("{KEYS}/{key_id}/requests.csv")),
        (&owner, "/orgs/acme/settings/audit-log/export.csv".to_owned()),
        (&owner, "/orgs/acme/settings/audit-log/export.jsonl".to_owned()),
        (&staff, "/support/orgs/acme/audit-log/export.csv".to_owned()),
        (&staff, "/support/orgs/acme/audit-log/export.jsonl".to_owned()),
    ];
    for (who, path) in exports {
        let res = who.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers().get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]), "{path}");
    }
}
