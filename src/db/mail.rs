//! The mail outbox: every message is written here first (in the transaction
//! of the change that caused it), then sent by the scheduler, and retried
//! until it goes out. `dedupe_key` is unique: a notification that was already
//! queued is never queued twice, whichever instance tries.

use super::schema::mail_outbox::{self as mails, dsl};
use super::{DbConn, now};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mails)]
pub struct MailRow {
    pub id: i64,
    pub org_id: i64,
    pub dedupe_key: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// The bodies are sealed with the encryption key (they carry a one-time link).
    pub sealed: bool,
}

/// A composed message for one recipient.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub org_id: OrgId,
    pub dedupe_key: String,
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// Whether the bodies are sealed (see `MailRow::sealed`).
    pub sealed: bool,
}

/// Queues a message; false when one with the same `dedupe_key` exists.
/// `ON CONFLICT DO NOTHING` keeps a duplicate from aborting the caller's
/// PostgreSQL transaction (raw SQL: upserts do not compile through the MultiConnection).
pub fn enqueue(conn: &mut DbConn, mail: &NewMail) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Text, Timestamp};
    let at = now();
    let inserted = diesel::sql_query(
        "INSERT INTO mail_outbox (org_id, dedupe_key, kind, recipient, subject, text_body, html_body, state, attempts, \
         next_attempt_at, created_at, sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, $9) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind::<BigInt, _>(mail.org_id.get())
    .bind::<Text, _>(&mail.dedupe_key)
    .bind::<Text, _>(mail.kind)
    .bind::<Text, _>(&mail.recipient)
    .bind::<Text, _>(&mail.subject)
    .bind::<Text, _>(&mail.text_body)
    .bind::<Text, _>(&mail.html_body)
    .bind::<Timestamp, _>(at)
    .bind::<diesel::sql_types::Bool, _>(mail.sealed)
    .execute(conn)?;
    Ok(inserted == 1)
}

/// Claims up to `limit` due rows for `lease` (see [`super::claim_due`]).
pub fn claim_due(conn: &mut DbConn, limit: i64, lease: chrono::Duration) -> QueryResult<Vec<i64>> {
    super::claim_due(conn, super::Queue::MailOutbox, limit, lease)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<MailRow>> {
    dsl::mail_outbox.find(id).select(MailRow::as_select()).first(conn).optional()
}

pub fn mark_sent(conn: &mut DbConn, id: i64, attempts: i64) -> QueryResult<()> {
    let at = now();
    diesel::update(dsl::mail_outbox.find(id))
        .set((
            dsl::state.eq("sent"),
            dsl::attempts.eq(attempts),
            dsl::sent_at.eq(Some(at)),
            dsl::locked_until.eq(None::<NaiveDateTime>),
            dsl::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records a failed send: retried at `next`, or given up (`failed`) when `None`.
pub fn mark_failed(
    conn: &mut DbConn,
    id: i64,
    attempts: i64,
    error: &str,
    next: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(dsl::mail_outbox.find(id))
        .set((
            dsl::state.eq(if next.is_some() { "pending" } else { "failed" }),
            dsl::attempts.eq(attempts),
            dsl::next_attempt_at.eq(next.unwrap_or_else(now)),
            dsl::locked_until.eq(None::<NaiveDateTime>),
            dsl::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Every message of an organisation, oldest first (tests and the CLI).
pub fn for_org(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<MailRow>> {
    dsl::mail_outbox.filter(dsl::org_id.eq(org_id.get())).order(dsl::id.asc()).select(MailRow::as_select()).load(conn)
}
