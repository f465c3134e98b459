//! Infrastructure: configuration, the mail transport, password hashing,
//! rate limiting, the key cache, in-memory counters (the webhook sender's
//! claims: in_flight.rs), metrics and logging —
//! the machinery the use cases run on. Nothing here knows HTTP.

pub mod api_cache;
pub mod config;
pub mod dns_txt;
pub mod in_flight;
pub mod key_cache;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod oidc;
pub mod password;
pub mod pg_tools;
pub mod progress;
pub mod rate_limit;
pub mod telemetry;
pub mod usage;
pub mod webhook_client;
