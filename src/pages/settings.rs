//! Settings pages that later work fills in. The routes, role gates and
//! layout are real now; the content says what is coming.

use super::render;
use super::templates::Chrome;
use crate::auth::OrgMember;
use crate::domain::Role;
use crate::error::AppError;
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "coming_soon.html")]
struct ComingSoonPage {
    chrome: Chrome,
    title: &'static str,
    summary: &'static str,
}

fn coming_soon(
    member: &OrgMember,
    active: &'static str,
    title: &'static str,
    summary: &'static str,
) -> Result<HttpResponse, AppError> {
    member.require(Role::can_manage_settings)?;
    render(&ComingSoonPage { chrome: Chrome::for_member(member, active), title, summary })
}

pub async fn webhooks(member: OrgMember) -> Result<HttpResponse, AppError> {
    coming_soon(
        &member,
        "webhooks",
        "Webhooks",
        "Send signed events to your own endpoints when orders, customers, products or keys change.",
    )
}
