//! Outgoing webhooks: event types, Standard Webhooks signing, the SSRF guard,
//! URL checks, the sender (Send test and deliveries), Send example bodies,
//! endpoint health marks and the delivery worker that sends outbox events.

pub mod audit_events;
pub mod catalog;
pub mod endpoints;
pub mod events;
pub mod examples;
pub mod health;
pub mod in_flight;
pub mod send;
pub mod signing;
pub mod ssrf;
pub mod target;
