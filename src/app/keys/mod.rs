//! Use cases for API keys: one async entry point per thing a person (the
//! console), a key (the management API), a reporter of a leak or the
//! scheduler does to a key. Each checks who may do it, the key's state,
//! escalation and the organisation's key policy inside the transaction that
//! acts; records the audit entries and webhook events there (writes.rs); and
//! after the commit waits until every instance refuses what the change took
//! away (the key cache) and wakes the mail sender when it queued mail.
//! Nothing here knows HTTP: callers pass a [`Caller`] and typed inputs, and
//! get a typed result or error (errors.rs) to show.

mod access;
mod change;
mod errors;
mod exposure;
mod issue;
mod owners;
mod reads;
mod writes;

pub use crate::app::caller::Denied;
pub use access::{Escalation, Op, authorize};
pub use change::{Change, delete, edit, for_action, revoke, set_enabled};
pub use errors::{ChangeError, CreateError, EditError, FindError, RotateError};
pub use exposure::{ExposedKeyAction, Report, Verdict, look_up, report_leaked};
pub use issue::{Issued, Once, create, rotate, rotate_self};
pub use owners::{OwnerLimit, set_owner_limit};
pub use reads::{
    Activity, Concern, ListQuery, Listing, POLICY_SCAN_LIMIT, RequestFilter, RequestRow, Sort, activity, by_token,
    credits_left, find, find_own, health_marks, list_for_api, list_for_console, list_violating, record_revoked_use,
    requests, revoke_after_grace, violates,
};

pub use crate::app::caller::Caller;
use crate::db::DbConn;
use crate::db::QueryResult;
use crate::db::api_keys;
/// A key's row, as the pages and the API show it.
pub use crate::db::api_keys::ApiKey;
use crate::domain::OrgId;

/// One of the organisation's keys, read under its row lock: nothing else
/// changes it until the transaction ends, so the checks made on it hold.
fn locked(conn: &mut DbConn, org_id: OrgId, key_id: &str) -> QueryResult<Option<ApiKey>> {
    let Some(found) = api_keys::find(conn, org_id, key_id)? else { return Ok(None) };
    crate::db::lock_key(conn, found.id)?;
    api_keys::find(conn, org_id, key_id)
}
