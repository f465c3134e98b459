//! Outgoing webhooks: event types, Standard Webhooks signing, the SSRF guard,
//! URL checks and the sender used by Send test. The delivery worker for
//! outbox events arrives with the rest of the webhooks issue.

pub mod events;
pub mod send;
pub mod signing;
pub mod ssrf;
pub mod target;
pub mod worker;
