//! An API as Latchkey guards it: its slug, host names, permissions, roles,
//! routes and what to do with a request no route matches; and the decision
//! for one key and one request (or one permission expression).
//!
//! A key's effective grants are its own grants and those of every role it
//! holds. A role slug the API does not define is ignored: roles may be
//! deleted while keys still name them, and such a key keeps only what its
//! other grants give.

use super::expression::Expression;
use super::permission::{Grant, Grants, Holds, Permission, PermissionSlug, parse_description};
use super::route::{RequestPath, Route, RouteTable};
use crate::ParseError;
use crate::records::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub use super::names::{ApiSlug, Host, RoleSlug};

pub const MAX_HOSTS: usize = 50;
pub const MAX_PERMISSIONS: usize = 1000;
pub const MAX_ROLES: usize = 200;
pub const MAX_ROUTES: usize = 1000;

/// What a request no route matches gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmatched {
    /// Refused: `no_route`.
    #[default]
    Deny,
    /// Allowed for any valid key of the API.
    Allow,
}

impl Unmatched {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "deny" => Ok(Self::Deny),
            "allow" => Ok(Self::Allow),
            _ => Err(ParseError::new("Choose deny or allow.")),
        }
    }
}

/// A display name (of an API or a role): 1–100 characters as sent, trimmed, on one line.
pub fn parse_name(input: &str) -> Result<String, ParseError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(ParseError::new("Give it a name."));
    }
    if input.chars().count() > 100 {
        return Err(ParseError::new("Use at most 100 characters."));
    }
    if value.chars().any(char::is_control) {
        return Err(ParseError::new("Remove the control characters."));
    }
    Ok(value.to_owned())
}

/// A named set of grants keys can hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Role {
    pub slug: RoleSlug,
    pub name: String,
    pub permissions: Grants,
}

/// The parts of an API, each parsed; `ApiDefinition::new` checks them together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiParts {
    pub slug: ApiSlug,
    pub name: String,
    pub hosts: Vec<Host>,
    pub unmatched: Unmatched,
    pub permissions: Vec<Permission>,
    pub roles: Vec<Role>,
    pub routes: Vec<Route>,
}

/// An API whose parts agree: slugs and hosts unique, every permission a role
/// names exactly or a route requires declared, no two routes alike. Its
/// JSON is the management API's document (`document.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiDefinition {
    slug: ApiSlug,
    name: String,
    hosts: Vec<Host>,
    unmatched: Unmatched,
    permissions: Vec<Permission>,
    roles: Vec<Role>,
    routes: RouteTable,
}

fn field_error(field: String, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// The field of the second of two equal items, if any.
fn repeated<T: Ord>(items: impl Iterator<Item = T>) -> Option<usize> {
    let mut seen = BTreeSet::new();
    for (i, item) in items.enumerate() {
        if !seen.insert(item) {
            return Some(i);
        }
    }
    None
}

/// The free texts, which `ApiParts` holds as plain strings, as their parsers leave them.
fn check_texts(parts: &ApiParts, errors: &mut Vec<FieldError>) {
    let mut check = |field: String, text: &str, parse: fn(&str) -> Result<String, ParseError>| match parse(text) {
        Ok(parsed) if parsed == text => {}
        Ok(_) => errors.push(field_error(field, "has white space around it")),
        Err(e) => errors.push(field_error(field, e.0)),
    };
    check("name".to_owned(), &parts.name, parse_name);
    for (i, p) in parts.permissions.iter().enumerate() {
        check(format!("permissions[{i}].description"), &p.description, parse_description);
    }
    for (i, r) in parts.roles.iter().enumerate() {
        check(format!("roles[{i}].name"), &r.name, parse_name);
    }
}

/// Sizes, repeats, and permissions named but not declared.
fn check_agreement(parts: &ApiParts, errors: &mut Vec<FieldError>) {
    let limits = [
        ("hosts", parts.hosts.len(), MAX_HOSTS),
        ("permissions", parts.permissions.len(), MAX_PERMISSIONS),
        ("roles", parts.roles.len(), MAX_ROLES),
        ("routes", parts.routes.len(), MAX_ROUTES),
    ];
    for (field, len, max) in limits {
        if len > max {
            errors.push(field_error(field.to_owned(), format!("at most {max} are allowed")));
        }
    }
    if let Some(i) = repeated(parts.hosts.iter()) {
        errors.push(field_error(format!("hosts[{i}]"), "is listed twice"));
    }
    if let Some(i) = repeated(parts.permissions.iter().map(|p| &p.slug)) {
        errors.push(field_error(format!("permissions[{i}].slug"), "is declared twice"));
    }
    if let Some(i) = repeated(parts.roles.iter().map(|r| &r.slug)) {
        errors.push(field_error(format!("roles[{i}].slug"), "is declared twice"));
    }
    let declared: BTreeSet<&str> = parts.permissions.iter().map(|p| p.slug.as_str()).collect();
    let undeclared = |name: &str| format!("{name} is not a permission of this API; declare it under permissions");
    for (i, role) in parts.roles.iter().enumerate() {
        // Wildcards may cover permissions declared later; an exact name must exist.
        // The grants are a sorted set by now, so the list is named, not the item.
        if let Some(name) = role.permissions.iter().filter_map(|g| g.exact()).find(|n| !declared.contains(n)) {
            errors.push(field_error(format!("roles[{i}].permissions"), undeclared(name)));
        }
    }
    for (i, route) in parts.routes.iter().enumerate() {
        if let Some(p) = route.requires.permissions().into_iter().find(|p| !declared.contains(p.as_str())) {
            errors.push(field_error(format!("routes[{i}].requires"), undeclared(p.as_str())));
        }
    }
}

impl ApiDefinition {
    /// Checks the parts together; every problem is reported, each naming its field.
    pub fn new(parts: ApiParts) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        check_texts(&parts, &mut errors);
        check_agreement(&parts, &mut errors);
        let routes = RouteTable::new(parts.routes).unwrap_or_else(|(i, e)| {
            errors.push(field_error(format!("routes[{i}]"), e.0));
            RouteTable::default()
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        let ApiParts { slug, name, hosts, unmatched, permissions, roles, .. } = parts;
        Ok(Self { slug, name, hosts, unmatched, permissions, roles, routes })
    }

    /// An API with no permission, role or route, so every request is denied:
    /// what a definition that cannot be read stands in for.
    pub fn deny_all(slug: &str, name: &str) -> Self {
        Self {
            slug: ApiSlug::parse(slug).unwrap_or_else(|_| ApiSlug::sample()),
            name: name.to_owned(),
            hosts: Vec::new(),
            unmatched: Unmatched::Deny,
            permissions: Vec::new(),
            roles: Vec::new(),
            routes: RouteTable::default(),
        }
    }

    pub fn slug(&self) -> &ApiSlug {
        &self.slug
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    pub fn unmatched(&self) -> Unmatched {
        self.unmatched
    }

    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// What a key would hold that this API does not declare: an exact grant
    /// naming no permission of it (`permissions`), a role it has not
    /// (`roles`); wildcards may cover permissions declared later.
    pub fn undeclared(&self, key: &KeyAccess) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        let declared = |name: &str| self.permissions.iter().any(|p| p.slug.as_str() == name);
        if let Some(name) = key.grants.iter().filter_map(Grant::exact).find(|n| !declared(n)) {
            problems.push(("permissions", format!("{name} is not a permission of API {}", self.slug)));
        }
        if let Some(role) = key.roles.iter().find(|r| !self.roles.iter().any(|d| d.slug == **r)) {
            problems.push(("roles", format!("{role} is not a role of API {}", self.slug)));
        }
        problems
    }

    /// The key's own grants and those of each of its roles this API defines.
    pub fn effective_grants(&self, key: &KeyAccess) -> Grants {
        let mut grants = key.grants.clone();
        for role in self.roles.iter().filter(|r| key.roles.contains(&r.slug)) {
            grants.extend(&role.permissions);
        }
        grants
    }

    /// The answer for one key: see `Check` and `Decision`.
    pub fn decide(&self, key: &KeyAccess, check: Check<'_>) -> Decision {
        let grants = self.effective(key);
        let requires = match check {
            Check::Expression(expression) => Some(expression),
            // A path that cannot be read is matched by nothing, whatever `unmatched` says.
            Check::Request { method, target } => match RequestPath::parse(target) {
                Err(_) => return Decision::NoRoute,
                Ok(path) => match (self.routes.find(method, &path), self.unmatched) {
                    (Some(route), _) => Some(&route.requires),
                    (None, Unmatched::Allow) => None,
                    (None, Unmatched::Deny) => return Decision::NoRoute,
                },
            },
        };
        match requires.map(|e| e.evaluate(&grants)) {
            Some(Err(missing)) => Decision::InsufficientPermissions { missing },
            Some(Ok(())) | None => Decision::Allowed { permissions: self.held_of(&grants) },
        }
    }

    /// The API's declared permissions `key` holds (its grants and roles), sorted.
    pub fn held(&self, key: &KeyAccess) -> Vec<PermissionSlug> {
        self.held_of(&self.effective(key))
    }

    /// What `effective_grants` merges, read in place.
    fn effective<'a>(&'a self, key: &'a KeyAccess) -> Effective<'a> {
        let roles = self.roles.iter().filter(|r| key.roles.contains(&r.slug)).map(|r| &r.permissions).collect();
        Effective { own: &key.grants, roles }
    }

    fn held_of(&self, grants: &dyn Holds) -> Vec<PermissionSlug> {
        let mut held: Vec<&PermissionSlug> =
            self.permissions.iter().map(|p| &p.slug).filter(|p| grants.holds(p)).collect();
        held.sort_unstable();
        held.dedup();
        held.into_iter().cloned().collect()
    }
}

/// A key's own grants and those of its roles on one API.
struct Effective<'a> {
    own: &'a Grants,
    roles: Vec<&'a Grants>,
}

impl Holds for Effective<'_> {
    fn holds(&self, permission: &PermissionSlug) -> bool {
        self.own.grants(permission) || self.roles.iter().any(|g| g.grants(permission))
    }
}

/// What a key holds on one API: its own grants and the slugs of its roles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAccess {
    pub grants: Grants,
    pub roles: Vec<RoleSlug>,
}

/// What to decide on: a permission expression, or a request (its method as
/// received and its target, `/path?query`) to route.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    Expression(&'a Expression),
    Request { method: &'a str, target: &'a str },
}

/// The decision; its JSON is tagged by `outcome` (`allowed`, `insufficient_permissions`, `no_route`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    /// Let through; `permissions` are the API's declared permissions the key holds, sorted.
    Allowed { permissions: Vec<PermissionSlug> },
    /// Refused; granting `missing` too would let it through (expression.rs says which).
    InsufficientPermissions { missing: Vec<PermissionSlug> },
    /// No route matches and the API denies unmatched requests (or the path cannot be read).
    NoRoute,
}

#[cfg(test)]
#[path = "tests/api.rs"]
mod tests;
