//! Storage of signed audit checkpoints (docs/user-guide.md: Audit log → Your own
//! verifiable copy). Only inserts and reads; the signing key is never here.

use super::DbConn;
use super::schema::audit_chain_heads as heads;
use crate::domain::OrgId;
use crate::domain::checkpoint::Checkpoint;
use audit_checkpoints::{self as checkpoints, dsl};
use chrono::NaiveDateTime;
use diesel::prelude::*;

// Never joined with another table, so it is declared here rather than in
// db/schema (migration 000016).
diesel::table! {
    audit_checkpoints (id) {
        id -> BigInt,
        org_id -> BigInt,
        seq -> BigInt,
        hash -> Text,
        signed_at -> Text,
        signature -> Text,
        public_key -> Text,
        created_at -> Timestamp,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = checkpoints)]
pub struct StoredCheckpoint {
    pub id: i64,
    pub org_id: i64,
    pub seq: i64,
    pub hash: String,
    pub signed_at: String,
    pub signature: String,
    pub public_key: String,
    pub created_at: NaiveDateTime,
}

impl StoredCheckpoint {
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            org_id: self.org_id,
            seq: self.seq,
            hash: self.hash.clone(),
            signed_at: self.signed_at.clone(),
            signature: self.signature.clone(),
        }
    }
}

pub fn insert(conn: &mut DbConn, c: &Checkpoint, public_key: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(checkpoints::table)
        .values((
            dsl::org_id.eq(c.org_id),
            dsl::seq.eq(c.seq),
            dsl::hash.eq(&c.hash),
            dsl::signed_at.eq(&c.signed_at),
            dsl::signature.eq(&c.signature),
            dsl::public_key.eq(public_key),
            dsl::created_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The organisation's newest checkpoint.
pub fn latest(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Option<StoredCheckpoint>> {
    dsl::audit_checkpoints
        .filter(dsl::org_id.eq(org_id.get()))
        .order(dsl::id.desc())
        .select(StoredCheckpoint::as_select())
        .first(conn)
        .optional()
}

/// A page of the organisation's checkpoints, newest first, older than `before_id`.
pub fn page(
    conn: &mut DbConn,
    org_id: OrgId,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<StoredCheckpoint>> {
    let mut query = dsl::audit_checkpoints.filter(dsl::org_id.eq(org_id.get())).into_boxed();
    if let Some(before) = before_id {
        query = query.filter(dsl::id.lt(before));
    }
    query.order(dsl::id.desc()).limit(limit).select(StoredCheckpoint::as_select()).load(conn)
}

/// Every checkpoint of the organisation, in chain order (for verification).
pub fn all(conn: &mut DbConn, org_id: OrgId) -> QueryResult<Vec<StoredCheckpoint>> {
    dsl::audit_checkpoints
        .filter(dsl::org_id.eq(org_id.get()))
        .order((dsl::seq.asc(), dsl::id.asc()))
        .select(StoredCheckpoint::as_select())
        .load(conn)
}

/// Every chain head: (org id, last seq, last hash).
pub fn heads(conn: &mut DbConn) -> QueryResult<Vec<(OrgId, i64, String)>> {
    let rows: Vec<(i64, i64, String)> =
        heads::table.select((heads::org_id, heads::last_seq, heads::last_hash)).order(heads::org_id).load(conn)?;
    Ok(rows.into_iter().map(|(org_id, seq, hash)| (OrgId::new(org_id), seq, hash)).collect())
}
