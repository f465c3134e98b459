//! Extractors that put the caller's identity in a handler's signature.
//! The user and their memberships are re-read on every request, so a removed
//! member or a demoted admin loses access at once.

use super::session;
use crate::app::accounts::signed_in::{SignedIn, signed_in};
use crate::app::caller::{Org, User};
use crate::app::state::AppState;
use crate::domain::Role;
use crate::web::error::AppError;
use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

/// A logged-in user, with every organisation they belong to (for the org switcher).
pub struct CurrentUser {
    pub user: User,
    pub orgs: Vec<(Org, Role)>,
    pub csrf: String,
    pub login: session::Login,
    /// A confirmed authenticator or a passkey: orgs that require one let the user in.
    pub has_second_factor: bool,
    /// A confirmed authenticator app: sudo mode asks for its code instead of the password.
    pub has_authenticator_app: bool,
    /// At least one passkey: sudo mode offers it too.
    pub has_passkey: bool,
}

impl CurrentUser {
    async fn load(req: &HttpRequest) -> Result<Self, AppError> {
        let session = req.get_session();
        // Only a GET can be replayed after login; a POST sends the user to the dashboard.
        let next = (req.method() == Method::GET).then(|| req.uri().to_string());
        let Some(login) = session::current(&session) else {
            return Err(AppError::Unauthenticated { next });
        };
        let state = req.app_data::<web::Data<AppState>>().ok_or(AppError::internal("no app state"))?;
        // The session's server-side row must exist (logout deletes it) and be within its lifetimes.
        match signed_in(state, login.user_id, login.sid.hash()).await? {
            Some(SignedIn { user, orgs, has_authenticator_app, has_passkey }) if user.session_epoch == login.epoch => {
                Ok(Self {
                    user,
                    orgs,
                    csrf: session::csrf_token(&session),
                    login,
                    has_second_factor: has_authenticator_app || has_passkey,
                    has_authenticator_app,
                    has_passkey,
                })
            }
            _ => {
                session::end(&session);
                Err(AppError::Unauthenticated { next })
            }
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::load(&req).await })
    }
}

/// A member of the organisation named by the `{slug}` path segment.
/// Anyone else gets 404, so other tenants cannot learn the org exists;
/// platform staff, who see every org in `/support`, get 403.
pub struct OrgMember {
    pub current: CurrentUser,
    pub org: Org,
    pub role: Role,
}

impl OrgMember {
    /// The member as the use cases take it: in this org, with this role, in
    /// sudo mode while the last confirmation is fresh, from this request.
    pub fn caller(&self, meta: crate::app::audit::RequestMeta) -> crate::app::caller::Caller {
        let sudo = session::sudo_fresh(&self.current.login);
        crate::app::caller::Caller::member(self.current.user.clone(), self.org.clone(), self.role, sudo, meta)
    }

    /// 403 unless `allowed` (a `Role::can_*` answer) holds.
    pub fn require(&self, allowed: fn(Role) -> bool) -> Result<(), AppError> {
        if allowed(self.role) { Ok(()) } else { Err(AppError::Forbidden) }
    }
}

impl FromRequest for OrgMember {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let current = CurrentUser::load(&req).await?;
            let slug = req.match_info().get("slug").unwrap_or_default();
            let Some((org, role)) = current.orgs.iter().find(|(org, _)| org.slug == slug).cloned() else {
                // Staff reach organisations through the read-only support console;
                // here they may do nothing (docs/security-model.md: Roles; 403). Everyone else gets 404.
                return Err(match current.user.is_staff {
                    true => AppError::StaffOutside { slug: slug.to_owned() },
                    false => AppError::NotFound,
                });
            };
            // An org that requires a second factor shows nothing to a member without one.
            if org.require_two_factor && !current.has_second_factor {
                return Err(AppError::SecondFactorRequired {
                    read: req.method() == Method::GET || req.method() == Method::HEAD,
                    org: org.slug.to_string(),
                });
            }
            Ok(Self { current, org, role })
        })
    }
}
