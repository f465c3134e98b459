//! Who a key is for and what the integrator keeps with it: the `owner_id`
//! (the integrator's own id for the customer or service holding the key)
//! and free `metadata`. Both are the integrator's, returned as given;
//! Latchkey only bounds them so a row stays small.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

pub const MAX_OWNER_ID_LEN: usize = 128;
/// The largest metadata, in bytes of its compact JSON.
pub const MAX_METADATA_BYTES: usize = 4096;

/// An owner id: 1–128 characters once trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OwnerId(String);

impl OwnerId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ParseError::new("Give the owner's id, such as your customer or service id."));
        }
        if value.chars().count() > MAX_OWNER_ID_LEN {
            return Err(ParseError::new(format!("Use at most {MAX_OWNER_ID_LEN} characters for the owner id.")));
        }
        if value.chars().any(char::is_control) {
            return Err(ParseError::new("Remove the control characters from the owner id."));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for OwnerId {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<OwnerId> for String {
    fn from(value: OwnerId) -> Self {
        value.0
    }
}

/// A key's metadata: a JSON object of at most 4096 bytes written compactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Value", into = "Value")]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    pub fn parse(value: Value) -> Result<Self, ParseError> {
        let Value::Object(object) = value else {
            return Err(ParseError::new(format!(
                "Metadata is a JSON object, like {{\"plan\": \"pro\"}}, not {}.",
                kind(&value)
            )));
        };
        let size =
            serde_json::to_vec(&object).map_err(|e| ParseError::new(format!("Metadata cannot be written: {e}")))?.len();
        if size > MAX_METADATA_BYTES {
            return Err(ParseError::new(format!(
                "Metadata is {size} bytes as compact JSON; keep it to {MAX_METADATA_BYTES}."
            )));
        }
        Ok(Self(object))
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// What a JSON value is, for a message.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl TryFrom<Value> for Metadata {
    type Error = ParseError;
    fn try_from(value: Value) -> Result<Self, ParseError> {
        Self::parse(value)
    }
}

impl From<Metadata> for Value {
    fn from(value: Metadata) -> Self {
        Value::Object(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owner_ids_are_trimmed_short_single_lines() {
        assert_eq!(OwnerId::parse("  cus_42 ").map(String::from), Ok("cus_42".to_owned()));
        assert!(OwnerId::parse(&"é".repeat(128)).is_ok(), "counted in characters");
        for bad in ["", "   ", "a\nb", "a\u{7f}b", &"x".repeat(129)] {
            assert!(OwnerId::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(serde_json::from_value::<OwnerId>(json!(" ")).is_err());
    }

    #[test]
    fn metadata_is_a_small_object() {
        let m = Metadata::parse(json!({"plan": "pro", "seats": 5})).expect("valid");
        assert_eq!(m.as_map().len(), 2);
        assert_eq!(serde_json::to_value(&m).expect("serialises"), json!({"plan": "pro", "seats": 5}));
        for (bad, says) in [(json!(null), "not null"), (json!([1]), "not a list"), (json!("x"), "not a string")] {
            let err = Metadata::parse(bad).expect_err("refused");
            assert!(err.0.contains(says), "{err}");
        }
        // {"k":"…"} is 8 bytes around the text.
        assert!(Metadata::parse(json!({"k": "x".repeat(4088)})).is_ok());
        let err = Metadata::parse(json!({"k": "x".repeat(4089)})).expect_err("too big");
        assert!(err.0.contains("4097 bytes"), "{err}");
        assert!(serde_json::from_value::<Metadata>(json!(5)).is_err());
        assert_eq!(Metadata::default().as_map().len(), 0);
    }
}
