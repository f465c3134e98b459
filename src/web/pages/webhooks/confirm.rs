//! The confirmation pages an endpoint's destructive or disruptive actions
//! ask first with (delete; rotate the signing secret, where the overlap is
//! chosen), and the rotation itself.

use super::{links, load, secret_page};
use crate::app::audit::RequestMeta;
use crate::app::state::AppState;
use crate::app::webhooks::{self, Endpoint, Overlap};
use crate::domain::urls::WebhookPages;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::templates::{Chrome, Field, NavItem};
use crate::web::pages::{render, render_status};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "webhook_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    links: WebhookPages,
    hook: Endpoint,
    action: &'static str,
    title: &'static str,
    explanation: &'static str,
    button: &'static str,
    danger: bool,
    /// The rotation's overlap choice (`None` on other confirmations).
    overlap: Option<Field>,
    overlaps: [Overlap; 3],
}

type Wording = (&'static str, &'static str, &'static str, &'static str, bool);

fn confirm_page(member: &OrgMember, hook: Endpoint, wording: Wording, overlap: Option<Field>) -> ConfirmPage {
    let (action, title, explanation, button, danger) = wording;
    let chrome = Chrome::for_member(member, NavItem::Webhooks);
    ConfirmPage {
        chrome,
        links: links(member),
        hook,
        action,
        title,
        explanation,
        button,
        danger,
        overlap,
        overlaps: Overlap::ALL,
    }
}

/// GET …/delete asks first.
pub async fn delete_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let wording = (
        "delete",
        "Delete this endpoint?",
        "This can't be undone: it stops receiving events immediately.",
        "Delete endpoint",
        true,
    );
    let hook = load(&state, &member.caller(meta), &path.1).await?;
    render(&confirm_page(&member, hook, wording, None))
}

const ROTATE: Wording = (
    "rotate-secret",
    "Rotate the signing secret?",
    "A new secret is shown once. For the overlap you choose, both the old and the new secret sign every message \
     (two signatures in webhook-signature), so you can update your receiver without missing one; then only the new one signs.",
    "Rotate signing secret",
    false,
);

/// GET …/rotate-secret asks first, says how the switch-over works and offers the overlap.
pub async fn rotate_secret_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let hook = load(&state, &member.caller(meta), &path.1).await?;
    render(&confirm_page(&member, hook, ROTATE, Some(Field::new(Overlap::OneDay.as_str()))))
}

#[derive(Deserialize)]
pub struct RotateForm {
    /// `1h`, `24h` or `7d`; absent or empty: 24h.
    #[serde(default)]
    overlap: String,
}

/// POST …/rotate-secret: the new secret, shown once; a bad overlap shows the confirmation again.
pub async fn rotate_secret(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<RotateForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    let hook = load(&state, &caller, &path.1).await?;
    let overlap = match Overlap::parse(&form.overlap) {
        Ok(overlap) => overlap,
        Err(e) => {
            let field = Field { value: form.overlap.trim().to_owned(), error: Some(e) };
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &confirm_page(&member, hook, ROTATE, Some(field)));
        }
    };
    let (hook, secret) = webhooks::rotate_secret(&state, &caller, &hook.public_id, overlap).await?;
    secret_page(&member, hook, "Signing secret rotated", &secret)
}
