//! Signs audit checkpoints inside `latchkey serve` (docs/user-guide.md: Audit log → Your
//! own verifiable copy): every chain head that moved on is signed once its
//! last checkpoint is `LATCHKEY_AUDIT_CHECKPOINT_SECS` old. Looking often
//! (every half interval, at most a minute apart), rather than sleeping the
//! whole interval, keeps the schedule across restarts and instances — and
//! signs every event within one and a half intervals (plus the work), so
//! "Verify integrity", which wants each event signed within two, finds the
//! log of a running server covered.

use crate::app::state::AppState;
use std::sync::Arc;
use std::time::Duration;

/// How often the scheduler looks for due chain heads.
fn period(every: Duration) -> Duration {
    (every / 2).clamp(Duration::from_millis(100), Duration::from_secs(60))
}

pub async fn run_forever(state: Arc<AppState>) {
    let period = period(state.config.compliance.checkpoint_interval);
    // The first look comes one period after start-up, not at once: a restart loop never signs in a burst.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match sign_due(&state).await {
            Ok(0) => {}
            Ok(taken) => tracing::info!(taken, "signed audit checkpoints"),
            Err(e) => tracing::warn!(error = %crate::db::chain(&e), "signing audit checkpoints failed"),
        }
    }
}

/// One look: signs every chain head that moved on and whose last checkpoint
/// is `LATCHKEY_AUDIT_CHECKPOINT_SECS` old; returns how many it signed.
pub async fn sign_due(state: &AppState) -> Result<usize, crate::db::Error> {
    let signer = state.config.compliance.audit_signer.clone();
    let every =
        chrono::Duration::from_std(state.config.compliance.checkpoint_interval).unwrap_or(chrono::Duration::hours(1));
    state.db.run(move |conn| crate::app::audit::checkpoints::take_due(conn, &signer, every)).await
}

/// On an orderly stop: signs every chain head that moved on since its last
/// checkpoint, whatever the interval, so events recorded just before a long
/// stop are not left unsigned (and "not proven") until the next start.
pub async fn sign_moved_heads(state: &AppState) {
    let signer = state.config.compliance.audit_signer.clone();
    match state
        .db
        .run(move |conn| crate::app::audit::checkpoints::take_due(conn, &signer, chrono::Duration::zero()))
        .await
    {
        Ok(taken) => tracing::info!(taken, "signed the moved audit chain heads before stopping"),
        Err(e) => tracing::warn!(error = %crate::db::chain(&e), "signing audit checkpoints before stopping failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_looks_at_least_twice_an_interval_and_at_least_once_a_minute() {
        assert_eq!(period(Duration::from_secs(1)), Duration::from_millis(500));
        assert_eq!(period(Duration::from_secs(90)), Duration::from_secs(45));
        assert_eq!(period(Duration::from_secs(3600)), Duration::from_secs(60));
    }
}
