//! The security sweep (docs/SECURITY.md): every console route is walked
//! from the router's own table, so a new route cannot escape these checks.

use crate::support::*;
use actix_web::http::Method;
use latchkey::web::routes::console_routes_list;
use std::collections::HashMap;

/// Real values for every path parameter: `acme`'s slug with ids that belong to org `other`.
struct Foreign {
    values: HashMap<&'static str, String>,
}

impl Foreign {
    async fn make(app: &TestApp) -> Self {
        let other_owner = app.logged_in("outsider@other.test").await;
        let receiver = Receiver::start(200, "ok", std::time::Duration::ZERO);
        let AddedWebhook { id: hook_id, .. } =
            add_webhook(&other_owner, "other", &receiver.url, &["order.created"]).await;
        let (key_id, token) =
            app.make_expiring_key("other", "other's key", chrono::Utc::now().naive_utc() + chrono::Duration::days(90));
        let (status, _, _) = api(
            app,
            reqwest::Method::POST,
            "/api/v1/orders",
            &token,
            Some(serde_json::json!({"customer_email": "o@p.co"})),
        )
        .await;
        assert_eq!(status, 201);
        let other = org_id(app, "other");
        let event = latchkey::db::outbox::for_org(&mut app.conn(), other).expect("outbox").remove(0).event_id;
        // The order's delivery to other's endpoint: an attempt id of org `other`.
        let attempt_of_other = || {
            use diesel::prelude::*;
            use latchkey::db::schema::webhook_attempts::dsl;
            dsl::webhook_attempts.select(dsl::id).first::<i64>(&mut app.conn()).optional().expect("attempts")
        };
        app.drain_deliveries().await;
        assert!(attempt_of_other().is_some(), "delivered");
        let attempt = attempt_of_other().expect("an attempt").to_string();
        let res = other_owner
            .post_form("/orgs/other/settings/members", &[("email", "guest@other.test"), ("role", "member")])
            .await;
        assert_eq!(res.status(), 303, "other's owner invites someone");
        let invitation =
            latchkey::db::invitations::list_open(&mut app.conn(), other).expect("invitations").remove(0).public_id;
        let outsider = app.user("outsider@other.test");
        let session = latchkey::db::sessions::for_user(&mut app.conn(), outsider.id).expect("sessions").remove(0).id;
        let passkey = latchkey::db::second_factors::NewPasskey {
            public_id: "pk_outsiders0000000",
            name: "Outsider's key",
            credential_id: "b3V0c2lkZXI",
            credential: "{}",
        };
        latchkey::db::second_factors::insert_passkey(&mut app.conn(), outsider.id, &passkey).expect("passkey");
        let definition = r#"{"slug":"other-api","name":"Other","hosts":[],"unmatched":"deny","permissions":[],"roles":[],"routes":[]}"#;
        latchkey::db::apis::insert(&mut app.conn(), other, "other-api", "Other", definition).expect("other's API");
        latchkey::db::sso::add_domain(&mut app.conn(), other, "other.example", "token").expect("other's domain");
        let values = HashMap::from([
            ("api", "other-api".to_owned()),
            ("slug", "acme".to_owned()),
            ("key_id", key_id),
            ("id", hook_id),
            ("message_id", event),
            ("attempt_id", attempt),
            ("user_id", app.user("outsider@other.test").id.to_string()),
            ("file", "app.css".to_owned()),
            ("invitation_id", invitation),
            ("session_id", session.to_string()),
            ("passkey_id", passkey.public_id.to_owned()),
            ("token", format!("lki_{}", "A".repeat(43))),
            ("domain", "other.example".to_owned()),
        ]);
        Self { values }
    }

    /// `pattern` with its parameters filled in; `action` for `{action:…}`.
    fn path(&self, pattern: &str, action: &str) -> String {
        let mut path = match pattern.find("{action:") {
            Some(start) => format!("{}{action}{}", &pattern[..start], &pattern[start..].split_once('}').unwrap().1),
            None => pattern.to_owned(),
        };
        for (name, value) in &self.values {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        assert!(!path.contains('{'), "unfilled parameter in {pattern}");
        path
    }
}

/// The verbs a pattern's `{action:a|b|…}` segment matches (one empty one when it has none).
fn actions(pattern: &str) -> Vec<&str> {
    match pattern.split_once("{action:") {
        Some((_, rest)) => rest.split_once('}').unwrap().0.split('|').collect(),
        None => vec![""],
    }
}

fn posts() -> Vec<&'static str> {
    console_routes_list().into_iter().filter(|(m, _)| *m == Method::POST).map(|(_, p)| p).collect()
}

#[tokio::test]
async fn every_post_route_refuses_a_missing_or_foreign_csrf_token() {
    let app = spawn_app().await;
    app.seed_acme();
    let foreign = Foreign::make(&app).await;
    let owner = app.logged_in("owner@acme.test").await;
    let stranger = app.logged_in("admin@acme.test").await;
    let strangers_token = stranger.csrf().await;
    let routes = posts();
    assert!(routes.len() >= 25, "the table lists every POST route: {routes:?}");
    let before = events(&app, org_id(&app, "acme")).len();
    for pattern in routes {
        for action in actions(pattern) {
            let path = foreign.path(pattern, action);
            let missing = owner.post_raw(&path, &[("password", PASSWORD)]).await;
            assert_eq!(missing.status(), 403, "POST {path} without a token");
            let wrong = owner.post_raw(&path, &[("csrf_token", &strangers_token), ("password", PASSWORD)]).await;
            assert_eq!(wrong.status(), 403, "POST {path} with another session's token");
        }
    }
    assert_eq!(events(&app, org_id(&app, "acme")).len(), before, "no refused POST changed anything");
}

#[tokio::test]
async fn no_route_reaches_another_orgs_keys_webhooks_deliveries_or_members() {
    let app = spawn_app().await;
    app.seed_acme();
    let foreign = Foreign::make(&app).await;
    let owner = app.logged_in("owner@acme.test").await;
    let other = org_id(&app, "other");
    let before = events(&app, other).len();
    let mut checked = 0;
    for (method, pattern) in console_routes_list() {
        let ids = ["{key_id}", "{id}", "{user_id}", "{message_id}", "{invitation_id}", "{attempt_id}", "{api}"];
        if !pattern.starts_with("/orgs/") || !ids.iter().any(|id| pattern.contains(id)) {
            continue;
        }
        for action in actions(pattern) {
            let path = foreign.path(pattern, action);
            let status = if method == Method::GET {
                owner.get(&path).await.status()
            } else {
                owner.post_form(&path, &[("password", PASSWORD), ("role", "admin"), ("grace", "none")]).await.status()
            };
            assert_eq!(status, 404, "{method} {path}: another org's id must look like no id at all");
            checked += 1;
        }
    }
    assert!(checked >= 28, "walked {checked} id-bearing routes");
    // Another person's session on the account page is no session at all.
    for pattern in ["/account/sessions/{session_id}/revoke", "/account/passkeys/{passkey_id}/remove"] {
        let path = foreign.path(pattern, "");
        assert_eq!(owner.post_form(&path, &[]).await.status(), 404, "{path}");
    }
    assert_eq!(events(&app, other).len(), before, "nothing happened to the other org");
}

#[tokio::test]
async fn a_session_cookie_planted_before_login_never_becomes_authenticated() {
    let app = spawn_app().await;
    app.seed_acme();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let cookie_of = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("latchkey_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_owned())
    };
    // The attacker's anonymous session, planted in the victim's browser.
    let page = client.get(format!("{}/login", app.base)).send().await.expect("login page");
    let planted = cookie_of(&page).expect("an anonymous session cookie");
    let html = scraper::Html::parse_document(&page.text().await.expect("body"));
    let csrf = select_attr(&html, "input[name=csrf_token]", "value").expect("token");
    let login = client
        .post(format!("{}/login", app.base))
        .header("cookie", &planted)
        .form(&[("csrf_token", csrf.as_str()), ("email", "owner@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);
    let issued = cookie_of(&login).expect("login issues a new session cookie");
    assert_ne!(issued, planted);
    let with = |cookie: String| client.get(format!("{}/orgs/acme", app.base)).header("cookie", cookie).send();
    assert_eq!(with(issued).await.expect("page").status(), 200, "the victim is logged in");
    let attacker = with(planted).await.expect("page");
    assert_eq!(attacker.status(), 303, "the planted cookie is still anonymous");
    assert!(location(&attacker).starts_with("/login"));
}

#[tokio::test]
async fn line_breaks_in_a_redirect_target_never_reach_a_header() {
    let app = spawn_app().await;
    app.seed_acme();
    for next in ["/orgs/acme\r\nSet-Cookie: pwned=1", "/orgs/acme%0d%0aSet-Cookie:%20pwned=1", "/orgs/acme\nX-Evil: 1"]
    {
        let visitor = app.visitor();
        let res =
            visitor.post_form("/login", &[("email", "owner@acme.test"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(res.status(), 303, "{next:?}");
        let target = location(&res);
        assert!(!target.contains('\r') && !target.contains('\n'), "{next:?} → {target:?}");
        assert!(res.headers().get("x-evil").is_none());
        assert!(res.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap_or("").contains("pwned")));
    }
}

#[tokio::test]
async fn oversized_forms_and_fields_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, form) = owner.get_html("/orgs/acme/settings/api-keys/new").await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form_id");
    let huge = "x".repeat(200 * 1024);
    let res = owner
        .post_form("/orgs/acme/settings/api-keys", &[("form_id", &form_id), ("label", "big"), ("description", &huge)])
        .await;
    assert_eq!(res.status(), 413, "a body over the form limit");
    let long_label = "l".repeat(101);
    let res = owner.post_form("/orgs/acme/settings/api-keys", &[("form_id", &form_id), ("label", &long_label)]).await;
    assert_eq!(res.status(), 422);
    let html = scraper::Html::parse_document(&res.text().await.expect("body"));
    assert!(!select_all_text(&html, "[data-testid=form-error]").is_empty(), "the error is shown next to the field");
    assert_eq!(select_attr(&html, "input[name=label]", "value").as_deref(), Some(long_label.as_str()), "value kept");
    let (_, list) = owner.get_html("/orgs/acme/settings/api-keys").await;
    assert_eq!(count(&list, "tr[data-testid=key-row]"), 0, "nothing was created");
    // Headers too: an oversized one is refused by the HTTP layer, not processed.
    let res = api_client()
        .get(format!("{}/api/v1/ping", app.base))
        .header("authorization", format!("Bearer {}", "a".repeat(64 * 1024)))
        .send()
        .await;
    assert!(res.map(|r| r.status().as_u16()).unwrap_or(431) >= 400);
}

#[tokio::test]
async fn a_verb_no_route_names_is_not_found_for_get_and_post() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let key = create_key(&owner, &[("label", "Verbs")]).await;
    let hook = add_webhook(&owner, "acme", "http://127.0.0.1:9/hook", &["order.created"]).await;
    let token = owner.csrf().await;
    for path in [format!("{KEYS}/{}/explode", key.id), format!("/orgs/acme/settings/webhooks/{}/explode", hook.id)] {
        let page = owner.get(&path).await;
        assert_eq!(page.status(), 404, "GET {path}");
        assert!(page.text().await.unwrap().contains("Page not found"), "GET {path} shows the error page");
        let post = owner.post_raw(&path, &[("csrf_token", &token)]).await;
        assert_eq!(post.status(), 404, "POST {path}");
    }
}
