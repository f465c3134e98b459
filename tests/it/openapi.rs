use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.base)).await.expect("get");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_describes_auth_and_errors() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let parsed = oas3::from_json(doc.to_string()).expect("a valid OpenAPI 3.1 document");
    assert!(parsed.openapi.starts_with("3."));
    assert_eq!(
        parsed.paths.as_ref().map(|p| p.len()),
        Some(28),
        "ping, 4 × 2 resource paths, 13 management paths (owner limits included), 3 API-definition paths, verify, 2 leak reports"
    );
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["servers"][0]["url"], app.base.as_str());
    let text = doc.to_string();
    for code in [
        "missing_key",
        "malformed_key",
        "revoked_key",
        "plan_required",
        "insufficient_scope",
        "scope_escalation",
        "already_created",
        "rate_limited",
        "validation_failed",
        "payload_too_large",
        "unsupported_media_type",
    ] {
        assert!(text.contains(code), "{code} is documented");
    }
    let order = &doc["components"]["schemas"]["OrderInput"];
    assert_eq!(order["required"], json!(["customer_email"]));
    assert_eq!(order["properties"]["total_cents"]["type"], "integer");
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_the_server_answers() {
    // GitHub secret scanning set up, so its endpoint is served (it answers 404 when it is not).
    let github = GithubSigner::generate("walk");
    let app = spawn_app_with(|c| c.leak.github_keys = Some(github.server_keys())).await;
    app.seed_acme();
    // Every resource scope and every management scope but self-rotation (the walk must not rotate its own key).
    let mut scopes: Vec<&str> = latchkey::domain::scopes::Scopes::all_names();
    scopes.retain(|s| *s != "keys:self_rotate");
    let token = app.make_key("acme", &scopes, "", Some(0));
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let all = [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    let mut operations = 0;
    for (path, item) in paths {
        // A real object for item paths, so GET/PATCH/DELETE hit something.
        let concrete = if path.contains("{key_id}") {
            let (_, created, _) = api(&app, Method::POST, "/api/v1/keys", &token, Some(json!({"label": "walk"}))).await;
            path.replace("{key_id}", created["id"].as_str().expect("key id"))
        } else if path.contains("{api}") {
            let (status, _, _) =
                api(&app, Method::PUT, "/api/v1/apis/walk", &token, Some(json!({"name": "Walk"}))).await;
            assert!(status == 200 || status == 201, "{status}");
            path.replace("{api}", "walk")
        } else if path.contains("{owner_id}") {
            path.replace("{owner_id}", "cus_walk")
        } else if path.starts_with("/api/v1/webhooks/{id}") {
            path.replace("{id}", &stored_webhook(&app))
        } else if path.ends_with("{id}") {
            let collection = path.trim_end_matches("/{id}");
            let resource = collection.trim_start_matches("/api/v1/");
            let body = match resource {
                "customers" => json!({"email": "a@b.co"}),
                "orders" => json!({"customer_email": "a@b.co"}),
                _ => json!({"name": "x"}),
            };
            let (_, created, _) = api(&app, Method::POST, collection, &token, Some(body)).await;
            path.replace("{id}", created["id"].as_str().expect("id"))
        } else {
            path.clone()
        };
        for method in all.clone() {
            let documented = item.get(method.as_str().to_lowercase()).is_some();
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let (status, answer, _) = api(&app, method.clone(), &concrete, &token, body).await;
            if documented {
                operations += 1;
                assert_ne!(status, 405, "{method} {path} is documented but not served");
                assert_ne!(code(&answer), "not_found", "{method} {path} is documented but not routed: {answer}");
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
    assert_eq!(
        operations, 50,
        "ping + 4 resources × 5 + keys (list, create, self, self-rotate, get, update, delete, revoke, rotate) + owner limits + APIs (list, create, get, put, update, delete, import) + verify + webhooks (list, create, get, update, delete, test, rotate-secret) + audit events + audit checkpoints + revocations + GitHub"
    );
    let (status, _, _) = api(&app, Method::GET, "/api/v1/undocumented", &token, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_human_docs_use_this_servers_address_in_curl_examples() {
    let app = spawn_app().await;
    let res = app.visitor().get("/docs/api").await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains(&format!("curl {}/api/v1/ping", app.base)), "curl examples use the real host");
    for resource in ["customers", "orders", "products", "categories"] {
        assert!(body.contains(&format!("/api/v1/{resource}")));
    }
}

/// An endpoint stored straight in the database (the API's own create checks the URL's address, which needs DNS).
fn stored_webhook(app: &TestApp) -> String {
    let public_id = format!("wh_{}", latchkey::domain::token::random_base62(16));
    insert_unchecked_endpoint(app, &public_id, "https://hooks.example.invalid/in");
    public_id
}

/// Redocly CLI 2 (npm `@redocly/cli`), which scripts/bootstrap installs into
/// `target/redocly` (with a Node 22 beside it when the system's is too old);
/// `REDOCLY` names another copy.
fn redocly() -> std::path::PathBuf {
    let path = std::env::var("REDOCLY").map(Into::into).unwrap_or_else(|_| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/redocly/node_modules/.bin/redocly")
    });
    assert!(
        path.is_file(),
        "this test needs Redocly CLI at {}: `npm install --prefix target/redocly @redocly/cli@2` (scripts/test installs it)",
        path.display()
    );
    path
}

#[tokio::test]
async fn redocly_lints_the_document_clean_with_its_recommended_rules() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    // A directory with no redocly.yaml and no ignore file: the built-in recommended ruleset, nothing waived.
    let work = tempfile::tempdir().expect("dir");
    std::fs::write(work.path().join("openapi.json"), doc.to_string()).expect("write");
    let redocly = redocly();
    let bin_dir = redocly.parent().expect("bin dir").to_owned();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let out = std::process::Command::new(&redocly)
        .args(["lint", "openapi.json", "--format=stylish"])
        .current_dir(work.path())
        .env("PATH", path)
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .expect("run redocly");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "redocly lint: {said}");
    assert!(said.contains("using built in recommended configuration"), "no project config was read: {said}");
    assert!(!said.contains(" error ") && !said.contains(" warning "), "not even a warning: {said}");

    // Each event of the webhooks map is an operation a receiver implements: named, and secured by its signature.
    let ids: Vec<&str> = doc["webhooks"]
        .as_object()
        .expect("webhooks")
        .values()
        .map(|item| item["post"]["operationId"].as_str().expect("an operationId"))
        .collect();
    assert!(ids.contains(&"receive_api_key_created"), "{ids:?}");
    assert_eq!(doc["webhooks"]["api_key.created"]["post"]["security"], json!([{"webhook_signature": []}]));
    assert_eq!(doc["components"]["securitySchemes"]["webhook_signature"]["name"], "webhook-signature");
}
