//! SCIM 2.0 Users as Latchkey keeps them (docs/user-guide.md: SCIM
//! provisioning): the attributes stored — `userName`, `displayName`,
//! `emails` (value, primary), `externalId`, `active` — read from and
//! written to SCIM's JSON, PATCH operations applied to them, and the one
//! filter identity providers send (`userName eq "…"`). No I/O.

use serde_json::{Map, Value, json};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A request SCIM refuses: the HTTP status, SCIM's `scimType` (if any) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl Problem {
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self { status: 400, scim_type: Some("invalidValue"), detail: detail.into() }
    }

    pub fn to_json(&self) -> Value {
        let mut body = json!({ "schemas": [ERROR_SCHEMA], "status": self.status.to_string(), "detail": self.detail });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        body
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// What SCIM says of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimUser {
    pub user_name: String,
    pub display_name: Option<String>,
    pub emails: Vec<Email>,
    pub external_id: Option<String>,
    /// Absent means active (SCIM's default); `Some(false)` deprovisions.
    pub active: Option<bool>,
}

impl ScimUser {
    /// The account's address: `userName` when it is one, else the primary (or first) e-mail.
    pub fn account_email(&self) -> Option<&str> {
        if self.user_name.contains('@') {
            return Some(&self.user_name);
        }
        self.emails.iter().find(|e| e.primary == Some(true)).or(self.emails.first()).map(|e| e.value.as_str())
    }

    /// Whether the User is a member (SCIM's `active`, true unless said otherwise).
    pub fn is_active(&self) -> bool {
        self.active != Some(false)
    }

    /// A resource from a POST or PUT body.
    pub fn from_json(body: &Value) -> Result<Self, Problem> {
        let object = body.as_object().ok_or_else(|| Problem::invalid("The body must be a JSON object."))?;
        let mut user =
            Self { user_name: String::new(), display_name: None, emails: Vec::new(), external_id: None, active: None };
        for (name, value) in object {
            user.set(name, value.clone())?;
        }
        if user.user_name.trim().is_empty() {
            return Err(Problem::invalid("userName is required."));
        }
        Ok(user)
    }

    /// One attribute, by its (case-insensitive) name; `schemas`, `id` and `meta` are the server's.
    fn set(&mut self, name: &str, value: Value) -> Result<(), Problem> {
        let text = |v: &Value, what: &str| -> Result<Option<String>, Problem> {
            match v {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                _ => Err(Problem::invalid(format!("{what} must be a string."))),
            }
        };
        match name.to_ascii_lowercase().as_str() {
            "username" => {
                self.user_name = text(&value, "userName")?
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| Problem::invalid("userName is required."))?
            }
            "displayname" => self.display_name = text(&value, "displayName")?,
            "externalid" => self.external_id = text(&value, "externalId")?,
            "active" => {
                self.active = match value {
                    Value::Null => None,
                    Value::Bool(b) => Some(b),
                    Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
                    Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
                    _ => return Err(Problem::invalid("active must be true or false.")),
                }
            }
            "emails" => self.emails = emails(value)?,
            _ => {} // not stored: ignored, as SCIM allows for attributes a server does not support
        }
        Ok(())
    }

    /// The resource as SCIM shows it.
    pub fn to_json(&self, id: &str, meta: Value) -> Value {
        let mut body = Map::new();
        body.insert("schemas".into(), json!([USER_SCHEMA]));
        body.insert("id".into(), json!(id));
        if let Some(external) = &self.external_id {
            body.insert("externalId".into(), json!(external));
        }
        body.insert("userName".into(), json!(self.user_name));
        if let Some(name) = &self.display_name {
            body.insert("displayName".into(), json!(name));
        }
        if !self.emails.is_empty() {
            body.insert("emails".into(), json!(self.emails));
        }
        if let Some(active) = self.active {
            body.insert("active".into(), json!(active));
        }
        body.insert("meta".into(), meta);
        Value::Object(body)
    }

    /// Applies a PATCH request's operations (RFC 7644 §3.5.2) in order.
    pub fn patch(&self, body: &Value) -> Result<Self, Problem> {
        let operations = body
            .get("Operations")
            .and_then(Value::as_array)
            .ok_or_else(|| Problem::invalid("A PATCH request needs Operations."))?;
        let mut user = self.clone();
        for op in operations {
            let kind = op.get("op").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
            let path = op.get("path").and_then(Value::as_str).map(str::trim).filter(|p| !p.is_empty());
            let value = op.get("value").cloned().unwrap_or(Value::Null);
            match (kind.as_str(), path) {
                ("add" | "replace", None) => {
                    let object = value
                        .as_object()
                        .ok_or_else(|| Problem::invalid("Without a path, value must be an object."))?;
                    for (name, v) in object {
                        user.apply(&kind, name, v.clone())?;
                    }
                }
                ("add" | "replace", Some(path)) => user.apply(&kind, path, value)?,
                ("remove", Some(path)) => user.remove(path)?,
                ("remove", None) => {
                    return Err(Problem {
                        status: 400,
                        scim_type: Some("noTarget"),
                        detail: "remove needs a path.".into(),
                    });
                }
                _ => return Err(Problem::invalid(format!("Unknown op {kind:?}: use add, remove or replace."))),
            }
        }
        Ok(user)
    }

    fn apply(&mut self, op: &str, path: &str, value: Value) -> Result<(), Problem> {
        let lower = path.to_ascii_lowercase();
        match lower.as_str() {
            // Adding to a multi-valued attribute appends; replacing sets.
            "emails" if op == "add" => {
                let more = emails(value)?;
                for email in more {
                    if !self.emails.contains(&email) {
                        self.emails.push(email);
                    }
                }
                Ok(())
            }
            "emails.value" | "emails.primary" => {
                let first = self.emails.first_mut().ok_or_else(|| Problem {
                    status: 400,
                    scim_type: Some("noTarget"),
                    detail: "No e-mail to change.".into(),
                })?;
                if lower == "emails.value" {
                    first.value =
                        value.as_str().ok_or_else(|| Problem::invalid("emails.value must be a string."))?.to_owned();
                } else {
                    first.primary =
                        Some(value.as_bool().ok_or_else(|| Problem::invalid("emails.primary must be true or false."))?);
                }
                Ok(())
            }
            _ => self.set(path, value),
        }
    }

    fn remove(&mut self, path: &str) -> Result<(), Problem> {
        match path.to_ascii_lowercase().as_str() {
            "username" => {
                return Err(Problem {
                    status: 400,
                    scim_type: Some("mutability"),
                    detail: "userName is required.".into(),
                });
            }
            "displayname" => self.display_name = None,
            "externalid" => self.external_id = None,
            "emails" => self.emails.clear(),
            "emails.primary" => self.emails.iter_mut().for_each(|e| e.primary = None),
            "active" => self.active = None,
            _ => {}
        }
        Ok(())
    }
}

fn emails(value: Value) -> Result<Vec<Email>, Problem> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        _ => return Err(Problem::invalid("emails must be a list of {value, primary}.")),
    };
    items
        .into_iter()
        .map(|item| {
            let value = item
                .get("value")
                .and_then(Value::as_str)
                .ok_or_else(|| Problem::invalid("Each e-mail needs a value."))?;
            Ok(Email { value: value.to_owned(), primary: item.get("primary").and_then(Value::as_bool) })
        })
        .collect()
}

/// The value of a `userName eq "…"` filter (the one filter supported).
pub fn user_name_filter(filter: &str) -> Result<String, Problem> {
    let invalid = || Problem {
        status: 400,
        scim_type: Some("invalidFilter"),
        detail: "Only userName eq \"…\" is supported.".into(),
    };
    let mut parts = filter.trim().splitn(3, char::is_whitespace);
    let (attr, op, value) =
        (parts.next().unwrap_or_default(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    if !attr.eq_ignore_ascii_case("userName") || !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    let value = value.trim();
    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map(|v| v.replace("\\\"", "\"")).ok_or_else(invalid)
}

/// Keeps only the `attributes` asked for, or drops the `excludedAttributes`
/// (comma-separated, any case); `schemas`, `id` and `meta` always stay.
pub fn select_attributes(resource: &mut Value, attributes: Option<&str>, excluded: Option<&str>) {
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(|n| {
                n.trim()
                    .rsplit(':')
                    .next()
                    .unwrap_or_default()
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            })
            .filter(|n| !n.is_empty())
            .collect()
    };
    let Some(object) = resource.as_object_mut() else { return };
    let always = |k: &str| matches!(k, "schemas" | "id" | "meta");
    if let Some(keep) = attributes.map(names).filter(|k| !k.is_empty()) {
        object.retain(|k, _| always(k) || keep.contains(&k.to_ascii_lowercase()));
    } else if let Some(drop) = excluded.map(names) {
        object.retain(|k, _| always(k) || !drop.contains(&k.to_ascii_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> ScimUser {
        ScimUser::from_json(&json!({"userName": "alice@example.com", "displayName": "Alice", "emails": [{"value": "a@x.test", "primary": true}]})).unwrap()
    }

    #[test]
    fn a_resource_reads_back_what_was_written() {
        let user = alice();
        let body = user.to_json("7", json!({}));
        assert_eq!(ScimUser::from_json(&body).unwrap(), user);
        assert_eq!(user.account_email(), Some("alice@example.com"));
        assert!(ScimUser::from_json(&json!({"displayName": "x"})).is_err(), "userName is required");
    }

    #[test]
    fn patches_add_replace_and_remove() {
        let ops = json!({"Operations": [
            {"op": "replace", "path": "displayName", "value": "Alice A"},
            {"op": "add", "path": "emails", "value": [{"value": "b@x.test"}]},
            {"op": "replace", "value": {"active": false}},
            {"op": "remove", "path": "externalId"},
        ]});
        let user = alice().patch(&ops).unwrap();
        assert_eq!(user.display_name.as_deref(), Some("Alice A"));
        assert_eq!(user.emails.len(), 2);
        assert_eq!(user.active, Some(false));
        assert_eq!(
            alice().patch(&json!({"Operations": [{"op": "remove", "path": "userName"}]})).unwrap_err().scim_type,
            Some("mutability")
        );
        assert_eq!(alice().patch(&json!({"Operations": [{"op": "remove"}]})).unwrap_err().scim_type, Some("noTarget"));
    }

    #[test]
    fn the_user_name_filter_is_understood_and_others_refused() {
        assert_eq!(user_name_filter(r#"userName eq "a@b.test""#).unwrap(), "a@b.test");
        assert_eq!(user_name_filter(r#"username EQ "x y""#).unwrap(), "x y");
        assert_eq!(user_name_filter(r#"emails co "x""#).unwrap_err().scim_type, Some("invalidFilter"));
    }
}
