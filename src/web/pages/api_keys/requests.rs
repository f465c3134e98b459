//! A key's request log on its page (docs/user-guide.md: Per-key request log): every API
//! request that named the key, served or refused, newest first, filtered by
//! status class, client address and time, in keyset pages; and the same as
//! CSV (`…/requests.csv`, same filters). A row that stands for a flood's
//! repeats says how many ("+1,234 more like this"; the CSV's `repeats`).

use crate::app::audit::RequestMeta;
use crate::app::audit::export::csv_cell as cell;
use crate::app::caller::Caller;
use crate::app::keys::{self, ApiKey, Op, RequestFilter, RequestRow};
use crate::app::state::AppState;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use crate::web::pages::templates::Field;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

/// Rows a page shows.
pub const PAGE_SIZE: i64 = 50;
/// Rows one export holds at most.
const EXPORT_MAX: i64 = 100_000;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct RequestQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// The filter form as typed, with an error per field.
#[derive(Default)]
pub struct RequestForm {
    pub status: String,
    pub ip: Field,
    pub from: Field,
    pub to: Field,
}

impl RequestForm {
    pub fn has_errors(&self) -> bool {
        [&self.ip, &self.from, &self.to].iter().any(|f| f.error.is_some())
    }

    /// The filters as a query string (for the next page and the export).
    pub fn query(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in
            [("status", &self.status), ("ip", &self.ip.value), ("from", &self.from.value), ("to", &self.to.value)]
        {
            if !value.is_empty() {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }
}

/// Parses the query; bad values are reported on the form (and nothing is listed).
pub fn parse(q: &RequestQuery) -> (RequestFilter, Option<i64>, RequestForm) {
    let mut form = RequestForm {
        status: ["2xx", "4xx", "5xx"].into_iter().find(|s| *s == q.status.trim()).unwrap_or_default().to_owned(),
        ip: Field::new(q.ip.trim()),
        from: Field::new(q.from.trim()),
        to: Field::new(q.to.trim()),
    };
    let mut filter =
        RequestFilter { status_class: form.status.get(..1).and_then(|c| c.parse().ok()), ..RequestFilter::default() };
    if !form.ip.value.is_empty() {
        match form.ip.value.parse::<std::net::IpAddr>() {
            Ok(ip) => filter.ip = Some(ip.to_string()),
            Err(_) => form.ip.error = Some("Enter one IP address, like 203.0.113.7.".into()),
        }
    }
    let (from, to, errors) = crate::app::audit::filter::parse_range(&form.from.value, &form.to.value);
    (filter.from, filter.to) = (from, to);
    for (field, message) in errors {
        if field == "from" { form.from.error = Some(message) } else { form.to.error = Some(message) }
    }
    let cursor = q.cursor.trim().parse::<i64>().ok().filter(|c| *c > 0);
    (filter, cursor, form)
}

/// One logged request as the page shows it.
pub struct RequestView {
    pub at_iso: String,
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub error_code: String,
    pub latency_ms: i64,
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    /// More requests like this one (same status and error code, same minute) that the row stands for.
    pub repeats: i64,
    /// `api`, `verify` or `authz`.
    pub via: String,
    /// The host a forwarded request was for; empty for Latchkey's own API.
    pub host: String,
}

impl RequestView {
    /// "+1,234 more like this", for a row that stands for more than itself.
    pub fn more(&self) -> String {
        let digits = self.repeats.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("+{grouped} more like this")
    }
}

impl From<&RequestRow> for RequestView {
    fn from(r: &RequestRow) -> Self {
        Self {
            at_iso: crate::domain::timefmt::iso(&r.at),
            at: r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            method: r.method.clone(),
            path: r.path.clone(),
            status: r.status,
            error_code: r.error_code.clone().unwrap_or_default(),
            latency_ms: r.latency_ms,
            ip: r.ip.clone().unwrap_or_default(),
            user_agent: r.user_agent.clone().unwrap_or_default(),
            request_id: r.request_id.clone(),
            repeats: r.repeats,
            via: r.via.clone(),
            host: r.host.clone().unwrap_or_default(),
        }
    }
}

/// A page of the key's requests and the cursor of the next, if any.
pub async fn load_page(
    state: &AppState,
    caller: &Caller,
    key: &ApiKey,
    filter: RequestFilter,
    cursor: Option<i64>,
) -> Result<(Vec<RequestView>, Option<i64>), AppError> {
    let rows = keys::requests(state, caller, key, (filter, cursor), PAGE_SIZE + 1).await?;
    let next = (rows.len() as i64 > PAGE_SIZE).then(|| rows[PAGE_SIZE as usize - 1].id);
    Ok((rows.iter().take(PAGE_SIZE as usize).map(RequestView::from).collect(), next))
}

/// The request log as CSV, one row per logged request (spreadsheet formulas defused).
fn csv_body(rows: &[RequestRow]) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "time",
        "method",
        "path",
        "status",
        "error_code",
        "latency_ms",
        "ip",
        "user_agent",
        "request_id",
        "repeats",
        "via",
        "host",
    ];
    writer.write_record(header).map_err(AppError::internal)?;
    for r in rows.iter().map(RequestView::from) {
        let record = [
            r.at_iso,
            cell(&r.method),
            cell(&r.path),
            r.status.to_string(),
            cell(&r.error_code),
            r.latency_ms.to_string(),
            cell(&r.ip),
            cell(&r.user_agent),
            cell(&r.request_id),
            r.repeats.to_string(),
            r.via,
            cell(&r.host),
        ];
        writer.write_record(&record).map_err(AppError::internal)?;
    }
    writer.into_inner().map_err(|e| AppError::internal(e.into_error()))
}

/// `GET /orgs/{slug}/settings/api-keys/{key_id}/requests.csv`.
pub async fn export(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let key = keys::find(&state, &caller, Op::Read, &path.1).await?;
    let (filter, _, form) = parse(&query);
    if form.has_errors() {
        return Err(AppError::BadRequest("invalid request-log filter".into()));
    }
    let rows = keys::requests(&state, &caller, &key, (filter, None), EXPORT_MAX).await?;
    let body = csv_body(&rows)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        // Who used the key, from where: kept out of every cache, like the console's pages.
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{}-requests.csv\"", key.key_id)))
        .body(body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeats_are_shown_with_thousands_grouped() {
        let view = |repeats| super::RequestView {
            at_iso: String::new(),
            at: String::new(),
            method: String::new(),
            path: String::new(),
            status: 401,
            error_code: String::new(),
            latency_ms: 0,
            ip: String::new(),
            user_agent: String::new(),
            request_id: String::new(),
            via: String::new(),
            host: String::new(),
            repeats,
        };
        assert_eq!(view(1).more(), "+1 more like this");
        assert_eq!(view(999).more(), "+999 more like this");
        assert_eq!(view(1_234).more(), "+1,234 more like this");
        assert_eq!(view(1_234_567).more(), "+1,234,567 more like this");
    }
}
