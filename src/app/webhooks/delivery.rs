//! One delivery attempt of a webhook message, for the delivery worker
//! (`jobs::deliveries`), Resend and Send test: the signed request to the
//! endpoint's checked address (the SSRF guard again at every send), the
//! attempt log, the next retry (docs/api-guide.md: Delivery and retries): ≈ 5 s, 5 min, 30 min,
//! 2 h, 5 h, 10 h, 10 h, with ±20 % jitter, honouring `Retry-After` on
//! 429/503. Only 2xx succeeds; a 410 disables the endpoint at once (failing.rs).

use super::failing;
use super::send::{self, Attempt};
use super::signing::{SigningSecret, signature_header};
use super::target;
use crate::app::state::AppState;
use crate::db::deliveries::{self, Delivery, NewAttempt};
use crate::db::webhooks::{self, Endpoint};
use crate::db::{now, outbox};
use crate::domain::OrgId;
use crate::domain::crypto;
use crate::domain::delivery_state::DeliveryState;
use crate::domain::event_type::EventType;
use chrono::Duration;

/// Delays before retries 1–7; after the last one the delivery has failed.
const SCHEDULE_SECS: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];

/// Why one send could not run (its cause logged; the delivery is retried).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Db(#[from] crate::db::Error),
    /// A sealed webhook secret does not open with the configured encryption key.
    #[error("webhook secret cannot be opened with LATCHKEY_ENCRYPTION_KEY")]
    UnreadableSecret,
    #[error("background task failed")]
    Task(#[from] tokio::task::JoinError),
    #[error("the webhook sender is stopping")]
    Stopping(#[from] tokio::sync::AcquireError),
}

impl From<crate::db::QueryError> for SendError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

/// Claims up to `room` due deliveries for this instance, each leased for
/// `lease`; returns their ids (another instance never claims the same one).
pub async fn claim_due(state: &AppState, room: i64, lease: Duration) -> Result<Vec<i64>, crate::db::Error> {
    state.db.run(move |conn| deliveries::claim_due(conn, room, lease)).await
}

/// Hands claimed deliveries back to the queue (lease cleared, attempt not
/// counted), so they are sent at once by whichever instance claims next.
pub async fn release(state: &AppState, ids: Vec<i64>) -> Result<usize, crate::db::Error> {
    state.db.run(move |conn| deliveries::release(conn, &ids)).await
}

/// How long a claim keeps other instances off a delivery: one send and then some.
pub fn lease(state: &AppState) -> Duration {
    Duration::seconds(state.config.webhook_timeout.as_secs() as i64 + 15)
}

/// The delay before the next try, with ±20 % jitter; `None` when out of tries.
fn next_delay(attempts: i64, retry_after: Option<i64>) -> Option<Duration> {
    let base = *SCHEDULE_SECS.get(usize::try_from(attempts - 1).ok()?)?;
    let secs = retry_after.map_or(base, |r| r.clamp(1, 24 * 3600));
    use rand::RngExt;
    let jitter = rand::rng().random_range(0.8..=1.2);
    Some(Duration::milliseconds((secs as f64 * 1000.0 * jitter) as i64))
}

/// Sends one signed message to `endpoint` (both secrets sign during a
/// rotation's overlap); an address the guard refuses is recorded as not sent.
pub async fn attempt(
    state: &AppState,
    endpoint: &Endpoint,
    event_id: &str,
    body: Vec<u8>,
) -> Result<Attempt, SendError> {
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
                .ok_or(SendError::UnreadableSecret)?;
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

/// What an attempt leaves in the log: the answer's start (or the error),
/// the request exactly as sent and the answer's headers (for the attempt page).
pub struct Logged {
    status: Option<u16>,
    latency_ms: u64,
    class: Option<&'static str>,
    excerpt: String,
    request: send::SentRequest,
    request_headers: String,
    response_headers: String,
}

impl Logged {
    pub fn of(result: &Attempt) -> Self {
        let excerpt = match &result.error {
            Some((_, message)) => message.clone(),
            None => result.body.chars().take(500).collect(),
        };
        Self {
            status: result.status,
            latency_ms: result.latency_ms,
            class: result.error.as_ref().map(|(c, _)| *c),
            excerpt,
            request: result.request.clone(),
            request_headers: serde_json::to_string(&result.request.headers).unwrap_or_else(|_| "[]".into()),
            response_headers: serde_json::to_string(&result.headers).unwrap_or_else(|_| "[]".into()),
        }
    }

    /// The attempt's row: number `attempt` of the delivery, for the endpoint, made by `trigger`.
    pub fn attempt<'a>(
        &'a self,
        (delivery_id, endpoint_id): (i64, i64),
        attempt: i64,
        trigger: &'a str,
    ) -> NewAttempt<'a> {
        NewAttempt {
            delivery_id,
            endpoint_id,
            attempt,
            trigger,
            status_code: self.status,
            latency_ms: self.latency_ms,
            error_class: self.class,
            excerpt: &self.excerpt,
            request_url: &self.request.url,
            request_headers: &self.request_headers,
            request_body: &self.request.body,
            response_headers: &self.response_headers,
        }
    }
}

fn retry_after(result: &Attempt) -> Option<i64> {
    if !matches!(result.status, Some(429 | 503)) {
        return None;
    }
    result.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after")).and_then(|(_, v)| v.trim().parse().ok())
}

/// Runs one attempt of a delivery and records it (`trigger`: scheduled or manual).
pub async fn deliver(state: &AppState, delivery_id: i64, trigger: &'static str) -> Result<Option<Attempt>, SendError> {
    let loaded = state
        .db
        .run(move |conn| {
            let Some(delivery) = deliveries::find(conn, delivery_id)? else { return Ok(None) };
            let endpoint =
                webhooks::list(conn, OrgId::new(delivery.org_id))?.into_iter().find(|e| e.id == delivery.endpoint_id);
            let event = outbox::find(conn, &delivery.event_id)?;
            Ok::<_, crate::db::QueryError>(Some((delivery, endpoint, event)))
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
) -> Result<(), SendError> {
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
    let succeeded = result.succeeded();
    let public_url = state.config.public_url.origin().to_owned();
    let logged = Logged::of(result);
    let health = state
        .db
        .run(move |conn| {
            crate::db::transaction(conn, |conn| {
                deliveries::record_attempt(conn, logged.attempt((delivery.id, hook.id), attempts, trigger))?;
                // A manual resend of a delivered message leaves it delivered.
                let state_now =
                    if delivery.state == DeliveryState::Delivered { DeliveryState::Delivered } else { next_state };
                deliveries::finish_attempt(conn, delivery.id, attempts, state_now, next_at)?;
                failing::record(conn, &hook, succeeded, gone, &public_url)
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
