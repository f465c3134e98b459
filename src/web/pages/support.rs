//! `/support`: platform staff read any organisation's audit log, read-only.
//! Every view is itself recorded in that organisation's log
//! (`support.viewed_audit_log`), so its owners see who looked; an
//! organisation that requires a second factor requires it of staff too.

use super::audit_log::{self, AuditQuery};
use super::render;
use super::templates::{Chrome, NavItem};
use crate::app::audit::export::ExportFormat;
use crate::app::audit::{Entry, RequestMeta};
use crate::app::caller::Caller;
use crate::app::caller::Org;
use crate::app::keys::{self, Op};
use crate::app::state::AppState;
use crate::app::support::{Look, look_at, search};
use crate::domain::OrgId;
use crate::domain::urls::AuditLogPages;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

/// A logged-in platform staff member. Everyone else gets 404: the support
/// console does not admit it exists.
pub struct StaffUser(pub CurrentUser);

impl FromRequest for StaffUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let current = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let current = current.await?;
            if current.user.is_staff { Ok(Self(current)) } else { Err(AppError::NotFound) }
        })
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "support.html")]
struct SupportPage {
    chrome: Chrome,
    q: String,
    orgs: Vec<Org>,
}

pub async fn index(
    state: web::Data<AppState>,
    staff: StaffUser,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.q.trim().to_owned();
    let found = search(&state, &q).await?;
    render(&SupportPage { chrome: Chrome::for_user(&staff.0, NavItem::Support), q, orgs: found })
}

/// Loads the organisation and records, in its own log, that staff looked:
/// `entry` is `Entry::support_viewed_audit_log` or `Entry::support_viewed_api_keys`.
/// Its requirement of a second factor holds for staff as for members: without
/// one they are sent to their account page to add it. The caller that reads it.
async fn viewed(
    state: &AppState,
    staff: &StaffUser,
    slug: String,
    meta: RequestMeta,
    entry: impl FnOnce(OrgId) -> Entry + Send + 'static,
) -> Result<(Org, Caller), AppError> {
    match look_at(state, (&staff.0.user, staff.0.has_second_factor), &slug, &meta, entry).await? {
        Look::Seen(org) => Ok((org.clone(), Caller::staff(staff.0.user.clone(), org, meta))),
        Look::Missing => Err(AppError::NotFound),
        // Support pages only read (GET, HEAD): as for a member opening a page, a redirect with the reason.
        Look::SecondFactorRequired => Err(AppError::SecondFactorRequired { read: true, org: slug }),
    }
}

/// `Entry::support_viewed_audit_log` for one view.
fn log_view(view: &'static str) -> impl FnOnce(OrgId) -> Entry + Send + 'static {
    move |org_id| Entry::support_viewed_audit_log(org_id, view)
}

fn log_links(org: &Org) -> AuditLogPages {
    AuditLogPages::support(&org.slug)
}

pub async fn org_log(
    state: web::Data<AppState>,
    staff: StaffUser,
    meta: RequestMeta,
    slug: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let (org, caller) = viewed(&state, &staff, slug.into_inner(), meta, log_view("page")).await?;
    let title = format!("Audit log of {} ({})", org.name, org.slug);
    let who = (Some(&caller), Chrome::for_user(&staff.0, NavItem::Support));
    audit_log::log_page(&state, who, title, log_links(&org), &query).await
}

pub async fn org_export_csv(
    state: web::Data<AppState>,
    staff: StaffUser,
    meta: RequestMeta,
    slug: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let (org, caller) = viewed(&state, &staff, slug.into_inner(), meta, log_view("export.csv")).await?;
    audit_log::export(state, caller, &query, ExportFormat::Csv, &format!("audit-log-{}", org.slug))
}

pub async fn org_export_jsonl(
    state: web::Data<AppState>,
    staff: StaffUser,
    meta: RequestMeta,
    slug: web::Path<String>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let (org, caller) = viewed(&state, &staff, slug.into_inner(), meta, log_view("export.jsonl")).await?;
    audit_log::export(state, caller, &query, ExportFormat::JsonLines, &format!("audit-log-{}", org.slug))
}

pub async fn org_verify(
    state: web::Data<AppState>,
    staff: StaffUser,
    meta: RequestMeta,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (org, caller) = viewed(&state, &staff, slug.into_inner(), meta, log_view("verify")).await?;
    audit_log::verify_page(&state, (&caller, Chrome::for_user(&staff.0, NavItem::Support)), log_links(&org)).await
}

/// Events that belong to no organisation: failed logins for unknown emails,
/// sessions of users without one.
pub async fn platform_log(
    state: web::Data<AppState>,
    staff: StaffUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let who = (None, Chrome::for_user(&staff.0, NavItem::Support));
    audit_log::log_page(&state, who, "Platform log".into(), AuditLogPages::platform(), &query).await
}

/// An organisation's keys, read-only: no secrets, no menus, no create button.
pub async fn org_keys(
    state: web::Data<AppState>,
    staff: StaffUser,
    meta: RequestMeta,
    slug: web::Path<String>,
    query: web::Query<crate::web::pages::api_keys::list::KeyListQuery>,
) -> Result<HttpResponse, AppError> {
    let (org, caller) =
        viewed(&state, &staff, slug.into_inner(), meta, |org| Entry::support_viewed_api_keys(org, "list")).await?;
    let frame = crate::web::pages::api_keys::list::ListFrame {
        chrome: Chrome::for_user(&staff.0, NavItem::Support),
        title: format!("API keys of {} ({})", org.name, org.slug),
        links: crate::domain::urls::KeyPages::support(&org.slug),
        paid: org.plan == crate::domain::Plan::Paid,
        read_only: true,
        policy: org.key_policy,
    };
    let page = crate::web::pages::api_keys::list::page(&state, frame, &caller, &query).await?;
    render(&page)
}

pub async fn org_key(
    state: web::Data<AppState>,
    staff: StaffUser,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    query: web::Query<crate::web::pages::api_keys::requests::RequestQuery>,
) -> Result<HttpResponse, AppError> {
    let (slug, key_id) = path.into_inner();
    let (org, caller) = {
        let view = key_id.clone();
        viewed(&state, &staff, slug, meta, move |org| Entry::support_viewed_api_keys(org, &view)).await?
    };
    let key = keys::find(&state, &caller, Op::Read, &key_id).await?;
    let frame =
        (&caller, Chrome::for_user(&staff.0, NavItem::Support), crate::domain::urls::KeyPages::support(&org.slug));
    let paid = org.plan == crate::domain::Plan::Paid;
    let page = crate::web::pages::api_keys::detail::page(&state, frame, &key, (paid, true), &query).await?;
    render(&page)
}
