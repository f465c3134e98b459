//! The demo (`latchkey demo`, cli/demo.rs): a realistic demo organisation,
//! so the first look at the console shows every feature — users for each
//! role, a dozen keys in every state, webhook endpoints with deliveries,
//! customers and orders, 90 days of audit history and usage for the charts.
//! Seeding it again changes nothing.

mod apis;
mod requests;
mod seed;
mod webhooks;

use crate::db::{DbConn, orgs, users};
use crate::domain::{Email, OrgSlug, Password, PersonName, Role};
use crate::infra::progress::Progress;
use anyhow::Context;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_PASSWORD: &str = "latchkey-demo";

/// (email, name, role in the demo org; `None` = platform staff, no membership).
pub const PEOPLE: &[(&str, &str, Option<Role>)] = &[
    ("owner@demo.latchkey.test", "Olivia Owner", Some(Role::Owner)),
    ("admin@demo.latchkey.test", "Adam Admin", Some(Role::Admin)),
    ("member@demo.latchkey.test", "Mia Member", Some(Role::Member)),
    ("readonly@demo.latchkey.test", "Rita Readonly", Some(Role::ReadOnly)),
    ("support@demo.latchkey.test", "Sam Support", None),
];

/// Seeds the demo organisation, all or nothing, drawing progress on the
/// terminal; `false` when it already exists (then nothing changes).
///
/// `config` must be the one `latchkey serve` uses (the same environment or
/// keys file): its encryption key seals the sample webhook signing secrets,
/// and its checkpoint key signs the history.
pub fn seed(conn: &mut DbConn, config: &crate::infra::config::Config) -> anyhow::Result<bool> {
    let slug = OrgSlug::parse(DEMO_SLUG).map_err(anyhow::Error::msg)?;
    if orgs::find_by_slug(conn, slug.as_str())?.is_some() {
        return Ok(false);
    }
    let password = Password::parse(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    // One hash serves every demo person (they share the password).
    let hash = crate::infra::password::hash(password.expose())?;
    let mut progress = Progress::new("seeding", PEOPLE.len() as u64 + seed::STEPS);
    // All or nothing: a failure leaves no half-seeded demo behind.
    crate::db::transaction(conn, |conn| -> anyhow::Result<()> {
        let (mut people, mut staff) = (Vec::new(), None);
        for (email, name, role) in PEOPLE {
            let email = Email::parse(email).map_err(anyhow::Error::msg)?;
            let user = match users::find_by_email(conn, &email)? {
                Some(user) => user,
                None => {
                    let name = PersonName::parse(name).map_err(anyhow::Error::msg)?;
                    users::create(conn, &email, &name, &hash, role.is_none())?
                }
            };
            match role {
                Some(role) => people.push((user, *role)),
                None => staff = Some(user),
            }
            progress.step(email.as_str());
        }
        let owner = people.iter().find(|(_, r)| *r == Role::Owner).map(|(u, _)| u.clone()).context("no owner")?;
        seed::organisation(conn, &slug, &owner, &people, staff.as_ref(), config, &mut progress)?;
        Ok(())
    })?;
    progress.finish();
    Ok(true)
}
