//! Structured logs through `tracing` on stderr: text or JSON, filtered by
//! `RUST_LOG`. Every command logs this way, its progress and its final error
//! included, so a pipeline reading JSON never meets a plain line. Text is
//! coloured only for a person at a terminal.
//!
//! actix's HTTP/1 dispatcher logs every malformed request a client sends at
//! ERROR ("stream error: …"); a fuzzer or a scanner then buries real errors
//! under thousands of lines. Those events are kept out of the output and
//! summarised instead: one WARN a minute at most, with how many there were,
//! and each one at DEBUG. Other ERRORs of the dispatcher are passed on as errors.

use crate::infra::config::LogFormat;
use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

const DISPATCHER: &str = "actix_http::h1";
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// The format `init` chose, for what writes to stderr outside `tracing`.
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
    crate::infra::progress::report_as_log_events(format == LogFormat::Json);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Text => fmt.with_ansi(colour(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR"))).boxed(),
        LogFormat::Json => fmt.json().with_ansi(false).boxed(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt.with_filter(filter_fn(|meta| !is_dispatcher_error(meta.target(), *meta.level()))))
        .with(ClientErrors::default())
        .try_init();
}

/// Colour codes are for a person at a terminal: never in a file or a pipe,
/// and never when `NO_COLOR` is set to anything but "" (no-color.org).
fn colour(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Reports the error that ends a command on stderr: a plain `error: …` line,
/// or an ERROR event when the logs are JSON.
pub fn command_failed(error: &anyhow::Error) {
    if FORMAT.get() == Some(&LogFormat::Json) {
        tracing::error!(error = format!("{error:#}"), "command failed");
    } else {
        eprintln!("error: {error:#}");
    }
}

fn is_dispatcher_error(target: &str, level: Level) -> bool {
    level == Level::ERROR && target.starts_with(DISPATCHER)
}

/// Re-emits the dispatcher's ERROR events: client-caused ones summarised, the rest as errors.
#[derive(Default)]
pub struct ClientErrors {
    /// (when the last summary was written, events since then).
    state: Mutex<Option<(Instant, u64)>>,
}

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl ClientErrors {
    /// How many client errors to report now, if a summary is due.
    fn count(&self) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        match state.as_mut() {
            Some((last, n)) if now.duration_since(*last) < SUMMARY_EVERY => {
                *n += 1;
                None
            }
            Some((last, n)) => {
                let total = *n + 1;
                (*last, *n) = (now, 0);
                Some(total)
            }
            None => {
                *state = Some((now, 0));
                Some(1)
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for ClientErrors {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if !is_dispatcher_error(meta.target(), *meta.level()) {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        if !message.0.starts_with("stream error") {
            tracing::error!(target: "latchkey::http", error = %message.0, "HTTP connection error");
            return;
        }
        tracing::debug!(target: "latchkey::http", error = %message.0, "malformed request from a client");
        if let Some(count) = self.count() {
            tracing::warn!(
                target: "latchkey::http",
                count,
                last = %message.0,
                "clients sent malformed HTTP requests (connection closed; summarised at most once a minute)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())), "an empty NO_COLOR counts as unset");
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None), "a file or a pipe");
        assert!(!colour(false, Some("1".into())));
    }
}
