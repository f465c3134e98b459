//! The demo's webhook endpoints, with a delivery history to look at. They
//! live under `.invalid` (RFC 6761: never resolves) and nothing is left
//! waiting to be sent, so a server running the demo contacts nobody.

use super::seed::{Timeline, office};
use crate::app::audit::{Actor, Entry};
use crate::db::schema::{
    webhook_attempts as attempts_t, webhook_deliveries as deliveries_t, webhook_endpoints as hooks_t,
};
use crate::db::webhooks::{self, NewEndpoint};
use crate::db::{DbConn, outbox, users::User};
use crate::domain::token::random_base62;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

/// Two endpoints: one healthy with delivered events, one failing for two days.
pub(super) fn seed_webhooks(
    conn: &mut DbConn,
    org_id: i64,
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
            vec!["order.created", "customer.created", "api_key.revoked"],
            45,
        ),
        ("https://erp.demo.invalid/webhooks/orders", "ERP (in a maintenance window)", vec!["order.created"], 30),
    ];
    let (mut endpoints, mut secrets) = (Vec::new(), Vec::new());
    for (url, description, events, age) in samples {
        let secret = crate::app::webhooks::signing::SigningSecret::generate();
        let sealed = crate::domain::crypto::seal(encryption_key, secret.bytes()).map_err(|e| anyhow::anyhow!("{e}"))?;
        let events: Vec<String> = events.into_iter().map(str::to_owned).collect();
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
        diesel::update(hooks_t::table.find(hook.id)).set(hooks_t::created_at.eq(created)).execute(conn)?;
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
        let event_id = outbox::enqueue_counted(conn, org_id, "order.created", data)?;
        let payload = outbox::find(conn, &event_id)?.map(|e| e.payload).unwrap_or_default();
        for (hook, secret) in [(healthy, &secrets[0]), (failing, &secrets[1])] {
            let delivery: i64 = deliveries_t::table
                .filter(deliveries_t::endpoint_id.eq(hook.id))
                .filter(deliveries_t::event_id.eq(&event_id))
                .select(deliveries_t::id)
                .first(conn)?;
            let ok = hook.id == healthy.id;
            let tries: i64 = if ok { 1 } else { 3.min(8 - i).max(1) };
            for attempt in 1..=tries {
                let sent_at = at + Duration::minutes(5 * (attempt - 1));
                let request = sent_request(&hook.url, secret, &event_id, sent_at.and_utc().timestamp(), &payload);
                let answer = [("content-type", "application/json"), ("x-request-id", "req_demo")];
                diesel::insert_into(attempts_t::table)
                    .values((
                        attempts_t::delivery_id.eq(delivery),
                        attempts_t::endpoint_id.eq(hook.id),
                        attempts_t::attempt.eq(attempt),
                        attempts_t::trigger.eq("scheduled"),
                        attempts_t::attempted_at.eq(sent_at),
                        attempts_t::status_code.eq(Some(if ok { 200_i64 } else { 503 })),
                        attempts_t::latency_ms.eq(if ok { 80 + 17 * i } else { 2_000 }),
                        attempts_t::error_class.eq(None::<String>),
                        attempts_t::excerpt.eq(if ok {
                            "{\"received\":true}"
                        } else {
                            "Service Unavailable: maintenance until 18:00 UTC"
                        }),
                        attempts_t::request_url.eq(&hook.url),
                        attempts_t::request_headers.eq(&request),
                        attempts_t::request_body.eq(&payload),
                        attempts_t::response_headers.eq(serde_json::to_string(&answer)?),
                    ))
                    .execute(conn)?;
            }
            // Past attempts only, and no retry left waiting: the failing
            // endpoint's messages are given up, so a running server has nothing
            // of the demo's to send (Recover still offers to send them again).
            let last_sent = at + Duration::minutes(5 * (tries - 1));
            diesel::update(deliveries_t::table.find(delivery))
                .set((
                    deliveries_t::state.eq(if ok { "delivered" } else { "failed" }),
                    deliveries_t::attempts.eq(tries),
                    deliveries_t::next_attempt_at.eq(last_sent),
                    deliveries_t::created_at.eq(at),
                ))
                .execute(conn)?;
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
