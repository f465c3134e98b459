//! Use cases for the API's resources (customers, orders, products,
//! categories): list and read, create, update and delete, each write one
//! transaction with its outbox event. The caller (the data API, after the
//! key's scope for the resource was checked) has validated the fields
//! (`domain::records`); everything is looked up in the key's organisation only.

use crate::app::state::AppState;
use crate::db::{self as store, records};
use crate::db::{DbConn, QueryResult, outbox};
use crate::domain::OrgId;
use crate::domain::records::{created_event, id_prefix};
use crate::domain::scopes::Resource;
use crate::domain::token::random_base62;
use serde_json::{Map, Value};

pub use crate::db::records::Record;

/// An object as the API answers it (and webhook events carry it): id, its
/// fields, created_at, and the key that created it (null for demo data).
pub fn object(record: &Record) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), Value::from(record.public_id.clone()));
    if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&record.data) {
        out.extend(fields);
    }
    out.insert(
        "created_at".into(),
        Value::from(record.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    out.insert("created_by_key".into(), Value::from(record.created_by_key.clone()));
    Value::Object(out)
}

/// Why a write was refused after validation: it names a category the org does not have.
#[derive(Debug)]
pub struct UnknownCategory;

/// True when the request gives a `category_id` that is not one of the org's
/// categories. Only a `category_id` the request gives is checked, so a PATCH
/// of other fields never trips over an old reference.
fn category_missing(conn: &mut DbConn, org_id: OrgId, given: &Map<String, Value>) -> QueryResult<bool> {
    match given.get("category_id").and_then(Value::as_str) {
        Some(id) => Ok(records::find(conn, org_id, Resource::Categories.as_str(), id)?.is_none()),
        None => Ok(false),
    }
}

/// Creates an object and, in the same transaction, its `….created` event.
fn create_in(
    conn: &mut DbConn,
    org_id: OrgId,
    resource: Resource,
    fields: Map<String, Value>,
    by_key: &str,
) -> QueryResult<Result<Record, UnknownCategory>> {
    let public_id = format!("{}_{}", id_prefix(resource), random_base62(16));
    crate::db::transaction(conn, |conn| {
        if category_missing(conn, org_id, &fields)? {
            return Ok(Err(UnknownCategory));
        }
        let data = Value::Object(fields).to_string();
        let new = records::NewRecord {
            org_id,
            kind: resource.as_str(),
            public_id: &public_id,
            data: &data,
            created_by_key: Some(by_key),
        };
        let record = records::insert(conn, new)?;
        if let Some(event) = created_event(resource) {
            outbox::enqueue_counted(conn, org_id, event, object(&record))?;
        }
        Ok(Ok(record))
    })
}

/// Stores `fields` (the object after the patch) for `record`; `given` is what
/// the request sent. `Ok(None)`: the object was deleted meanwhile.
fn update_in(
    conn: &mut DbConn,
    record: &Record,
    given: &Map<String, Value>,
    fields: Map<String, Value>,
) -> QueryResult<Result<Option<Record>, UnknownCategory>> {
    let org_id = OrgId::new(record.org_id);
    crate::db::transaction(conn, |conn| {
        if category_missing(conn, org_id, given)? {
            return Ok(Err(UnknownCategory));
        }
        records::update(conn, record.id, &Value::Object(fields).to_string())?;
        Ok(Ok(records::find(conn, org_id, &record.kind, &record.public_id)?))
    })
}

/// Deletes an object; false when the org has none with this id. Deleting a
/// category works like `ON DELETE SET NULL`: its products stay, without a category.
fn delete_in(conn: &mut DbConn, org_id: OrgId, resource: Resource, id: &str) -> QueryResult<bool> {
    crate::db::transaction(conn, |conn| {
        let Some(record) = records::find(conn, org_id, resource.as_str(), id)? else { return Ok(false) };
        records::delete(conn, record.id)?;
        if resource == Resource::Categories {
            records::clear_category(conn, org_id, &record.public_id)?;
        }
        Ok(true)
    })
}

/// Up to `limit` of the organisation's objects of `resource`, oldest first, after row `after`.
pub async fn page(
    ctx: &AppState,
    org_id: OrgId,
    resource: Resource,
    (after, limit): (i64, i64),
) -> Result<Vec<Record>, store::Error> {
    ctx.db.run(move |conn| records::page(conn, org_id, resource.as_str(), after, limit)).await
}

/// One of the organisation's objects of `resource`.
pub async fn find(ctx: &AppState, org_id: OrgId, resource: Resource, id: &str) -> Result<Option<Record>, store::Error> {
    let id = id.to_owned();
    ctx.db.run(move |conn| records::find(conn, org_id, resource.as_str(), &id)).await
}

/// Creates an object for the key `by_key` (see [`create_in`]).
pub async fn create(
    ctx: &AppState,
    (org_id, by_key): (OrgId, String),
    resource: Resource,
    fields: Map<String, Value>,
) -> Result<Result<Record, UnknownCategory>, store::Error> {
    ctx.db.run(move |conn| create_in(conn, org_id, resource, fields, &by_key)).await
}

/// Stores a patched object (see [`update_in`]).
pub async fn update(
    ctx: &AppState,
    record: Record,
    given: Map<String, Value>,
    fields: Map<String, Value>,
) -> Result<Result<Option<Record>, UnknownCategory>, store::Error> {
    ctx.db.run(move |conn| update_in(conn, &record, &given, fields)).await
}

/// Deletes an object (see [`delete_in`]); false when the org has none with this id.
pub async fn delete(ctx: &AppState, org_id: OrgId, resource: Resource, id: &str) -> Result<bool, store::Error> {
    let id = id.to_owned();
    ctx.db.run(move |conn| delete_in(conn, org_id, resource, &id)).await
}
