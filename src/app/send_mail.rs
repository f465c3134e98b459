//! Sending queued mail, a use case the scheduler runs: claims due messages, sends them, and schedules
//! a retry for each failure (1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h, 24 h,
//! then it gives up and logs the message as failed).

use crate::app::state::AppState;
use crate::db::mail::{self, MailRow};
use crate::db::now;
use crate::infra::mail::Transport;
use chrono::Duration;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};

/// A claimed message is not picked by another instance for this long.
const LEASE: Duration = Duration::minutes(5);
/// Messages sent per scheduler run, at most.
const BATCH: i64 = 100;

const RETRY_MINUTES: [i64; 8] = [1, 5, 15, 60, 180, 360, 720, 1440];

/// The delay before retry number `attempts` (1-based), or `None` to give up.
pub fn next_delay(attempts: i64) -> Option<Duration> {
    let index = usize::try_from(attempts - 1).ok()?;
    RETRY_MINUTES.get(index).map(|m| Duration::minutes(*m))
}

/// Sends every due message once; returns how many went out.
pub async fn send_due(state: &AppState, transport: &Transport) -> Result<usize, crate::db::Error> {
    let claimed = state.db.run(|conn| mail::claim_due(conn, BATCH, LEASE)).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let origin = state.config.public_url.origin();
    let host = url::Url::parse(origin).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or("localhost".into());
    let mut sent = 0;
    for id in claimed {
        let Some(row) = state.db.run(move |conn| mail::find(conn, id)).await? else { continue };
        let attempts = row.attempts + 1;
        let outcome = match build(&row, &state.config.mail.from, &host, &state.config.encryption_key) {
            Ok(message) => transport.send(message, &eml_name(&row)).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                state.db.run(move |conn| mail::mark_sent(conn, id, attempts)).await?;
                tracing::info!(mail_id = id, kind = %row.kind, "mail sent");
                sent += 1;
            }
            Err(error) => {
                let next = next_delay(attempts).map(|d| now() + d);
                if next.is_none() {
                    tracing::error!(mail_id = id, kind = %row.kind, %error, "mail failed for good");
                } else {
                    tracing::warn!(mail_id = id, kind = %row.kind, %error, attempts, "mail failed; will retry");
                }
                state.db.run(move |conn| mail::mark_failed(conn, id, attempts, &error, next)).await?;
            }
        }
    }
    Ok(sent)
}

/// `host` names the Message-ID's domain: the public URL's host; `key` opens sealed bodies.
fn build(row: &MailRow, from: &Mailbox, host: &str, key: &[u8]) -> Result<Message, String> {
    let to: Mailbox = row.recipient.parse().map_err(|e| format!("bad recipient: {e}"))?;
    let (text, html) = if row.sealed {
        (crate::infra::mail::open_body(key, &row.text_body)?, crate::infra::mail::open_body(key, &row.html_body)?)
    } else {
        (row.text_body.clone(), row.html_body.clone())
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        // Stable across retries, so a receiving server can drop a duplicate.
        .message_id(Some(format!("<mail-{}.{}@{host}>", row.id, row.created_at.and_utc().timestamp())))
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| e.to_string())
}

/// `20261122-101500-000042-key_expiring`: sorts by time.
fn eml_name(row: &MailRow) -> String {
    format!("{}-{:06}-{}", row.created_at.format("%Y%m%d-%H%M%S"), row.id, row.kind)
}

#[cfg(test)]
mod tests {
    use super::next_delay;

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(next_delay(1).map(|d| d.num_minutes()), Some(1));
        assert_eq!(next_delay(8).map(|d| d.num_minutes()), Some(1440));
        assert!(next_delay(9).is_none());
        assert!(next_delay(0).is_none());
    }
}
