//! Consistent views of the whole database for `latchkey backup`: an SQLite
//! snapshot file (`VACUUM INTO`, which reads one transaction's view while
//! writers carry on in the WAL), or a PostgreSQL snapshot exported to
//! `pg_dump`, and the row counts and chain heads of exactly that view.

use super::{DbConn, QueryResult, tables};
use crate::db::schema::{audit_chain_heads as heads, orgs};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// What the manifest records of one consistent view.
#[derive(Debug, Clone, Default)]
pub struct Contents {
    /// Rows per table, by name.
    pub counts: BTreeMap<String, i64>,
    /// Each organisation's chain head by slug: (last seq, last hash).
    pub chain_heads: BTreeMap<String, (i64, String)>,
}

/// Reads the counts and chain heads (inside the caller's transaction, when one is open).
pub fn contents(conn: &mut DbConn) -> QueryResult<Contents> {
    let mut counts = BTreeMap::new();
    for table in tables::names(conn)? {
        let n = tables::row_count(conn, &table)?;
        counts.insert(table, n);
    }
    let rows: Vec<(String, i64, String)> = orgs::table
        .inner_join(heads::table.on(heads::org_id.eq(orgs::id)))
        .select((orgs::slug, heads::last_seq, heads::last_hash))
        .load(conn)?;
    let chain_heads = rows.into_iter().map(|(slug, seq, hash)| (slug, (seq, hash))).collect();
    Ok(Contents { counts, chain_heads })
}

/// Writes a consistent copy of an SQLite database to `to` (which must not
/// exist), while other connections go on writing.
pub fn sqlite_vacuum_into(conn: &mut DbConn, to: &Path) -> QueryResult<()> {
    let target = to.to_string_lossy().replace('\'', "''");
    conn.batch_execute(&format!("VACUUM INTO '{target}'"))
}

/// Opens an SQLite file read-only, without the pool's set-up (which would
/// switch it to WAL and leave -wal/-shm files beside it).
pub fn open_sqlite_read_only(path: &Path) -> Result<DbConn, super::Error> {
    let escaped = path.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    diesel::SqliteConnection::establish(&format!("file:{escaped}?mode=ro"))
        .map(DbConn::Sqlite)
        .map_err(|e| super::Error::Unavailable(Box::new(e)))
}

/// Runs `dump` with the id of an exported PostgreSQL snapshot (for
/// `pg_dump --snapshot`), and reads [`Contents`] from that same snapshot:
/// the manifest and the dump describe one moment however busy the server is.
pub fn pg_exported<T, E: From<diesel::result::Error>>(
    conn: &mut DbConn,
    dump: impl FnOnce(&str) -> Result<T, E>,
) -> Result<(Contents, T), E> {
    #[derive(QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    // pg_dump needs REPEATABLE READ (or stricter) on the exporting side; the snapshot lives as long as this transaction.
    conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    let result = (|| -> Result<(Contents, T), E> {
        let snapshot: Snapshot = diesel::sql_query("SELECT pg_export_snapshot() AS id").get_result(conn)?;
        let read = contents(conn)?;
        let dumped = dump(&snapshot.id)?;
        Ok((read, dumped))
    })();
    // Nothing was written: ending the transaction either way is the same.
    let ended = conn.batch_execute("ROLLBACK");
    let value = result?;
    ended?;
    Ok(value)
}
