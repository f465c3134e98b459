//! `latchkey demo`: a demo organisation with one user per role, so a first
//! look at the console shows every page. Running it again changes nothing.

use crate::cli::{add_member, create_org, create_user};
use crate::db::{DbConn, orgs, users};
use crate::domain::{Email, OrgName, OrgSlug, Password, PersonName, Plan, Role};
use crate::progress::Progress;
use anyhow::Context;
use diesel::Connection;

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_PASSWORD: &str = "latchkey-demo";

/// (email, name, role in the demo org; `None` = platform staff, no membership).
const PEOPLE: &[(&str, &str, Option<Role>)] = &[
    ("owner@demo.latchkey.test", "Olivia Owner", Some(Role::Owner)),
    ("admin@demo.latchkey.test", "Adam Admin", Some(Role::Admin)),
    ("member@demo.latchkey.test", "Mia Member", Some(Role::Member)),
    ("readonly@demo.latchkey.test", "Rita Readonly", Some(Role::ReadOnly)),
    ("support@demo.latchkey.test", "Sam Support", None),
];

pub fn run(conn: &mut DbConn) -> anyhow::Result<()> {
    let slug = OrgSlug::parse(DEMO_SLUG).map_err(anyhow::Error::msg)?;
    if orgs::find_by_slug(conn, slug.as_str())?.is_some() {
        println!("The demo organisation already exists; nothing changed.");
        print_logins();
        return Ok(());
    }
    let password = Password::parse(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let mut progress = Progress::new("seeding", PEOPLE.len() as u64 + 1);
    // All or nothing: a failure leaves no half-seeded demo behind.
    conn.transaction(|conn| -> anyhow::Result<()> {
        let mut owner = None;
        let mut members = Vec::new();
        for (email, name, role) in PEOPLE {
            let email = Email::parse(email).map_err(anyhow::Error::msg)?;
            let user = match users::find_by_email(conn, &email)? {
                Some(user) => user,
                None => create_user(
                    conn,
                    &email,
                    &PersonName::parse(name).map_err(anyhow::Error::msg)?,
                    &password,
                    role.is_none(),
                )?,
            };
            match role {
                Some(Role::Owner) => owner = Some(user),
                Some(role) => members.push((user, *role)),
                None => {}
            }
            progress.step(email.as_str());
        }
        let owner = owner.context("the demo has no owner")?;
        let name = OrgName::parse("Demo Co").map_err(anyhow::Error::msg)?;
        let org = create_org(conn, &slug, &name, Plan::Paid, &owner)?;
        for (user, role) in members {
            add_member(conn, &org, &user, role)?;
        }
        progress.step("organisation");
        Ok(())
    })?;
    progress.finish();
    println!("Seeded the demo organisation at /orgs/{DEMO_SLUG}.");
    print_logins();
    Ok(())
}

fn print_logins() {
    println!("Logins (password for all: {DEMO_PASSWORD}):");
    for (email, _, role) in PEOPLE {
        let role = role.map(Role::label).unwrap_or("Platform staff");
        println!("  {email:<32} {role}");
    }
}
