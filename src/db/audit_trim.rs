//! The one place audit events are deleted: a prefix of an organisation's
//! chain that ends at a signed checkpoint, once archived (or aged out under
//! `LATCHKEY_AUDIT_RETENTION_DAYS`). The checkpoint stays as the live
//! chain's anchor, so what remains verifies on its own
//! (docs/operator-guide.md: Retention).

use super::checkpoints::{StoredCheckpoint, audit_checkpoints as checkpoints};
use super::schema::audit_events::{self as events, dsl};
use super::{DbConn, QueryResult};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::dsl::{max, min};
use diesel::prelude::*;

/// The first event still stored (`None`: no events).
pub fn first_seq(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Option<i64>> {
    events::table.filter(dsl::org_id.eq(org_id.get())).select(min(dsl::seq)).first(conn)
}

/// The last event that happened before `before`.
pub fn last_seq_before(conn: &mut DbConn, org_id: OrgId, before: NaiveDateTime) -> QueryResult<Option<i64>> {
    events::table
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::occurred_at.lt(before))
        .select(max(dsl::seq))
        .first(conn)
}

/// The newest checkpoint at or before `seq`: the furthest a trim can go.
pub fn checkpoint_at_or_before(conn: &mut DbConn, org_id: OrgId, seq: i64) -> QueryResult<Option<StoredCheckpoint>> {
    checkpoints::table
        .filter(checkpoints::org_id.eq(org_id.get()))
        .filter(checkpoints::seq.le(seq))
        .order((checkpoints::seq.desc(), checkpoints::id.desc()))
        .select(StoredCheckpoint::as_select())
        .first(conn)
        .optional()
}

/// The checkpoint at exactly `seq` (an anchor), if one is stored.
pub fn checkpoint_at(conn: &mut DbConn, org_id: OrgId, seq: i64) -> QueryResult<Option<StoredCheckpoint>> {
    checkpoints::table
        .filter(checkpoints::org_id.eq(org_id.get()))
        .filter(checkpoints::seq.eq(seq))
        .order(checkpoints::id.asc())
        .select(StoredCheckpoint::as_select())
        .first(conn)
        .optional()
}

/// Deletes the events up to `through_seq` and the checkpoints before it
/// (the one at `through_seq` stays, as the anchor); answers how many events went.
pub fn delete_through(conn: &mut DbConn, org_id: OrgId, through_seq: i64) -> QueryResult<usize> {
    let deleted = diesel::delete(events::table.filter(dsl::org_id.eq(org_id.get())).filter(dsl::seq.le(through_seq)))
        .execute(conn)?;
    diesel::delete(
        checkpoints::table.filter(checkpoints::org_id.eq(org_id.get())).filter(checkpoints::seq.lt(through_seq)),
    )
    .execute(conn)?;
    Ok(deleted)
}

/// Whether the live chain records a trim through `seq` (`audit.archived`
/// with that `through_seq`): an anchor nobody recorded is a deletion.
pub fn trim_recorded(conn: &mut DbConn, org_id: OrgId, seq: i64) -> QueryResult<bool> {
    let details: Vec<String> = events::table
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::action.eq("audit.archived"))
        .filter(dsl::seq.gt(seq))
        .select(dsl::details)
        .load(conn)?;
    Ok(details
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .any(|d| d["through_seq"] == seq))
}
