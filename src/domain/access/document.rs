//! The management API's JSON document of an API:
//! `{"slug", "name", "hosts", "unmatched", "permissions": [{"slug",
//! "description"}], "roles": [{"slug", "name", "permissions"}], "routes":
//! [{"method", "path", "requires"}]}`. `slug` and `name` are required; the
//! lists default to empty and `unmatched` to `deny`. Every problem is
//! reported with the field it is in (`routes[2].requires`). It serialises
//! back to the same shape, `requires` in its canonical text.

use super::api::{ApiDefinition, ApiParts, ApiSlug, Host, Role, RoleSlug, Unmatched, parse_name};
use super::expression::Expression;
use super::permission::{Grant, Permission, PermissionSlug, parse_description};
use super::route::{Method, PathPattern, Route};
use crate::ParseError;
use crate::records::FieldError;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

const FIELDS: [&str; 7] = ["slug", "name", "hosts", "unmatched", "permissions", "roles", "routes"];

/// Collects the problems of one document, each with its field.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn check<T>(&mut self, field: &str, result: Result<T, ParseError>) -> Option<T> {
        result.map_err(|e| self.0.push(FieldError { field: field.to_owned(), message: e.0 })).ok()
    }

    /// An object's field parsed from its text; `None` (reported) when absent and required.
    fn text<T>(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        name: &str,
        default: Option<&str>,
        parse: impl Fn(&str) -> Result<T, ParseError>,
    ) -> Option<T> {
        let field = join(path, name);
        let value = match (object.get(name), default) {
            (None | Some(Value::Null), Some(default)) => default,
            (None | Some(Value::Null), None) => return self.check(&field, Err(ParseError::new("is required"))),
            (Some(Value::String(s)), _) => s.as_str(),
            (Some(_), _) => return self.check(&field, Err(ParseError::new("must be a string"))),
        };
        self.check(&field, parse(value))
    }

    /// A list field (absent or null: empty), each item parsed with its own field name.
    fn list<T>(
        &mut self,
        object: &Map<String, Value>,
        path: &str,
        name: &str,
        parse: impl Fn(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let field = join(path, name);
        let items = match object.get(name) {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return self.check(&field, Err(ParseError::new("must be a list"))),
        };
        let parsed: Vec<Option<T>> =
            items.iter().enumerate().map(|(i, v)| parse(self, v, &format!("{field}[{i}]"))).collect();
        parsed.into_iter().collect()
    }

    /// The item as an object with only the `allowed` fields, else reported.
    fn object<'a>(&mut self, value: &'a Value, field: &str, allowed: &[&str]) -> Option<&'a Map<String, Value>> {
        let Some(object) = value.as_object() else {
            return self.check(
                field,
                Err(ParseError::new(if field.is_empty() { "An API is a JSON object." } else { "must be an object" })),
            );
        };
        // Reported, and the known fields still checked, so one reply lists every problem.
        for name in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.check::<()>(&join(field, name), Err(ParseError::new("is not a field here")));
        }
        Some(object)
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

/// A list item that is a string, parsed.
fn item<T>(errors: &mut Errors, value: &Value, field: &str, parse: fn(&str) -> Result<T, ParseError>) -> Option<T> {
    errors.check(field, value.as_str().ok_or_else(|| ParseError::new("must be a string")).and_then(parse))
}

fn permission(errors: &mut Errors, value: &Value, field: &str) -> Option<Permission> {
    let object = errors.object(value, field, &["slug", "description"])?;
    let slug = errors.text(object, field, "slug", None, PermissionSlug::parse);
    let description = errors.text(object, field, "description", Some(""), parse_description);
    Some(Permission { slug: slug?, description: description? })
}

fn role(errors: &mut Errors, value: &Value, field: &str) -> Option<Role> {
    let object = errors.object(value, field, &["slug", "name", "permissions"])?;
    let slug = errors.text(object, field, "slug", None, RoleSlug::parse);
    let name = errors.text(object, field, "name", None, parse_name);
    let permissions = errors.list(object, field, "permissions", |e, v, f| item(e, v, f, Grant::parse));
    Some(Role { slug: slug?, name: name?, permissions: permissions?.into_iter().collect() })
}

fn route(errors: &mut Errors, value: &Value, field: &str) -> Option<Route> {
    let object = errors.object(value, field, &["method", "path", "requires"])?;
    let method = errors.text(object, field, "method", None, Method::parse);
    let path = errors.text(object, field, "path", None, PathPattern::parse);
    let requires = errors.text(object, field, "requires", None, Expression::parse);
    Some(Route { method: method?, path: path?, requires: requires? })
}

impl ApiDefinition {
    /// Parses the management API's document; see the module doc.
    pub fn from_json(value: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let Some(object) = errors.object(value, "", &FIELDS) else {
            return Err(errors.0);
        };
        let slug = errors.text(object, "", "slug", None, ApiSlug::parse);
        let name = errors.text(object, "", "name", None, parse_name);
        let unmatched = errors.text(object, "", "unmatched", Some("deny"), Unmatched::parse);
        let hosts = errors.list(object, "", "hosts", |e, v, f| item(e, v, f, Host::parse));
        let permissions = errors.list(object, "", "permissions", permission);
        let roles = errors.list(object, "", "roles", role);
        let routes = errors.list(object, "", "routes", route);
        if !errors.0.is_empty() {
            return Err(errors.0);
        }
        match (slug, name, unmatched, hosts, permissions, roles, routes) {
            (Some(slug), Some(name), Some(unmatched), Some(hosts), Some(permissions), Some(roles), Some(routes)) => {
                Self::new(ApiParts { slug, name, hosts, unmatched, permissions, roles, routes })
            }
            // Unreachable: a missing part was reported above.
            _ => Err(errors.0),
        }
    }
}

/// The problems, one per line as `field: message`.
pub fn describe(errors: &[FieldError]) -> String {
    let line =
        |e: &FieldError| if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", e.field, e.message) };
    errors.iter().map(line).collect::<Vec<_>>().join("\n")
}

impl<'de> Deserialize<'de> for ApiDefinition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value).map_err(|errors| serde::de::Error::custom(describe(&errors)))
    }
}

#[cfg(test)]
#[path = "tests/document.rs"]
mod tests;
