//! Synthetic audit events for benchmarks (`latchkey audit seed-bench`):
//! realistic spread of actions, actors, targets and times over a year.

use crate::app::audit::Action;
use crate::app::audit::chain::EventFields;
use crate::db::{DbConn, QueryResult, audit_events, now};
use crate::domain::OrgId;
use crate::infra::progress::Progress;
use chrono::Duration;

const BATCH: usize = 10_000;
const ACTORS: usize = 50;

/// Appends `total` events to the organisation's chain, oldest first.
pub fn seed(conn: &mut DbConn, org_id: OrgId, total: usize) -> QueryResult<()> {
    let end = now();
    let start = end - Duration::days(365);
    let step_us = (Duration::days(365).num_microseconds().unwrap_or(1) / total.max(1) as i64).max(1);
    let mut progress = Progress::new("seeding", total as u64);
    let mut made = 0;
    while made < total {
        let n = BATCH.min(total - made);
        let mut batch: Vec<EventFields> = (made..made + n)
            .map(|i| {
                let action = Action::ALL[i % Action::ALL.len()];
                let actor = i % ACTORS;
                EventFields {
                    org_id: org_id.get(),
                    seq: 0,
                    occurred_at: start + Duration::microseconds(step_us * i as i64),
                    actor_type: "user".into(),
                    actor_id: Some(actor as i64 + 1),
                    actor_email: Some(format!("user{actor}@bench.test")),
                    actor_name: Some(format!("Bench User {actor}")),
                    action: action.as_str().into(),
                    target_type: Some("user".into()),
                    target_id: Some(format!("{}", i % 997)),
                    target_label: Some(format!("target{}@bench.test", i % 997)),
                    ip: Some(format!("10.{}.{}.{}", i % 251, (i / 251) % 251, i % 7)),
                    user_agent: Some("bench/1.0".into()),
                    request_id: Some(format!("req{i:016}")),
                    trace_id: None,
                    details: format!("{{\"n\":{i}}}"),
                }
            })
            .collect();
        audit_events::append_many(conn, org_id, &mut batch)?;
        made += n;
        progress.inc(n as u64);
    }
    progress.finish();
    // Fresh statistics, as autovacuum (PostgreSQL) or a maintenance job would leave them.
    audit_events::analyze(conn)
}
