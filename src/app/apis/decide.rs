//! Whether a key may make a request to an API: the decision the verify
//! endpoint and forward-auth answer with. The key's API is read when the
//! decision is made (the sample is built in), so a change to one of its
//! roles applies to the very next request, on every instance.

use crate::app::state::AppState;
use crate::db::{self, api_keys::ApiKey};
use crate::domain::OrgId;
use crate::domain::access::{ApiDefinition, Check, Decision};

/// The answer for one key and one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The key belongs to another API than the one asked about.
    WrongApi,
    /// The key's API (its definition as of now) decided.
    Decided(Decision),
}

/// Decides `check` for `key` on its API; `api`, when given, must be the key's.
pub async fn decide(ctx: &AppState, key: &ApiKey, api: Option<&str>, check: Check<'_>) -> Result<Outcome, db::Error> {
    let scopes = key.scopes();
    let slug = scopes.api().as_str().to_owned();
    if api.is_some_and(|asked| asked != slug) {
        return Ok(Outcome::WrongApi);
    }
    let org_id = OrgId::new(key.org_id);
    let found = if slug == ApiDefinition::built_in().slug().as_str() {
        Some(ApiDefinition::built_in().clone())
    } else {
        ctx.db.run(move |conn| super::definition(conn, org_id, &slug)).await?
    };
    // A key whose API was deleted reaches nothing (deleting needs its keys revoked first).
    let api = found.unwrap_or_else(|| ApiDefinition::deny_all(scopes.api().as_str(), ""));
    Ok(Outcome::Decided(api.decide(scopes.access(), check)))
}
