//! The audit log pages (docs/user-guide.md: Audit log): filters, keyset pagination, streamed CSV
//! and JSON Lines exports, and integrity verification. Owners and admins use
//! them under `/orgs/{slug}/settings/audit-log`; staff reach the same views
//! read-only through `/support` (see `support.rs`).

use super::templates::{Chrome, Field, NavItem};
use super::{render, render_status};
use crate::app::audit::RequestMeta;
use crate::app::audit::export::{ExportFormat, encode};
use crate::app::audit::filter::FilterInput;
use crate::app::audit::{Action, VerifyReport};
use crate::app::audit_log::{self as reads, Filter, StoredCheckpoint, StoredEvent};
use crate::app::caller::Caller;
use crate::app::state::AppState;
use crate::domain::timefmt;
use crate::domain::urls::AuditLogPages;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, http::header, web};
use askama::Template;
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;
const EXPORT_BATCH: i64 = 1_000;

/// The query string of the page and the exports (docs/user-guide.md: Audit log).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
}

/// The filter form as typed, with an error per field.
#[derive(Default)]
pub struct FilterForm {
    pub actor: Field,
    pub action: Field,
    pub target: Field,
    pub from: Field,
    pub to: Field,
}

impl FilterForm {
    fn has_errors(&self) -> bool {
        [&self.actor, &self.action, &self.target, &self.from, &self.to].iter().any(|f| f.error.is_some())
    }
}

/// Parses the query into a filter; bad values are reported on the form.
pub fn parse_query(q: &AuditQuery) -> (Filter, Option<i64>, FilterForm) {
    let mut form = FilterForm {
        actor: Field::new(q.actor.trim()),
        action: Field::new(q.action.trim()),
        target: Field::new(q.target.trim()),
        from: Field::new(q.from.trim()),
        to: Field::new(q.to.trim()),
    };
    let input = FilterInput { actor: &q.actor, action: &q.action, target: &q.target, from: &q.from, to: &q.to };
    let (filter, errors) = crate::app::audit::filter::parse(input);
    for (field, message) in errors {
        let slot = match field {
            "action" => &mut form.action,
            "from" => &mut form.from,
            _ => &mut form.to,
        };
        slot.error = Some(message);
    }
    let cursor = q.cursor.trim().parse::<i64>().ok().filter(|c| *c > 0);
    (filter, cursor, form)
}

/// One event as the page shows it.
pub struct AuditRow {
    pub id: i64,
    pub seq: i64,
    pub action: String,
    /// "API key revoked" for `api_key.revoked`.
    pub action_label: String,
    pub time_iso: String,
    pub time_exact: String,
    pub time_short: String,
    pub actor: String,
    pub actor_detail: String,
    pub target: String,
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
    pub trace_id: String,
    pub details: String,
    pub hash: String,
}

impl From<StoredEvent> for AuditRow {
    fn from(e: StoredEvent) -> Self {
        let (actor, actor_detail) = match e.actor_type.as_str() {
            "system" => ("system".to_owned(), e.actor_name.clone().unwrap_or_default()),
            "anonymous" => ("anonymous".to_owned(), String::new()),
            "staff" => (
                format!("Support: {}", e.actor_name.clone().unwrap_or_default()),
                e.actor_email.clone().unwrap_or_default(),
            ),
            "api_key" => (
                format!("API key {}", e.actor_name.clone().unwrap_or_default()),
                serde_json::from_str::<serde_json::Value>(&e.details)
                    .ok()
                    .and_then(|d| d["actor_prefix"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
            ),
            _ => (e.actor_name.clone().unwrap_or_default(), e.actor_email.clone().unwrap_or_default()),
        };
        let target = match (&e.target_type, &e.target_id, &e.target_label) {
            (Some(kind), Some(id), Some(label)) if label != id => format!("{kind} {id} ({label})"),
            (Some(kind), Some(id), _) => format!("{kind} {id}"),
            _ => String::new(),
        };
        let details = serde_json::from_str::<serde_json::Value>(&e.details)
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|_| e.details.clone());
        Self {
            id: e.id,
            seq: e.seq,
            time_iso: timefmt::iso(&e.occurred_at),
            time_exact: timefmt::exact(&e.occurred_at),
            time_short: e.occurred_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            action_label: crate::app::audit::human_label(&e.action),
            action: e.action,
            actor,
            actor_detail,
            target,
            ip: e.ip.unwrap_or_default(),
            user_agent: e.user_agent.unwrap_or_default(),
            request_id: e.request_id.unwrap_or_default(),
            trace_id: e.trace_id.unwrap_or_default(),
            details,
            hash: e.hash.chars().take(12).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit_log.html")]
pub struct AuditLogPage {
    pub chrome: Chrome,
    pub title: String,
    pub links: AuditLogPages,
    pub read_only: bool,
    pub form: FilterForm,
    /// (code, label) of every action, for the filter.
    pub actions: Vec<(&'static str, String)>,
    pub rows: Vec<AuditRow>,
    /// The query string (without cursor) that exports and the next page keep.
    pub query: String,
    pub next_cursor: Option<i64>,
    pub first_page: bool,
    /// The latest signed checkpoints (first page only).
    pub checkpoints: Vec<CheckpointRow>,
}

/// A signed checkpoint as the page lists it.
pub struct CheckpointRow {
    pub seq: i64,
    pub signed_at: String,
    pub signed_short: String,
    pub hash_short: String,
    pub signature_short: String,
}

impl From<StoredCheckpoint> for CheckpointRow {
    fn from(c: StoredCheckpoint) -> Self {
        let short = |s: &str| s.chars().take(16).collect();
        Self {
            seq: c.seq,
            signed_short: c.signed_at.get(..16).unwrap_or(&c.signed_at).replace('T', " "),
            hash_short: short(&c.hash),
            signature_short: short(&c.signature),
            signed_at: c.signed_at,
        }
    }
}

impl AuditLogPage {
    /// The pager's links, keeping the filters.
    fn newest_href(&self) -> Option<String> {
        (!self.first_page).then(|| self.links.filtered(&self.query))
    }

    fn older_href(&self) -> Option<String> {
        self.next_cursor.map(|cursor| self.links.older(&self.query, cursor))
    }
}

/// Encodes the filter values back into a query string.
fn query_string(form: &FilterForm) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, field) in [
        ("actor", &form.actor),
        ("action", &form.action),
        ("target", &form.target),
        ("from", &form.from),
        ("to", &form.to),
    ] {
        if !field.value.is_empty() {
            out.append_pair(name, &field.value);
        }
    }
    out.finish()
}

/// Renders a page of the caller's organisation's log (`None`: the platform log, for staff), newest first.
pub async fn log_page(
    state: &AppState,
    (caller, chrome): (Option<&Caller>, Chrome),
    title: String,
    links: AuditLogPages,
    query: &AuditQuery,
) -> Result<HttpResponse, AppError> {
    let (filter, cursor, form) = parse_query(query);
    let invalid = form.has_errors();
    let (rows, checkpoints) = match (invalid, caller) {
        (true, _) => (Vec::new(), Vec::new()),
        (false, Some(caller)) => reads::page(state, caller, (filter, cursor), PAGE_SIZE + 1).await?,
        (false, None) => reads::platform_page(state, (filter, cursor), PAGE_SIZE + 1).await?,
    };
    let has_more = rows.len() as i64 > PAGE_SIZE;
    let rows: Vec<AuditRow> = rows.into_iter().take(PAGE_SIZE as usize).map(AuditRow::from).collect();
    let page = AuditLogPage {
        read_only: chrome.org.is_none(),
        next_cursor: if has_more { rows.last().map(|r| r.id) } else { None },
        first_page: cursor.is_none(),
        query: query_string(&form),
        checkpoints: checkpoints.into_iter().map(CheckpointRow::from).collect(),
        actions: Action::ALL.iter().map(|a| (a.as_str(), crate::app::audit::human_label(a.as_str()))).collect(),
        chrome,
        title,
        links,
        form,
        rows,
    };
    if invalid { render_status(StatusCode::UNPROCESSABLE_ENTITY, &page) } else { render(&page) }
}

struct ExportCursor {
    state: web::Data<AppState>,
    caller: Caller,
    filter: Filter,
    format: ExportFormat,
    after_id: i64,
    first: bool,
    done: bool,
    /// JSON Lines: the latest checkpoint's line, read before the first
    /// event (so the events exported reach at least its seq) and written last.
    trailer: Option<String>,
}

/// Streams the filtered log, oldest first, in batches: memory stays flat
/// however many events match.
pub fn export(
    state: web::Data<AppState>,
    caller: Caller,
    query: &AuditQuery,
    format: ExportFormat,
    file_stem: &str,
) -> Result<HttpResponse, AppError> {
    reads::authorize(&caller)?;
    let (filter, _, form) = parse_query(query);
    if form.has_errors() {
        return Err(AppError::BadRequest("invalid filter".into()));
    }
    let start = ExportCursor { state, caller, filter, format, after_id: 0, first: true, done: false, trailer: None };
    let stream = futures_util::stream::unfold(start, |mut cur| async move {
        if cur.done {
            return None;
        }
        let with_checkpoint = cur.first && matches!(cur.format, ExportFormat::JsonLines);
        let asked = ((cur.filter.clone(), cur.after_id), (EXPORT_BATCH, with_checkpoint));
        let batch = reads::export_batch(&cur.state, &cur.caller, asked.0, asked.1).await.map_err(AppError::from);
        let chunk = batch.and_then(|(checkpoint, events)| {
            if let Some(c) = checkpoint {
                cur.trailer = Some(c.checkpoint().to_json().to_string());
            }
            cur.done = (events.len() as i64) < EXPORT_BATCH;
            cur.after_id = events.last().map(|e| e.id).unwrap_or(cur.after_id);
            let mut bytes = encode(&events, cur.format, cur.first).map_err(AppError::internal)?;
            cur.first = false;
            if let (true, Some(line)) = (cur.done, cur.trailer.take()) {
                bytes.extend_from_slice(line.as_bytes());
                bytes.push(b'\n');
            }
            Ok(Bytes::from(bytes))
        });
        if chunk.is_err() {
            cur.done = true;
        }
        Some((chunk.map_err(actix_web::Error::from), cur))
    });
    let (content_type, ext) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::JsonLines => ("application/jsonl; charset=utf-8", "jsonl"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_stem}.{ext}\"")))
        .streaming(stream))
}

#[derive(Template)]
#[template(path = "audit_verify.html")]
pub struct VerifyPage {
    pub chrome: Chrome,
    pub links: AuditLogPages,
    pub report: VerifyReport,
}

/// Verifies the caller's organisation's chain against the server's
/// checkpoint key (every stored checkpoint must verify under it; its
/// interval sets how soon each event must be signed).
pub async fn verify_page(
    state: &AppState,
    (caller, chrome): (&Caller, Chrome),
    links: AuditLogPages,
) -> Result<HttpResponse, AppError> {
    let report = reads::verify(state, caller).await?;
    render(&VerifyPage { chrome, links, report })
}

fn org_links(member: &OrgMember) -> AuditLogPages {
    AuditLogPages::org(&member.org.slug)
}

pub async fn list(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    reads::authorize(&caller)?;
    let who = (Some(&caller), Chrome::for_member(&member, NavItem::AuditLog));
    log_page(&state, who, "Audit log".into(), org_links(&member), &query).await
}

pub async fn export_csv(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let stem = format!("audit-log-{}", member.org.slug);
    export(state, member.caller(meta), &query, ExportFormat::Csv, &stem)
}

pub async fn export_jsonl(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let stem = format!("audit-log-{}", member.org.slug);
    export(state, member.caller(meta), &query, ExportFormat::JsonLines, &stem)
}

pub async fn verify(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    reads::authorize(&caller)?;
    verify_page(&state, (&caller, Chrome::for_member(&member, NavItem::AuditLog)), org_links(&member)).await
}
