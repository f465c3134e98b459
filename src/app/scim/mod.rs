//! SCIM 2.0 provisioning of an organisation's members (docs/user-guide.md:
//! SCIM provisioning): the identity provider, holding the organisation's
//! bearer token, lists, creates, changes and removes Users. A SCIM User is
//! an account as one organisation sees it: every member, however they
//! joined, plus those SCIM set inactive (kept until deleted). Setting one
//! inactive, or deleting it, deprovisions the member (deprovision.rs).

mod deprovision;
pub mod write;

use crate::app::state::AppState;
use crate::db::memberships::{self, Member};
use crate::db::orgs::Org;
use crate::db::scim::{self, Row};
use crate::db::{DbConn, QueryResult};
use crate::domain::scim::{Email, Problem, ScimUser};
use crate::domain::{OrgId, UserId};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum ScimError {
    #[error("{}", .0.detail)]
    Problem(Problem),
    #[error(transparent)]
    Db(#[from] crate::db::Error),
}

impl From<crate::db::QueryError> for ScimError {
    fn from(e: crate::db::QueryError) -> Self {
        Self::Db(e.into())
    }
}

impl From<Problem> for ScimError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

pub(crate) fn not_found() -> ScimError {
    ScimError::Problem(Problem { status: 404, scim_type: None, detail: "No such User.".into() })
}

/// A User as SCIM shows it.
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: UserId,
    pub user: ScimUser,
    pub created: NaiveDateTime,
    pub updated: NaiveDateTime,
}

/// The SHA-256 (hex) a token is stored and found as.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The organisation whose SCIM token this is.
pub async fn authenticate(ctx: &AppState, token: &str) -> Result<Option<Org>, crate::db::Error> {
    let hash = token_hash(token);
    ctx.db
        .run(move |conn| match scim::org_of_token(conn, &hash)? {
            Some(org_id) => crate::db::orgs::find(conn, org_id),
            None => Ok(None),
        })
        .await
}

/// A member without a SCIM row, as SCIM would describe them.
fn derived(member: &Member) -> Resource {
    Resource {
        id: member.user_id,
        user: ScimUser {
            user_name: member.email.clone(),
            display_name: Some(member.name.clone()),
            emails: vec![Email { value: member.email.clone(), primary: Some(true) }],
            external_id: None,
            active: Some(true),
        },
        created: member.joined_at,
        updated: member.joined_at,
    }
}

fn stored(row: &Row) -> Resource {
    Resource {
        id: UserId::new(row.user_id),
        user: ScimUser {
            user_name: row.user_name.clone(),
            display_name: row.display_name.clone(),
            emails: serde_json::from_str(&row.emails).unwrap_or_default(),
            external_id: row.external_id.clone(),
            active: row.active,
        },
        created: row.created_at,
        updated: row.updated_at,
    }
}

/// The User `user_id` as organisation `org_id` sees it, if it is one of its Users.
pub(crate) fn find(conn: &mut DbConn, org_id: OrgId, user_id: UserId) -> QueryResult<Option<Resource>> {
    if let Some(row) = scim::row(conn, org_id, user_id)? {
        return Ok(Some(stored(&row)));
    }
    Ok(memberships::list(conn, org_id)?.iter().find(|m| m.user_id == user_id).map(derived))
}

/// Every User of the organisation, by id; with `user_name`, only those of that userName (any case).
pub async fn list(ctx: &AppState, org: &Org, user_name: Option<String>) -> Result<Vec<Resource>, ScimError> {
    let org_id = org.id;
    let all = ctx
        .db
        .run(move |conn| {
            let rows = scim::rows(conn, org_id)?;
            let mut all: Vec<Resource> = rows.iter().map(stored).collect();
            for member in memberships::list(conn, org_id)? {
                if !all.iter().any(|r| r.id == member.user_id) {
                    all.push(derived(&member));
                }
            }
            all.sort_by_key(|r| r.id.get());
            Ok::<_, crate::db::QueryError>(all)
        })
        .await?;
    Ok(match user_name {
        Some(name) => all.into_iter().filter(|r| r.user.user_name.eq_ignore_ascii_case(&name)).collect(),
        None => all,
    })
}

/// One User by its SCIM id (the account's id).
pub async fn get(ctx: &AppState, org: &Org, id: &str) -> Result<Resource, ScimError> {
    let user_id = parse_id(id)?;
    let org_id = org.id;
    ctx.db.run(move |conn| find(conn, org_id, user_id)).await?.ok_or_else(not_found)
}

pub(crate) fn parse_id(id: &str) -> Result<UserId, ScimError> {
    id.parse::<i64>().map(UserId::new).map_err(|_| not_found())
}

/// Makes a new SCIM token for the organisation (owners); answers it, to show once.
pub async fn new_token(
    ctx: &AppState,
    caller: &crate::app::caller::Caller,
) -> Result<String, crate::app::sso::SsoError> {
    crate::app::sso::authorize(caller, true)?;
    let token = format!("lks_{}", crate::domain::token::random_base62(43));
    let (org_id, hash) = (caller.org().id, token_hash(&token));
    // Replaced in one transaction: a failure leaves the old token working, never none.
    let caller = caller.clone();
    ctx.transaction(move |conn| {
        let replaced = scim::has_token(conn, org_id)?;
        scim::set_token(conn, org_id, &hash)?;
        let entry = crate::app::audit::Entry::sso_scim_token_created(org_id, replaced);
        crate::app::audit::record(conn, &caller.actor(), &caller.meta, entry)?;
        Ok::<_, crate::app::sso::SsoError>(())
    })
    .await?;
    Ok(token)
}
