//! The key form's access section: which API (a select when the
//! organisation has several), the explicit choice between full access and
//! chosen permissions and roles, and each API's permissions grouped by
//! prefix (`invoices.read` and `invoices.write` under `invoices`). Every
//! API's choices are in the page; app.js shows only the chosen API's and
//! disables the others, so only they are sent (docs/user-guide.md: API keys).

use crate::app::state::AppState;
use crate::domain::OrgId;
use crate::domain::access::ApiDefinition;
use crate::web::error::AppError;

/// One permission's box.
pub struct PermissionChoice {
    pub slug: String,
    pub description: String,
}

/// One role's box, with what it grants.
pub struct RoleChoice {
    pub slug: String,
    pub name: String,
    pub grants: String,
}

/// One API the key may be for.
pub struct ApiChoice {
    pub slug: String,
    pub name: String,
    pub sample: bool,
    /// (prefix, permissions under it), in the API's order of prefixes.
    pub groups: Vec<(String, Vec<PermissionChoice>)>,
    pub roles: Vec<RoleChoice>,
}

/// The group a permission is shown in: its slug up to the last `.` or `:`.
fn prefix(slug: &str) -> &str {
    slug.rfind(['.', ':']).map_or(slug, |i| &slug[..i])
}

impl ApiChoice {
    fn of(api: &ApiDefinition) -> Self {
        let mut groups: Vec<(String, Vec<PermissionChoice>)> = Vec::new();
        for p in api.permissions() {
            let choice = PermissionChoice { slug: p.slug.to_string(), description: p.description.clone() };
            let group = prefix(p.slug.as_str());
            match groups.iter_mut().find(|(g, _)| g == group) {
                Some((_, items)) => items.push(choice),
                None => groups.push((group.to_owned(), vec![choice])),
            }
        }
        let roles = api
            .roles()
            .iter()
            .map(|r| {
                let grants: Vec<&str> = r.permissions.iter().map(|g| g.as_str()).collect();
                RoleChoice { slug: r.slug.to_string(), name: r.name.clone(), grants: grants.join(", ") }
            })
            .collect();
        Self { slug: api.slug().to_string(), name: api.name().to_owned(), sample: api.is_built_in(), groups, roles }
    }
}

/// The organisation's APIs as the form offers them (the sample first);
/// `only` narrows them to one (an edit: a key keeps its API).
pub async fn choices(state: &AppState, org_id: OrgId, only: Option<&str>) -> Result<Vec<ApiChoice>, AppError> {
    let apis = crate::app::apis::choices(state, org_id).await?;
    Ok(apis.iter().filter(|a| only.is_none_or(|slug| a.slug().as_str() == slug)).map(ApiChoice::of).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn permissions_group_by_what_comes_before_their_last_separator() {
        assert_eq!(super::prefix("invoices.read"), "invoices");
        assert_eq!(super::prefix("billing:invoices.read"), "billing:invoices");
        assert_eq!(super::prefix("customers:read"), "customers");
        assert_eq!(super::prefix("admin"), "admin");
    }
}
