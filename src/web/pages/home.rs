//! `/`: send the user to their first organisation (staff: the support console).

use super::see_other;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::pages::{render, templates::Chrome};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "no_orgs.html")]
struct NoOrgs {
    chrome: Chrome,
}

/// Members land on their first organisation; platform staff without one on the support console.
pub async fn index(current: CurrentUser) -> Result<HttpResponse, AppError> {
    match current.orgs.first() {
        Some((org, _)) => Ok(see_other(&crate::domain::urls::org(&org.slug))),
        None if current.user.is_staff => Ok(see_other(crate::domain::urls::SUPPORT)),
        None => render(&NoOrgs { chrome: Chrome::for_user(&current, None) }),
    }
}
