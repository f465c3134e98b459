//! `/orgs/{slug}/settings/members` (owners only): add people by email (an
//! address without an account is invited), change roles, remove members.
//! The last owner cannot be removed or demoted. Pending invitations are
//! listed here; their resend and revoke actions are in invitations.rs.

use super::templates::{Chrome, Field, NavItem};
use super::{Notice, render, render_status, see_other, see_other_with_notice};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::members::invitations::Invited;
use crate::app::members::{self, Invitation, Member, MemberError};
use crate::app::state::AppState;
use crate::domain::forms::{AddMemberForm, RoleForm};
use crate::domain::{Email, Role, UserId};
use crate::web::auth::{CsrfForm, OrgMember, csrf::NoFields};
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    members: Vec<Member>,
    invitations: Vec<Invitation>,
    now: chrono::NaiveDateTime,
    roles: [Role; 4],
    self_id: UserId,
    email: Field,
    role: Field,
    /// An error about one member's row: (user id, message).
    row_error: Option<(UserId, String)>,
    notice: Option<String>,
}

async fn page(state: &AppState, (member, caller): (&OrgMember, &Caller)) -> Result<MembersPage, AppError> {
    let (members, invitations) = members::overview(state, caller).await?;
    Ok(MembersPage {
        chrome: Chrome::for_member(member, NavItem::Members),
        members,
        invitations,
        now: crate::domain::timefmt::now(),
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
    meta: RequestMeta,
    session: actix_session::Session,
) -> Result<HttpResponse, AppError> {
    let mut page = page(&state, (&member, &member.caller(meta))).await?;
    page.notice = super::notice::take(&session).map(|n| n.text().to_owned());
    render(&page)
}

pub async fn add(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<AddMemberForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let mut page = page(&state, (&member, &caller)).await?;
    page.email = Field::new(form.email);
    page.role = Field::new(form.role);
    let email = page.email.parse(Email::parse);
    let role = page.role.parse(Role::parse);
    let (Some(email), Some(role)) = (email, role) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let notice = match members::invite(&state, &caller, email, role).await {
        Ok(Invited::Invited(_)) => Notice::InvitationSent,
        Ok(Invited::Refreshed(_)) => Notice::InvitationRefreshed,
        Err(e @ (MemberError::AlreadyMember | MemberError::NotMember | MemberError::LastOwner)) => {
            page.email.error = Some(e.to_string());
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(see_other_with_notice(&session, &list_url(&member), notice))
}

/// Renders the list again with `message` next to the member's row.
async fn row_failure(
    state: &AppState,
    who: (&OrgMember, &Caller),
    user_id: UserId,
    message: String,
) -> Result<HttpResponse, AppError> {
    let mut page = page(state, who).await?;
    page.row_error = Some((user_id, message));
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

pub async fn change_role(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<(String, UserId)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    members::authorize(&caller)?;
    let user_id = path.1;
    let role = match Role::parse(&form.role) {
        Ok(role) => role,
        Err(e) => return row_failure(&state, (&member, &caller), user_id, e.0).await,
    };
    match members::change_role(&state, &caller, user_id, role).await {
        Ok(_) => Ok(see_other_with_notice(&session, &list_url(&member), Notice::RoleChanged)),
        Err(e @ (MemberError::AlreadyMember | MemberError::LastOwner)) => {
            row_failure(&state, (&member, &caller), user_id, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "member_remove.html")]
struct RemovePage {
    chrome: Chrome,
    target: Member,
}

pub async fn remove_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, UserId)>,
) -> Result<HttpResponse, AppError> {
    let target = members::find(&state, &member.caller(meta), path.1).await?;
    render(&RemovePage { chrome: Chrome::for_member(&member, NavItem::Members), target })
}

pub async fn remove(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    meta: RequestMeta,
    path: web::Path<(String, UserId)>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (caller, user_id) = (member.caller(meta), path.1);
    match members::remove(&state, &caller, user_id).await {
        // Owners who remove themselves have nothing left to see here.
        Ok(_) if user_id == member.current.user.id => Ok(see_other("/")),
        Ok(_) => Ok(see_other_with_notice(&session, &list_url(&member), Notice::MemberRemoved)),
        Err(e @ (MemberError::AlreadyMember | MemberError::LastOwner)) => {
            row_failure(&state, (&member, &caller), user_id, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}
