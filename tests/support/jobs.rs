//! The background work of `latchkey serve`, driven by the test: a server
//! from `spawn_app` runs no loops, and each method below does one pass of a
//! loop's work (the very functions the loops call) and returns when it is done.

use super::TestApp;
use diesel::prelude::*;

impl TestApp {
    /// One scheduler run: last-used and usage flush, grace-period revocation,
    /// expiry records and warnings, due mail, pruning (`jobs::run_once`).
    pub async fn run_jobs(&self) {
        latchkey::jobs::run_once(&self.state).await;
    }

    /// Sends every webhook delivery due now, and waits for the sends; returns how many went.
    pub async fn drain_deliveries(&self) -> usize {
        latchkey::jobs::deliveries::drain(&self.state).await.expect("drain the webhook deliveries")
    }

    /// Sends the mail due now; returns how many went out.
    pub async fn send_mail(&self) -> usize {
        latchkey::jobs::send_mail::send_due(&self.state, &self.state.mailer).await.expect("send mail")
    }

    /// Writes the request log's buffer; returns how many entries it took.
    pub async fn flush_request_log(&self) -> usize {
        latchkey::jobs::request_log::flush(&self.state).await
    }

    /// One look of the checkpoint signer; returns how many chain heads it signed.
    pub async fn sign_checkpoints(&self) -> usize {
        latchkey::jobs::checkpoints::sign_due(&self.state).await.expect("sign checkpoints")
    }

    /// What the loops would have done by now: the request log written, a
    /// scheduler run, then the webhook deliveries and mail that are due.
    pub async fn run_background_work(&self) {
        self.flush_request_log().await;
        self.run_jobs().await;
        self.drain_deliveries().await;
        self.send_mail().await;
    }

    /// As if time had moved on until every scheduled retry is due: the
    /// pending webhook deliveries and mail waiting for a later attempt are
    /// moved earlier by the same amount (the latest becomes due now), so they
    /// keep their order. Returns the delays (from now, in seconds) they had,
    /// deliveries then mail.
    pub fn retries_due_now(&self) -> (Vec<f64>, Vec<f64>) {
        use latchkey::db::schema::{mail_outbox as m, webhook_deliveries as w};
        let now = latchkey::db::now();
        let mut conn = self.conn();
        let waiting: Vec<(i64, chrono::NaiveDateTime)> = w::table
            .filter(w::state.eq("pending"))
            .filter(w::next_attempt_at.gt(now))
            .select((w::id, w::next_attempt_at))
            .load(&mut conn)
            .expect("deliveries");
        let shift = waiting.iter().map(|(_, at)| *at - now).max().unwrap_or_default();
        for (id, at) in &waiting {
            diesel::update(w::table.find(id)).set(w::next_attempt_at.eq(*at - shift)).execute(&mut conn).expect("due");
        }
        let deliveries = seconds(&waiting, now);
        let waiting: Vec<(i64, chrono::NaiveDateTime)> = m::table
            .filter(m::state.eq("pending"))
            .filter(m::next_attempt_at.gt(now))
            .select((m::id, m::next_attempt_at))
            .load(&mut conn)
            .expect("mail");
        let shift = waiting.iter().map(|(_, at)| *at - now).max().unwrap_or_default();
        for (id, at) in &waiting {
            diesel::update(m::table.find(id)).set(m::next_attempt_at.eq(*at - shift)).execute(&mut conn).expect("due");
        }
        (deliveries, seconds(&waiting, now))
    }
}

fn seconds(waiting: &[(i64, chrono::NaiveDateTime)], now: chrono::NaiveDateTime) -> Vec<f64> {
    waiting.iter().map(|(_, at)| (*at - now).num_milliseconds() as f64 / 1000.0).collect()
}
