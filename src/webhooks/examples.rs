//! Send example (README: Webhooks → Webhook operations): the body of a
//! signed example of any event type, so a receiver can be built and checked
//! against real-looking messages before real ones arrive. The body is the
//! catalog's example with a fresh `timestamp` and `"test": true` (which the
//! catalog schemas allow), so it validates like a real event.

use super::events::EVENT_TYPES;
use serde_json::{Value, json};

/// The event type of the plain Send test; not subscribable, so not in the catalog.
pub const TEST_EVENT: &str = "webhook.test";

/// Every type Send example offers: the plain test first, then the catalog's.
pub fn choices() -> Vec<&'static str> {
    std::iter::once(TEST_EVENT).chain(EVENT_TYPES).collect()
}

/// The type asked for: empty means the plain test; anything unknown is refused.
pub fn parse_event(input: &str) -> Result<&'static str, String> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(TEST_EVENT);
    }
    choices().into_iter().find(|t| *t == input).ok_or_else(|| "Choose an event type from the list.".to_owned())
}

/// The body of an example of `event_type` (one of [`choices`]) for the endpoint `webhook_id`.
pub fn body(event_type: &str, webhook_id: &str) -> Value {
    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let example = super::catalog::events().into_iter().find(|e| e.event_type == event_type).map(|e| e.example);
    let mut body = example.unwrap_or_else(|| {
        json!({
            "type": TEST_EVENT,
            "data": { "webhook_id": webhook_id, "message": "This is a test event from Latchkey." },
        })
    });
    body["timestamp"] = timestamp.into();
    body["test"] = true.into();
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_marked_example_and_unknown_types_are_refused() {
        assert_eq!(parse_event(""), Ok(TEST_EVENT));
        assert_eq!(parse_event("order.created"), Ok("order.created"));
        assert!(parse_event("order.deleted").is_err());
        for event_type in choices() {
            let example = body(event_type, "wh_x");
            assert_eq!(example["type"], event_type);
            assert_eq!(example["test"], true);
            assert!(example["data"].is_object(), "{event_type}");
        }
        assert_eq!(body(TEST_EVENT, "wh_x")["data"]["webhook_id"], "wh_x");
    }
}
