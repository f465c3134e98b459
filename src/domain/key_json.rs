//! A key's settings from a management API body (docs/api-guide.md: Management API → Keys):
//! the same parsers, and so the same messages, as the console's form, with
//! JSON types on top. A create needs `label`; a PATCH changes only the
//! fields it names.

use super::key_settings::{IpAllowlist, KeySettings, parse_description, parse_expiry, parse_label, parse_rate_limit};
use super::records::FieldError;
use super::scopes::Scopes;
use chrono::NaiveDateTime;
use serde_json::{Map, Value};

/// The fields a body may carry.
const FIELDS: [&str; 7] =
    ["label", "description", "scopes", "expires_at", "allowed_ips", "rate_limit_per_minute", "enabled"];

/// What a create or a PATCH asks for.
#[derive(Debug, Clone)]
pub struct KeyChange {
    pub settings: KeySettings,
    /// `enabled` as given (PATCH only).
    pub enabled: Option<bool>,
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), message: message.into() }
}

/// A list of strings (`null` = empty), joined by `sep` for the form parser.
fn strings(value: &Value, sep: &str) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        Value::Array(items) => {
            items.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>().map(|v| v.join(sep))
        }
        _ => None,
    }
}

/// Parses a create body (`base: None`) or a PATCH body over the key's
/// current settings and `enabled` flag. Every problem is reported, each
/// naming its field.
pub fn parse(
    body: &Map<String, Value>,
    base: Option<(&KeySettings, bool)>,
    now: NaiveDateTime,
) -> Result<KeyChange, Vec<FieldError>> {
    let mut errors = Vec::new();
    for name in body.keys() {
        if !FIELDS.contains(&name.as_str()) || (name == "enabled" && base.is_none()) {
            errors.push(error(name, "is not a field this request takes"));
        }
    }
    let mut change = match base {
        Some((settings, _)) => KeyChange { settings: settings.clone(), enabled: None },
        None => {
            if !body.contains_key("label") {
                errors.push(error("label", "is required"));
            }
            let settings = KeySettings {
                label: String::new(),
                description: String::new(),
                scopes: Scopes::default(),
                expires_at: None,
                allowed_ips: IpAllowlist::default(),
                rate_limit_per_minute: None,
            };
            KeyChange { settings, enabled: None }
        }
    };
    let s = &mut change.settings;
    for (name, value) in body {
        let result = match name.as_str() {
            "label" => value
                .as_str()
                .ok_or("must be a string".into())
                .and_then(|v| parse_label(v).map(|v| s.label = v).map_err(|e| e.0)),
            "description" => match value {
                Value::Null => {
                    s.description.clear();
                    Ok(())
                }
                Value::String(v) => parse_description(v).map(|v| s.description = v).map_err(|e| e.0),
                _ => Err("must be a string or null".into()),
            },
            "scopes" => match value {
                Value::Array(_) => strings(value, ",")
                    .ok_or_else(|| "must be an array of scope names".to_owned())
                    .and_then(|v| Scopes::parse(&v.split(',').collect::<Vec<_>>()).map_err(|e| e.0))
                    .map(|v| s.scopes = v),
                _ => Err("must be an array of scope names ([] = full access)".into()),
            },
            "expires_at" => match value {
                Value::Null => {
                    s.expires_at = None;
                    Ok(())
                }
                Value::String(v) if !v.trim().is_empty() => {
                    parse_expiry(v, now).map(|v| s.expires_at = v).map_err(|e| e.0)
                }
                _ => Err("must be a date-time (RFC 3339), a date, or null for never".into()),
            },
            "allowed_ips" => strings(value, "\n")
                .ok_or_else(|| "must be an array of IP addresses or CIDR ranges, or null".to_owned())
                .and_then(|v| IpAllowlist::parse(&v).map_err(|e| e.0))
                .map(|v| s.allowed_ips = v),
            "rate_limit_per_minute" => match value {
                Value::Null => {
                    s.rate_limit_per_minute = None;
                    Ok(())
                }
                // An integral number such as 60.0 is an integer, as JSON Schema says.
                Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f >= 0.0) => {
                    let whole =
                        n.as_u64().unwrap_or_else(|| n.as_f64().map_or(u64::MAX, |f| f.min(u64::MAX as f64) as u64));
                    parse_rate_limit(&whole.to_string()).map(|v| s.rate_limit_per_minute = v).map_err(|e| e.0)
                }
                _ => {
                    Err("must be a whole number of requests per minute (0 = unlimited), or null for the default".into())
                }
            },
            "enabled" => {
                value.as_bool().map(|v| change.enabled = Some(v)).ok_or_else(|| "must be true or false".into())
            }
            _ => Ok(()),
        };
        if let Err(message) = result {
            errors.push(error(name, message));
        }
    }
    if errors.is_empty() { Ok(change) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time").naive_utc()
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    #[test]
    fn a_create_takes_the_console_fields_as_json() {
        let change = parse(
            &body(json!({
                "label": " CI ", "scopes": ["orders:write", "keys:self_rotate"], "expires_at": "2027-03-01T00:00:00Z",
                "allowed_ips": ["10.0.0.0/8"], "rate_limit_per_minute": 0, "description": null,
            })),
            None,
            now(),
        )
        .expect("valid");
        assert_eq!(change.settings.label, "CI");
        assert_eq!(change.settings.scopes.to_stored(), "orders:read,orders:write,keys:self_rotate");
        assert_eq!(change.settings.rate_limit_per_minute, Some(0));
        let integral = parse(&body(json!({"label": "x", "rate_limit_per_minute": 60.0})), None, now()).expect("valid");
        assert_eq!(integral.settings.rate_limit_per_minute, Some(60), "60.0 is the integer 60");
        assert!(parse(&body(json!({"label": "x", "rate_limit_per_minute": 1.5})), None, now()).is_err());
        assert_eq!(change.settings.allowed_ips.ranges(), ["10.0.0.0/8"]);
        assert!(change.settings.expires_at.is_some());
    }

    #[test]
    fn every_bad_field_is_named_with_the_console_message() {
        let errors = parse(
            &body(json!({"label": "", "scopes": ["orders:delete"], "expires_at": "soon", "allowed_ips": "10.0.0.1",
                "rate_limit_per_minute": -1, "enabled": true, "color": "red"})),
            None,
            now(),
        )
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in ["label", "scopes", "expires_at", "allowed_ips", "rate_limit_per_minute", "enabled", "color"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        let label = errors.iter().find(|e| e.field == "label").expect("label");
        assert_eq!(label.message, parse_label("").expect_err("empty").0, "the console's message");
        assert!(parse(&body(json!({})), None, now()).is_err(), "label is required");
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let base = parse(&body(json!({"label": "CI", "scopes": ["orders:read"]})), None, now()).expect("valid");
        let patched = parse(&body(json!({"enabled": false, "description": "x"})), Some((&base.settings, true)), now())
            .expect("valid");
        assert_eq!(patched.settings.label, "CI");
        assert_eq!(patched.settings.scopes, base.settings.scopes);
        assert_eq!(patched.settings.description, "x");
        assert_eq!(patched.enabled, Some(false));
    }
}
