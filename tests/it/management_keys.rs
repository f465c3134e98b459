//! The management API's `/api/v1/keys`: which management scope each call
//! needs (and that full access holds none), the key object, the list with
//! its pages and filters, create (a working token, field-by-field refusals),
//! GET/PATCH/DELETE/revoke of one key (another organisation's is not found),
//! and that management calls are counted and limited like any other
//! authenticated call.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Every field of a key object, and nothing else.
pub(crate) const KEY_FIELDS: &str = "id label description prefix scopes full_access state enabled expires_at allowed_ips \
    rate_limit_per_minute created_at created_by created_by_key last_used_at last_used_ip revoked_at rotated_from replaced_by \
    api permissions roles owner_id metadata owner_rate_limit_per_minute credits_remaining credits_refill";

fn ids(list: &Value) -> Vec<String> {
    list["data"].as_array().expect("data").iter().map(|k| k["id"].as_str().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn each_call_needs_its_management_scope_and_full_access_holds_none() {
    let app = spawn_app().await;
    app.seed_acme();
    let (target_id, target) = app.make_scoped_key("acme", "Target", &["orders:read"]);
    let calls: Vec<(Method, String, Option<Value>, &str)> = vec![
        (Method::GET, "/api/v1/keys".into(), None, "keys:read"),
        (Method::GET, format!("/api/v1/keys/{target_id}"), None, "keys:read"),
        (Method::POST, "/api/v1/keys".into(), Some(json!({"label": "x"})), "keys:write"),
        (Method::PATCH, format!("/api/v1/keys/{target_id}"), Some(json!({"label": "x"})), "keys:write"),
        (Method::DELETE, format!("/api/v1/keys/{target_id}"), None, "keys:write"),
        (Method::POST, format!("/api/v1/keys/{target_id}/revoke"), None, "keys:write"),
        (Method::POST, format!("/api/v1/keys/{target_id}/rotate"), Some(json!({"grace": "1h"})), "keys:write"),
        (Method::POST, "/api/v1/keys/self/rotate".into(), Some(json!({"grace": "1h"})), "keys:self_rotate"),
        (Method::GET, "/api/v1/webhooks".into(), None, "webhooks:read"),
        (Method::GET, "/api/v1/webhooks/wh_0000000000000000".into(), None, "webhooks:read"),
        (Method::POST, "/api/v1/webhooks".into(), Some(json!({})), "webhooks:write"),
        (Method::DELETE, "/api/v1/webhooks/wh_0000000000000000".into(), None, "webhooks:write"),
        (Method::GET, "/api/v1/audit-events".into(), None, "audit:read"),
    ];
    let full = app.make_key("acme", &[], "", Some(0));
    let resources =
        app.make_key("acme", &["customers:write", "orders:write", "products:write", "categories:write"], "", Some(0));
    for token in [&full, &resources] {
        for (method, path, body, scope) in &calls {
            let (status, answer, _) = api(&app, method.clone(), path, token, body.clone()).await;
            assert_eq!((status, code(&answer)), (403, "insufficient_scope"), "{method} {path}: {answer}");
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            assert!(message.contains(scope), "{method} {path}: {message}");
        }
    }
    assert_eq!(ping(&app, &target).await.0, 200, "nothing happened to the target");

    // write implies read; read does not imply write; each scope opens only its own family.
    for (scopes, allowed) in [
        (vec!["keys:read"], vec!["/api/v1/keys"]),
        (vec!["keys:write"], vec!["/api/v1/keys"]),
        (vec!["webhooks:read"], vec!["/api/v1/webhooks"]),
        (vec!["webhooks:write"], vec!["/api/v1/webhooks"]),
        (vec!["audit:read"], vec!["/api/v1/audit-events"]),
        (vec!["keys:self_rotate"], vec![]),
    ] {
        let token = app.make_key("acme", &scopes, "", Some(0));
        for path in ["/api/v1/keys", "/api/v1/webhooks", "/api/v1/audit-events", "/api/v1/orders"] {
            let (status, answer, _) = api(&app, Method::GET, path, &token, None).await;
            let want = if allowed.contains(&path) { (200, "") } else { (403, "insufficient_scope") };
            assert_eq!((status, code(&answer)), want, "{scopes:?} GET {path}");
        }
        let (status, own, _) = api(&app, Method::GET, "/api/v1/keys/self", &token, None).await;
        assert_eq!(status, 200, "any key reads itself: {scopes:?}");
        assert_eq!(
            own["scopes"].as_array().unwrap().len(),
            if scopes == ["keys:write"] || scopes == ["webhooks:write"] { 2 } else { 1 }
        );
        assert_eq!(own["full_access"], false);
    }
    let reader = app.make_key("acme", &["keys:read"], "", Some(0));
    let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &reader, Some(json!({"label": "x"}))).await;
    assert_eq!((status, code(&answer)), (403, "insufficient_scope"), "read does not imply write");
    // The scope is checked before the body is read.
    let res = api_client()
        .post(format!("{}/api/v1/keys", app.base))
        .bearer_auth(&reader)
        .header("content-type", "text/plain")
        .body("junk")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // A method a path does not serve: 405 naming the ones it does.
    for (method, path, allow) in [
        (Method::PUT, "/api/v1/keys".to_owned(), "GET, HEAD, POST"),
        (Method::PUT, format!("/api/v1/keys/{target_id}"), "GET, HEAD, PATCH, DELETE"),
        (Method::GET, format!("/api/v1/keys/{target_id}/revoke"), "POST"),
        (Method::GET, "/api/v1/keys/self/rotate".to_owned(), "POST"),
        (Method::DELETE, "/api/v1/keys/self".to_owned(), "GET, HEAD"),
        (Method::POST, "/api/v1/audit-events".to_owned(), "GET, HEAD"),
        (Method::GET, "/api/v1/webhooks/wh_0000000000000000/test".to_owned(), "POST"),
    ] {
        let (status, body, headers) = api(&app, method.clone(), &path, &reader, None).await;
        assert_eq!((status, code(&body)), (405, "method_not_allowed"), "{method} {path}");
        assert_eq!(headers["allow"], allow, "{method} {path}");
    }
    assert_eq!(ping(&app, &target).await.0, 200, "DELETE on keys/self deleted nothing");
}

#[tokio::test]
async fn the_list_pages_oldest_first_and_filters_by_state_and_search() {
    let app = spawn_app().await;
    app.seed_acme();
    let (admin_id, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let mut made = vec![admin_id.clone()];
    let mut tokens = Vec::new();
    for label in ["Alpha deploy", "Beta worker", "Gamma export", "Delta sync", "Epsilon"] {
        let (id, token) = app.make_scoped_key("acme", label, &["orders:read"]);
        made.push(id);
        tokens.push(token);
    }
    let (full_id, _) = app.make_scoped_key("acme", "Everything", &[]);
    made.push(full_id.clone());
    let (other_id, _) = app.make_scoped_key("other", "Not ours", &[]);

    // Pages of 3, oldest first, each key once, none of another organisation.
    let mut seen = Vec::new();
    let mut path = "/api/v1/keys?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let (status, page, _) = api(&app, Method::GET, &path, &admin, None).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["data"].as_array().unwrap().len() <= 3);
        seen.extend(ids(&page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/keys?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, made, "every key once, oldest first");
    assert_eq!(pages, 3);
    assert!(!seen.contains(&other_id));

    // The object: every documented field and nothing secret.
    let (_, all, _) = api(&app, Method::GET, "/api/v1/keys", &admin, None).await;
    assert_eq!(all["next_cursor"], Value::Null);
    let text = all.to_string();
    assert!(!text.contains("token_hash") && !text.contains("\"token\""), "{text}");
    for key in all["data"].as_array().unwrap() {
        assert_eq!(field_names(key), sorted(KEY_FIELDS), "{key}");
        assert!(key["id"].as_str().unwrap().starts_with("key_"));
    }
    let full = all["data"].as_array().unwrap().iter().find(|k| k["id"] == full_id.as_str()).unwrap();
    assert_eq!(full["full_access"], true);
    assert_eq!(full["scopes"].as_array().unwrap().len(), 8, "full access lists the eight resource scopes");
    assert!(!full["scopes"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().starts_with("keys:")));
    let alpha = &all["data"][1];
    assert_eq!(alpha["label"], "Alpha deploy");
    assert_eq!(alpha["scopes"], json!(["orders:read"]));
    assert_eq!(
        (&alpha["state"], &alpha["enabled"], &alpha["full_access"]),
        (&json!("active"), &json!(true), &json!(false))
    );
    assert!(tokens[0].starts_with(alpha["prefix"].as_str().unwrap()), "the prefix is the token's start");
    assert_eq!(alpha["created_by"]["type"], "user");

    // Filters: state and search (label or prefix, any case).
    let (status, _, _) =
        api(&app, Method::PATCH, &format!("/api/v1/keys/{}", made[2]), &admin, Some(json!({"enabled": false}))).await;
    assert_eq!(status, 200);
    assert_eq!(api(&app, Method::POST, &format!("/api/v1/keys/{}/revoke", made[4]), &admin, None).await.0, 200);
    let filtered = |query: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let (status, body, _) = api(app, Method::GET, &format!("/api/v1/keys?{query}"), admin, None).await;
            assert_eq!(status, 200, "{query}: {body}");
            ids(&body)
        }
    };
    assert_eq!(filtered("state=disabled").await, [made[2].clone()]);
    assert_eq!(filtered("state=revoked").await, [made[4].clone()]);
    assert_eq!(filtered("state=active").await.len(), made.len() - 2);
    assert!(filtered("state=expired").await.is_empty());
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(5);
    let (expired_id, _) = app.make_expiring_key("acme", "Expired", past);
    assert_eq!(filtered("state=expired").await, std::slice::from_ref(&expired_id));
    assert!(!filtered("state=active").await.contains(&expired_id));
    assert!(filtered("state=rotating").await.is_empty());
    assert_eq!(filtered("q=gamma").await, [made[3].clone()]);
    assert_eq!(filtered("q=BETA").await, [made[2].clone()]);
    let prefix = alpha["prefix"].as_str().unwrap().to_owned();
    let (_, by_prefix, _) = api(&app, Method::GET, &format!("/api/v1/keys?q={prefix}"), &admin, None).await;
    assert_eq!(ids(&by_prefix), [made[1].clone()]);
    assert_eq!(filtered("q=beta&state=active").await, Vec::<String>::new());

    for bad in ["state=lost", "state=ACTIVE", "limit=0", "limit=101", "limit=ten", "cursor=abc"] {
        let (status, body, _) = api(&app, Method::GET, &format!("/api/v1/keys?{bad}"), &admin, None).await;
        assert_eq!((status, code(&body)), (422, "validation_failed"), "{bad}");
        let field = bad.split('=').next().unwrap();
        assert_eq!(detail_fields(&body), [field], "{bad}");
    }
}

#[tokio::test]
async fn a_created_key_comes_with_a_working_token_once() {
    let app = spawn_app().await;
    app.seed_acme();
    let (admin_id, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let expires = in_days(30);
    let body = json!({
        "label": "  CI deploy ",
        "description": "Deploys from CI",
        "scopes": ["orders:write", "customers:read"],
        "expires_at": expires,
        "allowed_ips": ["127.0.0.0/8", "10.1.2.3"],
        "rate_limit_per_minute": 120,
    });
    let (status, created, headers) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(id.starts_with("key_"));
    assert!(token.starts_with("lk_live_") && token.starts_with(created["prefix"].as_str().unwrap()), "{token}");
    assert_eq!(headers["location"], format!("/api/v1/keys/{id}").as_str());
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(field_names(&created), sorted(&format!("{KEY_FIELDS} token")));
    assert_eq!(created["label"], "CI deploy", "trimmed like the form");
    assert_eq!(created["description"], "Deploys from CI");
    assert_eq!(created["scopes"], json!(["customers:read", "orders:read", "orders:write"]));
    assert_eq!(created["expires_at"], expires.as_str());
    assert_eq!(created["allowed_ips"].as_array().unwrap().len(), 2);
    assert_eq!(created["rate_limit_per_minute"], 120);
    assert_eq!((&created["state"], &created["enabled"]), (&json!("active"), &json!(true)));
    assert_eq!(created["created_by"]["type"], "api_key");
    assert_eq!(created["created_by"]["id"], admin_id.as_str());
    assert_eq!(
        (&created["rotated_from"], &created["revoked_at"], &created["last_used_at"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );

    // GET shows the same key, never the token again.
    let (status, fetched, _) = api(&app, Method::GET, &format!("/api/v1/keys/{id}"), &admin, None).await;
    assert_eq!(status, 200);
    let mut without_token = created.clone();
    without_token.as_object_mut().unwrap().remove("token");
    assert_eq!(fetched, without_token);
    assert!(!fetched.to_string().contains(&token[8..]));

    // The token works, with exactly its scopes.
    let (status, pong, _) = ping(&app, &token).await;
    assert_eq!(status, 200, "{pong}");
    assert_eq!(api(&app, Method::GET, "/api/v1/orders", &token, None).await.0, 200);
    assert_eq!(code(&api(&app, Method::GET, "/api/v1/products", &token, None).await.1), "insufficient_scope");

    // The other spellings: a date, nulls, an empty scope list (full access), no optional field at all.
    let day = (chrono::Utc::now() + chrono::Duration::days(10)).format("%Y-%m-%d").to_string();
    let (status, dated, _) =
        api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "Dated", "expires_at": day, "rate_limit_per_minute": null, "description": null, "allowed_ips": null}))).await;
    assert_eq!(status, 201, "{dated}");
    assert_eq!(dated["expires_at"], format!("{day}T00:00:00Z").as_str());
    assert_eq!((&dated["rate_limit_per_minute"], &dated["allowed_ips"]), (&Value::Null, &json!([])));
    let (status, full, _) = api(
        &app,
        Method::POST,
        "/api/v1/keys",
        &admin,
        Some(json!({"label": "Full", "scopes": [], "expires_at": null})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!((&full["full_access"], full["scopes"].as_array().unwrap().len()), (&json!(true), 8));
    assert_eq!(full["expires_at"], Value::Null);
    let (status, bare, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "Bare"}))).await;
    assert_eq!((status, &bare["full_access"]), (201, &json!(true)));
    assert_eq!(app.key_count("acme"), 5);
}

#[tokio::test]
async fn bad_create_bodies_are_refused_field_by_field_and_make_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let cases = [
        (
            json!({"label": "", "scopes": ["orders:delete"], "expires_at": "soon", "allowed_ips": "10.0.0.1",
                "rate_limit_per_minute": -1, "enabled": true, "colour": "red"}),
            vec!["label", "scopes", "expires_at", "allowed_ips", "rate_limit_per_minute", "enabled", "colour"],
        ),
        (json!({}), vec!["label"]),
        (json!({"description": "no label"}), vec!["label"]),
        (json!({"label": 42, "scopes": "orders:read"}), vec!["label", "scopes"]),
        (json!({"label": "Past", "expires_at": "2001-01-01T00:00:00Z"}), vec!["expires_at"]),
        (json!({"label": "Bad ip", "allowed_ips": ["300.1.1.1"]}), vec!["allowed_ips"]),
        (json!({"label": "x".repeat(101)}), vec!["label"]),
        (json!({"label": "Float", "rate_limit_per_minute": 1.5}), vec!["rate_limit_per_minute"]),
        (json!({"label": "Huge", "rate_limit_per_minute": 10_000_000}), vec!["rate_limit_per_minute"]),
    ];
    for (body, fields) in cases {
        let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(body.clone())).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{body}: {answer}");
        let got = detail_fields(&answer);
        for field in fields {
            assert!(got.iter().any(|g| g == field), "{body}: {field} in {got:?}");
        }
    }
    let (_, answer, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "  "}))).await;
    assert_eq!(
        detail_message(&answer, "label"),
        "Give the key a label, such as the integration that uses it.",
        "the form's message"
    );
    let (_, answer, _) =
        api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "x", "expires_at": "2001-01-01"}))).await;
    assert_eq!(detail_message(&answer, "expires_at"), "Choose a time in the future.");

    let url = format!("{}/api/v1/keys", app.base);
    let res = api_client()
        .post(&url)
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(code(&res.json().await.unwrap()), "malformed_json");
    let res = api_client()
        .post(&url)
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!(["label"]))).await;
    assert_eq!((status, code(&answer)), (422, "validation_failed"));
    assert_eq!(app.key_count("acme"), 1, "only the admin key exists");
    let created = events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "api_key.created").count();
    assert_eq!(created, 0, "nothing was audited");
}

#[tokio::test]
async fn one_key_is_read_changed_revoked_and_deleted_and_another_orgs_key_is_not_found() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let (id, token) = app.make_scoped_key("acme", "Worker", &["orders:read"]);
    let (other_id, other_token) = app.make_scoped_key("other", "Theirs", &["orders:read"]);

    for (method, path, body) in [
        (Method::GET, format!("/api/v1/keys/{other_id}"), None),
        (Method::PATCH, format!("/api/v1/keys/{other_id}"), Some(json!({"enabled": false}))),
        (Method::DELETE, format!("/api/v1/keys/{other_id}"), None),
        (Method::POST, format!("/api/v1/keys/{other_id}/revoke"), None),
        (Method::POST, format!("/api/v1/keys/{other_id}/rotate"), Some(json!({"grace": "none"}))),
        (Method::GET, "/api/v1/keys/key_0000000000000000".to_owned(), None),
        (Method::GET, "/api/v1/keys/nonsense".to_owned(), None),
        (Method::PATCH, "/api/v1/keys/key_0000000000000000".to_owned(), Some(json!({"label": "x"}))),
    ] {
        let (status, body, _) = api(&app, method.clone(), &path, &admin, body).await;
        assert_eq!((status, code(&body)), (404, "not_found"), "{method} {path}");
    }
    assert_eq!(ping(&app, &other_token).await.0, 200, "another organisation's key is untouched");

    // PATCH changes only what it names.
    let patch = |body: Value| {
        let (app, admin, id) = (&app, &admin, &id);
        async move { api(app, Method::PATCH, &format!("/api/v1/keys/{id}"), admin, Some(body)).await }
    };
    let (status, changed, _) =
        patch(json!({"label": "Worker 2", "description": "nightly", "rate_limit_per_minute": 30})).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (&changed["label"], &changed["description"], &changed["rate_limit_per_minute"]),
        (&json!("Worker 2"), &json!("nightly"), &json!(30))
    );
    assert_eq!(changed["scopes"], json!(["orders:read"]), "unchanged");
    assert_eq!(field_names(&changed), sorted(KEY_FIELDS));
    let (status, changed, _) =
        patch(json!({"scopes": ["orders:read", "products:read"], "allowed_ips": ["127.0.0.1"]})).await;
    assert_eq!(status, 200);
    assert_eq!(changed["scopes"], json!(["orders:read", "products:read"]));
    assert_eq!(changed["label"], "Worker 2");
    assert_eq!(api(&app, Method::GET, "/api/v1/products", &token, None).await.0, 200, "the new scope works at once");
    for (body, field) in
        [(json!({"colour": "red"}), "colour"), (json!({"enabled": "no"}), "enabled"), (json!({"label": ""}), "label")]
    {
        let (status, answer, _) = patch(body.clone()).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{body}");
        assert_eq!(detail_fields(&answer), [field]);
    }

    // Deactivating refuses the key at once, audited; activating lets it back in.
    let (status, off, _) = patch(json!({"enabled": false})).await;
    assert_eq!((status, &off["state"], &off["enabled"]), (200, &json!("disabled"), &json!(false)));
    assert_eq!(off["label"], "Worker 2", "enabled alone changes nothing else");
    let (status, answer, _) = ping(&app, &token).await;
    assert_eq!((status, code(&answer)), (401, "disabled_key"));
    let org = org_id(&app, "acme");
    assert!(
        events(&app, org)
            .iter()
            .any(|e| e.action == "api_key.deactivated" && e.target_id.as_deref() == Some(id.as_str()))
    );
    let (status, on, _) = patch(json!({"enabled": true})).await;
    assert_eq!((status, &on["state"]), (200, &json!("active")));
    assert_eq!(ping(&app, &token).await.0, 200);
    assert!(events(&app, org).iter().any(|e| e.action == "api_key.activated"));

    // Revoked: refused for good, and no longer changeable.
    let (status, revoked, _) = api(&app, Method::POST, &format!("/api/v1/keys/{id}/revoke"), &admin, None).await;
    assert_eq!((status, &revoked["state"]), (200, &json!("revoked")), "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    let (status, answer, _) = ping(&app, &token).await;
    assert_eq!((status, code(&answer)), (401, "revoked_key"));
    let (status, answer, _) = patch(json!({"label": "Back"})).await;
    assert_eq!((status, code(&answer)), (422, "validation_failed"), "a revoked key cannot be changed");
    let (status, answer, _) = patch(json!({"enabled": true})).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(code(&ping(&app, &token).await.1), "revoked_key");

    // DELETE: 204, then gone.
    let (status, body, _) = api(&app, Method::DELETE, &format!("/api/v1/keys/{id}"), &admin, None).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body, _) = api(&app, Method::GET, &format!("/api/v1/keys/{id}"), &admin, None).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    assert_eq!(api(&app, Method::DELETE, &format!("/api/v1/keys/{id}"), &admin, None).await.0, 404);
    assert!(
        events(&app, org).iter().any(|e| e.action == "api_key.deleted" && e.target_id.as_deref() == Some(id.as_str()))
    );
    assert_eq!(app.key_count("acme"), 1);
}

#[tokio::test]
async fn management_calls_obey_allowlists_and_rate_limits_and_are_counted() {
    let app = spawn_app().await;
    app.seed_acme();
    let fenced = app.make_key("acme", &["keys:read"], "10.0.0.0/8", None);
    let (status, answer, _) = api(&app, Method::GET, "/api/v1/keys", &fenced, None).await;
    assert_eq!((status, code(&answer)), (403, "ip_not_allowed"));
    let limited = app.make_key("acme", &["audit:read"], "", Some(2));
    for _ in 0..2 {
        assert_eq!(api(&app, Method::GET, "/api/v1/audit-events", &limited, None).await.0, 200);
    }
    let (status, answer, headers) = api(&app, Method::GET, "/api/v1/audit-events", &limited, None).await;
    assert_eq!((status, code(&answer)), (429, "rate_limited"));
    assert!(headers.contains_key("retry-after"));

    // Usage, per key and day by status class, for management calls like any other.
    let (counted_id, counted) = app.make_scoped_key("acme", "Counted", &["keys:read"]);
    for _ in 0..3 {
        assert_eq!(api(&app, Method::GET, "/api/v1/keys", &counted, None).await.0, 200);
    }
    assert_eq!(api(&app, Method::POST, "/api/v1/keys", &counted, Some(json!({"label": "x"}))).await.0, 403);
    let row_id = {
        use diesel::prelude::*;
        use latchkey::db::schema::api_keys::dsl;
        dsl::api_keys.filter(dsl::key_id.eq(&counted_id)).select(dsl::id).first::<i64>(&mut app.conn()).unwrap()
    };
    let org = org_id(&app, "acme");
    let today = chrono::Utc::now().date_naive();
    app.run_jobs().await;
    let rows = latchkey::db::usage::daily(&mut app.conn(), org, Some(row_id), today).unwrap();
    let totals = rows.first().map(|(_, counts)| *counts);
    assert_eq!(totals, Some([3, 1, 0]), "flushed by the scheduler");
    let (_, own, _) = api(&app, Method::GET, "/api/v1/keys/self", &counted, None).await;
    assert_eq!(own["last_used_ip"], "127.0.0.1", "last use recorded: {own}");
    assert!(own["last_used_at"].is_string());
}
