//! Leasing tokens of cluster-wide rate limits (docs/operator-guide.md: Rate
//! limits across instances): the limiter's one write, a use case so that it
//! stays in this layer. The limiter (infra/rate_limit) is handed it when the
//! application state is built, and calls it for its first lease of a bucket,
//! its top-ups and its syncs.

use crate::db::{self, Db};

/// The lessor of instance `instance`: one transaction per call, for every bucket asked.
pub fn lessor(db: Db, instance: String) -> crate::infra::rate_limit::Lessor {
    std::sync::Arc::new(move |asks| {
        let (db, instance) = (db.clone(), instance.clone());
        Box::pin(async move { db.run(move |conn| db::rate_buckets::sync(conn, &instance, &asks)).await })
    })
}
