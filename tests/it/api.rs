use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

const RESOURCES: [(&str, &str); 4] =
    [("customers", "cus_"), ("orders", "ord_"), ("products", "prod_"), ("categories", "cat_")];

fn sample(resource: &str) -> Value {
    match resource {
        "customers" => json!({"email": "Ada@Example.com", "name": "Ada"}),
        "orders" => json!({"customer_email": "ada@example.com", "total_cents": 1250, "currency": "EUR"}),
        "products" => json!({"name": "Mug", "sku": "MUG-1", "price_cents": 900}),
        _ => json!({"name": "Kitchen"}),
    }
}

fn change(resource: &str) -> Value {
    match resource {
        "customers" => json!({"name": "Ada Lovelace"}),
        "orders" => json!({"status": "paid"}),
        "products" => json!({"price_cents": 1000}),
        _ => json!({"name": "Kitchenware"}),
    }
}

#[tokio::test]
async fn every_resource_supports_create_read_list_update_and_delete() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", None);
    for (resource, prefix) in RESOURCES {
        let base = format!("/api/v1/{resource}");
        let (status, created, headers) = api(&app, Method::POST, &base, &token, Some(sample(resource))).await;
        assert_eq!(status, 201, "{resource}: {created}");
        let id = created["id"].as_str().expect("id").to_owned();
        assert!(id.starts_with(prefix) && id.len() == prefix.len() + 16, "{id}");
        assert_eq!(headers["location"], format!("{base}/{id}").as_str());
        assert!(created["created_at"].as_str().is_some());

        let (status, fetched, _) = api(&app, Method::GET, &format!("{base}/{id}"), &token, None).await;
        assert_eq!((status, &fetched), (200, &created));
        let (_, list, _) = api(&app, Method::GET, &base, &token, None).await;
        assert_eq!(list["data"], json!([created.clone()]));
        assert_eq!(list["next_cursor"], Value::Null);

        let (status, updated, _) =
            api(&app, Method::PATCH, &format!("{base}/{id}"), &token, Some(change(resource))).await;
        assert_eq!(status, 200, "{updated}");
        for (k, v) in change(resource).as_object().expect("object") {
            assert_eq!(&updated[k], v);
        }
        let (status, body, _) =
            api(&app, Method::PATCH, &format!("{base}/{id}"), &token, Some(json!({"colour": "red"}))).await;
        assert_eq!((status, code(&body)), (422, "validation_failed"), "unknown fields are refused");

        let (status, _, _) = api(&app, Method::DELETE, &format!("{base}/{id}"), &token, None).await;
        assert_eq!(status, 204);
        let (status, body, _) = api(&app, Method::GET, &format!("{base}/{id}"), &token, None).await;
        assert_eq!((status, code(&body)), (404, "not_found"));
    }
    let (status, body, _) = api(&app, Method::GET, "/api/v1/widgets", &token, None).await;
    assert_eq!((status, code(&body)), (404, "not_found"));
    let (status, body, _) = api(&app, Method::PUT, "/api/v1/orders", &token, None).await;
    assert_eq!((status, code(&body)), (405, "method_not_allowed"));
}

#[tokio::test]
async fn every_scope_unlocks_exactly_its_endpoints() {
    let app = spawn_app().await;
    app.seed_acme();
    let admin = app.make_key("acme", &[], "", Some(0));
    let mut ids = std::collections::HashMap::new();
    for (resource, _) in RESOURCES {
        let (_, created, _) =
            api(&app, Method::POST, &format!("/api/v1/{resource}"), &admin, Some(sample(resource))).await;
        ids.insert(resource, created["id"].as_str().expect("id").to_owned());
    }
    for (scoped, _) in RESOURCES {
        for access in ["read", "write"] {
            let scope = format!("{scoped}:{access}");
            let token = app.make_key("acme", &[scope.as_str()], "", Some(0));
            for (resource, _) in RESOURCES {
                let id = &ids[resource];
                let calls: [(Method, String, Option<Value>, &str); 4] = [
                    (Method::GET, format!("/api/v1/{resource}"), None, "read"),
                    (Method::GET, format!("/api/v1/{resource}/{id}"), None, "read"),
                    (Method::POST, format!("/api/v1/{resource}"), Some(json!({"bogus": true})), "write"),
                    (Method::PATCH, format!("/api/v1/{resource}/{id}"), Some(json!({})), "write"),
                ];
                for (method, path, body, needs) in calls {
                    let allowed = resource == scoped && (access == "write" || needs == "read");
                    let (status, answer, _) = api(&app, method.clone(), &path, &token, body).await;
                    if allowed {
                        assert!(matches!(status, 200 | 422), "{scope} {method} {path}: {status} {answer}");
                    } else {
                        assert_eq!((status, code(&answer)), (403, "insufficient_scope"), "{scope} {method} {path}");
                        let message = answer["error"]["message"].as_str().unwrap_or_default();
                        assert!(message.contains(&format!("{resource}:{needs}")), "{message}");
                    }
                }
            }
        }
    }
    // DELETE needs write too.
    let reader = app.make_key("acme", &["orders:read"], "", Some(0));
    let (status, _, _) = api(&app, Method::DELETE, &format!("/api/v1/orders/{}", ids["orders"]), &reader, None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn bad_bodies_get_clear_errors_and_write_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let cases = [
        ("orders", json!({"customer_email": 42, "total_cents": "12"}), vec!["customer_email", "total_cents"]),
        (
            "orders",
            json!({"total_cents": -5, "currency": "ABC", "status": "lost"}),
            vec!["customer_email", "total_cents", "currency", "status"],
        ),
        ("customers", json!({"email": "not-an-email"}), vec!["email"]),
        ("products", json!({"price_cents": 1.5}), vec!["name", "price_cents"]),
        ("products", json!({"name": "Mug", "category_id": "cat_0000000000000000"}), vec!["category_id"]),
        ("categories", json!({"name": "x", "extra": true}), vec!["extra"]),
    ];
    for (resource, body, fields) in cases {
        let (status, answer, _) =
            api(&app, Method::POST, &format!("/api/v1/{resource}"), &token, Some(body.clone())).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{body}");
        let got: Vec<&str> = answer["error"]["details"]
            .as_array()
            .expect("details")
            .iter()
            .filter_map(|d| d["field"].as_str())
            .collect();
        for field in fields {
            assert!(got.contains(&field), "{body}: {got:?}");
        }
    }
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/orders", app.base);
    let res = client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(code(&res.json().await.expect("json")), "malformed_json");
    let res = client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 415);
    let big = json!({"customer_email": "a@b.co", "pad": "x".repeat(70 * 1024)});
    let res = client.post(&url).bearer_auth(&token).json(&big).send().await.expect("post");
    assert_eq!(res.status(), 413);
    assert_eq!(code(&res.json().await.expect("json")), "payload_too_large");
    let res = client.post(&url).bearer_auth(&token).json(&json!([1, 2])).send().await.expect("post");
    assert_eq!(res.status(), 422);
    // The scope is checked before the body.
    let reader = app.make_key("acme", &["orders:read"], "", Some(0));
    let res = client
        .post(&url)
        .bearer_auth(&reader)
        .header("content-type", "text/plain")
        .body("junk")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    for (resource, _) in RESOURCES {
        let (_, list, _) = api(&app, Method::GET, &format!("/api/v1/{resource}"), &token, None).await;
        assert_eq!(list["data"], json!([]), "nothing partial was written to {resource}");
    }
    assert!(latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme")).expect("outbox").is_empty());
}

#[tokio::test]
async fn pages_never_repeat_or_skip_rows_while_rows_are_inserted() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    for i in 0..25 {
        api(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": format!("c{i}")}))).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/categories?limit=10".to_owned();
    let mut inserted = 0;
    loop {
        let (status, page, _) = api(&app, Method::GET, &path, &token, None).await;
        assert_eq!(status, 200);
        seen.extend(
            page["data"].as_array().expect("data").iter().map(|o| o["name"].as_str().expect("name").to_owned()),
        );
        // Another client inserts between our pages.
        if inserted < 2 {
            api(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": format!("late{inserted}")})))
                .await;
            inserted += 1;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/categories?limit=10&cursor={cursor}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no duplicates");
    assert_eq!(seen.len(), 27, "every row, including those inserted between pages");
    for bad in ["limit=0", "limit=101", "limit=ten", "cursor=abc"] {
        let (status, body, _) = api(&app, Method::GET, &format!("/api/v1/categories?{bad}"), &token, None).await;
        assert_eq!((status, code(&body)), (422, "validation_failed"), "{bad}");
    }
}

#[tokio::test]
async fn rate_limits_answer_429_with_headers_and_recover() {
    let app = spawn_app().await;
    app.seed_acme();
    // 5 a minute: a burst of 5, then one more every 12 s.
    let token = app.make_key("acme", &[], "", Some(5));
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let (status, _, headers) = ping(&app, &token).await;
        assert_eq!(status, 200);
        assert_eq!(headers["ratelimit-limit"], "5");
        remaining.push(headers["ratelimit-remaining"].to_str().expect("h").to_owned());
    }
    assert_eq!(remaining, ["4", "3", "2", "1", "0"]);
    let (status, body, headers) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (429, "rate_limited"));
    assert_eq!(headers["ratelimit-remaining"], "0");
    let retry: u64 = headers["retry-after"].to_str().expect("h").parse().expect("secs");
    assert!((1..=12).contains(&retry), "{retry}");

    // Recovery: at 60 a minute a slot frees every second.
    let fast = app.make_key("acme", &[], "", Some(60));
    let mut limited = None;
    for _ in 0..200 {
        let (status, _, headers) = ping(&app, &fast).await;
        if status == 429 {
            limited = Some(headers["retry-after"].to_str().expect("h").parse::<u64>().expect("secs"));
            break;
        }
    }
    let retry = limited.expect("the limit is reached");
    assert_eq!(retry, 1);
    // Not background work: the limiter counts wall-clock time, and Retry-After said 1 s.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(ping(&app, &fast).await.0, 200, "recovers after Retry-After");
    // Another key is unaffected; 0 = unlimited.
    let unlimited = app.make_key("acme", &[], "", Some(0));
    for _ in 0..70 {
        assert_eq!(ping(&app, &unlimited).await.0, 200);
    }
}

#[tokio::test]
async fn ip_allowlists_check_v4_and_v6_clients() {
    let app = spawn_app_with(|c| c.trusted_proxy_header = Some("X-Forwarded-For".into())).await;
    app.seed_acme();
    let v4 = app.make_key("acme", &[], "203.0.113.0/24", None);
    let v6 = app.make_key("acme", &[], "2001:db8::/32", None);
    let client = reqwest::Client::new();
    let call = |token: String, ip: &'static str| {
        let req = client
            .get(format!("{}/api/v1/ping", app.base))
            .bearer_auth(token)
            .header("X-Forwarded-For", format!("198.51.100.1, {ip}"));
        async move {
            let res = req.send().await.expect("ping");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(call(v4.clone(), "203.0.113.7").await.0, 200);
    let (status, body) = call(v4.clone(), "198.51.100.1").await;
    assert_eq!((status, code(&body)), (403, "ip_not_allowed"));
    assert_eq!(call(v6.clone(), "2001:db8::42").await.0, 200);
    assert_eq!(call(v6.clone(), "2001:db9::42").await.0, 403);
    assert_eq!(call(v6, "203.0.113.7").await.0, 403);
}

#[tokio::test]
async fn created_objects_write_their_event_to_the_outbox_in_the_same_transaction() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let (_, order, _) = api(&app, Method::POST, "/api/v1/orders", &token, Some(sample("orders"))).await;
    let (_, customer, _) = api(&app, Method::POST, "/api/v1/customers", &token, Some(sample("customers"))).await;
    let (_, category, _) = api(&app, Method::POST, "/api/v1/categories", &token, Some(sample("categories"))).await;
    let (_, product, _) = api(
        &app,
        Method::POST,
        "/api/v1/products",
        &token,
        Some(json!({"name": "Pan", "category_id": category["id"]})),
    )
    .await;
    api(&app, Method::POST, "/api/v1/orders", &token, Some(json!({"total_cents": -1}))).await;
    let events = latchkey::db::outbox::for_org(&mut app.conn(), org_id(&app, "acme")).expect("outbox");
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["order.created", "customer.created", "product.created"]);
    let payload: Value = serde_json::from_str(&events[0].payload).expect("json");
    assert_eq!(payload["type"], "order.created");
    assert_eq!(payload["data"], order);
    assert!(payload["timestamp"].as_str().is_some());
    assert_eq!(serde_json::from_str::<Value>(&events[1].payload).expect("json")["data"], customer);
    assert_eq!(serde_json::from_str::<Value>(&events[2].payload).expect("json")["data"], product);
}

#[tokio::test]
async fn usage_is_counted_per_key_per_day_by_status_class() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &["orders:read"], "", Some(0));
    for _ in 0..3 {
        assert_eq!(ping(&app, &token).await.0, 200);
    }
    for _ in 0..2 {
        assert_eq!(api(&app, Method::GET, "/api/v1/customers", &token, None).await.0, 403);
    }
    let org = org_id(&app, "acme");
    let today = chrono::Utc::now().date_naive();
    app.run_jobs().await;
    let rows = latchkey::db::usage::daily(&mut app.conn(), org, None, today).expect("usage");
    let totals = rows.first().map(|(_, counts)| *counts);
    assert_eq!(totals, Some([3, 2, 0]), "flushed by the scheduler");

    // The charts: the key's page and the organisation's dashboard (owners and admins only).
    let owner = app.logged_in("owner@acme.test").await;
    let (_, dashboard) = owner.get_html("/orgs/acme").await;
    assert_eq!(select_attr(&dashboard, "svg[data-testid=usage-chart]", "data-total").as_deref(), Some("5"));
    assert!(dashboard.html().contains(&format!("{today}: 3 ok, 2 client errors, 0 server errors")));
    let (_, list) = owner.get_html(KEYS).await;
    let key_id = select_attr(&list, "tr[data-testid=key-row]", "data-key-id").expect("key");
    let (_, detail) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert_eq!(select_attr(&detail, "svg[data-testid=usage-chart]", "data-total").as_deref(), Some("5"));
    let (_, member_view) = app.logged_in("member@acme.test").await.get_html("/orgs/acme").await;
    assert_eq!(count(&member_view, "svg[data-testid=usage-chart]"), 0);
}

#[tokio::test]
async fn random_requests_never_crash_the_api() {
    use rand::{Rng, RngExt};
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let mut rng = rand::rng();
    let client = reqwest::Client::new();
    let methods = [Method::GET, Method::POST, Method::PATCH, Method::DELETE, Method::PUT, Method::OPTIONS];
    let paths = [
        "/api/v1/ping",
        "/api/v1/orders",
        "/api/v1/customers/cus_x",
        "/api/v1/products?limit=%FF",
        "/api/v1/",
        "/api/v1/categories/../x",
    ];
    let auths = [
        format!("Bearer {token}"),
        "Bearer".into(),
        "Basic abc".into(),
        format!("bearer  {token} "),
        "Bearer lk_live_\u{7f}".into(),
        String::new(),
    ];
    let types =
        ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", ""];
    for i in 0..300 {
        let mut body = vec![0u8; rng.random_range(0..512)];
        rng.fill_bytes(&mut body);
        if i % 3 == 0 {
            let status = [json!("paid"), json!(7), Value::Null][i % 3].clone();
            let total = rng.random_range(-5i64..5);
            body = serde_json::to_vec(&json!({"customer_email": "a@b.co", "total_cents": total, "status": status}))
                .expect("json");
        }
        let mut req = client.request(
            methods[i % methods.len()].clone(),
            format!("{}{}", app.base, paths[rng.random_range(0..paths.len())]),
        );
        let auth = &auths[rng.random_range(0..auths.len())];
        if !auth.is_empty()
            && let Ok(v) = reqwest::header::HeaderValue::from_bytes(auth.as_bytes())
        {
            req = req.header("authorization", v);
        }
        let ct = types[rng.random_range(0..types.len())];
        if !ct.is_empty() {
            req = req.header("content-type", ct);
        }
        let res = req.body(body).send().await.expect("the server answers");
        assert!(res.status().as_u16() < 500, "request {i}: {}", res.status());
    }
    assert_eq!(ping(&app, &token).await.0, 200, "still serving");
}

/// Keys are cached between requests; a change made anywhere — another
/// server on the same database, or a direct write such as the CLI's — must
/// still be seen by the very next request.
#[tokio::test]
async fn a_cached_key_is_refused_on_the_next_request_after_a_change_made_anywhere() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let org = app.seed_acme();
    let other = spawn_app_on(app.database_url.clone(), None, |_| {}).await;
    let token = app.make_key("acme", &[], "", Some(0));
    let sql = |q: &str| {
        diesel::sql_query(q).execute(&mut app.conn()).expect("update");
    };
    let warm = || async {
        for server in [&app, &other] {
            for _ in 0..3 {
                assert_eq!(ping(server, &token).await.0, 200);
            }
        }
    };
    warm().await;
    sql("UPDATE api_keys SET enabled = false");
    acknowledged(&app).await;
    for server in [&app, &other] {
        assert_eq!(code(&ping(server, &token).await.1), "disabled_key");
    }
    sql("UPDATE api_keys SET enabled = true");
    acknowledged(&app).await;
    warm().await;
    sql(&format!("UPDATE orgs SET plan = 'free' WHERE id = {}", org.id));
    acknowledged(&app).await;
    for server in [&app, &other] {
        assert_eq!(code(&ping(server, &token).await.1), "plan_required");
    }
    sql(&format!("UPDATE orgs SET plan = 'paid' WHERE id = {}", org.id));
    acknowledged(&app).await;
    warm().await;
    // Revoked through one server's console: refused by both on the next request.
    let owner = app.logged_in("owner@acme.test").await;
    let key_id: String = {
        use diesel::prelude::*;
        latchkey::db::schema::api_keys::table
            .select(latchkey::db::schema::api_keys::key_id)
            .first(&mut app.conn())
            .expect("key id")
    };
    let res = owner.post_form(&format!("/orgs/acme/settings/api-keys/{key_id}/revoke"), &[]).await;
    assert_eq!(res.status(), 303);
    for server in [&other, &app] {
        assert_eq!(code(&ping(server, &token).await.1), "revoked_key");
    }
}
