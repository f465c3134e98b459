//! A key's page: every field, its usage, its request log and its own audit trail.

use super::requests::{self, RequestForm, RequestQuery, RequestView};
use super::{KeyView, links, load_key, require_admin};
use crate::app::state::AppState;
use crate::db::api_keys::ApiKey;
use crate::db::audit_events::{self, Filter};
use crate::domain::Plan;
use crate::domain::urls::KeyPages;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use crate::web::pages::audit_log::AuditRow;
use crate::web::pages::render;
use crate::web::pages::templates::{Chrome, NavItem};
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "api_key_detail.html")]
pub struct DetailPage {
    pub chrome: Chrome,
    pub links: KeyPages,
    pub read_only: bool,
    pub paid: bool,
    pub key: KeyView,
    pub events: Vec<AuditRow>,
    pub notice: Option<&'static str>,
    /// 30-day usage, as inline SVG.
    pub chart: String,
    /// The request log: a page of rows, its filter form, the next page's cursor.
    pub requests: Vec<RequestView>,
    pub request_form: RequestForm,
    pub request_next: Option<i64>,
    pub request_log_days: u32,
}

/// Builds the page; shared with the support console.
pub async fn page(
    state: &AppState,
    chrome: Chrome,
    links: KeyPages,
    key: &ApiKey,
    paid: bool,
    read_only: bool,
    request_query: &RequestQuery,
) -> Result<DetailPage, AppError> {
    let (filter, cursor, request_form) = requests::parse(request_query);
    let (requests, request_next) = if request_form.has_errors() {
        (Vec::new(), None)
    } else {
        requests::load_page(state, key.id, filter, cursor).await?
    };
    let (org_id, filter) = (key.org_id, Filter { target: Some(key.key_id.to_string()), ..Filter::default() });
    let (key_row, today) = (key.id, crate::db::now().date());
    let (events, mut usage) = state
        .db
        .run(move |conn| {
            let events = audit_events::page(conn, org_id, &filter, None, 50)?;
            let usage = crate::db::usage::daily(conn, org_id, Some(key_row), today - chrono::Duration::days(29))?;
            Ok::<_, crate::db::QueryError>((events, usage))
        })
        .await?;
    state.usage.add_pending(org_id, Some(key_row), &mut usage);
    Ok(DetailPage {
        chrome,
        links,
        read_only,
        paid,
        key: KeyView::new(key, state.config.default_rate_limit),
        events: events.into_iter().map(AuditRow::from).collect(),
        notice: None,
        chart: crate::web::pages::chart::usage_svg(&usage, today, 30, &format!("Requests with {}", key.label)),
        requests,
        request_form,
        request_next,
        request_log_days: state.config.leak.request_log_days,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    member: OrgMember,
    session: actix_session::Session,
    path: web::Path<(String, String)>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, AppError> {
    require_admin(&member)?;
    let key = load_key(&state, &member, path.into_inner().1).await?;
    let chrome = Chrome::for_member(&member, NavItem::ApiKeys);
    let paid = member.org.plan == Plan::Paid;
    let mut page = page(&state, chrome, links(&member.org.slug), &key, paid, false, &query).await?;
    page.notice = crate::web::pages::notice::take(&session).map(crate::web::pages::Notice::text);
    if super::violates(&key, &member.org.key_policy) {
        page.key.marks.push(super::VIOLATES_POLICY);
    }
    render(&page)
}
