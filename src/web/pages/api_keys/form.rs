//! Create and edit forms. A created (or rotated) key's token is shown once,
//! on the page that answers the POST; a replayed POST creates nothing.

mod summary;

use super::reach::{ApiChoice, choices};
use super::{KeyView, key_sudo, links};
use crate::app::audit::RequestMeta;
use crate::app::caller::Caller;
use crate::app::keys::{self, ApiKey, Change, CreateError, EditError, Issued, Once, Op};
use crate::app::state::AppState;
use crate::domain::ParseError;
use crate::domain::access::{ApiSlug, Metadata, OwnerId};
use crate::domain::expiry_choice::{self, ExpiryOption};
use crate::domain::forms::KeyForm;
use crate::domain::key_policy::KeyPolicy;
use crate::domain::key_reach::{self, ReachFields};
use crate::domain::key_settings::{IpAllowlist, KeySettings, parse_description, parse_label, parse_rate_limit};
use crate::domain::records::FieldError;
use crate::domain::scopes::{Management, Resource, Scopes};
use crate::domain::timefmt::now;
use crate::domain::token::ApiKeySecret;
use crate::domain::urls::KeyPages;
use crate::web::auth::form_id;
use crate::web::auth::{CsrfForm, OrgMember};
use crate::web::error::AppError;
use crate::web::pages::templates::{Chrome, Field, NavItem};
use crate::web::pages::{Notice, render, render_status, see_other, see_other_with_notice};
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "api_key_form.html")]
pub struct KeyFormPage {
    chrome: Chrome,
    links: KeyPages,
    /// The key being edited; `None` on the create form.
    editing: Option<String>,
    label: Field,
    description: Field,
    scopes: Vec<String>,
    scope_error: Option<String>,
    expires_at: Field,
    allowed_ips: Field,
    rate_limit: Field,
    owner_id: Field,
    metadata: Field,
    /// The APIs offered (on an edit, only the key's), the chosen one, the
    /// access choice (`full`, `custom`, or empty), and what is ticked.
    apis: Vec<ApiChoice>,
    api: String,
    access: String,
    permissions: Vec<String>,
    roles: Vec<String>,
    access_error: Option<String>,
    enabled: bool,
    form_id: String,
    /// A create without a form id this server issued (nothing is created).
    form_error: Option<String>,
    /// Widening scopes outside sudo mode asks for the password on the form itself.
    ask_password: bool,
    password_error: Option<String>,
    resources: [Resource; 4],
    management: [Management; 9],
    default_rate_limit: u32,
    /// `?focus=expires_at` (the renew link of an expiry mail) focuses that field.
    focus_expiry: bool,
    /// The org's key policy, stated next to the fields it constrains; the
    /// expiry choices it allows and the one made.
    policy: KeyPolicy,
    expiry_options: Vec<ExpiryOption>,
    expires_in: String,
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    focus: String,
}

impl KeyFormPage {
    fn has_scope(&self, resource: &Resource, access: &str) -> bool {
        let name = format!("{}:{access}", resource.as_str());
        self.scopes.contains(&name)
    }

    fn has_management(&self, scope: &Management) -> bool {
        self.scopes.iter().any(|s| s == scope.name())
    }

    fn has_permission(&self, slug: &str) -> bool {
        self.permissions.iter().any(|p| p == slug)
    }

    fn has_role(&self, slug: &str) -> bool {
        self.roles.iter().any(|r| r == slug)
    }

    fn blank(member: &OrgMember, state: &AppState, apis: Vec<ApiChoice>) -> Self {
        Self {
            chrome: Chrome::for_member(member, NavItem::ApiKeys),
            links: links(&member.org.slug),
            editing: None,
            label: Field::default(),
            description: Field::default(),
            scopes: Vec::new(),
            scope_error: None,
            expires_at: Field::default(),
            allowed_ips: Field::default(),
            rate_limit: Field::default(),
            owner_id: Field::default(),
            metadata: Field::default(),
            apis,
            api: "sample".into(),
            access: String::new(),
            permissions: Vec::new(),
            roles: Vec::new(),
            access_error: None,
            enabled: true,
            form_id: form_id::issue(&state.config.session_key, member.org.id, member.current.user.id),
            form_error: None,
            ask_password: false,
            password_error: None,
            resources: Resource::ALL,
            management: Management::ALL,
            default_rate_limit: state.config.default_rate_limit,
            focus_expiry: false,
            policy: member.org.key_policy,
            expiry_options: expiry_choice::options(&member.org.key_policy),
            expires_in: expiry_choice::default_choice(&member.org.key_policy),
        }
    }

    /// Fills the page with what was typed and parses it; errors stay on the fields.
    fn parse(&mut self, form: &KeyForm) -> Option<KeySettings> {
        self.label = Field::new(&form.label);
        self.description = Field::new(&form.description);
        self.scopes = form.scopes.clone();
        self.expires_at = Field::new(&form.expires_at);
        self.allowed_ips = Field::new(&form.allowed_ips);
        self.rate_limit = Field::new(&form.rate_limit_per_minute);
        self.owner_id = Field::new(&form.owner_id);
        self.metadata = Field::new(&form.metadata);
        if self.editing.is_none() {
            self.api = Some(form.api.trim()).filter(|a| !a.is_empty()).unwrap_or("sample").to_owned();
        }
        self.access = form.access.clone();
        self.permissions = form.permissions.clone();
        self.roles = form.roles.clone();
        self.enabled = form.enabled.is_some();
        let label = self.label.parse(parse_label);
        let description = self.description.parse(parse_description);
        let at = now();
        self.expires_in = form.expires_in.clone();
        let expires_at = self.expires_at.parse(|v| expiry_choice::resolve(&form.expires_in, v, at));
        let allowed_ips = self.allowed_ips.parse(IpAllowlist::parse);
        let rate = self.rate_limit.parse(parse_rate_limit);
        let owner_id =
            self.owner_id.parse(|v| if v.trim().is_empty() { Ok(None) } else { OwnerId::parse(v).map(Some) });
        let metadata = self.metadata.parse(parse_metadata);
        let scopes = self.reach(form).map_err(|errors| self.place(errors)).ok();
        Some(KeySettings {
            label: label?,
            description: description?,
            scopes: scopes?,
            expires_at: expires_at?,
            allowed_ips: allowed_ips?,
            rate_limit_per_minute: rate?,
            owner_id: owner_id?,
            metadata: metadata?,
        })
    }

    /// The access section's fields as the key's scopes; on an edit the key keeps its API.
    fn reach(&self, form: &KeyForm) -> Result<Scopes, Vec<FieldError>> {
        let stays = self.editing.as_ref().and_then(|_| ApiSlug::parse(&self.api).ok());
        let fields = ReachFields {
            api: &form.api,
            access: &form.access,
            scopes: &form.scopes,
            permissions: &form.permissions,
            roles: &form.roles,
        };
        key_reach::parse(&fields, stays.as_ref())
            .map_err(|(field, e)| vec![FieldError { field: field.into(), message: e.0 }])
    }

    /// Puts problems with what the key reaches next to the access choice or the boxes.
    fn place(&mut self, errors: Vec<FieldError>) {
        for e in errors {
            match e.field.as_str() {
                "api" | "access" => self.access_error = Some(e.message),
                _ => self.scope_error = Some(e.message),
            }
        }
    }
}

/// The metadata box: empty = none, else a JSON object of at most 4 KiB.
fn parse_metadata(input: &str) -> Result<Option<Metadata>, ParseError> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    let value = serde_json::from_str(input).map_err(|e| ParseError::new(format!("This is not JSON: {e}.")))?;
    Metadata::parse(value).map(Some)
}

/// The page that shows a new token once (or says a replayed form created nothing).
#[derive(Template)]
#[template(path = "api_key_secret.html")]
pub struct SecretPage {
    pub chrome: Chrome,
    pub links: KeyPages,
    pub title: &'static str,
    pub key: KeyView,
    pub secret: Option<String>,
    pub note: String,
}

/// Why a create or rotate without a server-issued form id made nothing.
pub const NOT_ISSUED: &str = "This form was not issued by Latchkey for you, or is incomplete, so no key was made. Check the values and submit it again.";

pub async fn new(state: web::Data<AppState>, member: OrgMember, meta: RequestMeta) -> Result<HttpResponse, AppError> {
    keys::authorize(&member.caller(meta), Op::Create)?;
    let apis = choices(&state, member.org.id, None).await?;
    render(&KeyFormPage::blank(&member, &state, apis))
}

pub async fn create(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    CsrfForm(form): CsrfForm<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let caller = member.caller(meta);
    keys::authorize(&caller, Op::Create)?;
    let apis = choices(&state, member.org.id, None).await?;
    let mut page = KeyFormPage::blank(&member, &state, apis);
    // Only a form id this server issued may create a key; the form comes back (values kept) with a fresh one.
    let issued = form_id::verify(&state.config.session_key, member.org.id, member.current.user.id, &form.form_id);
    if issued {
        page.form_id = form.form_id.clone();
    } else {
        page.form_error = Some(NOT_ISSUED.into());
    }
    let (Some(settings), true) = (page.parse(&form), issued) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    match keys::create(&state, &caller, (settings, Default::default()), Once::Form(page.form_id.clone())).await {
        Ok(Issued::Created(key, secret)) => {
            // Said on the list that Done leads back to.
            crate::web::pages::notice::set(&session, Notice::KeyCreated);
            show_secret(&state, &member, "API key created", &key, secret)
        }
        Ok(Issued::AlreadySubmitted(existing)) => already_created(&state, (&member, &caller), existing).await,
        Err(CreateError::Policy(breaches)) => page.breaches(breaches),
        Err(CreateError::Invalid(errors)) => {
            page.place(errors);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The one response that carries the token (`no-store`, like every console page).
pub fn show_secret(
    state: &AppState,
    member: &OrgMember,
    title: &'static str,
    key: &ApiKey,
    secret: ApiKeySecret,
) -> Result<HttpResponse, AppError> {
    render(&SecretPage {
        chrome: Chrome::for_member(member, NavItem::ApiKeys),
        links: links(&member.org.slug),
        title,
        key: KeyView::new(key, state.config.default_rate_limit),
        secret: Some(secret.expose().to_owned()),
        note: String::new(),
    })
}

/// A form id that was used before: create nothing, show no secret.
pub async fn already_created(
    state: &AppState,
    (member, caller): (&OrgMember, &Caller),
    key_id: Option<String>,
) -> Result<HttpResponse, AppError> {
    let key = match key_id {
        Some(id) => keys::find(state, caller, Op::Read, &id).await.ok(),
        None => None,
    };
    let Some(key) = key else {
        return Ok(see_other(links(&member.org.slug).list()));
    };
    let page = SecretPage {
        chrome: Chrome::for_member(member, NavItem::ApiKeys),
        links: links(&member.org.slug),
        title: "This key was already created",
        key: KeyView::new(&key, state.config.default_rate_limit),
        secret: None,
        note: "This form was already submitted, so no new key was made. For security, a key's secret is shown only once; if you did not copy it, rotate the key to get a new one.".into(),
    };
    render_status(StatusCode::CONFLICT, &page)
}

async fn edit_page(state: &AppState, member: &OrgMember, key: &ApiKey) -> Result<KeyFormPage, AppError> {
    let scopes = key.scopes();
    let apis = choices(state, member.org.id, Some(scopes.api().as_str())).await?;
    let mut page = KeyFormPage::blank(member, state, apis);
    page.editing = Some(key.key_id.to_string());
    page.label = Field::new(&key.label);
    page.description = Field::new(&key.description);
    let grants: Vec<String> = scopes.access().grants.iter().map(ToString::to_string).collect();
    let full = scopes.is_full_access();
    // A sample key's permissions are the scope grid's boxes; another API's, its own boxes.
    let (sample_boxes, permissions) =
        if scopes.api().is_sample() { (grants, Vec::new()) } else { (Vec::new(), grants) };
    let ticked = if full { Vec::new() } else { sample_boxes };
    page.scopes = ticked.into_iter().chain(scopes.management().map(|m| m.name().to_owned())).collect();
    page.permissions = if full { Vec::new() } else { permissions };
    page.roles = scopes.access().roles.iter().map(ToString::to_string).collect();
    page.api = scopes.api().to_string();
    page.access = if full { "full" } else { "custom" }.into();
    page.owner_id = Field::new(key.owner_id.clone().unwrap_or_default());
    page.metadata = Field::new(key.metadata_value().map(|m| m.to_string()).unwrap_or_default());
    page.expires_at = Field::new(key.expires_at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default());
    page.expires_in = expiry_choice::choice_for(key.expires_at);
    page.allowed_ips = Field::new(key.allowlist().ranges().join("\n"));
    page.rate_limit = Field::new(key.rate_limit_per_minute.map(|n| n.to_string()).unwrap_or_default());
    page.enabled = key.enabled;
    Ok(page)
}

/// The key for its edit form: 404 when it is revoked (nothing can change any more).
async fn editable(state: &AppState, caller: &Caller, key_id: &str) -> Result<ApiKey, AppError> {
    let key = keys::find(state, caller, Op::Edit, key_id).await?;
    if key.revoked_at.is_some() { Err(AppError::NotFound) } else { Ok(key) }
}

pub async fn edit(
    state: web::Data<AppState>,
    member: OrgMember,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, AppError> {
    let key = editable(&state, &member.caller(meta), &path.1).await?;
    let mut page = edit_page(&state, &member, &key).await?;
    page.focus_expiry = query.focus == "expires_at";
    render(&page)
}

/// Saves the edit form. Widening the scopes outside sudo mode asks for the
/// password (or a code) on the form itself, then saves.
pub async fn update(
    state: web::Data<AppState>,
    member: OrgMember,
    session: Session,
    meta: RequestMeta,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<KeyForm>,
) -> Result<HttpResponse, AppError> {
    let mut caller = member.caller(meta);
    let old = editable(&state, &caller, &path.1).await?;
    let mut page = edit_page(&state, &member, &old).await?;
    let Some(settings) = page.parse(&form) else {
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let change = || Change::Form { settings: Box::new(settings.clone()), enabled: form.enabled.is_some() };
    let mut result = keys::edit(&state, &caller, &old.key_id, change()).await;
    if let Err(EditError::NeedsSudo) = result {
        let sudo = key_sudo(&state, &member, &session, &caller.meta, &form.password, &form.code).await?;
        if !sudo.confirmed() {
            page.ask_password = true;
            let tried = !form.password.is_empty() || !form.code.trim().is_empty();
            let needs = crate::web::pages::sudo::Needs::OneFactor;
            page.password_error = tried.then(|| sudo.message(&member.current, needs));
            return render_status(sudo.status(), &page);
        }
        caller = caller.confirmed();
        result = keys::edit(&state, &caller, &old.key_id, change()).await;
    }
    match result {
        Ok(_) => Ok(see_other_with_notice(&session, &links(&member.org.slug).key(&old.key_id), Notice::KeyUpdated)),
        Err(EditError::Policy(breaches)) => page.breaches(breaches),
        Err(EditError::Invalid(errors)) => {
            page.place(errors);
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
