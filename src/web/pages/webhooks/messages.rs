//! The endpoint page's delivery log, grouped as people read it (as Svix and
//! Stripe show theirs): each message with its state, attempt count and next
//! retry, and this page's attempts of it beneath, newest first.

use crate::app::webhooks::{AttemptPage, AttemptRow, MessageRow};
use crate::domain::delivery_state::DeliveryState;
use crate::domain::timefmt;
use chrono::NaiveDateTime;

/// One message of the log, as its row shows it.
pub struct MessageView {
    /// The message id (`msg_…`), which Resend names.
    pub id: String,
    pub event_type: String,
    pub state: &'static str,
    /// The badge's colour class for the state.
    pub badge: &'static str,
    pub attempts: i64,
    /// (exact, relative) time of the next retry, while one is due.
    pub next_retry: Option<(String, String)>,
    pub test: bool,
}

/// A message and the attempts of it on this page.
pub struct MessageGroup {
    pub message: MessageView,
    pub attempts: Vec<(AttemptRow, String, String)>,
}

fn view(row: &MessageRow, at: NaiveDateTime) -> MessageView {
    let badge = match row.state {
        DeliveryState::Delivered => "state-active",
        DeliveryState::Pending => "state-rotating",
        DeliveryState::Failed => "state-revoked",
        DeliveryState::Cancelled => "state-disabled",
    };
    let waiting = row.state == DeliveryState::Pending && row.attempts > 0;
    MessageView {
        id: row.event_id.clone(),
        event_type: row.event_type.clone(),
        state: row.state.as_str(),
        badge,
        attempts: row.attempts,
        next_retry: waiting.then(|| (timefmt::exact(&row.next_attempt_at), when(row.next_attempt_at, at))),
        test: row.test,
    }
}

/// When a retry is due, in words: the first one comes seconds after a failure.
fn when(due: NaiveDateTime, at: NaiveDateTime) -> String {
    match (due - at).num_seconds() {
        ..=0 => "now".into(),
        1..60 => "in under a minute".into(),
        _ => timefmt::relative(&due, &at),
    }
}

/// Groups a page's attempts under their messages, in the order of each
/// message's newest attempt on the page.
pub fn group(page: AttemptPage, at: NaiveDateTime) -> Vec<MessageGroup> {
    let mut groups: Vec<(i64, MessageGroup)> = Vec::new();
    for attempt in page.attempts {
        let delivery = attempt.0.delivery_id;
        match groups.iter_mut().find(|(id, _)| *id == delivery) {
            Some((_, group)) => group.attempts.push(attempt),
            None => {
                let Some(row) = page.messages.iter().find(|m| m.id == delivery) else { continue };
                groups.push((delivery, MessageGroup { message: view(row, at), attempts: vec![attempt] }));
            }
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}
