//! The confirmation pages an endpoint's destructive or disruptive actions
//! ask first with (delete; rotate the signing secret).

use super::{base, load};
use crate::auth::OrgMember;
use crate::db::webhooks::Endpoint;
use crate::error::AppError;
use crate::pages::render;
use crate::pages::templates::Chrome;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "webhook_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    base_path: String,
    hook: Endpoint,
    action: &'static str,
    title: &'static str,
    explanation: &'static str,
    button: &'static str,
    danger: bool,
}

async fn confirm_page(
    state: &AppState,
    member: &OrgMember,
    id: String,
    (action, title, explanation, button, danger): (&'static str, &'static str, &'static str, &'static str, bool),
) -> Result<HttpResponse, AppError> {
    let hook = load(state, member, id).await?;
    let chrome = Chrome::for_member(member, "webhooks");
    render(&ConfirmPage { chrome, base_path: base(member), hook, action, title, explanation, button, danger })
}

/// GET …/delete asks first.
pub async fn delete_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let wording = (
        "delete",
        "Delete this endpoint?",
        "This can't be undone: it stops receiving events immediately.",
        "Delete endpoint",
        true,
    );
    confirm_page(&state, &member, path.into_inner().1, wording).await
}

/// GET …/rotate-secret asks first, and says how the switch-over works.
pub async fn rotate_secret_confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let wording = (
        "rotate-secret",
        "Rotate the signing secret?",
        "A new secret is shown once. For the next 24 hours both the old and the new secret sign every message \
         (two signatures in webhook-signature), so you can update your receiver without missing one; then only the new one signs.",
        "Rotate signing secret",
        false,
    );
    confirm_page(&state, &member, path.into_inner().1, wording).await
}
