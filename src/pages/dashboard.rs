//! `/orgs/{slug}`: the organisation's home. Owners and admins see the
//! overview; members and read-only users see only who the owners are.

use super::render;
use super::templates::Chrome;
use crate::app::AppState;
use crate::auth::OrgMember;
use crate::db::memberships::{self, Member};
use crate::domain::Role;
use crate::error::AppError;
use actix_web::{HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    full_view: bool,
    role: &'static str,
    owners: Vec<Member>,
    member_count: usize,
    chart: String,
}

pub async fn show(state: web::Data<AppState>, member: OrgMember) -> Result<HttpResponse, AppError> {
    let org_id = member.org.id;
    let today = crate::db::now().date();
    let full_view = member.role.can_manage_settings();
    let (members, usage) = state
        .db
        .run(move |conn| {
            let members = memberships::list(conn, org_id)?;
            // Members and read-only users see no key data, so nothing is loaded for them.
            let usage = if full_view {
                crate::db::usage::daily(conn, org_id, None, today - chrono::Duration::days(29))?
            } else {
                Vec::new()
            };
            Ok::<_, diesel::result::Error>((members, usage))
        })
        .await?;
    let member_count = members.len();
    let owners = members.into_iter().filter(|m| m.role == Role::Owner).collect();
    render(&DashboardPage {
        chrome: Chrome::for_member(&member, "dashboard"),
        full_view,
        chart: if full_view {
            crate::pages::chart::usage_svg(&usage, today, 30, "API requests")
        } else {
            String::new()
        },
        role: member.role.label(),
        owners,
        member_count,
    })
}
