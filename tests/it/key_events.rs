//! Every change to a key reaches webhooks: created, updated, deactivated,
//! activated, rotated, revoked, deleted from the console, and expired from
//! the scheduler — each as its own event type with the key's fields.

use crate::support::*;

fn last(app: &TestApp, event_type: &str) -> serde_json::Value {
    queued_key_events(app)
        .into_iter()
        .rev()
        .find(|(t, _)| t == event_type)
        .unwrap_or_else(|| panic!("{event_type} sent"))
        .1
}

#[tokio::test]
async fn every_key_change_in_the_console_and_the_scheduler_sends_its_own_event() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let key = create_key(&owner, &[("label", "Lifecycle")]).await;
    assert_eq!(last(&app, "api_key.created")["data"]["key_id"], key.id.as_str());

    let res = owner
        .post_form(
            &format!("{KEYS}/{}/edit", key.id),
            &[("label", "Lifecycle 2"), ("access", "full"), ("enabled", "on")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let updated = last(&app, "api_key.updated");
    assert_eq!(updated["data"]["label"], "Lifecycle 2");
    assert_eq!(updated["data"]["changes"]["before"]["label"], "Lifecycle");
    assert_eq!(updated["data"]["actor"]["email"], "owner@acme.test");

    let res =
        owner.post_form(&format!("{KEYS}/{}/edit", key.id), &[("label", "Lifecycle 2"), ("access", "full")]).await;
    assert_eq!(res.status(), 303, "unticking enabled deactivates");
    assert_eq!(last(&app, "api_key.deactivated")["data"]["state"], "disabled");
    assert_eq!(
        queued_key_events(&app).iter().filter(|(t, _)| t == "api_key.updated").count(),
        1,
        "enabled alone is no update"
    );
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/activate", key.id), &[]).await.status(), 303);
    assert_eq!(last(&app, "api_key.activated")["data"]["state"], "active");
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/deactivate", key.id), &[]).await.status(), 303);
    assert_eq!(queued_key_events(&app).iter().filter(|(t, _)| t == "api_key.deactivated").count(), 2);

    let other = create_key(&owner, &[("label", "Rotated")]).await;
    let (_, confirm) = owner.get_html(&format!("{KEYS}/{}/rotate", other.id)).await;
    let other_form = select_attr(&confirm, "input[name=form_id]", "value").unwrap();
    let res =
        owner.post_form(&format!("{KEYS}/{}/rotate", other.id), &[("grace", "1h"), ("form_id", &other_form)]).await;
    assert_eq!(res.status(), 200);
    let rotated = last(&app, "api_key.rotated");
    assert_eq!(rotated["data"]["key_id"], other.id.as_str());
    assert_eq!(rotated["data"]["grace"], "1h");
    assert!(rotated["data"]["replaced_by"].as_str().unwrap().starts_with("key_"));

    assert_eq!(owner.post_form(&format!("{KEYS}/{}/revoke", other.id), &[]).await.status(), 303);
    assert_eq!(last(&app, "api_key.revoked")["data"]["key_id"], other.id.as_str());
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/delete", key.id), &[]).await.status(), 303);
    assert_eq!(last(&app, "api_key.deleted")["data"]["key_id"], key.id.as_str());

    // The scheduler: a key past its expiry.
    let (expired_id, _) =
        app.make_expiring_key("acme", "Short-lived", chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1));
    app.run_jobs().await;
    let expired = queued_key_events(&app)
        .iter()
        .any(|(t, p)| t == "api_key.expired" && p["data"]["key_id"] == expired_id.as_str());
    assert!(expired, "api_key.expired sent by the scheduler");
    assert_eq!(last(&app, "api_key.expired")["data"]["actor"]["name"], "scheduler");
}

#[tokio::test]
async fn the_webhook_form_offers_every_event_type() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, form) = owner.get_html("/orgs/acme/settings/webhooks/new").await;
    let offered = select_all_attr(&form, "input[name=events]", "value");
    assert_eq!(offered, latchkey::domain::event_type::EventType::SUBSCRIBABLE.map(|t| t.as_str().to_owned()).to_vec());
    assert!(offered.contains(&"api_key.exposed".to_owned()));
    // Grouped by what they are about, each with its line from the catalog.
    let groups = select_all_text(&form, "[data-testid=event-group]");
    assert_eq!(groups, ["Your API's resources", "API keys", "APIs", "Members", "Audit log"]);
    let line = select_all_text(&form, "#event-order\\.created-help").concat();
    assert_eq!(line, latchkey::app::webhooks::catalog::summary(latchkey::domain::event_type::EventType::OrderCreated));
}
