//! A key's settings from a management API body (docs/api-guide.md: Management API → Keys):
//! the same parsers, and so the same messages, as the console's form, with
//! JSON types on top. A create needs `label`; a PATCH changes only the
//! fields it names. What the key reaches comes from `api`, `permissions`,
//! `roles` and the older `scopes` together (`Reach`); whether its API
//! declares those permissions and roles is the use case's to check.

use super::access::{ApiSlug, Grant, Grants, Metadata, OwnerId, RoleSlug};
use super::credits::CreditsChange;
use super::key_settings::{IpAllowlist, KeySettings, parse_description, parse_expiry, parse_label, parse_rate_limit};
use super::records::{FieldError, whole_number};
use super::scopes::{Scopes, split_names};
use chrono::NaiveDateTime;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The fields a body may carry.
const FIELDS: [&str; 14] = [
    "label",
    "description",
    "scopes",
    "expires_at",
    "allowed_ips",
    "rate_limit_per_minute",
    "enabled",
    "api",
    "permissions",
    "roles",
    "owner_id",
    "metadata",
    "credits_remaining",
    "credits_refill",
];

/// What a create or a PATCH asks for.
#[derive(Debug, Clone)]
pub struct KeyChange {
    pub settings: KeySettings,
    /// `enabled` as given (PATCH only).
    pub enabled: Option<bool>,
    /// What it says of the key's credits.
    pub credits: CreditsChange,
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
/// `metered`: whether the key has credits now (false when creating).
pub fn parse(
    body: &Map<String, Value>,
    (base, metered): (Option<(&KeySettings, bool)>, bool),
    now: NaiveDateTime,
) -> Result<KeyChange, Vec<FieldError>> {
    let mut errors = Vec::new();
    for name in body.keys() {
        if !FIELDS.contains(&name.as_str()) || (name == "enabled" && base.is_none()) {
            errors.push(error(name, "is not a field this request takes"));
        }
    }
    let mut change = match base {
        Some((settings, _)) => {
            KeyChange { settings: settings.clone(), enabled: None, credits: CreditsChange::default() }
        }
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
                owner_id: None,
                metadata: None,
            };
            KeyChange { settings, enabled: None, credits: CreditsChange::default() }
        }
    };
    let creating = base.is_none();
    let mut reach = Reach::default();
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
                    .and_then(|v| split_names(&v.split(',').collect::<Vec<_>>()).map_err(|e| e.0))
                    .map(|v| reach.scopes = Some(v)),
                _ => Err("must be an array of scope names ([] = full access)".into()),
            },
            "api" => value
                .as_str()
                .ok_or_else(|| "must be the slug of one of the organisation's APIs".to_owned())
                .and_then(|v| ApiSlug::parse(v).map_err(|e| e.0))
                .map(|v| reach.api = Some(v)),
            "permissions" => list(value, Grant::parse, "grants").map(|v| reach.grants = Some(v.into_iter().collect())),
            "roles" => list(value, RoleSlug::parse, "role slugs").map(|v| reach.roles = Some(v)),
            "owner_id" => match value {
                Value::Null => {
                    s.owner_id = None;
                    Ok(())
                }
                Value::String(v) => OwnerId::parse(v).map(|v| s.owner_id = Some(v)).map_err(|e| e.0),
                _ => Err("must be a string or null".into()),
            },
            "metadata" => match value {
                Value::Null => {
                    s.metadata = None;
                    Ok(())
                }
                v => Metadata::parse(v.clone()).map(|v| s.metadata = Some(v)).map_err(|e| e.0),
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
                Value::Number(_) if whole_number(value).is_some() => {
                    let whole = whole_number(value).unwrap_or(u64::MAX);
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
    match super::credits::parse(body, metered) {
        Ok(credits) => change.credits = credits,
        Err(bad) => errors.extend(bad.into_iter().map(|(field, message)| error(field, message))),
    }
    match reach.scopes_over(&change.settings.scopes, creating) {
        Ok(scopes) => change.settings.scopes = scopes,
        Err(e) => errors.push(e),
    }
    if errors.is_empty() { Ok(change) } else { Err(errors) }
}

/// A list of strings, each parsed.
fn list<T>(value: &Value, parse: impl Fn(&str) -> Result<T, super::ParseError>, what: &str) -> Result<Vec<T>, String> {
    let items = value.as_array().ok_or_else(|| format!("must be an array of {what}"))?;
    items
        .iter()
        .map(|item| {
            item.as_str().ok_or_else(|| format!("must be an array of {what}")).and_then(|v| parse(v).map_err(|e| e.0))
        })
        .collect()
}

/// The body's fields about what the key reaches, as given.
#[derive(Default)]
struct Reach {
    api: Option<ApiSlug>,
    grants: Option<Grants>,
    roles: Option<Vec<RoleSlug>>,
    /// The older `scopes`: sample permissions (as scopes) and management scopes.
    scopes: Option<(BTreeSet<super::scopes::Scope>, BTreeSet<super::scopes::Management>)>,
}

impl Reach {
    /// The key's scopes after this body: `base` (the key's, or a new
    /// sample key's full access) with what the body names replaced. A key
    /// stays with its API. `scopes` keeps its old meaning for the sample
    /// (`[]` = full access); for another API it holds management scopes
    /// only, and a new key of another API must say what it may do.
    fn scopes_over(self, base: &Scopes, creating: bool) -> Result<Scopes, FieldError> {
        let api = match self.api {
            Some(api) if !creating && api != *base.api() => {
                return Err(error("api", "cannot change: a key stays with its API (create a new key for another API)"));
            }
            Some(api) => api,
            None => base.api().clone(),
        };
        let sample = api == ApiSlug::sample();
        let mut grants = match (&self.grants, creating) {
            (Some(g), _) => g.clone(),
            (None, false) => base.access().grants.clone(),
            (None, true) => Grants::default(),
        };
        let mut management: BTreeSet<_> = base.management().collect();
        if let Some((resources, ticked)) = &self.scopes {
            if let (false, Some(scope)) = (sample, resources.iter().next()) {
                let message =
                    format!("{} is a permission of the sample API; use permissions for API {api}", scope.name());
                return Err(error("scopes", message));
            }
            if self.grants.is_none() && sample {
                grants = Grants::default();
                if resources.is_empty() && ticked.is_empty() {
                    grants.insert(Grant::all());
                }
            }
            grants.extend(
                &resources
                    .iter()
                    .map(|s| Grant::parse(s.name()))
                    .collect::<Result<Grants, _>>()
                    .map_err(|e| error("scopes", e.0))?,
            );
            management = ticked.clone();
        }
        let roles = match self.roles {
            Some(roles) => roles,
            None if creating => Vec::new(),
            None => base.access().roles.clone(),
        };
        let said = self.grants.is_some() || !roles.is_empty() || self.scopes.is_some();
        if creating && !said {
            if !sample {
                return Err(error(
                    "permissions",
                    "is required for a key of this API: [\"*\"] for full access, or the permissions and roles it needs",
                ));
            }
            grants.insert(Grant::all());
        }
        Ok(Scopes::new(api, grants, roles, management))
    }
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
            (None, false),
            now(),
        )
        .expect("valid");
        assert_eq!(change.settings.label, "CI");
        let stored = change.settings.scopes.to_stored();
        assert_eq!(
            (stored.permissions.as_str(), stored.management.as_str()),
            ("orders:read,orders:write", "keys:self_rotate")
        );
        assert_eq!(change.settings.rate_limit_per_minute, Some(0));
        let integral =
            parse(&body(json!({"label": "x", "rate_limit_per_minute": 60.0})), (None, false), now()).expect("valid");
        assert_eq!(integral.settings.rate_limit_per_minute, Some(60), "60.0 is the integer 60");
        assert!(parse(&body(json!({"label": "x", "rate_limit_per_minute": 1.5})), (None, false), now()).is_err());
        assert_eq!(change.settings.allowed_ips.ranges(), ["10.0.0.0/8"]);
        assert!(change.settings.expires_at.is_some());
    }

    #[test]
    fn every_bad_field_is_named_with_the_console_message() {
        let errors = parse(
            &body(json!({"label": "", "scopes": ["orders:delete"], "expires_at": "soon", "allowed_ips": "10.0.0.1",
                "rate_limit_per_minute": -1, "enabled": true, "color": "red"})),
            (None, false),
            now(),
        )
        .expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in ["label", "scopes", "expires_at", "allowed_ips", "rate_limit_per_minute", "enabled", "color"] {
            assert!(fields.contains(&field), "{field} in {fields:?}");
        }
        let label = errors.iter().find(|e| e.field == "label").expect("label");
        assert_eq!(label.message, parse_label("").expect_err("empty").0, "the console's message");
        assert!(parse(&body(json!({})), (None, false), now()).is_err(), "label is required");
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let base =
            parse(&body(json!({"label": "CI", "scopes": ["orders:read"]})), (None, false), now()).expect("valid");
        let patched =
            parse(&body(json!({"enabled": false, "description": "x"})), (Some((&base.settings, true)), false), now())
                .expect("valid");
        assert_eq!(patched.settings.label, "CI");
        assert_eq!(patched.settings.scopes, base.settings.scopes);
        assert_eq!(patched.settings.description, "x");
        assert_eq!(patched.enabled, Some(false));
    }

    #[test]
    fn a_key_of_a_teams_api_takes_permissions_roles_owner_and_metadata() {
        let change = parse(
            &body(json!({"label": "Acme", "api": "billing", "roles": ["viewer"], "permissions": ["invoices.*"],
                "scopes": ["keys:read"], "owner_id": "cus_123", "metadata": {"plan": "pro"}})),
            (None, false),
            now(),
        )
        .expect("valid");
        let stored = change.settings.scopes.to_stored();
        assert_eq!(
            (stored.api.as_str(), stored.permissions.as_str(), stored.roles.as_str(), stored.management.as_str()),
            ("billing", "invoices.*", "viewer", "keys:read")
        );
        assert_eq!(change.settings.owner_id.as_ref().map(OwnerId::as_str), Some("cus_123"));
        assert_eq!(change.settings.metadata.clone().map(Value::from), Some(json!({"plan": "pro"})));
        let fields = |v: Value, base| {
            parse(&body(v), (base, false), now()).expect_err("invalid").into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        assert_eq!(fields(json!({"label": "x", "api": "billing"}), None), ["permissions"], "say what it may do");
        assert_eq!(fields(json!({"label": "x", "api": "billing", "scopes": ["orders:read"]}), None), ["scopes"]);
        assert_eq!(fields(json!({"label": "x", "metadata": [1], "owner_id": 5, "permissions": ["a*"]}), None).len(), 3);
        let old = change.settings.clone();
        assert_eq!(fields(json!({"api": "sample"}), Some((&old, true))), ["api"], "a key stays with its API");
        let patched = parse(&body(json!({"roles": []})), (Some((&old, true)), false), now()).expect("valid");
        assert_eq!(patched.settings.scopes.to_stored().permissions, "invoices.*", "only roles changed");
        assert_eq!(patched.settings.scopes.to_stored().roles, "");
    }
}
