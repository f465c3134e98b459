//! Running database work from async code, and the database layer's error.
//! Diesel is blocking, so every call runs on tokio's blocking pool with a
//! pooled connection; the async executor never waits on a query.

use super::{DbConn, Pool};
use diesel::result::DatabaseErrorKind;
/// A query's error and result, as the layers above name them (they never
/// name Diesel): `QueryError::NotFound`, `QueryResult<T>`.
pub use diesel::result::{Error as QueryError, QueryResult};

/// Carries a failure that is not the database's (a message that could not
/// be composed, a seal that failed) out of database work as a query error,
/// so the transaction it happens in rolls back; the cause stays attached.
pub fn other_error(cause: impl std::error::Error + Send + Sync + 'static) -> QueryError {
    QueryError::QueryBuilderError(Box::new(cause))
}

/// What can go wrong below the use cases. Callers decide what to show; the
/// cause stays attached (`source()`) for the logs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No connection could be had, or it broke mid-query: the database is
    /// unreachable for now (a 503, not a bug).
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database answered with an error.
    #[error("query failed")]
    Query(#[source] QueryError),
    /// The blocking task died (a panic in the closure).
    #[error("database task failed")]
    Task(#[source] tokio::task::JoinError),
}

impl From<QueryError> for Error {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            )
            | QueryError::BrokenTransactionManager => Self::Unavailable(Box::new(e)),
            e => Self::Query(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(Box::new(e))
    }
}

impl Error {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// The error and every cause under it, joined by ": " (for log lines).
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A cloneable handle on the pool for async callers.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl Db {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(Error::Task)?
    }
}
