//! API key rows. Tokens never reach this module: only their SHA-256.

use super::orgs::{Org, OrgRow};
use super::schema::api_keys::{self as keys, dsl};
use super::schema::orgs;
use super::{DbConn, now};
use crate::domain::access::{Metadata, OwnerId};
use crate::domain::credits::KeyLimits;
use crate::domain::key_state::KeyState;
use crate::domain::scopes::Scopes;
use crate::domain::token::{KeyHash, KeyId};
use crate::domain::{OrgId, UserId, key_settings::IpAllowlist};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// `api`, `permissions`, `roles`, `scopes`, as read.
type ScopeColumns = (String, String, String, String);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = keys)]
pub struct ApiKey {
    pub id: i64,
    pub org_id: i64,
    #[diesel(deserialize_as = String)]
    pub key_id: KeyId,
    pub token_hash: String,
    pub display_prefix: String,
    pub label: String,
    pub description: String,
    /// Its API, grants, roles and management scopes, parsed once, when the row is read.
    #[diesel(select_expression = (dsl::api, dsl::permissions, dsl::roles, dsl::scopes))]
    #[diesel(select_expression_type = (dsl::api, dsl::permissions, dsl::roles, dsl::scopes))]
    #[diesel(deserialize_as = ScopeColumns)]
    pub scopes: Scopes,
    pub owner_id: Option<String>,
    /// A JSON object, checked when it was saved.
    pub metadata: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = String)]
    pub allowed_ips: IpAllowlist,
    pub rate_limit_per_minute: Option<i64>,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub created_by_id: Option<i64>,
    pub created_by_name: String,
    pub created_by_email: Option<String>,
    pub created_by_key: Option<String>,
    pub last_used_at: Option<NaiveDateTime>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by_name: Option<String>,
    pub rotated_from: Option<String>,
    pub replaced_by: Option<String>,
    pub grace_until: Option<NaiveDateTime>,
    pub expired_event_at: Option<NaiveDateTime>,
    /// When the identity provider deprovisioned the member who made it (SCIM): marked until someone decides.
    pub creator_deprovisioned_at: Option<NaiveDateTime>,
    /// Whether it has credits (the count is in `key_credits`) and how they
    /// refill, and its owner's limit (copied here so the cached key carries it).
    #[diesel(deserialize_as = Option<String>)]
    pub limits: KeyLimits,
}

impl ApiKey {
    pub fn state(&self, now: NaiveDateTime) -> KeyState {
        KeyState::derive(self.revoked_at.is_some(), self.enabled, self.expires_at, self.grace_until, now)
    }

    pub fn scopes(&self) -> &Scopes {
        &self.scopes
    }

    pub fn allowlist(&self) -> &IpAllowlist {
        &self.allowed_ips
    }

    /// Its editable settings, as stored.
    pub fn settings(&self) -> KeySettings {
        KeySettings {
            label: self.label.clone(),
            description: self.description.clone(),
            scopes: self.scopes.clone(),
            expires_at: self.expires_at,
            allowed_ips: self.allowed_ips.clone(),
            rate_limit_per_minute: self.rate_limit_per_minute.and_then(|n| u32::try_from(n).ok()),
            owner_id: self.owner_id.as_deref().and_then(|o| OwnerId::parse(o).ok()),
            metadata: self.metadata_value().and_then(|m| Metadata::parse(m).ok()),
        }
    }

    /// Its metadata as JSON (`None` when it has none).
    pub fn metadata_value(&self) -> Option<serde_json::Value> {
        self.metadata.as_deref().and_then(|m| serde_json::from_str(m).ok())
    }

    /// Whether it can still be rotated: not revoked, and not already replaced.
    pub fn can_rotate(&self, now: NaiveDateTime) -> bool {
        self.state(now) != KeyState::Revoked && self.replaced_by.is_none()
    }
}

pub use crate::domain::key_settings::KeySettings;

/// Who made a key: a user, or a key through the management API.
pub struct CreatedBy<'a> {
    pub user_id: Option<UserId>,
    pub email: Option<&'a str>,
    pub key_id: Option<&'a str>,
    pub name: &'a str,
}

pub struct NewKey<'a> {
    pub org_id: OrgId,
    pub key_id: &'a str,
    pub token_hash: &'a KeyHash,
    pub display_prefix: &'a str,
    pub settings: &'a KeySettings,
    pub created_by: CreatedBy<'a>,
    pub rotated_from: Option<&'a str>,
}

/// The columns of what a key reaches and who it is for.
#[allow(clippy::type_complexity)]
fn reach(
    s: &KeySettings,
) -> (
    diesel::dsl::Eq<dsl::api, String>,
    diesel::dsl::Eq<dsl::permissions, String>,
    diesel::dsl::Eq<dsl::roles, String>,
    diesel::dsl::Eq<dsl::scopes, String>,
    diesel::dsl::Eq<dsl::owner_id, Option<String>>,
    diesel::dsl::Eq<dsl::metadata, Option<String>>,
) {
    let stored = s.scopes.to_stored();
    (
        dsl::api.eq(stored.api),
        dsl::permissions.eq(stored.permissions),
        dsl::roles.eq(stored.roles),
        dsl::scopes.eq(stored.management),
        dsl::owner_id.eq(s.owner_id.as_ref().map(ToString::to_string)),
        dsl::metadata.eq(s.metadata.as_ref().map(|m| serde_json::Value::from(m.clone()).to_string())),
    )
}

/// The limit of the owner the settings name, to copy onto the key.
fn owner_limit(conn: &mut DbConn, org_id: OrgId, s: &KeySettings) -> QueryResult<Option<u32>> {
    let Some(owner) = &s.owner_id else { return Ok(None) };
    Ok(super::credits::owner_limit(conn, org_id, owner.as_str())?.and_then(|n| u32::try_from(n).ok()))
}

pub fn insert(conn: &mut DbConn, new: NewKey<'_>) -> QueryResult<ApiKey> {
    let s = new.settings;
    let owner_limit = owner_limit(conn, new.org_id, s)?;
    diesel::insert_into(keys::table)
        .values((
            dsl::org_id.eq(new.org_id.get()),
            dsl::key_id.eq(new.key_id),
            dsl::token_hash.eq(new.token_hash.to_hex()),
            dsl::display_prefix.eq(new.display_prefix),
            dsl::label.eq(&s.label),
            dsl::description.eq(&s.description),
            reach(s),
            dsl::expires_at.eq(s.expires_at),
            dsl::allowed_ips.eq(s.allowed_ips.to_stored()),
            dsl::rate_limit_per_minute.eq(s.rate_limit_per_minute.map(i64::from)),
            dsl::enabled.eq(true),
            dsl::created_at.eq(now()),
            dsl::created_by_id.eq(new.created_by.user_id.map(UserId::get)),
            dsl::created_by_name.eq(new.created_by.name),
            dsl::created_by_email.eq(new.created_by.email),
            dsl::created_by_key.eq(new.created_by.key_id),
            dsl::rotated_from.eq(new.rotated_from),
            dsl::limits.eq(KeyLimits { owner_rate_limit: owner_limit, ..KeyLimits::default() }.to_stored()),
        ))
        .execute(conn)?;
    dsl::api_keys.filter(dsl::key_id.eq(new.key_id)).select(ApiKey::as_select()).first(conn)
}

/// A key of this organisation; another organisation's key is simply not found.
pub fn find(conn: &mut DbConn, org_id: OrgId, key_id: &str) -> QueryResult<Option<ApiKey>> {
    dsl::api_keys
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::key_id.eq(key_id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// The organisation's keys of one owner.
pub fn of_owner(conn: &mut DbConn, org_id: OrgId, owner_id: &str) -> QueryResult<Vec<ApiKey>> {
    dsl::api_keys
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::owner_id.eq(owner_id))
        .select(ApiKey::as_select())
        .load(conn)
}

/// A key by its row id (the request log refers to keys so).
pub fn find_by_row(conn: &mut DbConn, id: i64) -> QueryResult<Option<ApiKey>> {
    dsl::api_keys.find(id).select(ApiKey::as_select()).first(conn).optional()
}

/// How many of the organisation's keys of API `api` are not revoked.
pub fn live_count_for_api(conn: &mut DbConn, org_id: OrgId, api: &str) -> QueryResult<i64> {
    dsl::api_keys
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::api.eq(api))
        .filter(dsl::revoked_at.is_null())
        .count()
        .get_result(conn)
}

/// The key a token hash belongs to, with its organisation (bearer authentication).
pub fn find_by_hash(conn: &mut DbConn, hash: &KeyHash) -> QueryResult<Option<(ApiKey, Org)>> {
    let row: Option<(ApiKey, OrgRow)> = dsl::api_keys
        .inner_join(orgs::table)
        .filter(dsl::token_hash.eq(hash.to_hex()))
        .select((ApiKey::as_select(), OrgRow::as_select()))
        .first(conn)
        .optional()?;
    Ok(row.map(|(key, org)| (key, Org::from(org))))
}

pub fn update_settings(conn: &mut DbConn, id: i64, s: &KeySettings, enabled: bool) -> QueryResult<()> {
    let (org_id, limits): (i64, Option<String>) =
        dsl::api_keys.find(id).select((dsl::org_id, dsl::limits)).first(conn)?;
    let owner_rate_limit = owner_limit(conn, OrgId::new(org_id), s)?;
    let limits = KeyLimits { owner_rate_limit, ..KeyLimits::from(limits) };
    diesel::update(dsl::api_keys.find(id))
        .set((
            dsl::limits.eq(limits.to_stored()),
            dsl::label.eq(&s.label),
            dsl::description.eq(&s.description),
            reach(s),
            dsl::expires_at.eq(s.expires_at),
            dsl::allowed_ips.eq(s.allowed_ips.to_stored()),
            dsl::rate_limit_per_minute.eq(s.rate_limit_per_minute.map(i64::from)),
            dsl::enabled.eq(enabled),
        ))
        .execute(conn)?;
    // A new expiry gets its own api_key.expired event when it passes.
    diesel::update(dsl::api_keys.find(id).filter(dsl::expires_at.is_null().or(dsl::expires_at.gt(now()))))
        .set(dsl::expired_event_at.eq(None::<NaiveDateTime>))
        .execute(conn)
        .map(|_| ())
}

pub fn set_enabled(conn: &mut DbConn, id: i64, enabled: bool) -> QueryResult<()> {
    diesel::update(dsl::api_keys.find(id)).set(dsl::enabled.eq(enabled)).execute(conn).map(|_| ())
}

/// Revokes a key for good; returns false when it already was.
pub fn revoke(conn: &mut DbConn, id: i64, by_name: &str) -> QueryResult<bool> {
    let changed = diesel::update(dsl::api_keys.find(id).filter(dsl::revoked_at.is_null()))
        .set((dsl::revoked_at.eq(now()), dsl::revoked_by_name.eq(by_name), dsl::grace_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes a key and what is filed under its row id (usage, request log,
/// networks): SQLite may give the id to the next key.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    use super::schema::key_usage_daily as usage;
    use super::schema::{api_request_log as requests, key_networks as networks};
    diesel::delete(usage::table.filter(usage::api_key_id.eq(id))).execute(conn)?;
    diesel::delete(requests::table.filter(requests::api_key_id.eq(id))).execute(conn)?;
    diesel::delete(networks::table.filter(networks::api_key_id.eq(id))).execute(conn)?;
    diesel::delete(super::schema::key_credits::table.find(id)).execute(conn)?;
    diesel::delete(dsl::api_keys.find(id)).execute(conn).map(|_| ())
}

/// Marks a key as replaced by a rotation; it keeps working until `grace_until`.
pub fn mark_rotated(conn: &mut DbConn, id: i64, replaced_by: &str, grace_until: NaiveDateTime) -> QueryResult<()> {
    diesel::update(dsl::api_keys.find(id))
        .set((dsl::replaced_by.eq(replaced_by), dsl::grace_until.eq(grace_until)))
        .execute(conn)
        .map(|_| ())
}

/// Keys whose rotation grace period has ended but which are not revoked yet.
pub fn grace_ended(conn: &mut DbConn, at: NaiveDateTime, limit: i64) -> QueryResult<Vec<ApiKey>> {
    dsl::api_keys
        .filter(dsl::grace_until.le(at))
        .filter(dsl::revoked_at.is_null())
        .order(dsl::id.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// Keys that have expired and whose expiry has not been recorded yet.
pub fn newly_expired(conn: &mut DbConn, at: NaiveDateTime, limit: i64) -> QueryResult<Vec<ApiKey>> {
    dsl::api_keys
        .filter(dsl::expires_at.le(at))
        .filter(dsl::expired_event_at.is_null())
        .filter(dsl::revoked_at.is_null())
        .order(dsl::id.asc())
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// Claims the expiry event of a key; false when another run already did.
pub fn claim_expired_event(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    let changed = diesel::update(dsl::api_keys.find(id).filter(dsl::expired_event_at.is_null()))
        .set(dsl::expired_event_at.eq(now()))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Records the latest use; an older time never overwrites a newer one.
pub fn touch_last_used(conn: &mut DbConn, id: i64, at: NaiveDateTime, ip: &str) -> QueryResult<()> {
    diesel::update(dsl::api_keys.find(id).filter(dsl::last_used_at.is_null().or(dsl::last_used_at.lt(at))))
        .set((dsl::last_used_at.eq(at), dsl::last_used_ip.eq(ip)))
        .execute(conn)
        .map(|_| ())
}

/// Keys that have expired or expire before `until`, soonest first: not
/// revoked, enabled and not rotated out (those need no renewal).
pub fn expiring(conn: &mut DbConn, org_id: OrgId, until: NaiveDateTime, limit: i64) -> QueryResult<Vec<ApiKey>> {
    dsl::api_keys
        .filter(dsl::org_id.eq(org_id.get()))
        .filter(dsl::revoked_at.is_null())
        .filter(dsl::enabled.eq(true))
        .filter(dsl::replaced_by.is_null())
        .filter(dsl::expires_at.le(until))
        .order((dsl::expires_at.asc(), dsl::id.asc()))
        .limit(limit)
        .select(ApiKey::as_select())
        .load(conn)
}

/// The dashboard's key counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyCounts {
    /// Keys that authenticate (active or rotating).
    pub working: i64,
    /// Working keys that expire within 7 days.
    pub expiring: i64,
    /// Keys not revoked, made over 90 days ago, and not used in the last 90 days.
    pub unused: i64,
}

pub fn counts(conn: &mut DbConn, org_id: OrgId, at: NaiveDateTime) -> QueryResult<KeyCounts> {
    let live = || {
        dsl::api_keys
            .filter(dsl::org_id.eq(org_id.get()))
            .filter(dsl::revoked_at.is_null())
            .into_boxed::<super::conn::MultiBackend>()
    };
    let working = || live().filter(dsl::enabled.eq(true)).filter(dsl::expires_at.is_null().or(dsl::expires_at.gt(at)));
    Ok(KeyCounts {
        working: working().count().get_result(conn)?,
        expiring: working().filter(dsl::expires_at.le(at + chrono::Duration::days(7))).count().get_result(conn)?,
        // Only keys older than the window: one made minutes ago has not had 90 days to be used.
        unused: live()
            .filter(dsl::created_at.le(at - chrono::Duration::days(90)))
            .filter(dsl::last_used_at.is_null().or(dsl::last_used_at.le(at - chrono::Duration::days(90))))
            .count()
            .get_result(conn)?,
    })
}
