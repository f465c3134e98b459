//! Routes: which permission expression a request needs, by method and path.
//!
//! A path pattern starts with `/`; each segment is a literal, `{name}` or
//! `*` (exactly one segment, both the same to matching), or `**` (zero or
//! more segments, only last). `/` alone matches the root.
//!
//! Request paths are read the way most servers read them, so a request
//! cannot dodge a route by spelling its path differently: the query and
//! fragment are dropped; percent-encoded unreserved characters (`%61` for
//! `a`) are decoded and other encodings upper-cased (RFC 3986 §6.2.2);
//! a segment's parameters (`;v=1`) are dropped, as Java servers do, so
//! neither `/admin;x` nor `/public/..;/admin` slips past `/admin`; empty
//! segments are dropped (`//` is `/`, a trailing `/` is ignored);
//! `.` and `..` are resolved. Anything else stays raw: `%2F` is part of a
//! segment, never a separator, and literals compare case-sensitively.
//! Pattern literals are normalised the same way, and hold no `;`.
//!
//! The most specific matching route wins, by this total order:
//! 1. the path patterns, segment by segment from the left: a literal beats
//!    `{name}`/`*`, which beats the pattern's end, which beats `**` (so a
//!    longer literal prefix wins, and `/a` beats `/a/**` for `/a`);
//! 2. then a route naming the method beats one with `*`;
//! 3. then the pattern text, then the method text (this decides only
//!    between routes that cannot match the same request).
//!
//! A table refuses two routes with the same method and the same pattern
//! (`{id}` and `*` counting as the same), so at most one route is the most
//! specific for any request, whatever the order of the table.

use super::expression::Expression;
use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

pub const MAX_PATTERN_LEN: usize = 512;

/// A method a route is for: one HTTP method (upper case) or `*`, any.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Method(String);

impl Method {
    pub fn any() -> Self {
        Self("*".to_owned())
    }

    /// Methods are case-sensitive on the wire, but a route written `get` means `GET`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim().to_ascii_uppercase();
        let ok = value == "*"
            || (value.bytes().all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
                && (1..=32).contains(&value.len()));
        if !ok {
            return Err(ParseError::new("Use an HTTP method such as GET, POST or DELETE, or * for any."));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_any(&self) -> bool {
        self.0 == "*"
    }

    /// Whether a request sent with `method` (as received) is for this route.
    pub fn matches(&self, method: &str) -> bool {
        self.is_any() || self.0 == method
    }
}

impl TryFrom<String> for Method {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<Method> for String {
    fn from(value: Method) -> Self {
        value.0
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: one segment, named for people.
    Param(String),
    /// `*`: one segment.
    One,
    /// `**`: zero or more segments, only last.
    Rest,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 §6.2.2: `%XX` of an unreserved character decoded, any other
/// `%XX` upper-cased; a `%` without two hex digits is left as it is.
pub(crate) fn normalise_segment(raw: &str) -> Cow<'_, str> {
    if !raw.contains('%') {
        // Nothing to decode: most requests' segments, read without a copy.
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.get(..2).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) {
            Some(hex) => {
                match u8::from_str_radix(hex, 16) {
                    Ok(b) if is_unreserved(b) => out.push(char::from(b)),
                    _ => {
                        out.push('%');
                        out.push_str(&hex.to_ascii_uppercase());
                    }
                }
                rest = &after[2..];
            }
            None => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Characters a literal may hold: RFC 3986 `pchar` less `*` and `%` (both
/// checked apart) and `;` (requests' segment parameters are dropped).
fn literal_char(b: u8) -> bool {
    is_unreserved(b) || matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'+' | b',' | b'=' | b':' | b'@')
}

fn literal(raw: &str) -> Result<Segment, ParseError> {
    let bad = |why: &str| Err(ParseError::new(format!("The segment {raw:?} {why}")));
    if raw.contains(['{', '}']) {
        return bad("mixes text and a parameter: a parameter is a whole segment, like {id}.");
    }
    if raw.contains('*') {
        return bad("holds a *: a wildcard is a whole segment, * or **.");
    }
    if !raw.bytes().all(|b| literal_char(b) || b == b'%') {
        return bad("holds a character a path cannot carry as it is; percent-encode it (like %20).");
    }
    let value = normalise_segment(raw).into_owned();
    if value.split('%').skip(1).any(|h| !h.get(..2).is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))) {
        return bad("holds a % not followed by two hex digits.");
    }
    if value == "." || value == ".." {
        return bad("is a dot segment, which requests never keep.");
    }
    Ok(Segment::Literal(value))
}

fn param(raw: &str, seen: &[Segment]) -> Result<Segment, ParseError> {
    let name = raw.trim_start_matches('{').trim_end_matches('}');
    let ok = name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) && name.len() <= 64;
    if name.is_empty() || !ok || name.len() + 2 != raw.len() {
        return Err(ParseError::new(format!(
            "{raw:?} is not a parameter: write {{name}} with letters, digits, _, - or . inside."
        )));
    }
    if seen.contains(&Segment::Param(name.to_owned())) {
        return Err(ParseError::new(format!("The parameter {raw} appears twice.")));
    }
    Ok(Segment::Param(name.to_owned()))
}

/// A route's path pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PathPattern(Vec<Segment>);

impl PathPattern {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim();
        let Some(body) = value.strip_prefix('/') else {
            return Err(ParseError::new("Start the path with /, like /v1/invoices."));
        };
        if value.chars().count() > MAX_PATTERN_LEN {
            return Err(ParseError::new(format!("Use at most {MAX_PATTERN_LEN} characters.")));
        }
        // A trailing slash is dropped, as requests' are.
        let body = body.strip_suffix('/').unwrap_or(body);
        let mut segments = Vec::new();
        let raws: Vec<&str> = if body.is_empty() { Vec::new() } else { body.split('/').collect() };
        for (i, raw) in raws.iter().enumerate() {
            let segment = match *raw {
                "" => return Err(ParseError::new("Remove the empty segment (//).")),
                "**" if i + 1 == raws.len() => Segment::Rest,
                "**" => {
                    return Err(ParseError::new("** matches the rest of a path, so only the last segment can be **."));
                }
                "*" => Segment::One,
                s if s.starts_with('{') || s.ends_with('}') => param(s, &segments)?,
                s => literal(s)?,
            };
            segments.push(segment);
        }
        Ok(Self(segments))
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn matches(&self, path: &RequestPath<'_>) -> bool {
        let mut parts = path.0.iter();
        for segment in &self.0 {
            match segment {
                Segment::Rest => return true,
                Segment::Literal(l) if parts.next().map(AsRef::as_ref) != Some(l.as_str()) => return false,
                Segment::Param(_) | Segment::One if parts.next().is_none() => return false,
                _ => {}
            }
        }
        parts.next().is_none()
    }

    /// Rule 1 of the module doc: `Less` when `self` is the more specific.
    pub fn cmp_specificity(&self, other: &Self) -> Ordering {
        fn rank(s: Option<&Segment>) -> u8 {
            match s {
                Some(Segment::Literal(_)) => 0,
                Some(Segment::Param(_) | Segment::One) => 1,
                None => 2,
                Some(Segment::Rest) => 3,
            }
        }
        for i in 0..=self.0.len().max(other.0.len()) {
            let (a, b) = (rank(self.0.get(i)), rank(other.0.get(i)));
            if a != b || a >= 2 {
                return a.cmp(&b);
            }
        }
        Ordering::Equal
    }

    /// The pattern with every parameter written `*`: what matching sees.
    pub(crate) fn shape(&self) -> String {
        let anon =
            Self(self.0.iter().map(|s| if let Segment::Param(_) = s { Segment::One } else { s.clone() }).collect());
        anon.to_string()
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for segment in &self.0 {
            match segment {
                Segment::Literal(l) => write!(f, "/{l}")?,
                Segment::Param(name) => write!(f, "/{{{name}}}")?,
                Segment::One => f.write_str("/*")?,
                Segment::Rest => f.write_str("/**")?,
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for PathPattern {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<PathPattern> for String {
    fn from(value: PathPattern) -> Self {
        value.to_string()
    }
}

/// A request's path, normalised as the module doc says, as its segments
/// (borrowed from the target where normalising changed nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPath<'a>(Vec<Cow<'a, str>>);

impl<'a> RequestPath<'a> {
    /// Reads a request target's path (`/v1/invoices/42?expand=lines`).
    pub fn parse(target: &'a str) -> Result<Self, ParseError> {
        let path = target.split(['?', '#']).next().unwrap_or_default();
        if !path.starts_with('/') {
            return Err(ParseError::new("A request path starts with /."));
        }
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ParseError::new("A request path holds no spaces or control characters."));
        }
        let mut segments = Vec::new();
        for raw in path.split('/') {
            let segment = normalise_segment(raw.split(';').next().unwrap_or_default());
            match segment.as_ref() {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                _ => segments.push(segment),
            }
        }
        Ok(Self(segments))
    }

    pub fn segments(&self) -> &[Cow<'a, str>] {
        &self.0
    }
}

/// One route: requests with this method and a path matching the pattern need `requires`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub method: Method,
    pub path: PathPattern,
    pub requires: Expression,
}

impl Route {
    pub fn matches(&self, method: &str, path: &RequestPath<'_>) -> bool {
        self.method.matches(method) && self.path.matches(path)
    }

    /// The module doc's order: `Less` when `self` is the more specific.
    pub fn cmp_specificity(&self, other: &Self) -> Ordering {
        self.path
            .cmp_specificity(&other.path)
            .then_with(|| self.method.is_any().cmp(&other.method.is_any()))
            .then_with(|| self.path.to_string().cmp(&other.path.to_string()))
            .then_with(|| self.method.cmp(&other.method))
    }
}

/// An API's routes, no two for the same method and pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RouteTable(Vec<Route>);

impl RouteTable {
    /// Refuses a route that repeats an earlier one: the error holds its index and why.
    pub fn new(routes: Vec<Route>) -> Result<Self, (usize, ParseError)> {
        let mut seen = BTreeMap::new();
        for (i, route) in routes.iter().enumerate() {
            if let Some(earlier) = seen.insert((route.method.clone(), route.path.shape()), i) {
                return Err((
                    i,
                    ParseError::new(format!(
                        "{} {} repeats routes[{earlier}] ({} {}): a request would match both alike.",
                        route.method, route.path, routes[earlier].method, routes[earlier].path
                    )),
                ));
            }
        }
        Ok(Self(routes))
    }

    pub fn routes(&self) -> &[Route] {
        &self.0
    }

    /// The most specific route for the request, if any matches.
    pub fn find(&self, method: &str, path: &RequestPath<'_>) -> Option<&Route> {
        self.0.iter().filter(|r| r.matches(method, path)).min_by(|a, b| a.cmp_specificity(b))
    }
}

#[cfg(test)]
#[path = "tests/route.rs"]
mod tests;

#[cfg(test)]
#[path = "tests/route_order.rs"]
mod order_tests;
