//! `latchkey demo`: a demo organisation with one user per role, so a first
//! look at the console shows every page. Running it again changes nothing.

use crate::audit::{self, Actor, Entry, RequestMeta};
use crate::cli::{add_member, create_org, create_user};
use crate::db::api_keys::{self, KeySettings, NewKey};
use crate::db::{DbConn, orgs, users};
use crate::domain::scopes::Scopes;
use crate::domain::token::{ApiKeySecret, KeyId, KeyPrefix};
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
        seed_keys(conn, org.id, &owner)?;
        progress.step("organisation");
        Ok(())
    })?;
    progress.finish();
    println!("Seeded the demo organisation at /orgs/{DEMO_SLUG}.");
    print_logins();
    Ok(())
}

/// Sample keys in several states, so the key list shows badges and marks.
/// Their secrets are discarded: create your own key to call the API.
fn seed_keys(conn: &mut DbConn, org_id: i64, owner: &users::User) -> anyhow::Result<()> {
    let now = crate::db::now();
    let samples: [(&str, &[&str], Option<chrono::NaiveDateTime>); 5] = [
        ("Zapier – order sync", &["orders:write"], None),
        ("Warehouse backend", &[], None),
        ("Analytics export", &["customers:read", "orders:read"], Some(now + chrono::Duration::days(5))),
        ("Legacy CRM import", &["customers:write"], None),
        ("Leaked test key", &["products:read"], None),
    ];
    let actor = Actor::cli();
    for (i, (label, scopes, expires_at)) in samples.into_iter().enumerate() {
        let secret = ApiKeySecret::generate(&KeyPrefix::default());
        let settings = KeySettings {
            label: label.to_owned(),
            description: "Sample key created by `latchkey demo`.".into(),
            scopes: Scopes::parse(scopes).map_err(anyhow::Error::msg)?,
            expires_at,
            allowed_ips: Default::default(),
            rate_limit_per_minute: None,
        };
        let key_id = KeyId::generate();
        let key = api_keys::insert(
            conn,
            NewKey {
                org_id,
                key_id: key_id.as_str(),
                token_hash: &secret.hash().0,
                display_prefix: &secret.display_prefix(),
                settings: &settings,
                created_by_id: owner.id,
                created_by_name: &owner.name,
                rotated_from: None,
            },
        )?;
        audit::record(conn, &actor, &RequestMeta::default(), Entry::api_key_created(&key))?;
        match i {
            3 => {
                api_keys::set_enabled(conn, key.id, false)?;
                audit::record(conn, &actor, &RequestMeta::default(), Entry::api_key_deactivated(&key))?;
            }
            4 => {
                api_keys::revoke(conn, key.id, "latchkey demo")?;
                audit::record(conn, &actor, &RequestMeta::default(), Entry::api_key_revoked(&key, "demo"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn print_logins() {
    println!("Logins (password for all: {DEMO_PASSWORD}):");
    for (email, _, role) in PEOPLE {
        let role = role.map(Role::label).unwrap_or("Platform staff");
        println!("  {email:<32} {role}");
    }
}
