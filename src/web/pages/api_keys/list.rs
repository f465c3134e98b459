//! The key list: search, state filter, sort, pages of 50.

use super::{KeyView, links};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::keys::{self, Concern, ListQuery, Op, Sort};
use crate::app::state::AppState;
use crate::domain::Plan;
use crate::domain::key_state::KeyState;
use crate::domain::urls::KeyPages;
use crate::web::auth::OrgMember;
use crate::web::error::AppError;
use crate::web::pages::render;
use crate::web::pages::templates::{Chrome, NavItem};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;
/// The `state` value of the "needs attention" filter: keys with a health mark.
pub const ATTENTION: &str = "attention";
/// The `state` value of the "violates policy" filter: working keys that break the org's key policy.
pub const VIOLATES: &str = "violates_policy";
/// The `state` value of the "expiring within 7 days" filter (the dashboard's count).
pub const EXPIRING: &str = "expiring";

#[derive(Debug, Default, Deserialize)]
pub struct KeyListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub cursor: String,
    /// Only keys of this owner (`owner_id`, exactly).
    #[serde(default)]
    pub owner: String,
    /// Filled from the session, never from the URL.
    #[serde(skip)]
    pub notice: Option<crate::web::pages::Notice>,
}

#[derive(Template)]
#[template(path = "api_keys_list.html")]
pub struct KeyListPage {
    pub chrome: Chrome,
    pub title: String,
    pub links: KeyPages,
    /// Staff view: no create button, no menus.
    pub read_only: bool,
    pub paid: bool,
    pub keys: Vec<KeyView>,
    pub q: String,
    pub state: String,
    pub sort: &'static str,
    pub states: [KeyState; 5],
    pub filtered: bool,
    pub query: String,
    pub next_cursor: Option<i64>,
    pub prev_cursor: Option<i64>,
    pub notice: Option<&'static str>,
    /// How many keys match the search and filters, and which of them this page shows (1-based, inclusive).
    pub total: i64,
    pub shown: (i64, i64),
}

impl KeyListPage {
    /// The pager's links, keeping the filters.
    fn prev_href(&self) -> Option<String> {
        self.prev_cursor.map(|c| self.links.list_page(&self.query, c))
    }

    fn next_href(&self) -> Option<String> {
        self.next_cursor.map(|c| self.links.list_page(&self.query, c))
    }
}

/// Who is looking and where the page lives: the settings page or the support console.
pub struct ListFrame {
    pub chrome: Chrome,
    pub title: String,
    pub links: KeyPages,
    pub paid: bool,
    pub read_only: bool,
    /// The org's key policy (keys that break it are marked).
    pub policy: crate::domain::key_policy::KeyPolicy,
}

/// The list's filters as the query string gave them (anything unreadable is no filter).
struct Filters {
    search: Option<String>,
    state: Option<KeyState>,
    concern: Concern,
    violating: bool,
    sort: Sort,
    offset: i64,
    owner: Option<String>,
}

impl Filters {
    fn parse(query: &KeyListQuery) -> Self {
        Self {
            search: Some(query.q.trim().to_owned()).filter(|q| !q.is_empty()),
            state: KeyState::parse(query.state.trim()),
            concern: match query.state.trim() {
                ATTENTION => Concern::Attention,
                EXPIRING => Concern::Expiring,
                _ => Concern::Any,
            },
            violating: query.state.trim() == VIOLATES,
            sort: Sort::parse(query.sort.trim()),
            offset: query.cursor.trim().parse::<i64>().unwrap_or(0).max(0),
            owner: Some(query.owner.trim().to_owned()).filter(|o| !o.is_empty()),
        }
    }

    /// The `state` value as the filter shows it (a key state, "attention" or "violates_policy").
    fn state_value(&self) -> Option<&'static str> {
        match self.state {
            Some(s) => Some(s.as_str()),
            None if self.concern == Concern::Attention => Some(ATTENTION),
            None if self.concern == Concern::Expiring => Some(EXPIRING),
            None if self.violating => Some(VIOLATES),
            None => None,
        }
    }

    /// The filters as a query string, which the pager's links keep.
    fn query_string(&self) -> String {
        let mut qs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = &self.search {
            qs.append_pair("q", s);
        }
        if let Some(s) = self.state_value() {
            qs.append_pair("state", s);
        }
        if let Some(o) = &self.owner {
            qs.append_pair("owner", o);
        }
        qs.append_pair("sort", self.sort.as_str());
        qs.finish()
    }
}

/// Loads one page of keys; shared with the support console's read-only view.
pub async fn page(
    state: &AppState,
    frame: ListFrame,
    caller: &Caller,
    query: &KeyListQuery,
) -> Result<KeyListPage, AppError> {
    let ListFrame { chrome, title, links, paid, read_only, policy } = frame;
    let filters = Filters::parse(query);
    let list_query = ListQuery {
        search: filters.search.clone(),
        state: filters.state,
        concern: filters.concern,
        sort: filters.sort,
        offset: filters.offset,
        limit: PAGE_SIZE + 1,
        after_id: None,
        owner: filters.owner.clone(),
    };
    let keys::Listing { keys, total } = match filters.violating {
        true => keys::list_violating(state, caller, list_query).await?,
        false => keys::list_for_console(state, caller, list_query).await?,
    };
    let has_more = keys.len() as i64 > PAGE_SIZE;
    let default_limit = state.config.default_rate_limit;
    let offset = filters.offset;
    Ok(KeyListPage {
        chrome,
        title,
        links,
        read_only,
        paid,
        keys: keys
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|k| KeyView::new(k, default_limit).with_policy(k, &policy))
            .collect(),
        q: filters.search.clone().unwrap_or_default(),
        state: filters.state_value().unwrap_or_default().to_owned(),
        sort: filters.sort.as_str(),
        states: KeyState::ALL,
        filtered: filters.search.is_some() || filters.state_value().is_some(),
        query: filters.query_string(),
        next_cursor: has_more.then_some(offset + PAGE_SIZE),
        prev_cursor: (offset > 0).then(|| (offset - PAGE_SIZE).max(0)),
        notice: query.notice.map(crate::web::pages::Notice::text),
        shown: (offset + 1, offset + (keys.len() as i64).min(PAGE_SIZE)),
        total,
    })
}

pub async fn list(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    session: actix_session::Session,
    query: web::Query<KeyListQuery>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    keys::authorize(&caller, Op::Read)?;
    // A notice comes once, from the session (never from the URL).
    let mut query = query.into_inner();
    query.notice = crate::web::pages::notice::take(&session);
    let frame = ListFrame {
        chrome: Chrome::for_member(&member, NavItem::ApiKeys),
        title: "API keys".into(),
        links: links(&member.org.slug),
        paid: member.org.plan == Plan::Paid,
        read_only: false,
        policy: member.org.key_policy,
    };
    render(&page(&state, frame, &caller, &query).await?)
}
