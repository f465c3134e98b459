//! The keys list and what others see of keys: search, filters, sorting and
//! paging, last-use records, staff's read-only view, plan changes.

use crate::support::*;

#[tokio::test]
async fn the_list_searches_filters_sorts_and_pages() {
    let app = spawn_app().await;
    let org = app.seed_acme();
    let owner_user = app.user("owner@acme.test");
    let mut conn = app.conn();
    let settings = latchkey::db::api_keys::KeySettings {
        label: String::new(),
        description: String::new(),
        scopes: Default::default(),
        expires_at: None,
        allowed_ips: Default::default(),
        rate_limit_per_minute: None,
        owner_id: None,
        metadata: None,
    };
    for i in 0..60 {
        let secret = latchkey::domain::token::ApiKeySecret::generate(&Default::default());
        let key_id = latchkey::domain::token::KeyId::generate();
        let mut s = settings.clone();
        s.label = if i == 7 { "Special 7%".into() } else { format!("Bulk key {i}") };
        let key = latchkey::db::api_keys::insert(
            &mut conn,
            latchkey::db::api_keys::NewKey {
                org_id: org.id,
                key_id: key_id.as_str(),
                token_hash: &secret.hash(),
                display_prefix: &secret.display_prefix(),
                settings: &s,
                created_by: latchkey::db::api_keys::CreatedBy {
                    user_id: Some(owner_user.id),
                    email: Some("owner@acme.test"),
                    key_id: None,
                    name: "Olive Owner",
                },
                rotated_from: None,
            },
        )
        .expect("insert");
        if i % 10 == 0 {
            latchkey::db::api_keys::set_enabled(&mut conn, key.id, false).expect("disable");
        }
    }
    drop(conn);
    let owner = app.logged_in("owner@acme.test").await;
    let (_, first) = owner.get_html(KEYS).await;
    assert_eq!(count(&first, "tr[data-testid=key-row]"), 50);
    let next = select_attr(&first, "[data-testid=next-page]", "href").expect("next").replace("&amp;", "&");
    let (_, second) = owner.get_html(&next).await;
    assert_eq!(count(&second, "tr[data-testid=key-row]"), 10);
    // The list says how many keys there are, and which of them a page shows.
    assert_eq!(select_all_text(&first, "[data-testid=key-count]"), ["1–50 of 60 keys"]);
    assert_eq!(select_all_text(&second, "[data-testid=key-count]"), ["51–60 of 60 keys"]);
    let (_, found) = owner.get_html(&format!("{KEYS}?q=special%207%25")).await;
    assert_eq!(count(&found, "tr[data-testid=key-row]"), 1, "search is literal and case-insensitive");
    let (_, disabled) = owner.get_html(&format!("{KEYS}?state=disabled")).await;
    assert_eq!(count(&disabled, "tr[data-testid=key-row][data-status=disabled]"), 6);
    assert_eq!(count(&disabled, "tr[data-testid=key-row]"), 6);
    assert_eq!(select_all_text(&disabled, "[data-testid=key-count]"), ["6 keys match"]);
    let some_id = select_attr(&second, "tr[data-testid=key-row]", "data-key-id").expect("id");
    let (_, by_id) = owner.get_html(&format!("{KEYS}?q={some_id}")).await;
    assert_eq!(select_attr(&by_id, "tr[data-testid=key-row]", "data-key-id"), Some(some_id));
    // Sorts go both ways.
    let first_label =
        |html: &scraper::Html| select_all_text(html, "tr[data-testid=key-row] .key-label").first().cloned();
    assert_eq!(first_label(&first).as_deref(), Some("Bulk key 59"), "newest first");
    let (_, oldest) = owner.get_html(&format!("{KEYS}?sort=oldest")).await;
    assert_eq!(first_label(&oldest).as_deref(), Some("Bulk key 0"), "oldest first");
    assert_eq!(select_attr(&oldest, "#sort option[selected]", "value").as_deref(), Some("oldest"));
    let (_, least) = owner.get_html(&format!("{KEYS}?sort=least_used")).await;
    assert_eq!(first_label(&least).as_deref(), Some("Bulk key 0"), "never used first, oldest of those first");
    let (status, _) = owner.get_html(&format!("{KEYS}?sort=expiry&state=active")).await;
    assert_eq!(status, 200);
    assert_eq!(count(&first, "[data-testid=health-mark]"), 0, "never-used keys younger than 7 days carry no mark");
    assert_eq!(
        select_all_text(&first, "tr[data-testid=key-row] td.col-wide").concat().matches("Never used").count(),
        50
    );
}

#[tokio::test]
async fn last_use_is_recorded_through_coalesced_writes() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "Busy")]).await;
    let state = latchkey::app::state::AppState::new(app.config.clone(), app.pool.clone());
    for _ in 0..5 {
        assert_eq!(ping(&app, &token).await.0, 200);
    }
    // Nothing is written per request; the scheduler's flush writes it (every 30 s).
    // (Another instance's buffer is empty: each instance flushes what it saw.)
    assert_eq!(latchkey::jobs::flush_last_used(&state).await.expect("flush"), 0);
    let key = latchkey::db::api_keys::find(&mut app.conn(), org_id(&app, "acme"), &key_id).expect("q").expect("key");
    assert!(key.last_used_at.is_none(), "nothing written before the scheduler runs");
    // The server's own scheduler run flushes it.
    app.run_jobs().await;
    let key = latchkey::db::api_keys::find(&mut app.conn(), org_id(&app, "acme"), &key_id).expect("q").expect("key");
    let last_used = Some((key.last_used_at, key.last_used_ip)).filter(|(at, _)| at.is_some());
    let (at, ip) = last_used.expect("flushed by the scheduler");
    assert!(at.is_some());
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    let (_, list) = owner.get_html(KEYS).await;
    assert!(list.html().contains("127.0.0.1"));
}

#[tokio::test]
async fn staff_see_keys_read_only_and_the_view_is_audited() {
    let app = spawn_app().await;
    app.seed_acme();
    app.seed_user("help@latchkey.test", "Hank Helpdesk", true);
    let owner = app.logged_in("owner@acme.test").await;
    let CreatedKey { id: key_id, token } = create_key(&owner, &[("label", "Visible")]).await;
    let staff = app.logged_in("help@latchkey.test").await;
    let (status, list) = staff.get_html("/support/orgs/acme/api-keys").await;
    assert_eq!(status, 200);
    assert_eq!(super::api_keys::row_status(&list, &key_id).as_deref(), Some("active"));
    assert_eq!(count(&list, "[data-testid=key-menu]"), 0);
    assert_eq!(count(&list, "[data-testid=create-key]"), 0);
    assert!(!list.html().contains(&token));
    let (status, detail) = staff.get_html(&format!("/support/orgs/acme/api-keys/{key_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(count(&detail, "form[method=post]:not([action^='/logout'])"), 0);
    let views =
        events(&app, org_id(&app, "acme")).into_iter().filter(|e| e.action == "support.viewed_api_keys").count();
    assert_eq!(views, 2);
    assert_eq!(staff.post_form(&format!("{KEYS}/{key_id}/revoke"), &[]).await.status(), 403, "staff may not act");
    assert_eq!(owner.get("/support/orgs/acme/api-keys").await.status(), 404);
}

#[tokio::test]
async fn a_plan_change_by_another_process_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    for _ in 0..3 {
        assert_eq!(ping(&app, &token).await.0, 200, "warm any per-worker cache");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latchkey"))
        .args(["org", "set-plan", "--org", "acme", "--plan", "free"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .expect("run");
    assert!(out.status.success());
    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (403, "plan_required"));
}
