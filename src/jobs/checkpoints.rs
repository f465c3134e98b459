//! Signs audit checkpoints inside `latchkey serve` (README: Audit log → Your
//! own verifiable copy): every chain head that moved on is signed once its
//! last checkpoint is `LATCHKEY_AUDIT_CHECKPOINT_SECS` old. Looking once a
//! minute (or more often for shorter intervals), rather than sleeping the
//! whole interval, keeps the schedule across restarts and instances.

use crate::state::AppState;
use std::sync::Arc;
use std::time::Duration;

pub async fn run_forever(state: Arc<AppState>) {
    let every = state.config.compliance.checkpoint_interval;
    let period = every.min(Duration::from_secs(60));
    // The first look comes one period after start-up, not at once: a restart loop never signs in a burst.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let signer = state.config.compliance.audit_signer.clone();
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::hours(1));
        match state.db.run(move |conn| crate::audit::checkpoints::take_due(conn, &signer, every)).await {
            Ok(0) => {}
            Ok(taken) => tracing::info!(taken, "signed audit checkpoints"),
            Err(e) => tracing::warn!(error = %crate::db::chain(&e), "signing audit checkpoints failed"),
        }
    }
}
