//! Latchkey: a self-hostable API key console. `main.rs` is the CLI; this
//! library is everything it runs, and what the integration tests start.
//!
//! The folders are the layers, lowest first; each may use only the ones
//! before it (docs/ARCHITECTURE.md, checked by `scripts/check-layers`).

pub mod app;
pub mod cli;
pub mod db;
pub use latchkey_domain as domain;
pub mod infra;
pub mod jobs;
pub mod web;
