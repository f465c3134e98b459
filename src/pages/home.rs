//! `/`: send the user to their first organisation.

use super::see_other;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{render, templates::Chrome};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "no_orgs.html")]
struct NoOrgs {
    chrome: Chrome,
}

pub async fn index(current: CurrentUser) -> Result<HttpResponse, AppError> {
    match current.orgs.first() {
        Some((org, _)) => Ok(see_other(&format!("/orgs/{}", org.slug))),
        None => render(&NoOrgs { chrome: Chrome::for_user(&current, "") }),
    }
}
