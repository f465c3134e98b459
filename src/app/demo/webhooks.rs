//! The demo's webhook endpoints, with a delivery history to look at. They
//! live under `.invalid` (RFC 6761: never resolves) and nothing is left
//! waiting to be sent, so a server running the demo contacts nobody.

use super::seed::{Timeline, office};
use crate::app::audit::{Actor, Entry};
use crate::db::deliveries::{self, EndpointScope, NewAttempt};
use crate::db::webhooks::{self, NewEndpoint};
use crate::db::{DbConn, QueryError, backdate, outbox, users::User};
use crate::domain::OrgId;
use crate::domain::delivery_state::DeliveryState;
use crate::domain::event_type::EventType;
use crate::domain::token::random_base62;
use chrono::{Duration, NaiveDateTime};
use serde_json::json;

/// Two endpoints: one healthy with delivered events, one failing for two days.
pub(super) fn seed_webhooks(
    conn: &mut DbConn,
    org_id: OrgId,
    owner: &User,
    encryption_key: &[u8],
    t: &mut Timeline,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    // Stored directly, past the save-time check (which would refuse a name that does not resolve).
    let samples = [
        (
            "https://hooks.fulfilment.invalid/latchkey",
            "Fulfilment service",
            vec![EventType::OrderCreated, EventType::CustomerCreated, EventType::ApiKeyRevoked],
            45,
        ),
        (
            "https://erp.demo.invalid/webhooks/orders",
            "ERP (in a maintenance window)",
            vec![EventType::OrderCreated],
            30,
        ),
    ];
    let (mut endpoints, mut secrets) = (Vec::new(), Vec::new());
    for (url, description, events, age) in samples {
        let secret = crate::app::webhooks::signing::SigningSecret::generate();
        let sealed = crate::domain::crypto::seal(encryption_key, secret.bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let events: Vec<String> = events.into_iter().map(|e| e.as_str().to_owned()).collect();
        let stored = crate::app::webhooks::events::parse(&events).map_err(anyhow::Error::msg)?;
        let public_id = format!("wh_{}", random_base62(16));
        let hook = webhooks::insert(
            conn,
            NewEndpoint {
                org_id,
                public_id: &public_id,
                url,
                description,
                events: &stored,
                secret_sealed: &sealed,
                created_by_name: &owner.name,
                created_by_key: None,
            },
        )?;
        let created = now - Duration::days(age);
        backdate::webhook_created(conn, hook.id, created)?;
        t.add(created, &Actor::user(owner), &office(), Entry::webhook_created(&hook));
        endpoints.push(hook);
        secrets.push(secret);
    }
    let (healthy, failing) = (&endpoints[0], &endpoints[1]);
    t.add(
        now - Duration::days(45) + Duration::minutes(3),
        &Actor::user(owner),
        &office(),
        Entry::webhook_tested(healthy, Some(200), None, 142),
    );
    webhooks::set_failing_since(conn, failing.id, Some(now - Duration::days(2)))?;

    // Eight recent orders: delivered to the healthy endpoint; the failing one keeps answering 503.
    for i in 0..8_i64 {
        let at = now - Duration::hours(6 * (8 - i));
        let data = json!({"id": format!("ord_{}", random_base62(16)), "customer_email": "ada@example.com", "total_cents": 2_500 + 100 * i, "currency": "EUR", "status": "paid"});
        let event_id = outbox::enqueue_counted(conn, org_id, EventType::OrderCreated, data)?;
        let payload = outbox::find(conn, &event_id)?.map(|e| e.payload).unwrap_or_default();
        for (hook, secret) in [(healthy, &secrets[0]), (failing, &secrets[1])] {
            let delivery = deliveries::find_for_endpoint(conn, EndpointScope::from(hook), &event_id)?
                .ok_or(QueryError::NotFound)?
                .id;
            let ok = hook.id == healthy.id;
            let tries: i64 = if ok { 1 } else { 3.min(8 - i).max(1) };
            for attempt in 1..=tries {
                let sent_at = at + Duration::minutes(5 * (attempt - 1));
                let request = sent_request(&hook.url, secret, &event_id, sent_at.and_utc().timestamp(), &payload);
                let answer = [("content-type", "application/json"), ("x-request-id", "req_demo")];
                let response_headers = serde_json::to_string(&answer)?;
                let past = NewAttempt {
                    delivery_id: delivery,
                    endpoint_id: hook.id,
                    attempt,
                    trigger: "scheduled",
                    status_code: Some(if ok { 200 } else { 503 }),
                    latency_ms: if ok { 80 + 17 * i as u64 } else { 2_000 },
                    error_class: None,
                    excerpt: if ok {
                        "{\"received\":true}"
                    } else {
                        "Service Unavailable: maintenance until 18:00 UTC"
                    },
                    request_url: &hook.url,
                    request_headers: &request,
                    request_body: &payload,
                    response_headers: &response_headers,
                };
                deliveries::record_attempt_at(conn, past, sent_at)?;
            }
            // Past attempts only, and no retry left waiting: the failing
            // endpoint's messages are given up, so a running server has nothing
            // of the demo's to send (Recover still offers to send them again).
            let last_sent = at + Duration::minutes(5 * (tries - 1));
            deliveries::finish_attempt(
                conn,
                delivery,
                tries,
                if ok { DeliveryState::Delivered } else { DeliveryState::Failed },
                Some(last_sent),
            )?;
            backdate::delivery_created(conn, delivery, at)?;
        }
    }
    Ok(())
}

/// The headers a real send of `body` would have carried (JSON pairs), for the attempt page.
fn sent_request(
    url: &str,
    secret: &crate::app::webhooks::signing::SigningSecret,
    event_id: &str,
    timestamp: i64,
    body: &str,
) -> String {
    let Ok(url) = url::Url::parse(url) else { return "[]".into() };
    let signature = crate::app::webhooks::signing::signature_header(&[secret], event_id, timestamp, body.as_bytes());
    let signed = [
        ("webhook-id", event_id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ];
    let headers = crate::app::webhooks::send::wire_headers(&url, &signed, body.len());
    serde_json::to_string(&headers).unwrap_or_else(|_| "[]".into())
}
