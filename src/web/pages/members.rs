//! `/orgs/{slug}/settings/members` (owners only): add people by email (an
//! address without an account is invited), change roles, remove members.
//! The last owner cannot be removed or demoted. Pending invitations are
//! listed here; their resend and revoke actions are in invitations.rs.

use super::templates::{Chrome, Field, NavItem};
use super::{Notice, render, render_status, see_other, see_other_with_notice};
use crate::app::audit::{Actor, RequestMeta};
use crate::app::members::invitations::{Invited, Inviter, invite};
use crate::app::state::AppState;
use crate::db::invitations::{self, Invitation};
use crate::db::memberships::{self, Member, MembershipError};
use crate::domain::{Email, Role};
use crate::web::auth::{CsrfForm, OrgMember, csrf::NoFields};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    members: Vec<Member>,
    invitations: Vec<Invitation>,
    now: chrono::NaiveDateTime,
    roles: [Role; 4],
    self_id: i64,
    email: Field,
    role: Field,
    /// An error about one member's row: (user id, message).
    row_error: Option<(i64, String)>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn page(state: &AppState, member: &OrgMember) -> Result<MembersPage, AppError> {
    let org_id = member.org.id;
    let (members, invitations) = state
        .db
        .run(move |conn| {
            Ok::<_, crate::db::QueryError>((memberships::list(conn, org_id)?, invitations::list_open(conn, org_id)?))
        })
        .await?;
    Ok(MembersPage {
        chrome: Chrome::for_member(member, NavItem::Members),
        members,
        invitations,
        now: crate::db::now(),
        roles: Role::ALL,
        self_id: member.current.user.id,
        email: Field::default(),
        role: Field::new(Role::Member.as_str()),
        row_error: None,
        notice: None,
    })
}

pub(super) fn list_url(member: &OrgMember) -> String {
    crate::domain::urls::members(&member.org.slug)
}

pub async fn list(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_members)?;
    let mut page = page(&state, &member).await?;
    page.notice = super::notice::take(&session).map(|n| n.text().to_owned());
    render(&page)
}

pub async fn add(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_members)?;
    let mut page = page(&state, &member).await?;
    page.email = Field::new(form.email);
    page.role = Field::new(form.role);
    let email = page.email.parse(Email::parse);
    let role = page.role.parse(Role::parse);
    let (Some(email), Some(role)) = (email, role) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let (org, user, config) = (member.org.clone(), member.current.user.clone(), state.config.clone());
    let outcome = state
        .db
        .run(move |conn| {
            let by = Inviter { user: &user, meta: &meta };
            Ok::<_, crate::db::QueryError>(invite(conn, &config, &org, &email, role, &by))
        })
        .await?;
    let notice = match outcome {
        Ok(Invited::Invited(_)) => Notice::InvitationSent,
        Ok(Invited::Refreshed(_)) => Notice::InvitationRefreshed,
        Err(MembershipError::Db(e)) => return Err(e.into()),
        Err(e) => {
            page.email.error = Some(e.to_string());
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    state.wake_mail_sender();
    Ok(see_other_with_notice(&session, &list_url(&member), notice))
}

/// Renders the list again with `message` next to the member's row.
async fn row_failure(
    state: &AppState,
    member: &OrgMember,
    user_id: i64,
    message: String,
) -> Result<HttpResponse, AppError> {
    let mut page = page(state, member).await?;
    page.row_error = Some((user_id, message));
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn change_role(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<(String, i64)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_members)?;
    let user_id = path.1;
    let role = match Role::parse(&form.role) {
        Ok(role) => role,
        Err(e) => return row_failure(&state, &member, user_id, e.0).await,
    };
    let org_id = member.org.id;
    let actor = Actor::user(&member.current.user);
    match state
        .db
        .run(move |conn| {
            Ok::<_, crate::db::QueryError>(crate::app::members::change_role(conn, org_id, user_id, role, &actor, &meta))
        })
        .await?
    {
        Ok(_) => Ok(see_other_with_notice(&session, &list_url(&member), Notice::RoleChanged)),
        Err(MembershipError::NotMember) => Err(AppError::NotFound),
        Err(MembershipError::Db(e)) => Err(e.into()),
        Err(e) => row_failure(&state, &member, user_id, e.to_string()).await,
    }
}

/// The member's email, as the audit event's label snapshot.

#[derive(Template)]
#[template(path = "member_remove.html")]
struct RemovePage {
    chrome: Chrome,
    target: Member,
}

pub async fn remove_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_members)?;
    let user_id = path.1;
    let org_id = member.org.id;
    let members = state.db.run(move |conn| memberships::list(conn, org_id)).await?;
    let target = members.into_iter().find(|m| m.user_id == user_id).ok_or(AppError::NotFound)?;
    render(&RemovePage { chrome: Chrome::for_member(&member, NavItem::Members), target })
}

pub async fn remove(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<(String, i64)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_members)?;
    let user_id = path.1;
    let org_id = member.org.id;
    let actor = Actor::user(&member.current.user);
    match state
        .db
        .run(move |conn| {
            Ok::<_, crate::db::QueryError>(crate::app::members::remove(conn, org_id, user_id, &actor, &meta))
        })
        .await?
    {
        // Owners who remove themselves have nothing left to see here.
        Ok(_) if user_id == member.current.user.id => Ok(see_other("/")),
        Ok(_) => Ok(see_other_with_notice(&session, &list_url(&member), Notice::MemberRemoved)),
        Err(MembershipError::NotMember) => Err(AppError::NotFound),
        Err(MembershipError::Db(e)) => Err(e.into()),
        Err(e) => row_failure(&state, &member, user_id, e.to_string()).await,
    }
}
