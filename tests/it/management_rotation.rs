//! The management API issuing and rotating keys: no key can issue, change or
//! rotate a key wider than itself (403 `scope_escalation`, nothing changed),
//! the organisation's key policy holds (422 naming the field and the policy),
//! `Idempotency-Key` makes a repeated create make nothing (409
//! `already_created`), `POST /keys/{id}/rotate` with each grace, a key
//! rotating itself with `keys:self_rotate`, and the CI rotation end to end:
//! both tokens work during the grace period, then the scheduler revokes the
//! old one.

use crate::support::*;
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{Value, json};

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement).execute(&mut app.conn()).expect("sql");
}

fn audited(app: &TestApp, action: &str) -> Vec<latchkey::db::audit_events::StoredEvent> {
    events(app, org_id(app, "acme")).into_iter().filter(|e| e.action == action).collect()
}

async fn get_key(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, key, _) = api(app, Method::GET, &format!("/api/v1/keys/{id}"), token, None).await;
    assert_eq!(status, 200, "{key}");
    key
}

#[tokio::test]
async fn a_key_cannot_issue_change_or_rotate_a_key_wider_than_itself() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, narrow) = app.make_scoped_key("acme", "Narrow admin", &["keys:write", "orders:read"]);
    let (_, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let (wide_id, wide_token) = app.make_scoped_key("acme", "Wide", &[]);
    let (reader_id, _) = app.make_scoped_key("acme", "Reader", &["orders:read"]);
    let before = app.key_count("acme");
    let created_before = audited(&app, "api_key.created").len();

    for scopes in [
        json!(["orders:write"]),
        json!([]),
        json!(["keys:self_rotate"]),
        json!(["customers:read"]),
        json!(["orders:read", "webhooks:read"]),
        json!(["audit:read"]),
    ] {
        let body = json!({"label": "Escalating", "scopes": scopes});
        let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &narrow, Some(body)).await;
        assert_eq!((status, code(&answer)), (403, "scope_escalation"), "{scopes}: {answer}");
    }
    // Leaving out "scopes" means full access: an escalation too.
    let (status, answer, _) =
        api(&app, Method::POST, "/api/v1/keys", &narrow, Some(json!({"label": "No scopes"}))).await;
    assert_eq!((status, code(&answer)), (403, "scope_escalation"));
    assert_eq!(app.key_count("acme"), before, "nothing was made");
    assert_eq!(audited(&app, "api_key.created").len(), created_before, "nothing was audited");

    for scopes in [json!(["orders:read"]), json!(["orders:read", "keys:read"]), json!(["keys:write"])] {
        let body = json!({"label": "Within", "scopes": scopes});
        let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &narrow, Some(body)).await;
        assert_eq!(status, 201, "{scopes}: {answer}");
    }
    assert_eq!(app.key_count("acme"), before + 3);

    // PATCH: not a wider target, and not wider than the caller afterwards.
    let wide_path = format!("/api/v1/keys/{wide_id}");
    for body in [json!({"label": "Renamed"}), json!({"enabled": false}), json!({"scopes": ["orders:read"]})] {
        let (status, answer, _) = api(&app, Method::PATCH, &wide_path, &narrow, Some(body.clone())).await;
        assert_eq!((status, code(&answer)), (403, "scope_escalation"), "{body}");
    }
    let reader_path = format!("/api/v1/keys/{reader_id}");
    for scopes in [json!(["orders:write"]), json!([]), json!(["orders:read", "keys:self_rotate"])] {
        let (status, answer, _) =
            api(&app, Method::PATCH, &reader_path, &narrow, Some(json!({"scopes": scopes}))).await;
        assert_eq!((status, code(&answer)), (403, "scope_escalation"), "{scopes}");
    }
    let wide = get_key(&app, &admin, &wide_id).await;
    assert_eq!((&wide["label"], &wide["enabled"], &wide["full_access"]), (&json!("Wide"), &json!(true), &json!(true)));
    assert_eq!(get_key(&app, &admin, &reader_id).await["scopes"], json!(["orders:read"]));
    let (status, renamed, _) =
        api(&app, Method::PATCH, &reader_path, &narrow, Some(json!({"label": "Reader 2"}))).await;
    assert_eq!((status, &renamed["label"]), (200, &json!("Reader 2")), "a covered key can be changed");

    // Rotate: not a wider key.
    let (status, answer, _) =
        api(&app, Method::POST, &format!("{wide_path}/rotate"), &narrow, Some(json!({"grace": "none"}))).await;
    assert_eq!((status, code(&answer)), (403, "scope_escalation"));
    let wide = get_key(&app, &admin, &wide_id).await;
    assert_eq!((&wide["state"], &wide["replaced_by"]), (&json!("active"), &Value::Null));
    assert_eq!(ping(&app, &wide_token).await.0, 200, "still works");
    assert!(audited(&app, "api_key.rotated").is_empty());
    let (status, _, _) =
        api(&app, Method::POST, &format!("{reader_path}/rotate"), &narrow, Some(json!({"grace": "1h"}))).await;
    assert_eq!(status, 201, "a covered key can be rotated");
    // Full access covers exactly the eight resource scopes: an admin holding them may issue it.
    let (status, full, _) =
        api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "Full", "scopes": []}))).await;
    assert_eq!((status, &full["full_access"]), (201, &json!(true)));
    let (status, answer, _) =
        api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "More", "scopes": ["audit:read"]}))).await;
    assert_eq!(
        (status, code(&answer)),
        (403, "scope_escalation"),
        "management scopes are only ever held, never implied"
    );
}

#[tokio::test]
async fn the_key_policy_holds_for_api_creates_edits_and_rotations() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let (wide_id, _) = app.make_scoped_key("acme", "Wide", &[]);
    let owner = app.logged_in("owner@acme.test").await;
    let res = owner
        .post_form(
            "/orgs/acme/settings/security/key-policy",
            &[
                ("max_key_lifetime_days", "30"),
                ("require_key_expiry", "on"),
                ("forbid_full_access", "on"),
                ("require_ip_allowlist", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let before = app.key_count("acme");

    let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(json!({"label": "Too wide"}))).await;
    assert_eq!((status, code(&answer)), (422, "validation_failed"), "{answer}");
    let mut fields = detail_fields(&answer);
    fields.sort();
    assert_eq!(fields, ["allowed_ips", "expires_at", "scopes"]);
    for field in ["allowed_ips", "expires_at", "scopes"] {
        assert!(detail_message(&answer, field).contains("key policy"), "{field}: {answer}");
    }
    let ok =
        json!({"label": "Fine", "scopes": ["orders:read"], "allowed_ips": ["127.0.0.1"], "expires_at": in_days(20)});
    let mut too_long = ok.clone();
    too_long["expires_at"] = in_days(45).into();
    let (status, answer, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(too_long)).await;
    assert_eq!((status, detail_fields(&answer)), (422, vec!["expires_at".to_owned()]));
    assert!(detail_message(&answer, "expires_at").contains("30 days"));
    assert_eq!(app.key_count("acme"), before, "nothing was made");
    let (status, fine, _) = api(&app, Method::POST, "/api/v1/keys", &admin, Some(ok)).await;
    assert_eq!(status, 201, "{fine}");
    let fine_id = fine["id"].as_str().unwrap();

    // A PATCH that breaks it is refused and changes nothing.
    let path = format!("/api/v1/keys/{fine_id}");
    let (status, answer, _) =
        api(&app, Method::PATCH, &path, &admin, Some(json!({"allowed_ips": [], "label": "Open"}))).await;
    assert_eq!((status, detail_fields(&answer)), (422, vec!["allowed_ips".to_owned()]));
    assert!(detail_message(&answer, "allowed_ips").contains("key policy"));
    let (_, still, _) = api(&app, Method::GET, &path, &admin, None).await;
    assert_eq!(still["label"], "Fine");
    // An older full-access key cannot be rotated into a new full-access key.
    let (status, answer, _) =
        api(&app, Method::POST, &format!("/api/v1/keys/{wide_id}/rotate"), &admin, Some(json!({"grace": "none"})))
            .await;
    assert_eq!((status, code(&answer)), (422, "validation_failed"), "{answer}");
    assert!(detail_fields(&answer).contains(&"scopes".to_owned()));
    let (_, wide, _) = api(&app, Method::GET, &format!("/api/v1/keys/{wide_id}"), &admin, None).await;
    assert_eq!((&wide["state"], &wide["replaced_by"]), (&json!("active"), &Value::Null), "not rotated");
}

#[tokio::test]
async fn an_idempotency_key_makes_a_repeated_create_make_nothing() {
    let app = spawn_app().await;
    app.seed_acme();
    let (_, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let (_, second_admin) = app.make_scoped_key("acme", "Admin 2", &ADMIN_SCOPES);
    let body = json!({"label": "From CI", "scopes": ["orders:read"]});
    let post = |token: &str, headers: Vec<(&'static str, String)>| {
        let (app, body, token) = (&app, body.clone(), token.to_owned());
        async move {
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            api_with(app, Method::POST, "/api/v1/keys", &token, Some(body), &headers).await
        }
    };
    let start = app.key_count("acme");
    let (status, first, _) = post(&admin, vec![("Idempotency-Key", "deploy-42".into())]).await;
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (status, again, headers) = post(&admin, vec![("Idempotency-Key", "deploy-42".into())]).await;
        assert_eq!((status, code(&again)), (409, "already_created"), "{again}");
        assert_eq!(again["error"]["key_id"], first_id.as_str());
        assert!(
            again.get("token").is_none() && !again.to_string().contains("lk_live_"),
            "the token is not shown again"
        );
        assert!(headers.get("location").is_none());
    }
    assert_eq!(app.key_count("acme"), start + 1, "no second key");
    assert_eq!(audited(&app, "api_key.created").len(), 1);

    let (status, other, _) = post(&admin, vec![("Idempotency-Key", "deploy-43".into())]).await;
    assert_eq!(status, 201, "another Idempotency-Key creates");
    assert_ne!(other["id"], first_id.as_str());
    let (status, _, _) = post(&second_admin, vec![("Idempotency-Key", "deploy-42".into())]).await;
    assert_eq!(status, 201, "the same value from another key is another request");
    for _ in 0..2 {
        assert_eq!(post(&admin, vec![]).await.0, 201, "without the header every POST creates");
    }
    assert_eq!(app.key_count("acme"), start + 5);

    // Sent at once, the same request still makes one key.
    let race = || post(&admin, vec![("Idempotency-Key", "race-1".into())]);
    let (a, b, c, d, e) = tokio::join!(race(), race(), race(), race(), race());
    let answers = [a, b, c, d, e];
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _, _)| *status).collect();
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409], "{answers:?}");
    let winner = answers.iter().find(|(s, _, _)| *s == 201).unwrap().1["id"].clone();
    assert!(answers.iter().filter(|(s, _, _)| *s == 409).all(|(_, b, _)| b["error"]["key_id"] == winner));
    assert_eq!(app.key_count("acme"), start + 6);

    for bad in ["x".repeat(256), "has space".to_owned(), "tab\there".to_owned()] {
        let (status, answer, _) = post(&admin, vec![("Idempotency-Key", bad.clone())]).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{bad:?}");
        assert_eq!(detail_fields(&answer), ["Idempotency-Key"]);
    }
    assert_eq!(app.key_count("acme"), start + 6);
}

#[tokio::test]
async fn rotating_a_key_issues_its_replacement_and_keeps_the_old_one_for_the_grace_period() {
    let app = spawn_app().await;
    app.seed_acme();
    let (admin_id, admin) = app.make_scoped_key("acme", "Admin", &ADMIN_SCOPES);
    let (old_id, old_token) = app.make_scoped_key("acme", "Worker", &["orders:read"]);
    let rotate_path = format!("/api/v1/keys/{old_id}/rotate");

    for (body, fields) in [
        (json!({"grace": "2h"}), vec!["grace"]),
        (json!({}), vec!["grace"]),
        (json!({"grace": 1}), vec!["grace"]),
        (json!({"grace": "1h", "label": "x"}), vec!["label"]),
    ] {
        let (status, answer, _) = api(&app, Method::POST, &rotate_path, &admin, Some(body.clone())).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{body}");
        assert_eq!(detail_fields(&answer), fields, "{body}");
    }
    let (status, _, _) = api(&app, Method::POST, &rotate_path, &admin, None).await;
    assert_eq!(status, 415, "no body at all");
    assert_eq!(get_key(&app, &admin, &old_id).await["state"], "active", "nothing rotated yet");

    let (status, new, headers) = api(&app, Method::POST, &rotate_path, &admin, Some(json!({"grace": "1h"}))).await;
    assert_eq!(status, 201, "{new}");
    let new_id = new["id"].as_str().unwrap().to_owned();
    let new_token = new["token"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old_id);
    assert!(new_token.starts_with("lk_live_") && new_token.starts_with(new["prefix"].as_str().unwrap()));
    assert_eq!(headers["location"], format!("/api/v1/keys/{new_id}").as_str());
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(new["rotated_from"], old_id.as_str());
    assert_eq!(
        (&new["label"], &new["scopes"], &new["state"]),
        (&json!("Worker"), &json!(["orders:read"]), &json!("active"))
    );
    assert_eq!(new["created_by"]["id"], admin_id.as_str());
    let old = get_key(&app, &admin, &old_id).await;
    assert_eq!((&old["state"], &old["replaced_by"]), (&json!("rotating"), &json!(new_id)));
    assert_eq!(ping(&app, &old_token).await.0, 200, "the old key works during the grace period");
    assert_eq!(ping(&app, &new_token).await.0, 200);
    let rotated = audited(&app, "api_key.rotated");
    assert_eq!(rotated.len(), 1);
    assert_eq!(rotated[0].target_id.as_deref(), Some(old_id.as_str()));
    let details: Value = serde_json::from_str(&rotated[0].details).unwrap();
    assert_eq!((&details["grace"], &details["replaced_by"]), (&json!("1h"), &json!(new_id)));
    let (_, rotating, _) = api(&app, Method::GET, "/api/v1/keys?state=rotating", &admin, None).await;
    assert_eq!(rotating["data"].as_array().unwrap().len(), 1);

    // A rotated key cannot be rotated again; its replacement can.
    for grace in ["1h", "none"] {
        let (status, answer, _) = api(&app, Method::POST, &rotate_path, &admin, Some(json!({"grace": grace}))).await;
        assert_eq!((status, code(&answer)), (422, "validation_failed"), "{answer}");
    }
    assert_eq!(app.key_count("acme"), 3);

    // Without grace the old key is revoked at once.
    let (status, newest, _) =
        api(&app, Method::POST, &format!("/api/v1/keys/{new_id}/rotate"), &admin, Some(json!({"grace": "none"}))).await;
    assert_eq!(status, 201, "{newest}");
    let (status, answer, _) = ping(&app, &new_token).await;
    assert_eq!((status, code(&answer)), (401, "revoked_key"));
    assert_eq!(get_key(&app, &admin, &new_id).await["state"], "revoked");
    assert_eq!(ping(&app, newest["token"].as_str().unwrap()).await.0, 200);
    assert_eq!(ping(&app, &old_token).await.0, 200, "the first key's own grace period still runs");
    // Revoked keys are not rotated either.
    let (status, _, _) =
        api(&app, Method::POST, &format!("/api/v1/keys/{new_id}/rotate"), &admin, Some(json!({"grace": "7d"}))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_key_rotates_itself_only_with_keys_self_rotate() {
    let app = spawn_app().await;
    app.seed_acme();
    for scopes in [vec![], vec!["orders:read"], vec!["keys:write", "orders:read"]] {
        let (id, token) = app.make_scoped_key("acme", "Plain", &scopes);
        let (status, own, _) = api(&app, Method::GET, "/api/v1/keys/self", &token, None).await;
        assert_eq!((status, &own["id"]), (200, &json!(id)));
        let (status, answer, _) =
            api(&app, Method::POST, "/api/v1/keys/self/rotate", &token, Some(json!({"grace": "1h"}))).await;
        assert_eq!((status, code(&answer)), (403, "insufficient_scope"), "{scopes:?}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("keys:self_rotate"));
        assert_eq!(ping(&app, &token).await.0, 200);
    }
    assert!(audited(&app, "api_key.rotated").is_empty());

    let (id, token) = app.make_scoped_key("acme", "Self", &["products:read", "keys:self_rotate"]);
    let (status, answer, _) =
        api(&app, Method::POST, "/api/v1/keys/self/rotate", &token, Some(json!({"grace": "forever"}))).await;
    assert_eq!((status, detail_fields(&answer)), (422, vec!["grace".to_owned()]));
    let (status, new, headers) =
        api(&app, Method::POST, "/api/v1/keys/self/rotate", &token, Some(json!({"grace": "none"}))).await;
    assert_eq!(status, 201, "{new}");
    assert_eq!(new["rotated_from"], id.as_str());
    assert_eq!(new["scopes"], json!(["products:read", "keys:self_rotate"]), "the replacement can rotate itself too");
    assert_eq!(new["created_by"], json!({"type": "api_key", "id": id, "name": new["created_by"]["name"]}));
    assert!(headers["location"].to_str().unwrap().ends_with(new["id"].as_str().unwrap()));
    assert_eq!(code(&ping(&app, &token).await.1), "revoked_key", "grace none: the caller is revoked at once");
}

/// The issue's scenario: a CI job holding a `keys:self_rotate` key rotates
/// it with a grace period, deploys the new token, and the old one stops
/// working when the grace period ends.
#[tokio::test]
async fn ci_rotates_its_own_key_and_the_old_one_is_revoked_when_the_grace_period_ends() {
    let app = spawn_app().await;
    app.seed_acme();
    let (old_id, old_token) = app.make_scoped_key("acme", "CI deploy", &["orders:write", "keys:self_rotate"]);
    let (status, own, _) = api(&app, Method::GET, "/api/v1/keys/self", &old_token, None).await;
    assert_eq!((status, &own["id"], &own["state"]), (200, &json!(old_id), &json!("active")));

    let deploy = [("Idempotency-Key", "deploy-7")];
    let rotate =
        || api_with(&app, Method::POST, "/api/v1/keys/self/rotate", &old_token, Some(json!({"grace": "1h"})), &deploy);
    let (status, rotated, _) = rotate().await;
    assert_eq!(status, 201, "{rotated}");
    let new_id = rotated["id"].as_str().unwrap().to_owned();
    // The job retries the call (its answer was lost): told it happened, with the replacement's id, and no token.
    let (status, again, _) = rotate().await;
    assert_eq!((status, code(&again), &again["error"]["key_id"]), (409, "already_created", &json!(new_id)));
    assert!(again.get("token").is_none());
    let new_token = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated["rotated_from"], old_id.as_str());

    // During the grace period both tokens work.
    for token in [&old_token, &new_token] {
        assert_eq!(ping(&app, token).await.0, 200);
        let order = json!({"customer_email": "ci@example.com"});
        assert_eq!(api(&app, Method::POST, "/api/v1/orders", token, Some(order)).await.0, 201);
    }
    let (_, old_self, _) = api(&app, Method::GET, "/api/v1/keys/self", &old_token, None).await;
    assert_eq!((&old_self["state"], &old_self["replaced_by"]), (&json!("rotating"), &json!(new_id)));
    let (_, new_self, _) = api(&app, Method::GET, "/api/v1/keys/self", &new_token, None).await;
    assert_eq!((&new_self["id"], &new_self["state"]), (&json!(new_id), &json!("active")));
    // A second run with the old token cannot rotate again.
    let (status, answer, _) =
        api(&app, Method::POST, "/api/v1/keys/self/rotate", &old_token, Some(json!({"grace": "1h"}))).await;
    assert_eq!((status, code(&answer)), (422, "validation_failed"));
    assert_eq!(app.key_count("acme"), 2);

    // The grace period ends; the scheduler's job revokes the old key.
    sql(&app, &format!("UPDATE api_keys SET grace_until = '2000-01-01 00:00:00' WHERE key_id = '{old_id}'"));
    let state = latchkey::app::state::AppState::new(app.config.clone(), app.pool.clone());
    latchkey::jobs::revoke_after_grace(&state).await.expect("grace job");
    let (status, answer, _) = ping(&app, &old_token).await;
    assert_eq!((status, code(&answer)), (401, "revoked_key"));
    assert_eq!(ping(&app, &new_token).await.0, 200, "the new token still works");
    let revoked = audited(&app, "api_key.revoked");
    assert_eq!(revoked.len(), 1, "revoked once, by whichever scheduler run got there first");
    assert_eq!(revoked[0].target_id.as_deref(), Some(old_id.as_str()));
    assert_eq!(revoked[0].actor_type, "system");
    assert!(revoked[0].details.contains("rotation_grace_ended"), "{}", revoked[0].details);

    // The next CI run rotates the new key the same way.
    let (status, next, _) =
        api(&app, Method::POST, "/api/v1/keys/self/rotate", &new_token, Some(json!({"grace": "1h"}))).await;
    assert_eq!(status, 201, "{next}");
    assert_eq!(next["rotated_from"], new_id.as_str());
    assert_eq!(ping(&app, next["token"].as_str().unwrap()).await.0, 200);
}
