//! Permission slugs and grants. A permission names one thing a key may do
//! on an API (`invoices.read`, `customers:read`); a grant is what a key or a
//! role holds: a permission, every permission under a prefix
//! (`invoices.*`), or every permission of the API (`*`).

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// The longest permission slug, in characters (all ASCII).
pub const MAX_PERMISSION_LEN: usize = 64;
/// The longest permission description, in characters.
pub const MAX_DESCRIPTION_LEN: usize = 200;

/// A permission's name: segments of `a-z`, `0-9` and `_`, joined by `.` or
/// `:`, at most 64 characters. `and` and `or` alone are refused: they are
/// the words of a permission expression.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
// Shared, not copied: a verification's answer lists the permissions a key
// holds, and cloning a name should not allocate on that path.
pub struct PermissionSlug(std::sync::Arc<str>);

/// Whether `text` is segments of `[a-z0-9_]+` joined by `.` or `:`.
fn is_segmented(text: &str) -> bool {
    text.split(['.', ':'])
        .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
}

impl PermissionSlug {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ParseError::new("Name the permission, like invoices.read."));
        }
        if value.chars().count() > MAX_PERMISSION_LEN {
            return Err(ParseError::new(format!("Use at most {MAX_PERMISSION_LEN} characters for a permission.")));
        }
        if !is_segmented(value) {
            return Err(ParseError::new(format!(
                "{value:?} is not a permission: use lowercase letters, digits and _, in parts joined by . or : \
                 (like invoices.read or customers:read)."
            )));
        }
        if value == "and" || value == "or" {
            return Err(ParseError::new(format!(
                "{value:?} is a word of permission expressions; choose another name."
            )));
        }
        Ok(Self(value.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for PermissionSlug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PermissionSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for PermissionSlug {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<PermissionSlug> for String {
    fn from(value: PermissionSlug) -> Self {
        value.0.to_string()
    }
}

/// A permission an API declares, with what it lets a key do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPermission")]
pub struct Permission {
    pub slug: PermissionSlug,
    pub description: String,
}

/// A permission as sent, before its description is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPermission {
    slug: PermissionSlug,
    #[serde(default)]
    description: String,
}

impl TryFrom<RawPermission> for Permission {
    type Error = ParseError;
    fn try_from(raw: RawPermission) -> Result<Self, ParseError> {
        Ok(Self { slug: raw.slug, description: parse_description(&raw.description)? })
    }
}

/// A permission's description: optional, at most 200 characters as sent, trimmed, on one line.
pub fn parse_description(input: &str) -> Result<String, ParseError> {
    if input.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(ParseError::new(format!("Use at most {MAX_DESCRIPTION_LEN} characters.")));
    }
    let value = input.trim();
    if value.chars().any(char::is_control) {
        return Err(ParseError::new("Remove the control characters (new lines included)."));
    }
    Ok(value.to_owned())
}

/// One grant, kept as its text: a permission slug, a permission slug
/// followed by `.*` or `:*` (every permission under it), or `*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Grant(String);

impl Grant {
    /// Every permission of the API.
    pub fn all() -> Self {
        Self("*".to_owned())
    }

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let value = input.trim();
        if value == "*" {
            return Ok(Self::all());
        }
        if let Some(base) = value.strip_suffix(".*").or_else(|| value.strip_suffix(":*")) {
            // The prefix must itself be a permission, so `invoices.*` and
            // `billing:invoices.*` are grants and `inv*` or `.*` are not.
            PermissionSlug::parse(base).map_err(|e| ParseError::new(format!("In the grant {value:?}: {e}")))?;
            if value.len() > MAX_PERMISSION_LEN {
                return Err(ParseError::new(format!("Use at most {MAX_PERMISSION_LEN} characters for a grant.")));
            }
            return Ok(Self(value.to_owned()));
        }
        if value.contains('*') {
            return Err(ParseError::new(format!(
                "{value:?} is not a grant: a wildcard is * alone, or .* or :* after a permission (like invoices.*)."
            )));
        }
        PermissionSlug::parse(value).map(Self::from)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `*`: every permission of the API.
    pub fn is_full_access(&self) -> bool {
        self.0 == "*"
    }

    /// The permission this grant names exactly, when it is no wildcard.
    pub fn exact(&self) -> Option<&str> {
        (!self.0.ends_with('*')).then_some(self.0.as_str())
    }

    pub fn grants(&self, permission: &PermissionSlug) -> bool {
        match self.0.strip_suffix('*') {
            // What is left ends with its separator (or is empty for `*`).
            Some(prefix) => permission.as_str().starts_with(prefix),
            None => self.0 == permission.as_str(),
        }
    }
}

impl From<PermissionSlug> for Grant {
    fn from(slug: PermissionSlug) -> Self {
        Self(slug.0.to_string())
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Grant {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<Grant> for String {
    fn from(value: Grant) -> Self {
        value.0
    }
}

/// A set of grants (a key's, a role's, or both together), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Grants(BTreeSet<Grant>);

/// Says whether a permission is granted: a set of grants, or a key's grants
/// and its roles' read in place (`ApiDefinition::decide`), without merging
/// them into a copy on a path as hot as verification.
pub trait Holds {
    fn holds(&self, permission: &PermissionSlug) -> bool;
}

impl Holds for Grants {
    fn holds(&self, permission: &PermissionSlug) -> bool {
        self.grants(permission)
    }
}

impl Grants {
    /// Parses each grant; the first bad one is reported.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, ParseError> {
        items.iter().map(|s| Grant::parse(s.as_ref())).collect::<Result<BTreeSet<_>, _>>().map(Self)
    }

    pub fn grants(&self, permission: &PermissionSlug) -> bool {
        self.0.iter().any(|g| g.grants(permission))
    }

    pub fn extend(&mut self, other: &Grants) {
        self.0.extend(other.0.iter().cloned());
    }

    pub fn insert(&mut self, grant: Grant) {
        self.0.insert(grant);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Grant> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `*` is one of them.
    pub fn is_full_access(&self) -> bool {
        self.0.iter().any(Grant::is_full_access)
    }

    /// Whether `grant` gives nothing these do not, whatever permissions the
    /// API declares now or later: `*` covers all; an exact grant is covered
    /// by any grant that grants it; `invoices.*` only by `*` or a wildcard
    /// over a prefix of it (`invoices.*` itself, or `billing:*` for `billing:x.*`).
    pub fn covers(&self, grant: &Grant) -> bool {
        match (grant.exact(), grant.0.strip_suffix('*')) {
            (Some(exact), _) => PermissionSlug::parse(exact).is_ok_and(|slug| self.grants(&slug)),
            (None, Some(prefix)) => self.0.iter().any(|g| g.0.strip_suffix('*').is_some_and(|q| prefix.starts_with(q))),
            (None, None) => false,
        }
    }

    /// The grants as stored: comma-separated (no grant contains a comma).
    pub fn to_stored(&self) -> String {
        self.0.iter().map(Grant::as_str).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form; a grant that no longer parses is dropped.
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.split(',').filter_map(|g| Grant::parse(g).ok()).collect())
    }
}

impl FromIterator<Grant> for Grants {
    fn from_iter<I: IntoIterator<Item = Grant>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> PermissionSlug {
        PermissionSlug::parse(s).expect("valid slug")
    }

    #[test]
    fn permission_slugs_are_segments_joined_by_dots_or_colons() {
        for good in ["invoices.read", "customers:read", "a", "billing:invoices.line_items.read", &"a".repeat(64)] {
            assert_eq!(PermissionSlug::parse(&format!(" {good} ")).map(String::from), Ok(good.to_owned()));
        }
        for bad in ["", "Invoices.read", "invoices..read", ".read", "read.", "in voices", "a-b", "*", "and", "or"] {
            assert!(PermissionSlug::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(PermissionSlug::parse(&"a".repeat(65)).is_err());
        assert!(PermissionSlug::parse("and.read").is_ok(), "only the bare words are reserved");
    }

    #[test]
    fn a_set_covers_a_grant_only_when_it_gives_everything_the_grant_gives() {
        let set = |items: &[&str]| Grants::parse(items).expect("grants");
        let grant = |s: &str| Grant::parse(s).expect("grant");
        assert!(set(&["*"]).covers(&grant("*")));
        assert!(set(&["*"]).covers(&grant("invoices.*")));
        assert!(set(&["invoices.*"]).covers(&grant("invoices.read")));
        assert!(set(&["invoices.*"]).covers(&grant("invoices.read.*")));
        assert!(set(&["billing:*"]).covers(&grant("billing:invoices.*")));
        assert!(!set(&["invoices.read", "invoices.write"]).covers(&grant("invoices.*")), "a later permission");
        assert!(!set(&["invoices.*"]).covers(&grant("*")));
        assert!(!set(&["invoices.read"]).covers(&grant("invoices.write")));
        assert!(!set(&["inv.*"]).covers(&grant("invoices.*")), "a prefix is whole segments");
        assert_eq!(Grants::from_stored(&set(&["b", "a.*"]).to_stored()), set(&["a.*", "b"]));
        assert!(Grants::from_stored("").is_empty());
    }

    #[test]
    fn grants_cover_a_permission_a_prefix_or_everything() {
        let g = |s: &str| Grant::parse(s).expect("valid grant");
        assert!(g("invoices.read").grants(&slug("invoices.read")));
        assert!(!g("invoices.read").grants(&slug("invoices.read_all")));
        assert!(g("invoices.*").grants(&slug("invoices.read")));
        assert!(g("invoices.*").grants(&slug("invoices.lines.read")));
        assert!(!g("invoices.*").grants(&slug("invoices")), "under, not the prefix itself");
        assert!(!g("invoices.*").grants(&slug("invoices_old.read")));
        assert!(!g("invoices.*").grants(&slug("invoices:read")), "the separator is part of the prefix");
        assert!(g("invoices:*").grants(&slug("invoices:read")));
        assert!(g("*").grants(&slug("anything.at:all")) && g("*").is_full_access());
        assert_eq!(g("invoices.read").exact(), Some("invoices.read"));
        assert_eq!(g("invoices.*").exact(), None);
    }

    #[test]
    fn bad_grants_are_refused_with_a_reason() {
        for bad in ["", "inv*", "invoices.**", "*.read", ".*", "invoices*", "invoices.*.read", "Invoices.*", "**"] {
            assert!(Grant::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let e = Grant::parse("inv*").expect_err("refused");
        assert!(e.0.contains("wildcard"), "{e}");
    }

    #[test]
    fn a_set_of_grants_answers_for_any_of_them_and_round_trips_as_json() {
        let grants = Grants::parse(&["orders:read", "invoices.*"]).expect("valid");
        assert!(grants.grants(&slug("invoices.write")) && grants.grants(&slug("orders:read")));
        assert!(!grants.grants(&slug("orders:write")));
        let json = serde_json::to_value(&grants).expect("serialises");
        assert_eq!(json, serde_json::json!(["invoices.*", "orders:read"]));
        assert_eq!(serde_json::from_value::<Grants>(json).expect("parses"), grants);
        assert!(serde_json::from_value::<Grants>(serde_json::json!(["inv*"])).is_err());
        assert!(Grants::parse(&["ok", "Not OK"]).is_err());
    }

    #[test]
    fn descriptions_are_short_single_lines() {
        assert_eq!(parse_description("  Read invoices "), Ok("Read invoices".to_owned()));
        assert_eq!(parse_description(""), Ok(String::new()));
        assert!(parse_description("two\nlines").is_err());
        assert!(parse_description(&"x".repeat(201)).is_err());
    }
}
