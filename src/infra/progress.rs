//! Progress for slow CLI work: a bar on a terminal, plain lines otherwise —
//! or, when the logs are JSON, log events, so stderr stays one JSON object
//! a line for whatever reads it.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static AS_LOG_EVENTS: AtomicBool = AtomicBool::new(false);

/// Report progress as INFO log events instead of bars and plain lines (set
/// once at start-up, with the log format).
pub fn report_as_log_events(on: bool) {
    AS_LOG_EVENTS.store(on, Ordering::Relaxed);
}

/// Whether progress is drawn as a bar: stderr is a terminal and logs are text.
pub fn draws_bar() -> bool {
    std::io::stderr().is_terminal() && !AS_LOG_EVENTS.load(Ordering::Relaxed)
}

/// Writes one progress line the way this process reports progress.
fn line(label: &str, done: u64, total: u64, what: &str) {
    if AS_LOG_EVENTS.load(Ordering::Relaxed) {
        tracing::info!(done, total, step = what, "{label}");
    } else if what.is_empty() {
        eprintln!("{label}: {done}/{total}");
    } else {
        eprintln!("{label}: {done}/{total} {what}");
    }
}

pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    total: u64,
    done: u64,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Self {
        let bar = draws_bar().then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len}") {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            bar
        });
        Self { bar, label, total, done: 0 }
    }

    /// One step done; `what` names it on the plain-line output.
    pub fn step(&mut self, what: &str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => bar.inc(1),
            None => line(self.label, self.done, self.total, what),
        }
    }

    /// `n` more items done; off a terminal, prints a line at each tenth of the total.
    pub fn inc(&mut self, n: u64) {
        let before = self.done;
        self.done += n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None => {
                let tenth = (self.total / 10).max(1);
                if before / tenth != self.done / tenth || self.done >= self.total {
                    line(self.label, self.done, self.total, "");
                }
            }
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish();
        }
    }
}
