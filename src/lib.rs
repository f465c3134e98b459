//! Latchkey: a self-hostable API key console. `main.rs` is the CLI; this
//! library is everything it runs, and what the integration tests start.

pub mod accounts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod bench_seed;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod key_cache;
pub mod keys;
pub mod mail;
pub mod members;
pub mod memory;
pub mod metrics;
pub mod middleware;
pub mod notify;
pub mod pages;
pub mod password;
pub mod progress;
pub mod rate_limit;
pub mod resources;
pub mod routes;
pub mod server;
pub mod state;
pub mod support;
pub mod telemetry;
pub mod timefmt;
pub mod urls;
pub mod usage;
pub mod webhooks;
