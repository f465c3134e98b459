//! The delivery worker inside `latchkey serve`: every second it claims due
//! deliveries (with a lease, so instances never send the same attempt at
//! once), sends each signed message to its endpoint's checked address, logs
//! the attempt and schedules a retry (docs/api-guide.md: Delivery and retries): ≈ 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 10 h, with ±20 % jitter, honouring `Retry-After` on 429/503.
//! Only 2xx succeeds; 410 disables the endpoint at once (endpoint_health.rs).

use super::{Error, endpoint_health};
use crate::app::state::AppState;
use crate::app::webhooks::send::{self, Attempt};
use crate::app::webhooks::signing::{SigningSecret, signature_header};
use crate::app::webhooks::target;
use crate::db::deliveries::{self, Delivery, NewAttempt};
use crate::db::webhooks::{self, Endpoint};
use crate::db::{now, outbox};
use crate::domain::crypto;
use crate::domain::delivery_state::DeliveryState;
use crate::domain::event_type::EventType;
use chrono::Duration;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Delays before retries 1–7; after the last one the delivery has failed.
const SCHEDULE_SECS: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
const BATCH: usize = 20;
/// Claims one instance holds at once (sends in flight plus those waiting for their endpoint).
const MAX_IN_FLIGHT: usize = 200;
/// How long a claim keeps other instances off a delivery: one send and then some.
fn lease(state: &AppState) -> Duration {
    Duration::seconds(state.config.webhook_timeout.as_secs() as i64 + 15)
}

/// Polls every second until told to stop; each claimed delivery is sent on
/// its own task, so a slow endpoint never holds up the others. While the
/// queue fills whole batches (a backlog) it claims again at once, holding at
/// most MAX_IN_FLIGHT claims.
pub async fn run_forever(state: Arc<AppState>) {
    let mut ticker = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = state.worker.wake.notified() => {}
        }
        loop {
            if state.worker.stopping.load(Ordering::Relaxed) {
                return;
            }
            match claim_and_send(&state).await {
                Ok(round) if round.backlog => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %crate::db::chain(&e), "claiming webhook deliveries failed");
                    break;
                }
            }
        }
    }
}

/// Sends every delivery that is due now and waits for those sends; claims
/// again until nothing more is due (a delivered audit event lets the next one
/// to its endpoint go). For whoever drives the work itself (tests) rather
/// than the loop: the same claims, sends and records. Returns how many were sent.
pub async fn drain(state: &Arc<AppState>) -> Result<usize, Error> {
    let mut sent = 0;
    loop {
        let round = claim_and_send(state).await?;
        if round.sends.is_empty() {
            return Ok(sent);
        }
        sent += round.sends.len();
        for send in round.sends {
            send.await?;
        }
    }
}

/// One claim: the sends it started, and whether it filled a whole batch.
struct Round {
    sends: Vec<tokio::task::JoinHandle<()>>,
    backlog: bool,
}

/// Claims a batch of due deliveries (keeping at most MAX_IN_FLIGHT claims)
/// and starts a send for each on its own task.
async fn claim_and_send(state: &Arc<AppState>) -> Result<Round, Error> {
    let room = MAX_IN_FLIGHT.saturating_sub(state.worker.claims().len()).min(BATCH);
    if room == 0 {
        return Ok(Round { sends: Vec::new(), backlog: false });
    }
    let lease = lease(state);
    let ids = state.db.run(move |conn| deliveries::claim_due(conn, room as i64, lease)).await?;
    let backlog = ids.len() == room;
    state.worker.claims().extend(&ids);
    let sends = ids
        .into_iter()
        .map(|id| {
            let state = state.clone();
            tokio::spawn(async move {
                if let Err(e) = deliver(&state, id, "scheduled").await {
                    tracing::warn!(error = %crate::db::chain(&e), delivery = id, "webhook delivery failed to run");
                }
                state.worker.claims().remove(&id);
            })
        })
        .collect();
    Ok(Round { sends, backlog })
}

/// On shutdown: claim nothing more, give sends in flight `grace` to finish,
/// then hand the rest back to the queue (lease cleared, attempt not counted)
/// so another instance, or this one after a restart, sends them at once.
pub async fn hand_back(state: &AppState, grace: std::time::Duration) {
    state.worker.stopping.store(true, Ordering::Relaxed);
    let deadline = tokio::time::Instant::now() + grace;
    while !state.worker.claims().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let unfinished: Vec<i64> = state.worker.claims().iter().copied().collect();
    if unfinished.is_empty() {
        return;
    }
    let count = unfinished.len();
    match state.db.run(move |conn| deliveries::release(conn, &unfinished)).await {
        Ok(_) => tracing::info!(count, "handed unfinished webhook deliveries back to the queue"),
        Err(e) => {
            tracing::warn!(error = %crate::db::chain(&e), count, "could not hand deliveries back; they are retried when their lease ends")
        }
    }
}

/// The delay before the next try, with ±20 % jitter; `None` when out of tries.
fn next_delay(attempts: i64, retry_after: Option<i64>) -> Option<Duration> {
    let base = *SCHEDULE_SECS.get(usize::try_from(attempts - 1).ok()?)?;
    let secs = retry_after.map_or(base, |r| r.clamp(1, 24 * 3600));
    use rand::RngExt;
    let jitter = rand::rng().random_range(0.8..=1.2);
    Some(Duration::milliseconds((secs as f64 * 1000.0 * jitter) as i64))
}

/// Send test and Send example: a signed example of `event_type` (one of
/// `webhooks::examples::choices`, checked by the caller) to `hook`, now,
/// through the same guarded send as deliveries, recorded as
/// `webhook.tested` with what came back.
pub async fn send_test(
    state: &AppState,
    hook: &Endpoint,
    event_type: EventType,
    actor: &crate::app::audit::Actor,
    meta: &crate::app::audit::RequestMeta,
) -> Result<Attempt, Error> {
    let msg_id = format!("msg_{}", crate::domain::token::random_base62(24));
    let body = crate::app::webhooks::examples::body(event_type, &hook.public_id).to_string().into_bytes();
    let attempt = attempt(state, hook, &msg_id, body).await?;
    let (hook, actor, meta) = (hook.clone(), actor.clone(), meta.clone());
    let result = (attempt.status, attempt.error.as_ref().map(|(class, _)| (*class).to_owned()), attempt.latency_ms);
    state
        .db
        .run(move |conn| {
            crate::app::webhooks::endpoints::record_test(
                conn,
                &hook,
                (result.0, result.1.as_deref(), result.2),
                &actor,
                &meta,
            )
        })
        .await?;
    Ok(attempt)
}

pub async fn attempt(state: &AppState, endpoint: &Endpoint, event_id: &str, body: Vec<u8>) -> Result<Attempt, Error> {
    let key = &state.config.encryption_key;
    let mut secrets = Vec::new();
    for (sealed, valid) in [
        (Some(&endpoint.secret_sealed), true),
        (endpoint.previous_secret_sealed.as_ref(), endpoint.previous_until.is_some_and(|t| t > now())),
    ] {
        if let (Some(sealed), true) = (sealed, valid) {
            let secret = crypto::open(key, sealed)
                .ok()
                .and_then(SigningSecret::from_bytes)
                .ok_or_else(|| Error::UnreadableSecret)?;
            secrets.push(secret);
        }
    }
    // Refused before connecting: nothing went on the wire, so no headers are recorded.
    let unsent = send::SentRequest {
        url: endpoint.url.clone(),
        headers: Vec::new(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let blocked = |e: target::TargetError| Attempt {
        status: None,
        latency_ms: 0,
        headers: Vec::new(),
        body: String::new(),
        error: Some((e.class(), e.to_string())),
        request: unsent.clone(),
    };
    let url = match target::parse_url(&endpoint.url, state.config.webhook_allow_insecure) {
        Ok(url) => url,
        Err(e) => return Ok(blocked(e)),
    };
    // Checked again at every send: DNS answers can change.
    let (checked, allow_private) = (url.clone(), state.config.webhook_allow_private);
    let addr = match tokio::task::spawn_blocking(move || target::resolve(&checked, allow_private)).await? {
        Ok(addr) => addr,
        Err(e) => return Ok(blocked(e)),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let refs: Vec<&SigningSecret> = secrets.iter().collect();
    let headers = [
        ("webhook-id", event_id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature_header(&refs, event_id, timestamp, &body)),
    ];
    Ok(send::post(&url, addr, &headers, body, state.config.webhook_timeout).await)
}

fn retry_after(result: &Attempt) -> Option<i64> {
    if !matches!(result.status, Some(429 | 503)) {
        return None;
    }
    result.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after")).and_then(|(_, v)| v.trim().parse().ok())
}

/// Runs one attempt of a delivery and records it (`trigger`: scheduled or manual).
pub async fn deliver(state: &AppState, delivery_id: i64, trigger: &'static str) -> Result<Option<Attempt>, Error> {
    let loaded = state
        .db
        .run(move |conn| {
            let Some(delivery) = deliveries::find(conn, delivery_id)? else { return Ok(None) };
            let endpoint = webhooks::list(conn, delivery.org_id)?.into_iter().find(|e| e.id == delivery.endpoint_id);
            let event = outbox::find(conn, &delivery.event_id)?;
            Ok::<_, diesel::result::Error>(Some((delivery, endpoint, event)))
        })
        .await?;
    let Some((delivery, endpoint, event)) = loaded else { return Ok(None) };
    let (Some(endpoint), Some(event)) = (endpoint, event) else {
        state
            .db
            .run(move |conn| {
                deliveries::finish_attempt(conn, delivery_id, delivery.attempts, DeliveryState::Cancelled, None)
            })
            .await?;
        return Ok(None);
    };
    if !endpoint.enabled && trigger == "scheduled" {
        state
            .db
            .run(move |conn| {
                deliveries::finish_attempt(conn, delivery_id, delivery.attempts, DeliveryState::Cancelled, None)
            })
            .await?;
        return Ok(None);
    }
    let slots = state.worker.for_endpoint(endpoint.id);
    let _slot = slots.acquire().await?;
    if trigger == "scheduled" {
        // Waiting for the endpoint may have used up the claim: renew it, or leave
        // the delivery to the instance that claimed it since (never two sends at once).
        let (held, until) = (delivery.locked_until, now() + lease(state));
        if !state.db.run(move |conn| deliveries::renew_lease(conn, delivery_id, held, until)).await? {
            return Ok(None);
        }
    }
    let result = attempt(state, &endpoint, &delivery.event_id, event.payload.into_bytes()).await?;
    record(state, &delivery, &endpoint, &result, trigger).await?;
    if result.succeeded() && delivery.event_type == EventType::AuditEvent {
        // The stream's next event to this endpoint was waiting for this one.
        state.worker.wake.notify_one();
    }
    Ok(Some(result))
}

async fn record(
    state: &AppState,
    delivery: &Delivery,
    endpoint: &Endpoint,
    result: &Attempt,
    trigger: &'static str,
) -> Result<(), Error> {
    state.metrics.webhook_attempted(result.outcome());
    let attempts = delivery.attempts + 1;
    let gone = result.status == Some(410);
    let (next_state, next_at) = if result.succeeded() {
        (DeliveryState::Delivered, None)
    } else if gone {
        (DeliveryState::Failed, None)
    } else {
        match next_delay(attempts, retry_after(result)) {
            Some(delay) => (DeliveryState::Pending, Some(now() + delay)),
            None => (DeliveryState::Failed, None),
        }
    };
    let (delivery, hook) = (delivery.clone(), endpoint.clone());
    let (status, latency, class) = (result.status, result.latency_ms, result.error.as_ref().map(|(c, _)| *c));
    let succeeded = result.succeeded();
    let public_url = state.config.public_url.origin().to_owned();
    let excerpt: String = match &result.error {
        Some((_, message)) => message.clone(),
        None => result.body.chars().take(500).collect(),
    };
    // Kept for the attempt page: the request exactly as sent, the answer's headers.
    let sent = result.request.clone();
    let request_headers = serde_json::to_string(&sent.headers).unwrap_or_else(|_| "[]".into());
    let response_headers = serde_json::to_string(&result.headers).unwrap_or_else(|_| "[]".into());
    let health = state
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                deliveries::record_attempt(
                    conn,
                    NewAttempt {
                        delivery_id: delivery.id,
                        endpoint_id: hook.id,
                        attempt: attempts,
                        trigger,
                        status_code: status,
                        latency_ms: latency,
                        error_class: class,
                        excerpt: &excerpt,
                        request_url: &sent.url,
                        request_headers: &request_headers,
                        request_body: &sent.body,
                        response_headers: &response_headers,
                    },
                )?;
                // A manual resend of a delivered message leaves it delivered.
                let state_now =
                    if delivery.state == DeliveryState::Delivered { DeliveryState::Delivered } else { next_state };
                deliveries::finish_attempt(conn, delivery.id, attempts, state_now, next_at)?;
                endpoint_health::record(conn, &hook, succeeded, gone, &public_url)
            })
        })
        .await?;
    health.log(endpoint, result);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::next_delay;

    #[test]
    fn retries_follow_the_schedule_with_jitter_and_retry_after() {
        for _ in 0..50 {
            let first = next_delay(1, None).expect("retry").num_milliseconds();
            assert!((4_000..=6_000).contains(&first), "{first}");
            let second = next_delay(2, None).expect("retry").num_seconds();
            assert!((240..=360).contains(&second), "{second}");
            let honoured = next_delay(1, Some(60)).expect("retry").num_seconds();
            assert!((48..=72).contains(&honoured), "{honoured}");
        }
        assert!(next_delay(7, None).is_some());
        assert!(next_delay(8, None).is_none(), "eight attempts in all");
    }
}
