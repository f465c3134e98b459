//! The mail loop: sends due mail whenever a message is queued on this
//! instance and at least every scheduler interval (the sending itself is
//! `app::send_mail`).

pub use crate::app::send_mail::{next_delay, send_due};
use crate::app::state::AppState;

/// Sends due mail whenever a message is queued on this instance
/// ([`AppState::wake_mail_sender`]) and at least every scheduler interval,
/// until the process ends. Claims are leased, so this loop, the scheduler's
/// run and other instances never send one message twice.
pub async fn run_forever(state: std::sync::Arc<AppState>) {
    loop {
        let _ = tokio::time::timeout(state.config.scheduler_interval, state.mail_queued.notified()).await;
        if let Err(e) = send_due(&state, &state.mailer).await {
            tracing::warn!(error = %crate::db::chain(&e), "sending mail failed");
        }
    }
}
