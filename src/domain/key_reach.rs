//! What a key reaches, from the console's key form: the API it belongs to
//! (`api`, default the sample), the explicit access choice (`access`:
//! `full` = every permission of the API, `custom` = the ticked
//! `permissions` and `roles`), and the `scopes` boxes (the sample's
//! resource scopes, which are its permissions, and the management scopes,
//! which either choice may tick). Neither choice is an error: a form left
//! blank grants nothing. Whether the API declares what was ticked is the
//! use case's to check.

use super::ParseError;
use super::access::{ApiSlug, Grant, Grants, RoleSlug};
use super::scopes::{Scopes, split_names};

/// The form's fields about access, as sent.
pub struct ReachFields<'a> {
    pub api: &'a str,
    pub access: &'a str,
    pub scopes: &'a [String],
    pub permissions: &'a [String],
    pub roles: &'a [String],
}

/// A problem, by the form field it belongs next to (`api`, `access`, `scopes`, `permissions`, `roles`).
pub type ReachError = (&'static str, ParseError);

fn at(field: &'static str) -> impl Fn(ParseError) -> ReachError {
    move |e| (field, e)
}

/// The key's scopes from the form; `stays`, on an edit, is the key's API (a key keeps it).
pub fn parse(fields: &ReachFields<'_>, stays: Option<&ApiSlug>) -> Result<Scopes, ReachError> {
    let api = match fields.api.trim() {
        "" => stays.cloned().unwrap_or_else(ApiSlug::sample),
        given => ApiSlug::parse(given).map_err(at("api"))?,
    };
    if stays.is_some_and(|kept| *kept != api) {
        return Err(("api", ParseError::new("A key stays with its API; create a new key for another API.")));
    }
    let (resources, management) = split_names(fields.scopes).map_err(at("scopes"))?;
    let mut grants = Grants::default();
    let mut roles = Vec::new();
    match fields.access.trim() {
        "full" => grants.insert(Grant::all()),
        "custom" => {
            if let (false, Some(scope)) = (api.is_sample(), resources.iter().next()) {
                let message = format!("{} is a scope of the sample API, not of API {api}.", scope.name());
                return Err(("scopes", ParseError::new(message)));
            }
            for name in resources.iter().map(|s| s.name()).chain(fields.permissions.iter().map(String::as_str)) {
                grants.insert(Grant::parse(name).map_err(at("permissions"))?);
            }
            for role in fields.roles {
                roles.push(RoleSlug::parse(role).map_err(at("roles"))?);
            }
            if grants.is_empty() && roles.is_empty() && management.is_empty() {
                let message = "Tick at least one permission, role or management scope, or choose full access.";
                return Err(("access", ParseError::new(message)));
            }
        }
        _ => {
            let message = "Choose full access to this API, or choose its permissions and roles.";
            return Err(("access", ParseError::new(message)));
        }
    }
    Ok(Scopes::new(api, grants, roles, management))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn reach(
        api: &str,
        access: &str,
        scopes: &[&str],
        permissions: &[&str],
        roles: &[&str],
    ) -> Result<Scopes, ReachError> {
        let (scopes, permissions, roles) = (strings(scopes), strings(permissions), strings(roles));
        parse(&ReachFields { api, access, scopes: &scopes, permissions: &permissions, roles: &roles }, None)
    }

    fn field(result: Result<Scopes, ReachError>) -> &'static str {
        result.expect_err("refused").0
    }

    #[test]
    fn no_choice_is_an_error_and_grants_nothing() {
        assert_eq!(field(reach("", "", &[], &[], &[])), "access");
        assert_eq!(field(reach("", "custom", &[], &[], &[])), "access", "custom with nothing ticked");
        assert_eq!(field(reach("", "everything", &[], &[], &[])), "access");
    }

    #[test]
    fn full_access_is_star_and_keeps_management_scopes() {
        let full = reach("", "full", &["orders:read", "keys:read"], &[], &[]).expect("valid");
        assert!(full.is_full_access());
        assert_eq!(full.management().map(|m| m.name()).collect::<Vec<_>>(), ["keys:read"]);
        assert_eq!(full.api().as_str(), "sample");
    }

    #[test]
    fn custom_takes_the_older_scopes_for_the_sample_and_permissions_and_roles() {
        let sample = reach("sample", "custom", &["orders:write"], &[], &["viewer"]).expect("valid");
        assert_eq!(sample.to_stored().permissions, "orders:read,orders:write");
        assert_eq!(sample.to_stored().roles, "viewer");
        let only_management = reach("", "custom", &["audit:read"], &[], &[]).expect("valid");
        assert!(only_management.access().grants.is_empty(), "reaches no API");
        let billing = reach("billing", "custom", &[], &["invoices.*"], &[]).expect("valid");
        assert_eq!((billing.api().as_str(), billing.to_stored().permissions.as_str()), ("billing", "invoices.*"));
        assert_eq!(field(reach("billing", "custom", &["orders:read"], &[], &[])), "scopes");
        assert_eq!(field(reach("billing", "custom", &[], &["Invoices"], &[])), "permissions");
        assert_eq!(field(reach("billing", "custom", &[], &[], &["Bad Role"])), "roles");
        assert_eq!(field(reach("Bad API", "full", &[], &[], &[])), "api");
    }

    #[test]
    fn an_edit_keeps_the_keys_api() {
        let billing = ApiSlug::parse("billing").expect("slug");
        let (none, full) = (Vec::new(), "full");
        let fields = ReachFields { api: "", access: full, scopes: &none, permissions: &none, roles: &none };
        assert_eq!(parse(&fields, Some(&billing)).expect("valid").api(), &billing);
        let moved = ReachFields { api: "sample", ..fields };
        assert_eq!(parse(&moved, Some(&billing)).expect_err("refused").0, "api");
    }
}
