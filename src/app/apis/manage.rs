//! Changing an organisation's APIs: create, replace (PUT), change some
//! parts (PATCH), import routes and permissions from an OpenAPI document,
//! delete. Each checks the caller, parses and checks the whole definition
//! (the domain's rules), and writes the row, its audit entry and the
//! `api.updated` event in one transaction. A change to a role reaches every
//! key holding it on its next request: keys hold role slugs, and the
//! definition is read when a request is decided.

use super::{DefinitionError, Op, authorize, definition};
use crate::app::audit::{self, Entry};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::app::webhooks::api_events::{self, ApiChange};
use crate::db::{self, DbConn};
use crate::domain::access::openapi::{self, OpenApiImport};
use crate::domain::access::{ApiDefinition, ApiSlug, diff};
use crate::domain::records::FieldError;
use serde_json::{Map, Value, json};

/// After a change: every live instance decides with the new definition
/// before the caller is answered, as after a key change (the definitions are
/// cached under the key caches' stamp, `infra::api_cache`).
async fn settled(ctx: &AppState) {
    ctx.key_cache.confirm(&ctx.db).await;
}

fn invalid(field: &str, message: impl Into<String>) -> DefinitionError {
    DefinitionError::Invalid(vec![FieldError { field: field.to_owned(), message: message.into() }])
}

/// A document for API `slug`: its own `slug`, when given, must be the same.
fn parse(mut document: Value, slug: &str) -> Result<ApiDefinition, DefinitionError> {
    if let Some(object) = document.as_object_mut() {
        match object.get("slug") {
            None => {
                object.insert("slug".into(), json!(slug));
            }
            Some(given) if given != slug => return Err(invalid("slug", format!("must be {slug}, as in the path"))),
            Some(_) => {}
        }
    }
    ApiDefinition::from_json(&document).map_err(DefinitionError::Invalid)
}

fn refuse_built_in(slug: &str) -> Result<(), DefinitionError> {
    if slug == ApiDefinition::built_in().slug().as_str() { Err(DefinitionError::BuiltIn) } else { Ok(()) }
}

/// `new` names the console's page for a new API, so no API may take it.
fn refuse_reserved(api: &ApiDefinition) -> Result<(), DefinitionError> {
    match api.slug().as_str() {
        "new" => Err(invalid("slug", "new is reserved; choose another slug")),
        _ => Ok(()),
    }
}

fn stored(api: &ApiDefinition) -> Result<String, DefinitionError> {
    serde_json::to_string(api).map_err(|e| invalid("", format!("cannot be stored: {e}")))
}

/// Writes the audit entry and `api.updated` for a change, in the caller's transaction.
fn record(
    conn: &mut DbConn,
    caller: &Caller,
    (api, change, summary): (&ApiDefinition, ApiChange, Value),
    entry: Entry,
) -> Result<(), DefinitionError> {
    let actor = caller.actor();
    let seq = audit::record_seq(conn, &actor, &caller.meta, entry)?;
    api_events::enqueue(conn, caller.org().id, seq, api_events::data(api, change, summary, &actor))?;
    Ok(())
}

/// Saves `api` as a new API, or over `old` (its row id and definition).
fn save(
    conn: &mut DbConn,
    caller: &Caller,
    api: &ApiDefinition,
    old: Option<(i64, ApiDefinition)>,
) -> Result<bool, DefinitionError> {
    let org_id = caller.org().id;
    let text = stored(api)?;
    match old {
        None => {
            db::apis::insert(conn, org_id, api.slug().as_str(), api.name(), &text)?;
            let summary = api_counts(api);
            record(conn, caller, (api, ApiChange::Created, summary), Entry::api_created(org_id, api))?;
            Ok(true)
        }
        Some((id, before)) => {
            let summary = diff::summary(&before, api);
            if summary.as_object().is_some_and(Map::is_empty) {
                return Ok(false);
            }
            db::apis::update(conn, id, api.name(), &text)?;
            let entry = Entry::api_updated(org_id, api, summary.clone());
            record(conn, caller, (api, ApiChange::Updated, summary), entry)?;
            Ok(false)
        }
    }
}

fn api_counts(api: &ApiDefinition) -> Value {
    let empty = ApiDefinition::deny_all(api.slug().as_str(), api.name());
    diff::summary(&empty, api)
}

/// The row and definition of the organisation's API `slug`, if it has one.
fn existing(conn: &mut DbConn, caller: &Caller, slug: &str) -> Result<Option<(i64, ApiDefinition)>, DefinitionError> {
    let Some(row) = db::apis::find(conn, caller.org().id, slug)? else { return Ok(None) };
    let api = definition(conn, caller.org().id, slug)?.ok_or(DefinitionError::NotFound)?;
    Ok(Some((row.id, api)))
}

/// Creates an API from a whole document (`POST`); its slug must be new.
pub async fn create(ctx: &AppState, caller: &Caller, document: Value) -> Result<ApiDefinition, DefinitionError> {
    authorize(caller, Op::Write)?;
    let api = ApiDefinition::from_json(&document).map_err(DefinitionError::Invalid)?;
    refuse_built_in(api.slug().as_str())?;
    refuse_reserved(&api)?;
    let caller = caller.clone();
    let done = ctx
        .transaction(move |conn| {
            if existing(conn, &caller, api.slug().as_str())?.is_some() {
                return Err(DefinitionError::Exists);
            }
            save(conn, &caller, &api, None)?;
            Ok::<_, DefinitionError>(api)
        })
        .await?;
    settled(ctx).await;
    Ok(done)
}

/// Creates API `slug` from a whole document, or replaces it (`PUT`);
/// answers the definition and whether it was created.
pub async fn put(
    ctx: &AppState,
    caller: &Caller,
    slug: &str,
    document: Value,
) -> Result<(ApiDefinition, bool), DefinitionError> {
    authorize(caller, Op::Write)?;
    refuse_built_in(slug)?;
    ApiSlug::parse(slug).map_err(|e| invalid("slug", e.0))?;
    let api = parse(document, slug)?;
    refuse_reserved(&api)?;
    let (caller, slug) = (caller.clone(), slug.to_owned());
    let done = ctx
        .transaction(move |conn| {
            let old = existing(conn, &caller, &slug)?;
            let created = save(conn, &caller, &api, old)?;
            Ok::<_, DefinitionError>((api, created))
        })
        .await?;
    settled(ctx).await;
    Ok(done)
}

/// Changes the parts a body names (`PATCH`): each replaces that part whole.
pub async fn patch(
    ctx: &AppState,
    caller: &Caller,
    slug: &str,
    body: Map<String, Value>,
) -> Result<ApiDefinition, DefinitionError> {
    authorize(caller, Op::Write)?;
    refuse_built_in(slug)?;
    let (caller, slug) = (caller.clone(), slug.to_owned());
    let done = ctx
        .transaction(move |conn| {
            let (id, before) = existing(conn, &caller, &slug)?.ok_or(DefinitionError::NotFound)?;
            let mut document = serde_json::to_value(&before).map_err(|e| invalid("", e.to_string()))?;
            if let Some(object) = document.as_object_mut() {
                object.extend(body);
            }
            let api = parse(document, &slug)?;
            save(conn, &caller, &api, Some((id, before)))?;
            Ok::<_, DefinitionError>(api)
        })
        .await?;
    settled(ctx).await;
    Ok(done)
}

/// Deletes API `slug`, unless keys that are not revoked still belong to it.
pub async fn delete(ctx: &AppState, caller: &Caller, slug: &str) -> Result<(), DefinitionError> {
    authorize(caller, Op::Write)?;
    refuse_built_in(slug)?;
    let (caller, slug) = (caller.clone(), slug.to_owned());
    ctx.transaction(move |conn| {
        let (id, api) = existing(conn, &caller, &slug)?.ok_or(DefinitionError::NotFound)?;
        let live = db::api_keys::live_count_for_api(conn, caller.org().id, &slug)?;
        if live > 0 {
            return Err(DefinitionError::InUse(live));
        }
        db::apis::delete(conn, id)?;
        let entry = Entry::api_deleted(caller.org().id, &api);
        record(conn, &caller, (&api, ApiChange::Deleted, json!({})), entry)
    })
    .await?;
    settled(ctx).await;
    Ok(())
}

/// What an import adds to an API: the document's permissions the API does
/// not declare yet, and its routes (a route for a method and path the API
/// already has takes the document's requirement). With `dry_run` nothing
/// is saved; either way the answer is what the import brings.
pub async fn import_openapi(
    ctx: &AppState,
    caller: &Caller,
    slug: &str,
    document: Value,
    dry_run: bool,
) -> Result<OpenApiImport, DefinitionError> {
    authorize(caller, if dry_run { Op::Read } else { Op::Write })?;
    refuse_built_in(slug)?;
    let import = openapi::import(&document).map_err(|e| invalid("", e.0))?;
    let (caller, slug) = (caller.clone(), slug.to_owned());
    let done = ctx
        .transaction(move |conn| {
            let (id, before) = existing(conn, &caller, &slug)?.ok_or(DefinitionError::NotFound)?;
            let merged = merge(&before, &import)?;
            if !dry_run {
                let summary = diff::summary(&before, &merged);
                db::apis::update(conn, id, merged.name(), &stored(&merged)?)?;
                let added = (import.permissions.len(), import.routes.len());
                let entry = Entry::api_imported(caller.org().id, &merged, added, summary.clone());
                record(conn, &caller, (&merged, ApiChange::Imported, summary), entry)?;
            }
            Ok::<_, DefinitionError>(import)
        })
        .await?;
    settled(ctx).await;
    Ok(done)
}

/// `before` with the import's permissions and routes added.
fn merge(before: &ApiDefinition, import: &OpenApiImport) -> Result<ApiDefinition, DefinitionError> {
    let mut document = serde_json::to_value(before).map_err(|e| invalid("", e.to_string()))?;
    let declared: Vec<String> = before.permissions().iter().map(|p| p.slug.to_string()).collect();
    let new_permissions = import.permissions.iter().filter(|p| !declared.contains(&p.slug.to_string()));
    let replaced =
        |r: &&crate::domain::access::Route| !import.routes.iter().any(|n| n.method == r.method && n.path == r.path);
    let kept_routes = before.routes().routes().iter().filter(replaced);
    let permissions: Vec<Value> = before.permissions().iter().chain(new_permissions).map(|p| json!(p)).collect();
    let routes: Vec<Value> = kept_routes.chain(import.routes.iter()).map(|r| json!(r)).collect();
    document["permissions"] = Value::Array(permissions);
    document["routes"] = Value::Array(routes);
    ApiDefinition::from_json(&document).map_err(DefinitionError::Invalid)
}
