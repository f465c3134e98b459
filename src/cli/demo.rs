//! `latchkey demo`: seeds the demo organisation (`app::demo`) unless it
//! exists, and prints the logins either way.

use crate::db::DbConn;
use crate::domain::Role;
use crate::infra::config::Config;

pub use crate::app::demo::{DEMO_PASSWORD, DEMO_SLUG};

/// `config` must be the one `latchkey serve` uses (see `app::demo::seed`).
pub fn run(conn: &mut DbConn, config: &Config) -> anyhow::Result<()> {
    if crate::app::demo::seed(conn, config)? {
        println!("Seeded the demo organisation at /orgs/{DEMO_SLUG}.");
    } else {
        println!("The demo organisation already exists; nothing changed.");
    }
    print_logins();
    Ok(())
}

fn print_logins() {
    println!("Logins (password for all: {DEMO_PASSWORD}):");
    for (email, _, role) in crate::app::demo::PEOPLE {
        let role = role.map(Role::label).unwrap_or("Platform staff");
        println!("  {email:<32} {role}");
    }
}
