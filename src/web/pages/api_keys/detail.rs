//! A key's page: every field, its usage, its request log and its own audit trail.

use super::requests::{self, RequestForm, RequestQuery, RequestView};
use super::{KeyView, links};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::keys::{self, ApiKey, Op};
use crate::app::state::AppState;
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
    /// "Credits: N" for a key with credits (what is left now, and the refill).
    pub credits: Option<String>,
    /// The limit the key's owner shares, if set.
    pub owner_limit: Option<String>,
}

/// Builds the page; shared with the support console.
pub async fn page(
    state: &AppState,
    (caller, chrome, links): (&Caller, Chrome, KeyPages),
    key: &ApiKey,
    (paid, read_only): (bool, bool),
    request_query: &RequestQuery,
) -> Result<DetailPage, AppError> {
    let (filter, cursor, request_form) = requests::parse(request_query);
    let (requests, request_next) = if request_form.has_errors() {
        (Vec::new(), None)
    } else {
        requests::load_page(state, caller, key, filter, cursor).await?
    };
    let today = crate::domain::timefmt::now().date();
    let keys::Activity { events, usage } = keys::activity(state, caller, key).await?;
    let credits = keys::credits_left(state, &[key]).await?.get(&key.id).copied();
    Ok(DetailPage {
        credits: key.limits.metered.then(|| credits_line(credits.unwrap_or(0), key)),
        owner_limit: key.limits.owner_rate_limit.map(|n| format!("{n}/min, shared by the owner's keys")),
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
    meta: RequestMeta,
    session: actix_session::Session,
    path: web::Path<(String, String)>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let key = keys::find(&state, &caller, Op::Read, &path.1).await?;
    let frame = (&caller, Chrome::for_member(&member, NavItem::ApiKeys), links(&member.org.slug));
    let mut page = page(&state, frame, &key, (member.org.plan == Plan::Paid, false), &query).await?;
    page.notice = crate::web::pages::notice::take(&session).map(crate::web::pages::Notice::text);
    if keys::violates(&key, &member.org.key_policy) {
        page.key.marks.push(super::VIOLATES_POLICY);
    }
    render(&page)
}

/// "Credits: N", and how they refill.
fn credits_line(left: u64, key: &ApiKey) -> String {
    match key.limits.refill {
        Some(r) => format!("{left} (refills to {} each {})", r.amount, r.interval.as_str()),
        None => left.to_string(),
    }
}
