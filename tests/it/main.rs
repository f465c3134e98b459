//! Integration tests: a real server over HTTP on a real database
//! (SQLite by default; PostgreSQL when `LATCHKEY_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

#[path = "../support/mod.rs"]
mod support;

mod accounts;
mod api;
mod api_keys;
mod apis;
mod apis_console;
mod apis_instances;
mod apis_migration;
mod assets;
mod audit;
mod audit_checkpoints;
mod audit_coverage;
mod audit_stream;
mod authz;
mod backup_drill;
mod catalog;
mod cli;
mod concurrency;
mod conformance;
mod console;
mod csrf;
mod deliveries;
mod delivery_log;
mod demo;
mod escalation;
mod faults;
mod headers;
mod ids_never_reused;
mod invitations;
mod key_events;
mod key_form_rules;
mod key_list;
mod key_policy;
mod leak_github;
mod leak_lookup;
mod leak_reports;
mod lifecycle;
mod login;
mod logs;
mod management_audit;
mod management_console;
mod management_keys;
mod management_rotation;
mod management_webhooks;
mod members;
mod metrics;
mod migrate_together;
mod migrations;
mod notifications;
mod openapi;
mod operating;
mod proxies;
mod races;
mod request_log;
mod request_log_flood;
mod request_log_networks;
mod roles;
mod scale_out;
mod scale_out_listen;
mod security;
mod sessions;
mod setup;
mod sudo;
mod systemd_unit;
mod trusted_events;
mod two_factor;
mod verify;
mod webhook_cap;
mod webhook_ops;
mod webhook_ops_send;
mod webhooks;
