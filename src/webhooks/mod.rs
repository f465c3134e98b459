//! Outgoing webhooks: event types, Standard Webhooks signing, the SSRF guard,
//! URL checks, the sender (Send test and deliveries) and the delivery worker
//! that sends outbox events.

pub mod audit_events;
pub mod catalog;
pub mod endpoints;
pub mod events;
pub mod in_flight;
pub mod send;
pub mod signing;
pub mod ssrf;
pub mod target;
