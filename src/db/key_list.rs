//! One page of an organisation's keys: search (label, prefix, key id or
//! owner), state, "needs attention", owner and sort, offset or keyset pages.

use super::DbConn;
use super::api_keys::ApiKey;
use super::schema::api_keys::dsl;
use crate::domain::OrgId;
use crate::domain::key_state::KeyState;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Created,
    LastUsed,
    /// Never used first, then the longest unused: the other way round from `LastUsed`.
    LeastUsed,
    Expiry,
    /// Oldest first, by row id (the management API's keyset pages, and the list's "Oldest").
    Oldest,
}

impl Sort {
    pub fn parse(input: &str) -> Self {
        match input {
            "last_used" => Self::LastUsed,
            "least_used" => Self::LeastUsed,
            "expiry" => Self::Expiry,
            "oldest" => Self::Oldest,
            _ => Self::Created,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::LastUsed => "last_used",
            Self::LeastUsed => "least_used",
            Self::Expiry => "expiry",
            Self::Oldest => "oldest",
        }
    }
}

/// The list's filters beyond a key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concern {
    Any,
    /// Keys with a health mark ("needs attention").
    Attention,
    /// Working keys that expire within 7 days (the dashboard's count).
    Expiring,
}

pub struct ListQuery {
    pub search: Option<String>,
    pub state: Option<KeyState>,
    /// Only keys that need attention, or that stop working within 7 days.
    pub concern: Concern,
    pub sort: Sort,
    pub offset: i64,
    pub limit: i64,
    /// Only keys with a row id above this (keyset pages, with `Sort::Oldest`).
    pub after_id: Option<i64>,
    /// Only keys of this owner (exactly).
    pub owner: Option<String>,
}

impl ListQuery {
    /// The first `limit` keys, newest first, unfiltered.
    pub fn newest(limit: i64) -> Self {
        Self {
            search: None,
            state: None,
            concern: Concern::Any,
            sort: Sort::Created,
            offset: 0,
            limit,
            after_id: None,
            owner: None,
        }
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

type Boxed = super::schema::api_keys::BoxedQuery<'static, super::conn::MultiBackend>;

/// One page of the organisation's keys matching the query.
pub fn list(conn: &mut DbConn, org_id: OrgId, q: &ListQuery, at: NaiveDateTime) -> QueryResult<Vec<ApiKey>> {
    let Some(query) = matching(org_id, q, at) else { return Ok(Vec::new()) };
    let query = match q.sort {
        Sort::Created => query.order((dsl::created_at.desc(), dsl::id.desc())),
        // NULLs last on both backends: sort on "is null" first.
        Sort::LastUsed => query.order((dsl::last_used_at.is_null().asc(), dsl::last_used_at.desc(), dsl::id.desc())),
        Sort::LeastUsed => query.order((dsl::last_used_at.is_not_null().asc(), dsl::last_used_at.asc(), dsl::id.asc())),
        Sort::Expiry => query.order((dsl::expires_at.is_null().asc(), dsl::expires_at.asc(), dsl::id.desc())),
        Sort::Oldest => query.order(dsl::id.asc()),
    };
    query.offset(q.offset).limit(q.limit).select(ApiKey::as_select()).load(conn)
}

/// How many of the organisation's keys match the query (its search and filters; not its page).
pub fn count(conn: &mut DbConn, org_id: OrgId, q: &ListQuery, at: NaiveDateTime) -> QueryResult<i64> {
    let Some(query) = matching(org_id, q, at) else { return Ok(0) };
    query.count().get_result(conn)
}

/// The organisation's keys matching the query's search and filters; `None`: nothing can.
fn matching(org_id: OrgId, q: &ListQuery, at: NaiveDateTime) -> Option<Boxed> {
    // No label or prefix holds a NUL (PostgreSQL refuses one even in a comparison): nothing can match.
    if [&q.search, &q.owner].into_iter().flatten().any(|s| s.contains('\0')) {
        return None;
    }
    let mut query = dsl::api_keys.filter(dsl::org_id.eq(org_id.get())).into_boxed::<super::conn::MultiBackend>();
    if let Some(search) = &q.search {
        let escaped: String = search
            .to_lowercase()
            .chars()
            .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
            .collect();
        let pattern = format!("%{escaped}%");
        query = query.filter(
            lower(dsl::label)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(dsl::display_prefix).like(pattern).escape('\\'))
                .or(dsl::key_id.eq(search.clone()))
                .or(dsl::owner_id.eq(search.clone())),
        );
    }
    // The state filter mirrors KeyState::derive.
    query = match q.state {
        None => query,
        Some(KeyState::Revoked) => query.filter(dsl::revoked_at.is_not_null()),
        Some(KeyState::Disabled) => query.filter(dsl::revoked_at.is_null()).filter(dsl::enabled.eq(false)),
        Some(KeyState::Expired) => {
            query.filter(dsl::revoked_at.is_null()).filter(dsl::enabled.eq(true)).filter(dsl::expires_at.le(at))
        }
        Some(KeyState::Rotating) => query
            .filter(dsl::revoked_at.is_null())
            .filter(dsl::enabled.eq(true))
            .filter(dsl::expires_at.is_null().or(dsl::expires_at.gt(at)))
            .filter(dsl::grace_until.gt(at)),
        Some(KeyState::Active) => query
            .filter(dsl::revoked_at.is_null())
            .filter(dsl::enabled.eq(true))
            .filter(dsl::expires_at.is_null().or(dsl::expires_at.gt(at)))
            .filter(dsl::grace_until.is_null().or(dsl::grace_until.le(at))),
    };
    if q.concern == Concern::Expiring {
        // As the dashboard counts them: working keys whose expiry falls within 7 days.
        query = query
            .filter(dsl::revoked_at.is_null())
            .filter(dsl::enabled.eq(true))
            .filter(dsl::expires_at.gt(at))
            .filter(dsl::expires_at.le(at + chrono::Duration::days(7)));
    }
    if q.concern == Concern::Attention {
        // Mirrors domain::key_health::health_marks: expires soon or expired, rotating,
        // rotation recommended, unused. Revoked keys carry no mark.
        let days = chrono::Duration::days;
        query = query.filter(dsl::revoked_at.is_null()).filter(
            dsl::expires_at
                .le(at + days(7))
                .or(dsl::enabled.eq(true).and(dsl::grace_until.gt(at)))
                .or(dsl::created_at.le(at - days(365)))
                .or(dsl::last_used_at.is_null().and(dsl::created_at.le(at - days(7))))
                .or(dsl::last_used_at.le(at - days(90))),
        );
    }
    if let Some(after) = q.after_id {
        query = query.filter(dsl::id.gt(after));
    }
    if let Some(owner) = &q.owner {
        query = query.filter(dsl::owner_id.eq(owner.clone()));
    }
    Some(query)
}
