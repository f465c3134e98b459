//! The use cases: one function per thing a user or a job does. Each owns
//! its transaction, its audit entry and its outbox event; the web layer and
//! the jobs call them and nothing below.

pub mod accounts;
pub mod audit;
pub mod audit_log;
pub mod bench_seed;
pub mod caller;
pub mod database;
pub mod demo;
pub mod home;
pub mod keys;
pub mod members;
pub mod notify;
pub mod orgs;
pub mod request_log;
pub mod resources;
pub mod state;
pub mod support;
pub mod webhooks;

/// The database layer's error, as the use cases pass it up (the web layer
/// answers 503 when the database is unreachable, 500 otherwise), and its
/// causes joined for a log line.
pub use crate::db::{Error as DbError, chain as error_chain};
