//! The three-dot menu's actions. Each has a confirmation page (GET) and the
//! action itself (POST). Revoke, delete and rotate are sensitive: outside
//! sudo mode the confirmation asks for the password (docs/user-guide.md: API keys).

use super::form::{already_created, show_secret};
use super::{KeyView, key_sudo, links, needs_sudo};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::keys::{self, ApiKey, ChangeError, Issued, Once, Op, RotateError};
use crate::app::state::AppState;
use crate::domain::key_settings::Grace;
use crate::domain::urls::KeyPages;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::templates::{Chrome, NavItem};
use crate::web::pages::{Notice, render, render_status, see_other_with_notice};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// The verb at the end of a key's action URL. The route only matches these
/// five (routes.rs), so the path extractor never sees another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyAction {
    Deactivate,
    Activate,
    Rotate,
    Revoke,
    Delete,
}

impl KeyAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Deactivate => "deactivate",
            Self::Activate => "activate",
            Self::Rotate => "rotate",
            Self::Revoke => "revoke",
            Self::Delete => "delete",
        }
    }

    /// The use case's name for it (its permission, whether it is sensitive and when it applies).
    fn op(self) -> Op {
        match self {
            Self::Deactivate => Op::Deactivate,
            Self::Activate => Op::Activate,
            Self::Rotate => Op::Rotate,
            Self::Revoke => Op::Revoke,
            Self::Delete => Op::Delete,
        }
    }

    fn sensitive(self) -> bool {
        self.op().sensitive()
    }

    /// (title, what happens, button label, is it destructive).
    fn wording(self, label: &str) -> (String, String, &'static str, bool) {
        match self {
            Self::Deactivate => (
                format!("Deactivate {label}?"),
                "Requests with this key are refused from the next request on, until you activate it again.".into(),
                "Deactivate key",
                false,
            ),
            Self::Activate => (format!("Activate {label}?"), "The key works again from the next request on.".into(), "Activate key", false),
            Self::Rotate => (
                format!("Rotate {label}?"),
                "A new key with the same label, scopes and settings is created and its secret shown once. The old key keeps working for the grace period you choose, then it is revoked automatically.".into(),
                "Rotate key",
                false,
            ),
            Self::Revoke => (
                format!("Revoke {label}?"),
                "This can't be undone: any app using this key loses access immediately. The key stays in the list, greyed, for the record.".into(),
                "Revoke key",
                true,
            ),
            Self::Delete => (
                format!("Delete {label}?"),
                "This can't be undone: the key is removed for good and any app using it loses access immediately. The audit log keeps its label and prefix.".into(),
                "Delete key",
                true,
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "api_key_confirm.html")]
pub struct ConfirmPage {
    chrome: Chrome,
    links: KeyPages,
    key: KeyView,
    action: &'static str,
    title: String,
    explanation: String,
    button: &'static str,
    danger: bool,
    ask_password: bool,
    password_error: Option<String>,
    graces: [Grace; 4],
    grace: &'static str,
    grace_error: Option<String>,
    form_id: String,
    form_error: Option<String>,
}

/// `/orgs/{slug}/settings/api-keys/{key_id}/{action}`.
#[derive(Debug, Deserialize)]
pub struct ActionPath {
    key_id: String,
    action: KeyAction,
}

#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    password: String,
    /// The second-factor code that stands in for the password (users with a second factor).
    #[serde(default)]
    code: String,
    #[serde(default)]
    grace: String,
    #[serde(default)]
    form_id: String,
}

fn confirm_page(state: &AppState, member: &OrgMember, key: &ApiKey, action: KeyAction) -> ConfirmPage {
    let (title, explanation, button, danger) = action.wording(&key.label);
    ConfirmPage {
        chrome: Chrome::for_member(member, NavItem::ApiKeys),
        links: links(&member.org.slug),
        key: KeyView::new(key, state.config.default_rate_limit),
        action: action.as_str(),
        title,
        explanation,
        button,
        danger,
        ask_password: action.sensitive() && needs_sudo(member),
        password_error: None,
        graces: Grace::ALL,
        grace: Grace::OneDay.as_str(),
        grace_error: None,
        form_id: crate::web::auth::form_id::issue(&state.config.session_key, member.org.id, member.current.user.id),
        form_error: None,
    }
}

/// The key, if the caller may take the action and it applies to the key as it is.
async fn prepare(state: &AppState, caller: &Caller, key_id: &str, action: KeyAction) -> Result<ApiKey, AppError> {
    keys::for_action(state, caller, key_id, action.op()).await.map_err(|e| match e {
        ChangeError::NotApplicable => AppError::BadRequest(format!("cannot {} this key", action.as_str())),
        e => e.into(),
    })
}

/// Whether a rotation form's id was issued by this server to this user for this org.
fn issued(state: &AppState, member: &OrgMember, id: &str) -> bool {
    crate::web::auth::form_id::verify(&state.config.session_key, member.org.id, member.current.user.id, id)
}

pub async fn confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<ActionPath>,
) -> Result<HttpResponse, AppError> {
    let ActionPath { key_id, action } = path.into_inner();
    let key = prepare(&state, &member.caller(meta), &key_id, action).await?;
    render(&confirm_page(&state, &member, &key, action))
}

pub async fn perform(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    path: web::Path<ActionPath>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> Result<HttpResponse, AppError> {
    let ActionPath { key_id, action } = path.into_inner();
    let caller = member.caller(meta);
    let key = prepare(&state, &caller, &key_id, action).await?;
    let mut page = confirm_page(&state, &member, &key, action);
    let sudo = match action.sensitive() {
        true => key_sudo(&state, &member, &session, &caller.meta, &form.password, &form.code).await?,
        false => crate::web::pages::sudo::Sudo::Confirmed,
    };
    if !sudo.confirmed() {
        page.ask_password = true;
        page.password_error = Some(sudo.message(&member.current, crate::web::pages::sudo::Needs::OneFactor));
        page.grace = Grace::parse(&form.grace).map(Grace::as_str).unwrap_or(page.grace);
        if issued(&state, &member, &form.form_id) {
            page.form_id = form.form_id.clone();
        }
        return render_status(sudo.status(), &page);
    }
    let (caller, id) = (caller.confirmed(), key.key_id.as_str());
    let notice = match action {
        KeyAction::Deactivate => keys::set_enabled(&state, &caller, id, false).await.map(|_| Notice::KeyDeactivated),
        KeyAction::Activate => keys::set_enabled(&state, &caller, id, true).await.map(|_| Notice::KeyActivated),
        KeyAction::Delete => keys::delete(&state, &caller, id).await.map(|_| Notice::KeyDeleted),
        KeyAction::Revoke => keys::revoke(&state, &caller, id).await.map(|_| Notice::KeyRevoked),
        KeyAction::Rotate => return rotate(&state, (&member, &caller, &session), &key, page, &form).await,
    };
    Ok(see_other_with_notice(&session, &crate::domain::urls::keys(&member.org.slug), notice?))
}

/// Issues the replacement (same settings, expiry capped by the key policy),
/// shows its secret once, and keeps the old key working until the grace
/// period ends (the scheduler revokes it). The form comes back (422) without
/// a grace period, with a form id this server did not issue, or when the
/// replacement would break the key policy.
async fn rotate(
    state: &AppState,
    (member, caller, session): (&OrgMember, &Caller, &Session),
    old: &ApiKey,
    mut page: ConfirmPage,
    form: &ActionForm,
) -> Result<HttpResponse, AppError> {
    let Ok(grace) = Grace::parse(&form.grace) else {
        page.grace_error = Some("Choose a grace period.".into());
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    page.grace = grace.as_str();
    if !issued(state, member, &form.form_id) {
        page.form_error = Some(super::form::NOT_ISSUED.into());
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match keys::rotate(state, caller, &old.key_id, grace, Once::Form(form.form_id.clone())).await {
        Ok(Issued::Created(new, secret)) => {
            crate::web::pages::notice::set(session, crate::web::pages::Notice::KeyRotated);
            show_secret(state, member, "API key rotated", &new, secret)
        }
        Ok(Issued::AlreadySubmitted(existing)) => already_created(state, (member, caller), existing).await,
        Err(RotateError::Policy(breaches)) => {
            let why: Vec<String> = breaches.into_iter().map(|b| b.message).collect();
            page.form_error =
                Some(format!("The replacement would break the key policy — {} Edit the key first.", why.join(" ")));
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
