//! The command line (docs/operator-guide.md: Command line). Every command runs pending migrations first,
//! parses its arguments into domain values, and changes nothing on error.

mod audit_archive;
mod audit_checks;
mod audit_commands;
mod backup_commands;
pub mod demo;
mod user_commands;

use crate::app::audit::{Actor, RequestMeta};
use crate::db::orgs::CreateOrgError;
use crate::db::{self, DbConn, orgs, users};
use crate::domain::{Email, OrgName, OrgSlug, PersonName, Plan, Role};
use crate::infra::config::{self, Config};
use crate::infra::progress::Progress;
use anyhow::Context;
use audit_commands::AuditCommand;
use clap::{Parser, Subcommand};
use std::io::BufRead;
use user_commands::UserCommand;

const EXAMPLES: &str = "Examples:
  latchkey                                   # same as `latchkey serve`
  DATABASE_URL=postgres://u@db/latchkey latchkey serve
  latchkey user create --email ada@example.com --name 'Ada L' --password-stdin < pw.txt
  latchkey org create --slug acme --name 'Acme Inc' --plan paid --owner ada@example.com
  latchkey org add-member --org acme --email bob@example.com --role admin
  latchkey audit verify --org acme
  latchkey audit verify --file audit-log-acme.jsonl --public-key audit-key.txt
  latchkey backup --to /var/backups/latchkey/today
  latchkey demo";

#[derive(Debug, Parser)]
#[command(name = "latchkey", version, about = "A self-hostable API key console", after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the console and API (the default). Binds LATCHKEY_BIND or 127.0.0.1:8080.
    #[command(
        after_help = "Example:\n  LATCHKEY_BIND=0.0.0.0:8080 LATCHKEY_PUBLIC_URL=https://keys.example.com latchkey serve"
    )]
    Serve,
    /// Apply pending database migrations and exit.
    #[command(after_help = "Example:\n  DATABASE_URL=sqlite://latchkey.db latchkey migrate")]
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent backup of the database and its keys into a new directory, while `serve` runs.
    #[command(after_help = "Examples:\n  latchkey backup --to /var/backups/latchkey/2026-12-06\n  \
                            DATABASE_URL=postgres://latchkey@db/latchkey latchkey backup --to backup-1  # needs pg_dump")]
    Backup {
        /// A new or empty directory.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Restore a backup into an empty database, then verify every organisation's audit log.
    #[command(
        after_help = "Example:\n  DATABASE_URL=sqlite:///var/lib/latchkey/latchkey.db LATCHKEY_KEYS_FILE=/var/lib/latchkey/latchkey.keys \\\n    latchkey restore --from /var/backups/latchkey/2026-12-06"
    )]
    Restore {
        /// A directory `latchkey backup` wrote.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Seed a demo organisation with one user per role, and print the logins.
    #[command(after_help = "Example:\n  latchkey demo && latchkey serve")]
    Demo,
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation with an existing user as its owner.
    #[command(
        after_help = "Example:\n  latchkey org create --slug acme --name 'Acme Inc' --plan paid --owner ada@example.com"
    )]
    Create {
        #[arg(long, value_parser = parse_slug)]
        slug: OrgSlug,
        #[arg(long, value_parser = parse_org_name)]
        name: OrgName,
        /// free, trial or paid (API keys need paid).
        #[arg(long, value_parser = parse_plan)]
        plan: Plan,
        /// Email of the user who becomes the owner.
        #[arg(long, value_parser = parse_email)]
        owner: Email,
    },
    /// Add an existing user to an organisation.
    #[command(after_help = "Example:\n  latchkey org add-member --org acme --email bob@example.com --role read_only")]
    AddMember {
        #[arg(long, value_parser = parse_slug)]
        org: OrgSlug,
        #[arg(long, value_parser = parse_email)]
        email: Email,
        /// owner, admin, member or read_only.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Change an organisation's plan.
    #[command(after_help = "Example:\n  latchkey org set-plan --org acme --plan free")]
    SetPlan {
        #[arg(long, value_parser = parse_slug)]
        org: OrgSlug,
        #[arg(long, value_parser = parse_plan)]
        plan: Plan,
    },
}

fn parse_email(s: &str) -> Result<Email, String> {
    Email::parse(s).map_err(|e| e.0)
}
fn parse_person_name(s: &str) -> Result<PersonName, String> {
    PersonName::parse(s).map_err(|e| e.0)
}
fn parse_org_name(s: &str) -> Result<OrgName, String> {
    OrgName::parse(s).map_err(|e| e.0)
}
fn parse_slug(s: &str) -> Result<OrgSlug, String> {
    OrgSlug::parse(s).map_err(|e| e.0)
}
fn parse_plan(s: &str) -> Result<Plan, String> {
    Plan::parse(s).map_err(|e| e.0)
}
fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.0)
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    crate::infra::telemetry::init(config::log_format_from_env()?);
    // Every command that hashes a password (user create, set-password, demo, serve) takes the setting.
    crate::infra::password::configure(config::password_cost_from_env()?);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Migrate => {
            let applied = migrate(&mut connect()?, Report::Progress)?;
            println!("{applied} migration(s) applied; the database is up to date.");
            Ok(())
        }
        Command::User(command) => user_commands::run(command),
        Command::Org(OrgCommand::Create { slug, name, plan, owner }) => {
            let mut conn = ready_connection()?;
            let owner = users::find_by_email(&mut conn, &owner)?
                .with_context(|| format!("no user with email {owner}; create it with `latchkey user create`"))?;
            let org = create_org(&mut conn, &slug, &name, plan, &owner)?;
            println!(
                "Created organisation {} ({}) on the {} plan, owned by {}.",
                org.slug, org.name, org.plan, owner.email
            );
            Ok(())
        }
        Command::Org(OrgCommand::AddMember { org, email, role }) => {
            let mut conn = ready_connection()?;
            let found = find_org(&mut conn, &org)?;
            let user =
                users::find_by_email(&mut conn, &email)?.with_context(|| format!("no user with email {email}"))?;
            add_member(&mut conn, &found, &user, role)?;
            println!("Added {email} to {org} as {role}.");
            Ok(())
        }
        Command::Org(OrgCommand::SetPlan { org, plan }) => {
            let mut conn = ready_connection()?;
            let found = find_org(&mut conn, &org)?;
            // API keys of a downgraded org are refused by every running server before this returns.
            crate::app::orgs::set_plan(&mut conn, &found, plan, &Actor::cli(), &RequestMeta::default())?;
            println!("{org} is now on the {plan} plan.");
            Ok(())
        }
        Command::Audit(command) => audit_commands::run(command),
        Command::Backup { to } => backup_commands::backup(&to),
        Command::Restore { from } => backup_commands::restore(&from),
        Command::Demo => {
            // The sample webhook secrets are sealed, and the history signed, with the keys `serve` will use.
            let config = Config::from_env()?;
            crate::cli::demo::run(&mut ready_connection()?, &config)
        }
    }
}

fn serve() -> anyhow::Result<()> {
    crate::app::webhooks::send::install_tls();
    let config = Config::from_env()?;
    if config.password_cost.is_below_recommended() {
        tracing::warn!(
            memory_kib = config.password_cost.memory_kib,
            iterations = config.password_cost.iterations,
            "new password hashes are cheaper than the recommended argon2id cost (19456 KiB, 2 iterations)"
        );
    }
    // Migrations hold a session lock: through a pooler's transaction mode they go on the direct URL.
    let mut conn = match &config.scale.listen_database_url {
        Some(direct) => {
            db::connect(direct).map_err(|e| anyhow::anyhow!("cannot open LATCHKEY_LISTEN_DATABASE_URL: {e}"))?
        }
        None => connect()?,
    };
    crate::app::database::refuse_newer_schema(&mut conn)?;
    crate::app::database::check_writable(&mut conn).map_err(|e| {
        anyhow::anyhow!("the database cannot be written: {e} (check the file's permissions and the free disk space)")
    })?;
    // Serve's stderr is its log (maybe JSON): migrations are log events there.
    migrate(&mut conn, Report::Log)?;
    drop(conn);
    let listener =
        std::net::TcpListener::bind(&config.bind).with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!(address = %config.bind, public_url = config.public_url.origin(), "latchkey listening");
    if config.log_format == config::LogFormat::Text {
        eprintln!("Latchkey is running at {}", config.public_url.origin());
    }
    let pool = match config.scale.listen_database_url {
        Some(_) => db::pool_through_pooler(&config.database_url),
        None => db::pool(&config.database_url),
    };
    crate::web::server::run_blocking(config, pool, listener)?;
    Ok(())
}

/// One connection for CLI work, with the real error if the database cannot be opened.
fn connect() -> anyhow::Result<DbConn> {
    let url = config::database_url_from_env()?;
    db::connect(&url).map_err(|e| {
        if db::is_postgres(&url) {
            anyhow::anyhow!("cannot open the database: {e}")
        } else {
            let path = db::sqlite_path(&url);
            anyhow::anyhow!(
                "cannot open the SQLite database {path}: {e} (its directory must exist, be writable and have free space: \
                 SQLite creates {path}-wal and {path}-shm beside it)"
            )
        }
    })
}

fn ready_connection() -> anyhow::Result<DbConn> {
    let mut conn = connect()?;
    migrate(&mut conn, Report::Progress)?;
    Ok(conn)
}

/// How migrations report: a progress bar where one is drawn (CLI), or log events (`serve`).
#[derive(PartialEq)]
enum Report {
    Progress,
    Log,
}

/// Applies pending migrations (waiting while another process applies them),
/// reporting each: on the bar when one is drawn, otherwise as one INFO log
/// line per migration. Returns how many this process applied.
fn migrate(conn: &mut DbConn, report: Report) -> anyhow::Result<usize> {
    let bar = report == Report::Progress && crate::infra::progress::draws_bar();
    let mut progress: Option<Progress> = None;
    let applied = crate::app::database::migrate(conn, |done, total, version| {
        if bar {
            progress.get_or_insert_with(|| Progress::new("migrating", total as u64)).step(version);
        } else {
            tracing::info!(version, done, total, "migration applied");
        }
    })?;
    if let Some(progress) = progress {
        progress.finish();
    }
    Ok(applied)
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn find_org(conn: &mut DbConn, slug: &OrgSlug) -> anyhow::Result<orgs::Org> {
    orgs::find_by_slug(conn, slug.as_str())?.with_context(|| format!("no organisation with slug {slug}"))
}

/// Creates an organisation owned by `owner`, with its `org.created` event.
pub(crate) fn create_org(
    conn: &mut DbConn,
    slug: &OrgSlug,
    name: &OrgName,
    plan: Plan,
    owner: &users::User,
) -> anyhow::Result<orgs::Org> {
    let created = crate::app::orgs::create(conn, slug, name, plan, owner, &Actor::cli(), &RequestMeta::default());
    created.map_err(|e| match e {
        CreateOrgError::SlugTaken => {
            anyhow::anyhow!("an organisation with slug {slug} already exists")
        }
        CreateOrgError::Db(e) => e.into(),
    })
}

/// Adds a member, with its `member.added` event.
pub(crate) fn add_member(conn: &mut DbConn, org: &orgs::Org, user: &users::User, role: Role) -> anyhow::Result<()> {
    crate::app::members::add(conn, org.id, user, role, &Actor::cli(), &RequestMeta::default())
        .map_err(|e| anyhow::anyhow!("{e}"))
}
