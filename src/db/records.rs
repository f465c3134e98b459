//! Storage of the API's resources: one row per object, its validated fields as JSON.

use super::schema::api_records::dsl;
use super::{DbConn, now};
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::api_records)]
pub struct Record {
    pub id: i64,
    pub org_id: i64,
    pub kind: String,
    pub public_id: String,
    pub data: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The key that created it (docs/user-guide.md: Leak response → Attribution).
    pub created_by_key: Option<String>,
}

/// What a new object is: its org, kind, public id, validated fields (JSON) and the key that makes it.
pub struct NewRecord<'a> {
    pub org_id: OrgId,
    pub kind: &'a str,
    pub public_id: &'a str,
    pub data: &'a str,
    pub created_by_key: Option<&'a str>,
}

pub fn insert(conn: &mut DbConn, new: NewRecord<'_>) -> QueryResult<Record> {
    let NewRecord { org_id, kind, public_id, data, created_by_key } = new;
    let at = now();
    diesel::insert_into(dsl::api_records)
        .values((
            dsl::org_id.eq(org_id.get()),
            dsl::kind.eq(kind),
            dsl::public_id.eq(public_id),
            dsl::data.eq(data),
            dsl::created_at.eq(at),
            dsl::updated_at.eq(at),
            dsl::created_by_key.eq(created_by_key),
        ))
        .execute(conn)?;
    dsl::api_records.filter(dsl::public_id.eq(public_id)).select(Record::as_select()).first(conn)
}

/// One object of this organisation and kind; anything else is not found.
pub fn find(conn: &mut DbConn, org_id: OrgId, kind: &str, public_id: &str) -> QueryResult<Option<Record>> {
    dsl::api_records
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::kind.eq(kind))
        .filter(dsl::public_id.eq(public_id))
        .select(Record::as_select())
        .first(conn)
        .optional()
}

/// A page in creation order, strictly after row `after_id` (keyset: rows
/// inserted meanwhile appear on later pages, never twice).
pub fn page(conn: &mut DbConn, org_id: OrgId, kind: &str, after_id: i64, limit: i64) -> QueryResult<Vec<Record>> {
    dsl::api_records
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::kind.eq(kind))
        .filter(dsl::id.gt(after_id))
        .order(dsl::id.asc())
        .limit(limit)
        .select(Record::as_select())
        .load(conn)
}

pub fn update(conn: &mut DbConn, id: i64, data: &str) -> QueryResult<()> {
    diesel::update(dsl::api_records.find(id))
        .set((dsl::data.eq(data), dsl::updated_at.eq(now())))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(dsl::api_records.find(id)).execute(conn).map(|_| ())
}

/// Clears `category_id` on every product of the org that names this
/// category (deleting a category works like `ON DELETE SET NULL`).
pub fn clear_category(conn: &mut DbConn, org_id: OrgId, category_id: &str) -> QueryResult<usize> {
    // Fields are stored as compact JSON, and category ids are alphanumeric, so this match is exact.
    let needle = format!("%\"category_id\":\"{category_id}\"%");
    let products: Vec<Record> = dsl::api_records
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::kind.eq("products"))
        .filter(dsl::data.like(needle))
        .select(Record::as_select())
        .load(conn)?;
    for product in &products {
        let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_str(&product.data) else { continue };
        fields.insert("category_id".into(), serde_json::Value::Null);
        update(conn, product.id, &serde_json::Value::Object(fields).to_string())?;
    }
    Ok(products.len())
}
