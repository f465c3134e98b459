//! The one connection type: SQLite or PostgreSQL, chosen from the URL at run time.
//! It lives in its own module because the derive adds items to it.

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}
