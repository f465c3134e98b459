//! Whether a key may make a request to an API: the decision the verify
//! endpoint and forward-auth answer with. The key's API is read when the
//! decision is made (the sample is built in), so a change to one of its
//! roles applies to the very next request, on every instance.

use crate::app::state::AppState;
use crate::db::{self, api_keys::ApiKey};
use crate::domain::OrgId;
use crate::domain::access::{ApiDefinition, Check, Decision};
use std::sync::Arc;

/// The answer for one key and one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The key belongs to another API than the one asked about.
    WrongApi,
    /// The key's API (its definition as of now) decided.
    Decided(Decision),
}

/// The definition of the key's API as of now; a key whose API was deleted
/// (deleting needs its keys revoked first) reaches nothing.
pub async fn api_of(ctx: &AppState, key: &ApiKey) -> Result<Arc<ApiDefinition>, db::Error> {
    let slug = key.scopes().api().as_str();
    if slug == ApiDefinition::built_in().slug().as_str() {
        return Ok(super::sample());
    }
    let apis = super::in_force(ctx, OrgId::new(key.org_id)).await?;
    let found = apis.iter().find(|api| api.slug().as_str() == slug).cloned();
    Ok(found.unwrap_or_else(|| Arc::new(ApiDefinition::deny_all(slug, ""))))
}

/// Decides `check` for `key` on its API; `api`, when given, must be the key's.
pub async fn decide(ctx: &AppState, key: &ApiKey, api: Option<&str>, check: Check<'_>) -> Result<Outcome, db::Error> {
    if api.is_some_and(|asked| asked != key.scopes().api().as_str()) {
        return Ok(Outcome::WrongApi);
    }
    let definition = api_of(ctx, key).await?;
    Ok(Outcome::Decided(definition.decide(key.scopes().access(), check)))
}
