//! `latchkey user …`: create a user, and the operator's recovery commands
//! for a locked-out user (set a password, remove every second factor).

use super::{parse_email, parse_person_name, read_password_line, ready_connection};
use crate::db::DbConn;
use crate::db::users::{self, CreateUserError};
use crate::domain::{Email, Password, PersonName};
use crate::infra::password;
use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Create a user who can log in.
    #[command(
        after_help = "Examples:\n  echo 's3cret-pass' | latchkey user create --email ada@example.com --name Ada --password-stdin\n  latchkey user create --email help@example.com --name Helpdesk --password 's3cret-pass' --staff"
    )]
    Create {
        #[arg(long, value_parser = parse_email)]
        email: Email,
        #[arg(long, value_parser = parse_person_name)]
        name: PersonName,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "password", required_unless_present = "password")]
        password_stdin: bool,
        /// The password (visible in the process list; prefer --password-stdin).
        #[arg(long)]
        password: Option<String>,
        /// Platform staff: may read any organisation's audit log in /support.
        #[arg(long)]
        staff: bool,
    },
    /// Set a user's password (for an operator whose user is locked out). Ends
    /// every session of the user and clears their login throttle; audited.
    #[command(
        after_help = "Example:\n  echo 'n3w-s3cret-pass' | latchkey user set-password --email ada@example.com --password-stdin"
    )]
    SetPassword {
        #[arg(long, value_parser = parse_email)]
        email: Email,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "password", required_unless_present = "password")]
        password_stdin: bool,
        /// The password (visible in the process list; prefer --password-stdin).
        #[arg(long)]
        password: Option<String>,
    },
    /// Remove every second factor of a user (authenticator app, recovery
    /// codes, passkeys), end their sessions and clear their login throttle.
    #[command(after_help = "Example:\n  latchkey user reset-two-factor --email ada@example.com")]
    ResetTwoFactor {
        #[arg(long, value_parser = parse_email)]
        email: Email,
    },
}

pub(super) fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create { email, name, password_stdin, password: pw, staff } => {
            let pw = if password_stdin { read_password_line()? } else { pw.unwrap_or_default() };
            let pw = Password::parse(&pw).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
            let mut conn = ready_connection()?;
            let user = create_user(&mut conn, &email, &name, &pw, staff)?;
            println!("Created user {} ({}){}.", user.email, user.id, if staff { ", platform staff" } else { "" });
            Ok(())
        }
        UserCommand::SetPassword { email, password_stdin, password: pw } => {
            let pw = if password_stdin { read_password_line()? } else { pw.unwrap_or_default() };
            let pw = Password::parse(&pw).map_err(|e| anyhow::anyhow!("--password: {e}"))?;
            let mut conn = ready_connection()?;
            let user =
                users::find_by_email(&mut conn, &email)?.with_context(|| format!("no user with email {email}"))?;
            let hash = password::hash(pw.expose())?;
            crate::app::accounts::password::set_by_operator(&mut conn, &user, &hash)?;
            println!("Set the password of {}; every session of the user has ended.", user.email);
            Ok(())
        }
        UserCommand::ResetTwoFactor { email } => {
            let mut conn = ready_connection()?;
            let user =
                users::find_by_email(&mut conn, &email)?.with_context(|| format!("no user with email {email}"))?;
            crate::app::accounts::two_factor::reset_by_operator(&mut conn, &user)?;
            println!("Removed every second factor of {}; every session of the user has ended.", user.email);
            Ok(())
        }
    }
}

pub(crate) fn create_user(
    conn: &mut DbConn,
    email: &Email,
    name: &PersonName,
    pw: &Password,
    staff: bool,
) -> anyhow::Result<users::User> {
    let hash = password::hash(pw.expose())?;
    crate::app::accounts::create(conn, email, name, &hash, staff).map_err(|e| match e {
        CreateUserError::EmailTaken => anyhow::anyhow!("a user with email {email} already exists"),
        CreateUserError::Db(e) => e.into(),
    })
}
