//! The endpoint's delivery log by message (docs/user-guide.md: Webhooks →
//! Webhook operations): each message with its state, attempt count and
//! next retry, its attempts beneath it; Send test and Send example leave a
//! message marked test that is never resent or recovered and does not count
//! towards the endpoint's health.

use super::webhook_ops::HOOKS;
use crate::support::*;
use reqwest::Method;
use scraper::Html;
use serde_json::json;
use std::time::Duration;

/// (message id, state, attempts, test) of each message row, in page order.
fn messages(html: &Html) -> Vec<(String, String, String, String)> {
    let row = |attr: &str| select_all_attr(html, "tr[data-testid=delivery-message]", attr);
    let (ids, states, attempts, tests) =
        (row("data-message-id"), row("data-state"), row("data-attempts"), row("data-test"));
    ids.into_iter().zip(states).zip(attempts).zip(tests).map(|(((i, s), a), t)| (i, s, a, t)).collect()
}

#[tokio::test]
async fn attempts_are_grouped_under_their_message_with_its_state_and_next_retry() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(500, "down", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", &receiver.url, &["customer.created"]).await;
    let token = app.make_key("acme", &[], "", Some(0));
    api(&app, Method::POST, "/api/v1/customers", &token, Some(json!({"email": "c@d.co"}))).await;
    app.drain_deliveries().await;
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    let listed = messages(&page);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let (message, state, attempts, test) = listed[0].clone();
    assert_eq!((state.as_str(), attempts.as_str(), test.as_str()), ("pending", "1", "false"));
    let retry = select_all_text(&page, "[data-testid=delivery-message] [data-testid=next-retry]").concat();
    assert!(retry.starts_with("next retry in under a minute ("), "the first retry comes seconds later: {retry}");
    // The message's attempt sits beneath it and names it.
    assert_eq!(
        select_all_attr(&page, "tr[data-testid=delivery-attempt]", "data-webhook-id"),
        std::slice::from_ref(&message)
    );

    // Resent twice, then answered: one message, three attempts, delivered, no retry due.
    owner.post_form(&format!("{HOOKS}/{id}/deliveries/{message}/resend"), &[]).await;
    receiver.set_status(200);
    owner.post_form(&format!("{HOOKS}/{id}/deliveries/{message}/resend"), &[]).await;
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    assert_eq!(messages(&page), [(message.clone(), "delivered".into(), "3".into(), "false".into())]);
    assert_eq!(count(&page, "[data-testid=next-retry]"), 0);
    let triggers = select_all_attr(&page, "tr[data-testid=delivery-attempt]", "data-trigger");
    assert_eq!(triggers, ["manual", "manual", "scheduled"], "newest first under the message");
}

#[tokio::test]
async fn send_test_leaves_a_test_message_that_is_not_resent_recovered_or_counted() {
    let app = spawn_app().await;
    app.seed_acme();
    let receiver = Receiver::start(500, "down", Duration::ZERO);
    let owner = app.logged_in("owner@acme.test").await;
    let AddedWebhook { id, .. } = add_webhook(&owner, "acme", &receiver.url, &["order.created"]).await;
    for event in ["webhook.test", "order.created"] {
        let res = owner.post_form(&format!("{HOOKS}/{id}/test"), &[("event", event)]).await;
        assert_eq!(res.status(), 200);
    }
    let (_, page) = owner.get_html(&format!("{HOOKS}/{id}")).await;
    let listed = messages(&page);
    assert_eq!(listed.len(), 2, "Send test and Send example are in the log: {listed:?}");
    assert!(listed.iter().all(
        |(_, state, attempts, test)| (state.as_str(), attempts.as_str(), test.as_str()) == ("failed", "1", "true")
    ));
    assert_eq!(count(&page, "[data-testid=message-test]"), 2);
    assert_eq!(select_all_attr(&page, "tr[data-testid=delivery-attempt]", "data-trigger"), ["test", "test"]);
    assert_eq!(count(&page, "[data-testid=delivery-message] [data-testid=resend]"), 0, "no Resend on a test");
    // Test failures say nothing of real traffic: the endpoint stays healthy.
    assert_eq!(select_attr(&page, "[data-testid=webhook-health]", "data-health").as_deref(), Some("healthy"));

    // Resend and Recover leave test messages alone.
    let message = &listed[0].0;
    let before = receiver.got().len();
    let res = owner.post_form(&format!("{HOOKS}/{id}/deliveries/{message}/resend"), &[]).await;
    assert_eq!(res.status(), 404);
    let since = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M").to_string();
    let res = owner.post_form(&format!("{HOOKS}/{id}/recover"), &[("since", since.as_str())]).await;
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert_eq!(select_attr(&html, "[data-testid=recover-result]", "data-count").as_deref(), Some("0"));
    app.drain_deliveries().await;
    assert_eq!(receiver.got().len(), before, "nothing was sent again");
}
