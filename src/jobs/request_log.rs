//! Writes the per-key request log (docs/user-guide.md: Per-key request log): takes the
//! buffer once a second and writes it as one transaction — so at most one
//! commit a second, which keeps SQLite's key cache (invalidated by every
//! commit) warm. Networks a key was seen using within the last hour are not
//! looked up again (the writer's memory, app/request_log/memory.rs).

use crate::app::state::AppState;
use std::sync::Arc;
use std::time::Duration;

/// One batch written per this long, at most.
const WINDOW: Duration = Duration::from_secs(1);

/// Takes the buffer once a second and writes it, until the process ends.
pub async fn run_forever(state: Arc<AppState>) {
    if !state.request_log.enabled() {
        return;
    }
    let mut tick = tokio::time::interval(WINDOW);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        flush(&state).await;
    }
}

/// Writes what is buffered now as one batch (each second of the loop, an
/// orderly stop, a test); returns how many entries it took. A failure is
/// logged and the batch counted as dropped.
pub async fn flush(state: &AppState) -> usize {
    let mut memory = state.request_log.writer().lock().await;
    let batch = state.request_log.take();
    if batch.is_empty() {
        return 0;
    }
    let (checks, quiet, count) = (memory.checks(&batch), memory.quiet(), batch.len());
    match state.db.run(move |conn| crate::app::request_log::write(conn, &batch, &checks, &quiet)).await {
        Ok(reported) => memory.reported(reported),
        Err(e) => {
            // The batch is lost (the log is forensic help, not the record of truth); retrying could pile up.
            memory.forget_confirmed();
            tracing::warn!(error = %crate::db::chain(&e), requests = count, "writing the request log failed");
            state.metrics.request_log_dropped(count as u64);
        }
    }
    count
}
