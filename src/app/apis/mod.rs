//! Use cases for the APIs an organisation defines (docs/api-guide.md:
//! Management API → APIs): reading them, and (in `manage.rs`) creating,
//! replacing, changing, importing from OpenAPI and deleting them. Owners and
//! admins in the console; keys holding `apis:read` / `apis:write` in the
//! API. The sample API over Latchkey's own resources is built in: every
//! organisation has it, listed first, and it cannot be changed.
//! `decide.rs` answers whether a key may make a request to its API.

pub mod decide;
pub mod manage;

use crate::app::caller::{Caller, Denied};
use crate::app::state::AppState;
use crate::db::apis::ApiRow;
use crate::db::{self, DbConn, QueryResult};
use crate::domain::OrgId;
use crate::domain::access::ApiDefinition;
use crate::domain::records::FieldError;
use crate::domain::scopes::Management;

/// What a caller asks to do with API definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
}

/// The caller may do `op` in its organisation (before anything is read).
pub fn authorize(caller: &Caller, op: Op) -> Result<(), Denied> {
    caller.may_manage(if op == Op::Read { Management::ApisRead } else { Management::ApisWrite })
}

/// Why an API use case did nothing.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such API in this organisation")]
    NotFound,
    /// The built-in sample API cannot be changed, deleted or replaced.
    #[error("the sample API is built in and cannot be changed")]
    BuiltIn,
    /// A create for a slug the organisation already uses.
    #[error("the organisation already has an API with this slug")]
    Exists,
    /// Keys that are not revoked still belong to the API (how many).
    #[error("{0} keys of this API are not revoked")]
    InUse(i64),
    /// The document did not parse, or its parts disagree (each problem by field).
    #[error("invalid definition")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] db::Error),
}

impl From<crate::db::QueryError> for DefinitionError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

/// A stored definition; it was checked when saved, so a row that no longer
/// parses (a later, stricter release) answers as an API that denies everything.
fn parse_row(row: &ApiRow) -> ApiDefinition {
    serde_json::from_str::<serde_json::Value>(&row.definition)
        .ok()
        .and_then(|v| ApiDefinition::from_json(&v).ok())
        .unwrap_or_else(|| ApiDefinition::deny_all(&row.slug, &row.name))
}

/// The definition of the organisation's API `slug` (the sample is built in).
pub fn definition(conn: &mut DbConn, org_id: OrgId, slug: &str) -> QueryResult<Option<ApiDefinition>> {
    if slug == ApiDefinition::built_in().slug().as_str() {
        return Ok(Some(ApiDefinition::built_in().clone()));
    }
    Ok(db::apis::find(conn, org_id, slug)?.as_ref().map(parse_row))
}

/// The definition of API `slug` as a key of it reaches: a key whose API was
/// deleted (deleting needs its keys revoked first) reaches nothing.
pub fn definition_or_deny(conn: &mut DbConn, org_id: OrgId, slug: &str) -> QueryResult<ApiDefinition> {
    Ok(definition(conn, org_id, slug)?.unwrap_or_else(|| ApiDefinition::deny_all(slug, "")))
}

/// Every API of the organisation: the sample first, then by slug.
pub async fn list(ctx: &AppState, caller: &Caller) -> Result<Vec<ApiDefinition>, DefinitionError> {
    authorize(caller, Op::Read)?;
    Ok(choices(ctx, caller.org().id).await?)
}

/// The slugs and names of the organisation's APIs, for the key form (no
/// permission needed beyond making keys, which the key use cases check).
pub async fn choices(ctx: &AppState, org_id: OrgId) -> Result<Vec<ApiDefinition>, db::Error> {
    let rows = ctx.db.run(move |conn| db::apis::list(conn, org_id)).await?;
    Ok(std::iter::once(ApiDefinition::built_in().clone()).chain(rows.iter().map(parse_row)).collect())
}

/// The organisation's APIs (the sample first) for deciding requests: from
/// memory while the database is unchanged (`infra::api_cache`), else read.
pub async fn in_force(ctx: &AppState, org_id: OrgId) -> Result<crate::infra::api_cache::Apis, db::Error> {
    let stamp = ctx.key_cache.stamp(&ctx.db).await;
    if let Some(hit) = stamp.and_then(|s| ctx.api_cache.get(org_id, s)) {
        return Ok(hit);
    }
    let apis: crate::infra::api_cache::Apis =
        std::sync::Arc::new(choices(ctx, org_id).await?.into_iter().map(std::sync::Arc::new).collect());
    if let Some(stamp) = stamp {
        ctx.api_cache.put(org_id, stamp, apis.clone());
    }
    Ok(apis)
}

/// The built-in sample, shared (every request to Latchkey's own resources is decided by it).
pub fn sample() -> std::sync::Arc<ApiDefinition> {
    static SAMPLE: std::sync::LazyLock<std::sync::Arc<ApiDefinition>> =
        std::sync::LazyLock::new(|| std::sync::Arc::new(ApiDefinition::built_in().clone()));
    SAMPLE.clone()
}

/// One API of the organisation.
pub async fn get(ctx: &AppState, caller: &Caller, slug: &str) -> Result<ApiDefinition, DefinitionError> {
    authorize(caller, Op::Read)?;
    let (org_id, slug) = (caller.org().id, slug.to_owned());
    ctx.db.run(move |conn| definition(conn, org_id, &slug)).await?.ok_or(DefinitionError::NotFound)
}
