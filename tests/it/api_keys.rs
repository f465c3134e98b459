use crate::support::*;
use diesel::RunQueryDsl;
use scraper::Html;

pub(crate) fn row_status(html: &Html, key_id: &str) -> Option<String> {
    select_attr(html, &format!("tr[data-testid=key-row][data-key-id=\"{key_id}\"]"), "data-status")
}

fn sql(app: &TestApp, statement: &str) {
    diesel::sql_query(statement).execute(&mut app.conn()).expect("sql");
}

#[tokio::test]
async fn a_new_key_is_shown_once_and_unlocks_ping() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (status, form) = owner.get_html(&format!("{KEYS}/new")).await;
    assert_eq!(status, 200);
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let res = owner
        .post_form(
            KEYS,
            &[
                ("form_id", &form_id),
                ("label", "Zapier"),
                ("access", "custom"),
                ("scopes", "orders:write"),
                ("scopes", "customers:read"),
                ("expires_at", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = Html::parse_document(&res.text().await.expect("body"));
    let token = select_all_text(&html, "[data-testid=new-secret]").pop().expect("secret");
    let key_id = select_attr(&html, "[data-testid=secret-dialog]", "data-key-id").expect("key id");
    assert_eq!(count(&html, "[data-testid=copy-secret]"), 1);
    assert!(html.html().contains("You won't see this again"));
    assert!(token.starts_with("lk_live_") && token.len() == 46, "{token}");
    assert!(key_id.starts_with("key_") && key_id.len() == 20);

    let (status, body, headers) = ping(&app, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["org"], "acme");
    assert_eq!(body["key_id"], key_id.as_str());
    assert_eq!(body["scopes"], serde_json::json!(["customers:read", "orders:read", "orders:write"]));
    assert_eq!(body["full_access"], false);
    assert_eq!(headers["api-key-expires"], "2099-01-31T00:00:00Z");

    // The list shows it; the secret is nowhere on the page.
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(row_status(&list, &key_id).as_deref(), Some("active"));
    assert!(!list.html().contains(&token));
    assert!(list.html().contains(&token[..14]), "display prefix shown");
    let (_, detail) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    assert!(!detail.html().contains(&token));
}

#[tokio::test]
async fn a_key_without_scopes_has_full_access() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { token, .. } = create_key(&owner, &[("label", "Backend")]).await;
    let (status, body, headers) = ping(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["full_access"], true);
    assert_eq!(body["scopes"].as_array().map(Vec::len), Some(8));
    assert!(headers.get("api-key-expires").is_none());
}

#[tokio::test]
async fn a_replayed_create_form_creates_nothing_and_shows_no_secret() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let fields = [("form_id", form_id.as_str()), ("label", "Once"), ("access", "full")];
    assert_eq!(owner.post_form(KEYS, &fields).await.status(), 200);
    let again = owner.post_form(KEYS, &fields).await;
    assert_eq!(again.status(), 409);
    let html = Html::parse_document(&again.text().await.expect("body"));
    assert_eq!(count(&html, "[data-testid=new-secret]"), 0);
    assert_eq!(count(&html, "[data-testid=already-created]"), 1);
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(count(&list, "tr[data-testid=key-row]"), 1);
}

#[tokio::test]
async fn only_a_form_id_the_server_issued_to_this_user_can_create_or_rotate_a_key() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let admin = app.logged_in("admin@acme.test").await;
    let (_, admins_form) = admin.get_html(&format!("{KEYS}/new")).await;
    let admins_id = select_attr(&admins_form, "input[name=form_id]", "value").expect("form id");
    let made_up = "aaaaaaaaaaaaaaaaaaaaaaaa.00112233";
    for form_id in [None, Some(made_up), Some("abc"), Some(admins_id.as_str())] {
        let mut fields = vec![("label", "Sneaky"), ("description", "kept"), ("access", "full")];
        if let Some(id) = form_id {
            fields.push(("form_id", id));
        }
        let res = owner.post_form(KEYS, &fields).await;
        assert_eq!(res.status(), 422, "{form_id:?}");
        let html = Html::parse_document(&res.text().await.expect("body"));
        assert_eq!(count(&html, "[data-testid=new-secret]"), 0);
        assert_eq!(count(&html, "[data-testid=form-error]"), 1, "{form_id:?}: the form says why");
        assert_eq!(select_attr(&html, "input[name=label]", "value").as_deref(), Some("Sneaky"), "values kept");
        let fresh = select_attr(&html, "input[name=form_id]", "value").expect("a fresh form id");
        assert_ne!(Some(fresh.as_str()), form_id);
    }
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(count(&list, "tr[data-testid=key-row]"), 0, "nothing was created");

    let CreatedKey { id: key_id, .. } = create_key(&owner, &[("label", "Real")]).await;
    let res = owner.post_form(&format!("{KEYS}/{key_id}/rotate"), &[("grace", "1h"), ("form_id", made_up)]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(count(&html, "[data-testid=new-secret]"), 0);
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(count(&list, "tr[data-testid=key-row]"), 1, "no replacement was issued");
}

#[tokio::test]
async fn the_token_is_never_stored_logged_or_audited() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "Secret keeper")]).await;
    ping(&app, &token).await;
    let mut conn = app.conn();
    let key = latchkey::db::api_keys::find(&mut conn, org_id(&app, "acme"), &key_id).expect("q").expect("key");
    assert_ne!(key.token_hash, token);
    assert_eq!(key.token_hash.len(), 64);
    let everything = format!("{:?}{:?}", key, events(&app, org_id(&app, "acme")));
    assert!(!everything.contains(&token[14..]), "no part of the secret beyond the display prefix");
    if app.database_url.starts_with("sqlite://") {
        let path = app.database_url.trim_start_matches("sqlite://");
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(&token[14..]), "{file} holds the token");
            }
        }
    }
}

#[tokio::test]
async fn each_key_state_answers_its_own_error_code() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "States")]).await;

    // No header, a blank one, a mistyped token, an unknown well-formed one.
    let res = reqwest::get(format!("{}/api/v1/ping", app.base)).await.expect("get");
    let request_id = res.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(code(&body), "missing_key");
    assert_eq!(body["error"]["request_id"], request_id.as_str());
    let mut typo = token.clone().into_bytes();
    typo[20] = if typo[20] == b'A' { b'B' } else { b'A' };
    assert_eq!(code(&ping(&app, &String::from_utf8(typo).expect("utf8")).await.1), "malformed_key");
    assert_eq!(code(&ping(&app, "not-a-key").await.1), "malformed_key");
    let unknown = latchkey::domain::token::ApiKeySecret::generate(&Default::default());
    assert_eq!(code(&ping(&app, unknown.expose()).await.1), "invalid_key");

    let act = |action: &'static str| {
        let path = format!("{KEYS}/{key_id}/{action}");
        let owner = &owner;
        async move { owner.post_form(&path, &[("grace", "none")]).await.status().as_u16() }
    };
    assert_eq!(act("deactivate").await, 303);
    assert_eq!(code(&ping(&app, &token).await.1), "disabled_key");
    assert_eq!(act("activate").await, 303);
    assert_eq!(ping(&app, &token).await.0, 200, "works again at once");

    sql(&app, &format!("UPDATE api_keys SET expires_at = '2000-01-01 00:00:00' WHERE key_id = '{key_id}'"));
    acknowledged(&app).await;
    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (401, "expired_key"));
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(row_status(&list, &key_id).as_deref(), Some("expired"));
    let state = latchkey::app::state::AppState::new(app.config.clone(), app.pool.clone());
    latchkey::jobs::run_once(&state).await;
    latchkey::jobs::run_once(&state).await;
    let expired: Vec<_> =
        events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "api_key.expired").collect();
    assert_eq!(expired.len(), 1, "recorded once, by the scheduler");
    assert_eq!(expired[0].actor_type, "system");
    // Restoring an expired key = editing its expiry to a future date.
    let res = owner
        .post_form(
            &format!("{KEYS}/{key_id}/edit"),
            &[("label", "States"), ("access", "full"), ("expires_at", "2099-12-31"), ("enabled", "on")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(ping(&app, &token).await.0, 200);

    sql(&app, "UPDATE orgs SET plan = 'trial' WHERE slug = 'acme'");
    acknowledged(&app).await;
    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (403, "plan_required"));
    sql(&app, "UPDATE orgs SET plan = 'paid' WHERE slug = 'acme'");
    acknowledged(&app).await;

    assert_eq!(act("revoke").await, 303);
    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"));
    ping(&app, &token).await;
    let used: Vec<_> =
        events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "api_key.revoked_key_used").collect();
    assert_eq!(used.len(), 1, "recorded at most once a minute");
    assert_eq!(used[0].ip.as_deref(), Some("127.0.0.1"));
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(row_status(&list, &key_id).as_deref(), Some("revoked"));
    assert_eq!(count(&list, "tr.row-muted"), 1, "revoked rows are greyed");

    assert_eq!(act("delete").await, 303);
    assert_eq!(code(&ping(&app, &token).await.1), "invalid_key");
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(row_status(&list, &key_id), None);
    let deleted =
        events(&app, org_id(&app, "acme")).into_iter().find(|e| e.action == "api_key.deleted").expect("deleted event");
    assert!(
        deleted.target_label.as_deref().unwrap_or_default().contains(&token[..14]),
        "the log keeps label and prefix"
    );
}

#[tokio::test]
async fn rotation_keeps_the_old_key_for_its_grace_period_then_revokes_it() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: old_id, token: old_token } =
        create_key(&owner, &[("label", "Rotating"), ("scopes", "products:read")]).await;
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{old_id}/rotate")).await;
    let form_id = select_attr(&confirm, "input[name=form_id]", "value").expect("form id");
    let res = owner.post_form(&format!("{KEYS}/{old_id}/rotate"), &[("grace", "1h"), ("form_id", &form_id)]).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.expect("body"));
    let new_token = select_all_text(&html, "[data-testid=new-secret]").pop().expect("new secret");
    let new_id = select_attr(&html, "[data-testid=secret-dialog]", "data-key-id").expect("id");
    assert_ne!(new_id, old_id);

    let (_, body, _) = ping(&app, &new_token).await;
    assert_eq!(body["scopes"], serde_json::json!(["products:read"]), "same scopes");
    assert_eq!(ping(&app, &old_token).await.0, 200, "old key works during the grace period");
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(row_status(&list, &old_id).as_deref(), Some("rotating"));
    assert_eq!(row_status(&list, &new_id).as_deref(), Some("active"));

    // Replaying the rotate form issues nothing new.
    let again = owner.post_form(&format!("{KEYS}/{old_id}/rotate"), &[("grace", "1h"), ("form_id", &form_id)]).await;
    assert_ne!(again.status(), 200);

    // When the grace period ends, the scheduler revokes the old key.
    sql(&app, &format!("UPDATE api_keys SET grace_until = '2000-01-01 00:00:00' WHERE key_id = '{old_id}'"));
    let state = latchkey::app::state::AppState::new(app.config.clone(), app.pool.clone());
    latchkey::jobs::run_once(&state).await;
    let (status, body, _) = ping(&app, &old_token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"));
    assert_eq!(ping(&app, &new_token).await.0, 200);
    let revoked =
        events(&app, org_id(&app, "acme")).into_iter().find(|e| e.action == "api_key.revoked").expect("event");
    assert_eq!(revoked.actor_type, "system");
    assert!(revoked.details.contains("rotation_grace_ended"));
    latchkey::jobs::run_once(&state).await;
    let revocations = events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "api_key.revoked").count();
    assert_eq!(revocations, 1, "a second run changes nothing");
}

#[tokio::test]
async fn rotating_without_grace_revokes_the_old_key_at_once() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: old_id, token: old_token } = create_key(&owner, &[("label", "Now")]).await;
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{old_id}/rotate")).await;
    let form_id = select_attr(&confirm, "input[name=form_id]", "value").expect("form id");
    let res = owner.post_form(&format!("{KEYS}/{old_id}/rotate"), &[("grace", "none"), ("form_id", &form_id)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(code(&ping(&app, &old_token).await.1), "revoked_key");
}

#[tokio::test]
async fn sensitive_actions_ask_for_the_password_after_ten_minutes() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "Sudo"), ("scopes", "orders:read")]).await;
    let stale = app.stale_sudo_session("owner@acme.test", 11);
    let revoke = format!("{KEYS}/{key_id}/revoke");

    let (_, confirm) = stale.get_html(&revoke).await;
    assert_eq!(count(&confirm, "input[name=password]"), 1, "the confirmation asks for the password");
    let res = stale.post_raw(&revoke, &[("csrf_token", "csrf-token")]).await;
    assert_eq!(res.status(), 422);
    let res = stale.post_raw(&revoke, &[("csrf_token", "csrf-token"), ("password", "wrong password")]).await;
    assert_eq!(res.status(), 422);
    assert_eq!(ping(&app, &token).await.0, 200, "still not revoked");

    // Widening scopes asks too; narrowing does not.
    let edit = format!("{KEYS}/{key_id}/edit");
    let wide = [("csrf_token", "csrf-token"), ("label", "Sudo"), ("access", "full"), ("enabled", "on")];
    let res = stale.post_raw(&edit, &wide).await;
    assert_eq!(res.status(), 422, "full access = widening");
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(count(&html, "input[name=password]"), 1);
    assert_eq!(select_attr(&html, "#label", "value").as_deref(), Some("Sudo"), "values kept");
    let narrow = [
        ("csrf_token", "csrf-token"),
        ("label", "Sudo renamed"),
        ("access", "custom"),
        ("scopes", "orders:read"),
        ("enabled", "on"),
    ];
    assert_eq!(stale.post_raw(&edit, &narrow).await.status(), 303);

    let res = stale.post_raw(&revoke, &[("csrf_token", "csrf-token"), ("password", PASSWORD)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(code(&ping(&app, &token).await.1), "revoked_key");
    // A fresh login needs no password.
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{key_id}/delete")).await;
    assert_eq!(count(&confirm, "input[name=password]"), 0);
}

#[tokio::test]
async fn scope_changes_are_audited_with_before_and_after() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, .. } = create_key(&owner, &[("label", "Scoped"), ("scopes", "orders:read")]).await;
    let res = owner
        .post_form(
            &format!("{KEYS}/{key_id}/edit"),
            &[
                ("label", "Scoped v2"),
                ("access", "custom"),
                ("scopes", "orders:write"),
                ("rate_limit_per_minute", "30"),
                ("enabled", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let log = events(&app, org_id(&app, "acme"));
    let scopes = log.iter().find(|e| e.action == "api_key.scopes_changed").expect("scopes event");
    assert_eq!(
        scopes.details,
        r#"{"after":{"scopes":["orders:read","orders:write"]},"before":{"scopes":["orders:read"]}}"#
    );
    let updated = log.iter().find(|e| e.action == "api_key.updated").expect("updated event");
    assert_eq!(
        updated.details,
        r#"{"after":{"label":"Scoped v2","rate_limit_per_minute":30},"before":{"label":"Scoped","rate_limit_per_minute":null}}"#
    );
    let (_, detail) = owner.get_html(&format!("{KEYS}/{key_id}")).await;
    let actions: Vec<String> = {
        let sel = scraper::Selector::parse("[data-testid=key-activity] tr[data-testid=audit-row]").expect("sel");
        detail.select(&sel).filter_map(|r| r.value().attr("data-action").map(str::to_owned)).collect()
    };
    assert_eq!(actions, ["api_key.scopes_changed", "api_key.updated", "api_key.created"], "the key's own activity");
}

#[tokio::test]
async fn bad_input_is_explained_next_to_each_field_and_nothing_is_created() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, form) = owner.get_html(&format!("{KEYS}/new")).await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let res = owner
        .post_form(
            KEYS,
            &[
                ("form_id", &form_id),
                ("label", ""),
                ("description", "keep me"),
                ("access", "custom"),
                ("scopes", "orders:write"),
                ("expires_at", "2001-01-01"),
                ("allowed_ips", "10.0.0.1, not-an-ip"),
                ("rate_limit_per_minute", "lots"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    for id in ["label-error", "expires_at-error", "allowed_ips-error", "rate_limit_per_minute-error"] {
        assert_eq!(count(&html, &format!("#{id}[data-testid=form-error]")), 1, "{id}");
    }
    assert_eq!(select_all_text(&html, "#description"), ["keep me"]);
    assert_eq!(select_attr(&html, "#scope-orders-write", "checked").as_deref(), Some(""), "checked boxes stay checked");
    assert_eq!(
        select_attr(&html, "input[name=form_id]", "value").as_deref(),
        Some(form_id.as_str()),
        "same one-time form"
    );
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(count(&list, "tr[data-testid=key-row]"), 0);
    // Fixing the mistakes with the same form works.
    let res = owner.post_form(KEYS, &[("form_id", &form_id), ("label", "Fixed"), ("access", "full")]).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn labels_and_descriptions_are_escaped() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, .. } =
        create_key(&owner, &[("label", "<script>alert(1)</script>"), ("description", "<img src=x onerror=alert(2)>")])
            .await;
    for path in [KEYS.to_owned(), format!("{KEYS}/{key_id}")] {
        let body = owner.get(&path).await.text().await.expect("body");
        assert!(!body.contains("<script>alert(1)") && !body.contains("<img src=x"), "{path}");
    }
}

#[tokio::test]
async fn on_free_and_trial_plans_keys_can_be_viewed_revoked_and_deleted_only() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "Downgraded")]).await;
    let CreatedKey { id: other_id, .. } = create_key(&owner, &[("label", "Other")]).await;
    sql(&app, "UPDATE orgs SET plan = 'free' WHERE slug = 'acme'");
    let (_, list) = owner.get_html(KEYS).await;
    assert_eq!(count(&list, "[data-testid=create-key]"), 0);
    assert_eq!(count(&list, "[data-testid=plan-gate]"), 1);
    assert_eq!(count(&list, "[data-testid=key-action-rotate]"), 0);
    assert_eq!(owner.get(&format!("{KEYS}/new")).await.status(), 403);
    assert_eq!(owner.post_form(KEYS, &[("label", "New"), ("form_id", "abc")]).await.status(), 403);
    assert_eq!(owner.post_form(&format!("{KEYS}/{key_id}/rotate"), &[("grace", "none")]).await.status(), 403);
    assert_eq!(owner.post_form(&format!("{KEYS}/{key_id}/deactivate"), &[]).await.status(), 303);
    assert_eq!(owner.post_form(&format!("{KEYS}/{key_id}/activate"), &[]).await.status(), 403);
    assert_eq!(code(&ping(&app, &token).await.1), "disabled_key");
    assert_eq!(owner.get(&format!("{KEYS}/{key_id}")).await.status(), 200);
    assert_eq!(owner.post_form(&format!("{KEYS}/{key_id}/revoke"), &[]).await.status(), 303);
    assert_eq!(owner.post_form(&format!("{KEYS}/{other_id}/delete"), &[]).await.status(), 303);
}

#[tokio::test]
async fn only_owners_and_admins_reach_keys_and_other_orgs_get_404() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, .. } = create_key(&owner, &[("label", "Gated")]).await;
    let paths = [
        KEYS.to_owned(),
        format!("{KEYS}/new"),
        format!("{KEYS}/{key_id}"),
        format!("{KEYS}/{key_id}/edit"),
        format!("{KEYS}/{key_id}/revoke"),
    ];
    for (email, want) in
        [("admin@acme.test", 200), ("member@acme.test", 403), ("readonly@acme.test", 403), ("outsider@other.test", 404)]
    {
        let visitor = app.logged_in(email).await;
        for path in &paths {
            assert_eq!(visitor.get(path).await.status(), want, "{email} GET {path}");
        }
        if want != 200 {
            let res = visitor.post_form(&format!("{KEYS}/{key_id}/revoke"), &[]).await;
            assert_eq!(res.status(), want, "{email} POST revoke");
        }
    }
    // A key id of another org is simply not found under this org.
    let outsider = app.logged_in("outsider@other.test").await;
    let (status, _) = outsider.get_html(&format!("/orgs/other/settings/api-keys/{key_id}")).await;
    assert_eq!(status, 404);
}
