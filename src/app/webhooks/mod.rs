//! Outgoing webhooks: the endpoint use cases (access.rs, endpoints.rs,
//! switch.rs, testing.rs: Send test and Resend), event types, Standard
//! Webhooks signing, the SSRF guard, URL checks, one delivery attempt
//! (delivery.rs, for the worker in `jobs::deliveries` too), Send example
//! bodies, and endpoint health: the mark (health.rs) and what deliveries do
//! to it (failing.rs).

mod access;
pub mod api_events;
pub mod audit_events;
pub mod catalog;
pub mod delivery;
pub mod endpoints;
pub mod events;
pub mod examples;
mod failing;
pub mod health;
pub mod send;
pub mod signing;
mod switch;
pub mod target;
mod testing;

pub use access::{
    ATTEMPTS_PAGE, AttemptFilter, AttemptPage, AttemptRequest, AttemptRow, Endpoint, HookError, MessageRow, Op,
    activity, attempt, authorize, find, list, list_with_health,
};
pub use endpoints::{AtCap, EndpointError, EndpointFields, Overlap, create, delete, rotate_secret, update};
pub use switch::{recover, set_enabled};
pub use testing::{TestError, resend, send_test};
