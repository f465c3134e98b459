//! The webhook event types: what the outbox queues, what an endpoint
//! subscribes to, and what the event catalog documents — one list
//! (docs/api-guide.md: Receiving webhooks → Event types). The wire and the
//! database carry [`EventType::as_str`].

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    OrderCreated,
    CustomerCreated,
    ProductCreated,
    ApiKeyCreated,
    ApiKeyUpdated,
    ApiKeyDeactivated,
    ApiKeyActivated,
    ApiKeyRotated,
    ApiKeyRevoked,
    ApiKeyExpiring,
    ApiKeyExpired,
    ApiKeyDeleted,
    /// Sent by leak response (a key found exposed).
    ApiKeyExposed,
    /// An API's definition was created, changed, imported into or deleted.
    ApiUpdated,
    /// The identity provider deprovisioned a member (SCIM).
    MemberDeprovisioned,
    /// The audit stream (only to endpoints that tick it): every audit event …
    AuditEvent,
    /// … and each signed checkpoint.
    AuditCheckpoint,
    /// Sent only by Send test: in the catalog, never queued, not subscribable.
    WebhookTest,
}

use EventType::*;

impl EventType {
    /// Those an endpoint can subscribe to, in the order the webhook form
    /// offers them (and subscriptions are stored in).
    pub const SUBSCRIBABLE: [EventType; 17] = [
        OrderCreated,
        CustomerCreated,
        ProductCreated,
        ApiKeyCreated,
        ApiKeyUpdated,
        ApiKeyDeactivated,
        ApiKeyActivated,
        ApiKeyRotated,
        ApiKeyRevoked,
        ApiKeyExpiring,
        ApiKeyExpired,
        ApiKeyDeleted,
        ApiKeyExposed,
        ApiUpdated,
        MemberDeprovisioned,
        AuditEvent,
        AuditCheckpoint,
    ];

    /// Every type the server sends, as the catalog lists them: the
    /// subscribable ones, then `webhook.test`.
    pub const ALL: [EventType; 18] = [
        OrderCreated,
        CustomerCreated,
        ProductCreated,
        ApiKeyCreated,
        ApiKeyUpdated,
        ApiKeyDeactivated,
        ApiKeyActivated,
        ApiKeyRotated,
        ApiKeyRevoked,
        ApiKeyExpiring,
        ApiKeyExpired,
        ApiKeyDeleted,
        ApiKeyExposed,
        ApiUpdated,
        MemberDeprovisioned,
        AuditEvent,
        AuditCheckpoint,
        WebhookTest,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OrderCreated => "order.created",
            CustomerCreated => "customer.created",
            ProductCreated => "product.created",
            ApiKeyCreated => "api_key.created",
            ApiKeyUpdated => "api_key.updated",
            ApiKeyDeactivated => "api_key.deactivated",
            ApiKeyActivated => "api_key.activated",
            ApiKeyRotated => "api_key.rotated",
            ApiKeyRevoked => "api_key.revoked",
            ApiKeyExpiring => "api_key.expiring",
            ApiKeyExpired => "api_key.expired",
            ApiKeyDeleted => "api_key.deleted",
            ApiKeyExposed => "api_key.exposed",
            ApiUpdated => "api.updated",
            MemberDeprovisioned => "member.deprovisioned",
            AuditEvent => "audit.event",
            AuditCheckpoint => "audit.checkpoint",
            WebhookTest => "webhook.test",
        }
    }

    /// Any type the server sends, `webhook.test` included.
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == input)
    }

    /// A type an endpoint may subscribe to (not `webhook.test`).
    pub fn parse_subscribable(input: &str) -> Option<Self> {
        Self::SUBSCRIBABLE.into_iter().find(|t| t.as_str() == input)
    }

    pub fn is_subscribable(self) -> bool {
        self != WebhookTest
    }

    /// The `api_key.*` types: the ones about one key.
    pub fn is_about_a_key(self) -> bool {
        self.as_str().starts_with("api_key.")
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;
    fn from_str(input: &str) -> Result<Self, String> {
        Self::parse(input).ok_or_else(|| format!("Unknown event type {input:?}."))
    }
}

impl serde::Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A string column compares with the type it holds.
impl PartialEq<EventType> for str {
    fn eq(&self, other: &EventType) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<EventType> for String {
    fn eq(&self, other: &EventType) -> bool {
        self.as_str() == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn every_type_reads_back_and_only_the_test_is_not_subscribable() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(t.as_str().parse::<EventType>(), Ok(t));
            assert_eq!(t.is_subscribable(), EventType::SUBSCRIBABLE.contains(&t), "{t}");
        }
        assert_eq!(
            EventType::ALL[..EventType::SUBSCRIBABLE.len()],
            EventType::SUBSCRIBABLE,
            "the catalog lists the subscribable ones first"
        );
        assert_eq!(EventType::parse_subscribable("webhook.test"), None);
        assert_eq!(EventType::parse("user.deleted"), None);
        assert_eq!(serde_json::to_value(EventType::ApiKeyRevoked).ok(), Some("api_key.revoked".into()));
        assert!(EventType::ApiKeyExpiring.is_about_a_key() && !EventType::OrderCreated.is_about_a_key());
    }
}
