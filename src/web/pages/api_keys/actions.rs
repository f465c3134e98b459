//! The three-dot menu's actions. Each has a confirmation page (GET) and the
//! action itself (POST). Revoke, delete and rotate are sensitive: outside
//! sudo mode the confirmation asks for the password (docs/user-guide.md: API keys).

use super::form::{already_created, show_secret};
use super::{KeyView, key_sudo, links, load_key, needs_sudo, require_admin, require_paid};
use crate::app::audit::{Actor, RequestMeta};
use crate::app::keys::{self, Issue, Issued, Once};
use crate::app::state::AppState;
use crate::db::api_keys::{ApiKey, KeySettings};
use crate::db::now;
use crate::domain::key_policy::Candidate;
use crate::domain::key_settings::Grace;
use crate::domain::key_state::{KeyState, RevokeCause};
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

    fn sensitive(self) -> bool {
        matches!(self, Self::Rotate | Self::Revoke | Self::Delete)
    }

    /// Whether the action applies to a key in this state.
    fn applies(self, key: &ApiKey, state: KeyState) -> bool {
        match self {
            Self::Deactivate => key.enabled && state != KeyState::Revoked,
            Self::Activate => !key.enabled && state != KeyState::Revoked,
            Self::Rotate => key.can_rotate(now()),
            Self::Revoke => state != KeyState::Revoked,
            Self::Delete => true,
        }
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

/// Loads the key and checks the action applies to it (and the plan allows it).
async fn prepare(
    state: &AppState,
    member: &OrgMember,
    key_id: String,
    action: KeyAction,
) -> Result<(ApiKey, KeyAction), AppError> {
    require_admin(member)?;
    if matches!(action, KeyAction::Rotate | KeyAction::Activate) {
        require_paid(member)?;
    }
    let key = load_key(state, member, key_id).await?;
    if !action.applies(&key, key.state(now())) {
        return Err(AppError::BadRequest(format!("cannot {} this key", action.as_str())));
    }
    Ok((key, action))
}

/// Whether a rotation form's id was issued by this server to this user for this org.
fn issued(state: &AppState, member: &OrgMember, id: &str) -> bool {
    crate::web::auth::form_id::verify(&state.config.session_key, member.org.id, member.current.user.id, id)
}

pub async fn confirm(
    state: web::Data<AppState>,
    member: OrgMember,
    path: web::Path<ActionPath>,
) -> Result<HttpResponse, AppError> {
    let ActionPath { key_id, action } = path.into_inner();
    let (key, action) = prepare(&state, &member, key_id, action).await?;
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
    let (key, action) = prepare(&state, &member, key_id, action).await?;
    let mut page = confirm_page(&state, &member, &key, action);
    let sudo = match action.sensitive() {
        true => key_sudo(&state, &member, &session, &meta, &form.password, &form.code).await?,
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
    let actor = Actor::user(&member.current.user);
    let list = crate::domain::urls::keys(&member.org.slug);
    let key_for_change = key.clone();
    let change = |f: fn(&mut crate::db::DbConn, &ApiKey, &Actor, &RequestMeta) -> crate::db::QueryResult<()>| {
        let (actor, meta, key) = (actor.clone(), meta.clone(), key_for_change.clone());
        state.db.run(move |conn| f(conn, &key, &actor, &meta))
    };
    let answer = match action {
        KeyAction::Deactivate => {
            change(|c, k, a, m| keys::set_enabled(c, k, false, a, m)).await?;
            Ok(see_other_with_notice(&session, &list, Notice::KeyDeactivated))
        }
        KeyAction::Activate => {
            change(|c, k, a, m| keys::set_enabled(c, k, true, a, m)).await?;
            Ok(see_other_with_notice(&session, &list, Notice::KeyActivated))
        }
        KeyAction::Delete => {
            change(keys::delete).await?;
            Ok(see_other_with_notice(&session, &list, Notice::KeyDeleted))
        }
        KeyAction::Revoke => {
            let by = member.current.user.name.clone();
            state.db.run(move |conn| keys::revoke(conn, &key, &by, &actor, &meta, RevokeCause::ByUser)).await?;
            Ok(see_other_with_notice(&session, &list, Notice::KeyRevoked))
        }
        KeyAction::Rotate => match rotation_checks(&state, &member, &key, &mut page, &form) {
            Some((grace, settings)) => rotate(&state, &member, meta, actor, (key, settings), grace, form.form_id).await,
            None => render_status(StatusCode::UNPROCESSABLE_ENTITY, &page),
        },
    };
    // Every instance applies the change before the person sees it done (docs/operator-guide.md: Scale-out).
    state.key_cache.confirm(&state.db).await;
    answer
}

/// A rotation's grace period and the replacement's settings, or `None`
/// with the reason on `page`: no grace chosen, a form id this server did not
/// issue, or a replacement that would break the key policy.
fn rotation_checks(
    state: &AppState,
    member: &OrgMember,
    key: &ApiKey,
    page: &mut ConfirmPage,
    form: &ActionForm,
) -> Option<(Grace, KeySettings)> {
    let Ok(grace) = Grace::parse(&form.grace) else {
        page.grace_error = Some("Choose a grace period.".into());
        return None;
    };
    page.grace = grace.as_str();
    if !issued(state, member, &form.form_id) {
        page.form_error = Some(super::form::NOT_ISSUED.into());
        return None;
    }
    let settings = keys::replacement(key, &member.org.key_policy);
    let breaches = member.org.key_policy.breaches(&Candidate::of(&settings), now());
    if !breaches.is_empty() {
        let why: Vec<String> = breaches.into_iter().map(|b| b.message).collect();
        page.form_error =
            Some(format!("The replacement would break the key policy — {} Edit the key first.", why.join(" ")));
        return None;
    }
    Some((grace, settings))
}

/// Issues the replacement (same settings), shows its secret once, and keeps
/// the old key working until the grace period ends (the scheduler revokes it).
async fn rotate(
    state: &AppState,
    member: &OrgMember,
    meta: RequestMeta,
    actor: Actor,
    (old, settings): (ApiKey, KeySettings),
    grace: Grace,
    form_id: String,
) -> Result<HttpResponse, AppError> {
    let creator = Actor::user(&member.current.user);
    let (mut new, secret) = Issue::new(member.org.id, &state.config.key_prefix, Once::Form(form_id), settings, creator);
    new.rotated_from = Some(old.key_id.to_string());
    let created = state.db.run(move |conn| keys::rotate(conn, &old, &new, grace, &actor, &meta)).await?;
    match created {
        Issued::Created(new) => show_secret(state, member, "API key rotated", &new, secret),
        Issued::AlreadySubmitted(existing) => already_created(state, member, existing).await,
        // Another rotation (a second tab, a double click) won: say so, as for a stale action.
        Issued::NotRotatable => Err(AppError::BadRequest("cannot rotate this key: it was rotated already".into())),
    }
}
