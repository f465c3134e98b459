//! Send example (docs/user-guide.md: Webhooks → Webhook operations): the body of a
//! signed example of any event type, so a receiver can be built and checked
//! against real-looking messages before real ones arrive. The body is the
//! catalog's example with a fresh `timestamp`, `"seq": 0` (an example never
//! outranks a real change) and `"test": true` (which the catalog schemas
//! allow), so it validates like a real event.

use crate::domain::event_type::EventType;
use serde_json::{Value, json};

/// What the plain Send test (`webhook.test`) says.
pub const TEST_MESSAGE: &str = "This is a test event from Latchkey.";

/// Every type Send example offers: the plain test first, then the catalog's.
pub fn choices() -> Vec<EventType> {
    std::iter::once(EventType::WebhookTest).chain(EventType::SUBSCRIBABLE).collect()
}

/// The type asked for: empty means the plain test; anything unknown is refused.
pub fn parse_event(input: &str) -> Result<EventType, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(EventType::WebhookTest);
    }
    choices().into_iter().find(|t| *input == *t).ok_or_else(|| "Choose an event type from the list.".to_owned())
}

/// The body of an example of `event_type` (one of [`choices`]) for the endpoint `webhook_id`.
pub fn body(event_type: EventType, webhook_id: &str) -> Value {
    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let example = super::catalog::events().into_iter().find(|e| e.event_type == event_type).map(|e| e.example);
    let test = EventType::WebhookTest.as_str();
    let mut body = example.unwrap_or_else(|| json!({ "type": test, "data": { "message": TEST_MESSAGE } }));
    if body["type"] == test {
        body["data"]["webhook_id"] = webhook_id.into();
    }
    body["timestamp"] = timestamp.into();
    body["seq"] = 0.into();
    body["test"] = true.into();
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_marked_example_and_unknown_types_are_refused() {
        assert_eq!(parse_event(""), Ok(EventType::WebhookTest));
        assert_eq!(parse_event("order.created"), Ok(EventType::OrderCreated));
        assert!(parse_event("order.deleted").is_err());
        for event_type in choices() {
            let example = body(event_type, "wh_x");
            assert_eq!(example["type"], event_type.as_str());
            assert_eq!((&example["test"], &example["seq"]), (&json!(true), &json!(0)));
            assert!(example["data"].is_object(), "{event_type}");
        }
        assert_eq!(body(EventType::WebhookTest, "wh_x")["data"]["webhook_id"], "wh_x");
    }
}
