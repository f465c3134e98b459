//! The use cases: one async entry point per thing a user, a key or a job
//! does. Each takes the shared context (`state::AppState`), a typed caller
//! (`caller::Caller`) and typed inputs; checks permissions, state,
//! escalation and policy inside the one transaction that acts; records its
//! audit entry and outbox event there; and does the work that must follow
//! the commit (the key cache, the mail sender) itself. The web layer, the
//! CLI and the jobs call them and nothing below.

pub mod accounts;
pub mod admit;
pub mod apis;
pub mod audit;
pub mod audit_log;
pub mod backup;
pub mod bench_seed;
pub mod caller;
pub mod database;
pub mod demo;
pub mod expiry_warnings;
pub mod home;
pub mod keys;
pub mod lease;
pub mod maintenance;
pub mod members;
pub mod notify;
pub mod orgs;
pub mod request_log;
pub mod resources;
pub mod scim;
pub mod send_mail;
pub mod sso;
pub mod state;
pub mod support;
pub mod verify;
pub mod webhooks;

/// The database layer's error, as the use cases pass it up (the web layer
/// answers 503 when the database is unreachable, 500 otherwise), and its
/// causes joined for a log line.
pub use crate::db::{Error as DbError, chain as error_chain};
