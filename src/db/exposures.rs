//! Keys reported exposed (leak response): when each was last reported, for
//! the dashboard's banner.

use super::DbConn;
use super::schema::key_exposure_marks::dsl;
use crate::domain::OrgId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn mark(conn: &mut DbConn, key_row_id: i64, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(dsl::key_exposure_marks.find(key_row_id)).set(dsl::exposed_at.eq(at)).execute(conn).map(|_| ())
}

/// Keys of the organisation reported exposed since `since`: (key id, label), most recent first.
pub fn since(conn: &mut DbConn, org_id: OrgId, since: NaiveDateTime) -> QueryResult<Vec<(String, String)>> {
    dsl::key_exposure_marks
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::exposed_at.ge(since))
        .order(dsl::exposed_at.desc())
        .select((dsl::key_id, dsl::label))
        .limit(20)
        .load(conn)
}
