//! The delivery worker inside `latchkey serve`: every second it claims due
//! deliveries (with a lease, so instances never send the same attempt at
//! once) and runs each one's attempt (`app::webhooks::delivery`: the signed
//! send, the attempt log, the retry schedule, the endpoint's health).

use super::Error;
use crate::app::state::AppState;
use crate::app::webhooks::delivery::{claim_due, deliver, lease, release};
use std::sync::Arc;
use std::sync::atomic::Ordering;

const BATCH: usize = 20;
/// Claims one instance holds at once (sends in flight plus those waiting for their endpoint).
const MAX_IN_FLIGHT: usize = 200;

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
    let ids = claim_due(state, room as i64, lease).await?;
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
    match release(state, unfinished).await {
        Ok(_) => tracing::info!(count, "handed unfinished webhook deliveries back to the queue"),
        Err(e) => {
            tracing::warn!(error = %crate::db::chain(&e), count, "could not hand deliveries back; they are retried when their lease ends")
        }
    }
}
