//! The database's tables as a whole: their names and row counts, for the
//! schema guard, the backup manifest and restore's "empty database" check.

use super::{DbConn, QueryResult};
use diesel::prelude::*;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Every table of ours (SQLite's own and PostgreSQL's catalogs left out), sorted by name.
pub fn names(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        }
        DbConn::Pg(_) => {
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    let rows: Vec<Name> = diesel::sql_query(sql).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Whether a table of that name exists.
pub fn exists(conn: &mut DbConn, table: &str) -> QueryResult<bool> {
    Ok(names(conn)?.iter().any(|t| t == table))
}

/// The rows of `table`, which must be one of [`names`] (it is quoted, never bound).
pub fn row_count(conn: &mut DbConn, table: &str) -> QueryResult<i64> {
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let row: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {quoted}")).get_result(conn)?;
    Ok(row.n)
}
