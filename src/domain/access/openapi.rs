//! Routes and permissions from an OpenAPI 3 document (JSON). Each operation
//! of `paths` (get, put, post, delete, options, head, patch, trace) becomes
//! a route on its path as written (`servers` ignored; `{param}` a
//! one-segment wildcard; a segment mixing text and a parameter, like
//! `{name}.json`, the wildcard `*`). What it requires, the first that applies:
//!
//! 1. `x-latchkey-permissions` on the operation: a list, all required;
//! 2. the OAuth2 scopes of its security requirement (the operation's
//!    `security`, else the document's; only schemes of type `oauth2` in
//!    `components.securitySchemes`): all scopes of one requirement object,
//!    and any one of the objects, as OpenAPI means them (`[{oauth: [a, b]}]`
//!    is `a and b`); an object naming no OAuth2 scope adds no alternative;
//! 3. `<tag>.read` for GET and HEAD, `<tag>.write` otherwise, from the
//!    first tag lowercased (other characters made `_`); with no tag, from the
//!    first literal path segment that is not `api` or a version (`v1`), else `root`.
//!
//! Permissions are described by their OAuth2 scope's description when one
//! is given. Routes come sorted by path, then method; permissions by slug.

use super::expression::Expression;
use super::permission::{MAX_DESCRIPTION_LEN, MAX_PERMISSION_LEN, Permission, PermissionSlug, parse_description};
use super::route::{Method, PathPattern, Route};
use crate::ParseError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// What an import yields, for the API's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiImport {
    pub permissions: Vec<Permission>,
    pub routes: Vec<Route>,
}

fn error(at: &str, message: impl std::fmt::Display) -> ParseError {
    ParseError::new(format!("{at}: {message}"))
}

/// Refuses anything but an OpenAPI 3 document, saying what it is instead.
fn check_version(document: &Map<String, Value>) -> Result<(), ParseError> {
    match (document.get("openapi"), document.get("swagger")) {
        (Some(Value::String(v)), _) if v.starts_with("3.") => Ok(()),
        (Some(Value::String(v)), _) => {
            Err(ParseError::new(format!("This is OpenAPI {v}; Latchkey imports OpenAPI 3 documents (3.0 or 3.1).")))
        }
        (None, Some(v)) => Err(ParseError::new(format!(
            "This is a Swagger {} (OpenAPI 2) document; convert it to OpenAPI 3 first.",
            v.as_str().unwrap_or("2.0")
        ))),
        _ => Err(ParseError::new("This is not an OpenAPI 3 document: it has no \"openapi\": \"3.x\" field.")),
    }
}

/// The OAuth2 schemes by name, each with its scopes' descriptions.
fn oauth2_schemes(document: &Map<String, Value>) -> Schemes<'_> {
    let schemes = document.get("components").and_then(|c| c.get("securitySchemes")).and_then(Value::as_object);
    let mut found = BTreeMap::new();
    for (name, scheme) in schemes.into_iter().flatten() {
        if scheme.get("type").and_then(Value::as_str) != Some("oauth2") {
            continue;
        }
        let flows = scheme.get("flows").and_then(Value::as_object).into_iter().flatten();
        let scopes = flows.filter_map(|(_, flow)| flow.get("scopes").and_then(Value::as_object)).flatten();
        found.insert(name.as_str(), scopes.map(|(s, d)| (s.as_str(), d.as_str().unwrap_or(""))).collect());
    }
    found
}

fn slug(at: &str, text: &str) -> Result<PermissionSlug, ParseError> {
    PermissionSlug::parse(text).map_err(|e| error(at, e))
}

/// Rule 1: `x-latchkey-permissions`.
fn listed(at: &str, value: &Value) -> Result<Expression, ParseError> {
    let items = value.as_array().filter(|a| !a.is_empty());
    let items = items.ok_or_else(|| error(at, "x-latchkey-permissions must be a list of at least one permission"))?;
    let mut parts = Vec::new();
    for item in items {
        let text = item.as_str().ok_or_else(|| error(at, "x-latchkey-permissions must hold strings"))?;
        parts.push(Expression::permission(slug(at, text)?));
    }
    Expression::all_of(parts).map_err(|e| error(at, e))?.ok_or_else(|| error(at, "no permission listed"))
}

/// Rule 2: the OAuth2 scopes of a `security` list, if it names any.
fn scopes(at: &str, security: &Value, schemes: &Schemes<'_>) -> Result<Option<Expression>, ParseError> {
    let requirements = security.as_array().ok_or_else(|| error(at, "security must be a list"))?;
    let mut alternatives = Vec::new();
    for requirement in requirements {
        let requirement = requirement.as_object().ok_or_else(|| error(at, "each security requirement is an object"))?;
        let mut all = Vec::new();
        for (scheme, names) in requirement.iter().filter(|(s, _)| schemes.contains_key(s.as_str())) {
            let names = names.as_array().ok_or_else(|| error(at, format!("the scopes of {scheme} must be a list")))?;
            for name in names {
                let text = name.as_str().ok_or_else(|| error(at, format!("the scopes of {scheme} must be strings")))?;
                let scope = slug(at, text).map_err(|e| ParseError::new(format!("{e} (the OAuth2 scope {text:?})")))?;
                all.push(Expression::permission(scope));
            }
        }
        alternatives.extend(Expression::all_of(all).map_err(|e| error(at, e))?);
    }
    Expression::any_of(alternatives).map_err(|e| error(at, e))
}

/// `text` as one permission segment: lowercase, `[a-z0-9_]`, room for `.write`.
fn segment(text: &str) -> Option<String> {
    let mapped: String = text.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let mut out = String::new();
    for part in mapped.split('_').filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(part);
    }
    out.truncate(MAX_PERMISSION_LEN - ".write".len());
    let out = out.trim_end_matches('_').to_owned();
    (!out.is_empty()).then_some(out)
}

/// Rule 3: the resource an operation is about.
fn resource(operation: &Map<String, Value>, path: &str) -> String {
    let tag = operation.get("tags").and_then(|t| t.get(0)).and_then(Value::as_str).and_then(segment);
    let is_version =
        |s: &str| s.strip_prefix('v').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let literals: Vec<&str> = path.split('/').filter(|s| !s.is_empty() && !s.contains(['{', '}'])).collect();
    let from_path =
        literals.iter().find(|s| **s != "api" && !is_version(s)).or(literals.first()).and_then(|s| segment(s));
    tag.or(from_path).unwrap_or_else(|| "root".to_owned())
}

/// The OpenAPI path as a pattern: a segment that is not wholly `{name}` but holds one becomes `*`.
fn pattern(at: &str, path: &str) -> Result<PathPattern, ParseError> {
    let whole_param = |s: &str| s.starts_with('{') && s.ends_with('}') && s.matches('{').count() == 1;
    let segments: Vec<&str> =
        path.split('/').map(|s| if s.contains(['{', '}']) && !whole_param(s) { "*" } else { s }).collect();
    PathPattern::parse(&segments.join("/")).map_err(|e| error(at, e))
}

type Schemes<'a> = BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>;

/// What an operation requires: rules 1 to 3 of the module doc.
fn requirement(
    at: &str,
    method: &str,
    operation: &Map<String, Value>,
    path: &str,
    security: Option<&Value>,
    schemes: &Schemes<'_>,
) -> Result<Expression, ParseError> {
    let found = match (operation.get("x-latchkey-permissions"), operation.get("security").or(security)) {
        (Some(list), _) => Some(listed(at, list)?),
        (None, Some(security)) => scopes(at, security, schemes)?,
        (None, None) => None,
    };
    match found {
        Some(requires) => Ok(requires),
        None => {
            let access = if matches!(method, "get" | "head") { "read" } else { "write" };
            Ok(Expression::permission(slug(at, &format!("{}.{access}", resource(operation, path)))?))
        }
    }
}

/// Every permission the routes name, described by its OAuth2 scope if it is one.
fn permissions(routes: &[Route], schemes: &Schemes<'_>) -> Vec<Permission> {
    let mut found: BTreeMap<&PermissionSlug, String> = BTreeMap::new();
    for slug in routes.iter().flat_map(|r| r.requires.permissions()) {
        let described = schemes.values().find_map(|scopes| scopes.get(slug.as_str())).map_or("", |d| d);
        let text: String =
            described.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_DESCRIPTION_LEN).collect();
        found.insert(slug, parse_description(&text).unwrap_or_default());
    }
    found.into_iter().map(|(slug, description)| Permission { slug: slug.clone(), description }).collect()
}

/// Derives the routes and permissions of an OpenAPI 3 document; see the module doc.
pub fn import(document: &Value) -> Result<OpenApiImport, ParseError> {
    let document = document.as_object().ok_or_else(|| ParseError::new("An OpenAPI document is a JSON object."))?;
    check_version(document)?;
    let schemes = oauth2_schemes(document);
    let no_paths = Map::new();
    let paths = match document.get("paths") {
        None => &no_paths,
        Some(paths) => paths.as_object().ok_or_else(|| ParseError::new("paths must be an object."))?,
    };
    // By what matching sees, then method: sorted, and `/a` meets `/a/` here.
    let mut routes: BTreeMap<(String, usize), (String, Route)> = BTreeMap::new();
    for (path, item) in paths {
        let here = format!("paths[{path:?}]");
        let item = item.as_object().ok_or_else(|| error(&here, "a path item is an object"))?;
        if item.contains_key("$ref") {
            return Err(error(&here, "a $ref path item cannot be followed; write the operations out"));
        }
        let path_pattern = pattern(&here, path)?;
        for (order, method) in METHODS.iter().enumerate() {
            let Some(operation) = item.get(*method) else { continue };
            let at = format!("{here}.{method}");
            let operation = operation.as_object().ok_or_else(|| error(&at, "an operation is an object"))?;
            let requires = requirement(&at, method, operation, path, document.get("security"), &schemes)?;
            let method = Method::parse(method).map_err(|e| error(&at, e))?;
            let route = Route { method, path: path_pattern.clone(), requires };
            match routes.get(&(route.path.shape(), order)) {
                Some((first, same)) if same.requires != route.requires => {
                    return Err(error(&at, format!("the same route as {first}, with another requirement")));
                }
                Some(_) => {}
                None => {
                    routes.insert((route.path.shape(), order), (at, route));
                }
            }
        }
    }
    let routes: Vec<Route> = routes.into_values().map(|(_, route)| route).collect();
    Ok(OpenApiImport { permissions: permissions(&routes, &schemes), routes })
}

#[cfg(test)]
#[path = "tests/openapi.rs"]
mod tests;
