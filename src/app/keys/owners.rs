//! Limits shared by all the keys of one owner (docs/api-guide.md: Rate
//! limits → Owner limits): the team's customer, say, whatever number of keys
//! it holds. The limit is copied onto each of the owner's keys in the same
//! transaction, so every instance's key cache learns it as it learns any
//! key change, and the request that sets it waits, like a key edit, until
//! every live instance has it.

use super::access::{Op, authorize, within_scopes};
use super::errors::EditError;
use crate::app::audit::{self, Entry};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::db::{DbConn, now};
use crate::domain::access::OwnerId;
use crate::domain::records::FieldError;

/// An owner's limit as set: how many keys share it.
#[derive(Debug, Clone)]
pub struct OwnerLimit {
    pub owner_id: OwnerId,
    pub rate_limit_per_minute: Option<u32>,
    pub keys: i64,
}

/// Sets (`Some`, requests a minute) or removes (`None`) the limit shared by
/// the keys of `owner_id` in the caller's organisation (`keys:write`). A
/// calling key may not loosen the limit of its own owner, and may set only
/// the limit of an owner whose keys all lie within its own scopes.
pub async fn set_owner_limit(
    ctx: &AppState,
    caller: &Caller,
    owner_id: &str,
    limit: Option<u32>,
) -> Result<OwnerLimit, EditError> {
    authorize(caller, Op::Edit)?;
    let owner = OwnerId::parse(owner_id)
        .map_err(|e| EditError::Invalid(vec![FieldError { field: "owner_id".into(), message: e.0 }]))?;
    let caller = caller.clone();
    let limited = ctx
        .transaction(move |conn| {
            let org_id = caller.org().id;
            crate::db::lock_org(conn, org_id)?;
            let before = crate::db::credits::owner_limit(conn, org_id, owner.as_str())?;
            let own_owner = caller.calling_key().and_then(|k| k.owner_id.as_deref()) == Some(owner.as_str());
            let loosened = match (before, limit) {
                (Some(_), None) => true,
                (Some(old), Some(new)) => i64::from(new) > old,
                (None, _) => false,
            };
            if own_owner && loosened {
                return Err(EditError::Escalation(super::Escalation::Setting("rate_limit_per_minute")));
            }
            covers_every_key_of(conn, &caller, &owner)?;
            let after = limit.map(i64::from);
            let keys = crate::db::credits::set_owner_limit(conn, org_id, owner.as_str(), after, now())?;
            if before != after {
                let entry = Entry::owner_limits_changed(org_id, owner.as_str(), (before, after), keys);
                audit::record_seq(conn, &caller.actor(), &caller.meta, entry)?;
            }
            Ok(OwnerLimit { owner_id: owner, rate_limit_per_minute: limit, keys })
        })
        .await?;
    ctx.key_cache.confirm(&ctx.db).await;
    Ok(limited)
}

/// A calling key sets the limit of an owner whose keys it could edit, and
/// no other (a person's authority is checked by `authorize`).
fn covers_every_key_of(conn: &mut DbConn, caller: &Caller, owner: &OwnerId) -> Result<(), EditError> {
    if caller.calling_key().is_none() {
        return Ok(());
    }
    let org_id = caller.org().id;
    let mut apis = std::collections::HashMap::new();
    for key in crate::db::api_keys::of_owner(conn, org_id, owner.as_str())? {
        let slug = key.scopes().api().as_str();
        if !apis.contains_key(slug) {
            apis.insert(slug.to_owned(), crate::app::apis::definition_or_deny(conn, org_id, slug)?);
        }
        within_scopes(caller, key.scopes(), &apis[slug])?;
    }
    Ok(())
}
