//! The web layer, the only place that knows actix: the server, the route
//! tables the security tests walk, middleware, errors, the caller's identity
//! as extractors, the REST API and the console pages. Handlers parse, call
//! one use case and render.

pub mod api;
pub mod auth;
pub mod authz;
pub mod error;
pub mod middleware;
pub mod pages;
pub mod routes;
pub mod server;
