//! Settings → API keys → Look up a token (docs/user-guide.md: Leak response): paste a
//! token someone found (POST; a token never travels in a URL) to learn
//! which key of this organisation it is, with its state and a Revoke action.
//! The token is checked (shape and checksum) before any lookup, never
//! echoed back into the page, stored or logged.

use super::{KeyView, links};
use crate::app::audit::RequestMeta;
use crate::app::keys::{self, Op};
use crate::app::state::AppState;
use crate::domain::token::ApiKeySecret;
use crate::domain::urls::KeyPages;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::templates::{Chrome, NavItem};
use crate::web::pages::{render, render_status};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "api_key_lookup.html")]
pub struct LookupPage {
    chrome: Chrome,
    links: KeyPages,
    error: Option<&'static str>,
    /// `None` before a lookup; `Some(None)` when nothing matched.
    result: Option<Option<KeyView>>,
}

#[derive(Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    token: String,
}

fn blank(member: &OrgMember) -> LookupPage {
    LookupPage {
        chrome: Chrome::for_member(member, NavItem::ApiKeys),
        links: links(&member.org.slug),
        error: None,
        result: None,
    }
}

pub async fn form(member: OrgMember, meta: RequestMeta) -> Result<HttpResponse, AppError> {
    keys::authorize(&member.caller(meta), Op::LookUp)?;
    render(&blank(&member))
}

pub async fn submit(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<LookupForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    keys::authorize(&caller, Op::LookUp)?;
    let mut page = blank(&member);
    let Some(secret) = ApiKeySecret::parse(form.token.trim()) else {
        page.error = Some("This is not a Latchkey API key: its shape or checksum is wrong. Paste the whole token.");
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let found = keys::look_up(&state, &caller, secret).await?;
    page.result = Some(found.map(|key| KeyView::new(&key, state.config.default_rate_limit)));
    render(&page)
}
