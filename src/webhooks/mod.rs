//! Outgoing webhooks: Standard Webhooks signing and the SSRF guard. The
//! endpoints pages, delivery worker and Send test arrive with the webhooks issue.

pub mod signing;
pub mod ssrf;
