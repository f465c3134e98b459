//! Use cases on the database itself, for the CLI: bringing its schema up to
//! date, and the start-up check that it takes a committed write at all.

use crate::db::{self, DbConn, MigrationError};

/// Applies pending migrations (waiting while another process applies them),
/// calling `applied(done, total, version)` after each; returns how many
/// this process applied.
pub fn migrate(conn: &mut DbConn, applied: impl FnMut(usize, usize, &str)) -> Result<usize, MigrationError> {
    db::migrate_reporting(conn, applied)
}

/// Fails unless the database takes a committed write: a read-only SQLite
/// file, a full disk or a read-only PostgreSQL (a standby) is refused at
/// start-up instead of failing every write later.
pub fn check_writable(conn: &mut DbConn) -> Result<(), String> {
    db::check_writable(conn)
}

/// Refuses, before anything is written, a database whose schema a newer
/// latchkey migrated (the error names both levels).
pub fn refuse_newer_schema(conn: &mut DbConn) -> Result<(), MigrationError> {
    db::refuse_newer_schema(conn)
}
