//! Changing an existing key: edit, revoke, delete, activate and deactivate.
//! Each entry point checks the caller, the key's state, escalation and the
//! key policy inside the transaction that acts (under the key's row lock),
//! and after the commit waits until every live instance refuses what the
//! change took away (docs/operator-guide.md: Scale-out), so the caller's answer is true
//! everywhere.

use super::access::{
    Op, authorize, meets_policy, reach_of, require_paid, within_limits, within_scopes, within_settings,
};
use super::errors::{ChangeError, EditError};
use super::{locked, writes};
use crate::app::caller::{Caller, Who};
use crate::app::state::AppState;
use crate::db::api_keys::{ApiKey, KeySettings};
use crate::db::now;
use crate::domain::credits::CreditsChange;
use crate::domain::key_json;
use crate::domain::key_state::RevokeCause;
use serde_json::{Map, Value};

/// What an edit asks for.
pub enum Change {
    /// The console's form: every setting, and whether the key is enabled.
    Form { settings: Box<KeySettings>, enabled: bool },
    /// A management API PATCH body: the fields it names, over the key as it is now.
    Patch(Map<String, Value>),
}

/// Edits one of the organisation's keys: its settings and `enabled`. A
/// revoked key cannot change; a calling key may only edit keys within
/// itself and leave them so; the key policy applies; enabling a key needs a
/// paid plan; widening a member's scopes needs sudo mode. Answers the key as
/// it is now.
pub async fn edit(ctx: &AppState, caller: &Caller, key_id: &str, change: Change) -> Result<ApiKey, EditError> {
    authorize(caller, Op::Edit)?;
    let (caller, key_id, default_limit) = (caller.clone(), key_id.to_owned(), ctx.config.default_rate_limit);
    let changed = ctx
        .transaction(move |conn| {
            let old = locked(conn, caller.org().id, &key_id)?.ok_or(EditError::NotFound)?;
            if old.revoked_at.is_some() {
                return Err(EditError::Revoked);
            }
            let (settings, enabled, credits) = match change {
                Change::Form { settings, enabled } => (*settings, enabled, CreditsChange::default()),
                Change::Patch(body) => {
                    let parsed =
                        key_json::parse(&body, (Some((&old.settings(), old.enabled)), old.limits.metered), now())
                            .map_err(EditError::Invalid)?;
                    (parsed.settings, parsed.enabled.unwrap_or(old.enabled), parsed.credits)
                }
            };
            let api = match reach_of(conn, &caller, &settings)? {
                Ok(api) => api,
                Err(errors) => return Err(EditError::Invalid(errors)),
            };
            within_scopes(&caller, old.scopes(), &api)?;
            within_settings(&caller, &settings, &api, default_limit)?;
            within_limits(&caller, settings.owner_id.as_ref(), credits.metered(old.limits.metered))?;
            meets_policy(&caller, &settings, now()).map_err(EditError::Policy)?;
            if enabled && !old.enabled {
                require_paid(&caller)?;
            }
            // Widening scopes (unchecking every box = full access) is a sensitive action.
            if old.scopes().is_widened_by(&settings.scopes, &api) && !caller.reauthenticated() {
                return Err(EditError::NeedsSudo);
            }
            writes::update(conn, &old, &settings, enabled, &caller.actor(), &caller.meta)?;
            let updated = writes::reload(conn, &old)?;
            writes::set_credits(conn, &updated, credits, &caller.actor(), &caller.meta)?;
            Ok(writes::reload(conn, &old)?)
        })
        .await?;
    // Narrower scopes, a new allowlist or `enabled: false` hold on every instance before the answer.
    ctx.key_cache.confirm(&ctx.db).await;
    Ok(changed)
}

/// Revokes one of the organisation's keys for good (a revoked key is left
/// as it is). Answers the key as it is now.
pub async fn revoke(ctx: &AppState, caller: &Caller, key_id: &str) -> Result<ApiKey, ChangeError> {
    let caller = ready(caller, Op::Revoke)?;
    let key_id = key_id.to_owned();
    let revoked = ctx
        .transaction(move |conn| {
            let key = locked(conn, caller.org().id, &key_id)?.ok_or(ChangeError::NotFound)?;
            let actor = caller.actor();
            let cause = if matches!(caller.who, Who::Key { .. }) { RevokeCause::ByApiKey } else { RevokeCause::ByUser };
            writes::revoke(conn, &key, &actor.display_name(), &actor, &caller.meta, cause)?;
            Ok::<_, ChangeError>(writes::reload(conn, &key)?)
        })
        .await?;
    ctx.key_cache.confirm(&ctx.db).await;
    Ok(revoked)
}

/// Deletes one of the organisation's keys for good; the audit log keeps its label and prefix.
pub async fn delete(ctx: &AppState, caller: &Caller, key_id: &str) -> Result<(), ChangeError> {
    let caller = ready(caller, Op::Delete)?;
    let key_id = key_id.to_owned();
    ctx.transaction(move |conn| {
        let key = locked(conn, caller.org().id, &key_id)?.ok_or(ChangeError::NotFound)?;
        Ok::<_, ChangeError>(writes::delete(conn, &key, &caller.actor(), &caller.meta)?)
    })
    .await?;
    ctx.key_cache.confirm(&ctx.db).await;
    Ok(())
}

/// Activates (`true`, paid plans only) or deactivates a key that is not
/// revoked and not already so.
pub async fn set_enabled(ctx: &AppState, caller: &Caller, key_id: &str, enabled: bool) -> Result<(), ChangeError> {
    let op = if enabled { Op::Activate } else { Op::Deactivate };
    let caller = ready(caller, op)?;
    let key_id = key_id.to_owned();
    ctx.transaction(move |conn| {
        let key = locked(conn, caller.org().id, &key_id)?.ok_or(ChangeError::NotFound)?;
        if !op.applies(&key, now()) {
            return Err(ChangeError::NotApplicable);
        }
        Ok(writes::set_enabled(conn, &key, enabled, &caller.actor(), &caller.meta)?)
    })
    .await?;
    ctx.key_cache.confirm(&ctx.db).await;
    Ok(())
}

/// One of the organisation's keys for `op`, if the caller may do it and it
/// applies to the key as it is (the console's confirmation pages ask only then).
pub async fn for_action(ctx: &AppState, caller: &Caller, key_id: &str, op: Op) -> Result<ApiKey, ChangeError> {
    authorize(caller, op)?;
    let (org_id, key_id) = (caller.org().id, key_id.to_owned());
    let key = ctx.db.run(move |conn| crate::db::api_keys::find(conn, org_id, &key_id)).await?;
    let key = key.ok_or(ChangeError::NotFound)?;
    if op.applies(&key, now()) { Ok(key) } else { Err(ChangeError::NotApplicable) }
}

/// The caller, checked for `op` (sudo mode included), ready to move into a transaction.
fn ready(caller: &Caller, op: Op) -> Result<Caller, ChangeError> {
    authorize(caller, op)?;
    if op.sensitive() && !caller.reauthenticated() {
        return Err(ChangeError::NeedsSudo);
    }
    Ok(caller.clone())
}
