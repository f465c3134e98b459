//! Test databases: an empty one (for tests of migrating, and the CLI), or a
//! migrated one copied from a template migrated once per test process — an
//! SQLite file copied, or `CREATE DATABASE … TEMPLATE` on PostgreSQL.

use super::*;
use diesel::r2d2::ManageConnection;
use std::sync::OnceLock;

/// A fresh, empty database URL: PostgreSQL when the test command started one, SQLite otherwise.
pub fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    init_test_logging();
    // reqwest is built with rustls and no default provider; the tests' clients need one too.
    latchkey::app::webhooks::send::install_tls();
    match postgres_base() {
        Some(base) => {
            let name = format!("lk_test_{}", random_suffix());
            admin(&base).batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
            (database_url_named(&base, &name), None)
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("latchkey.db").display());
            (url, Some(dir))
        }
    }
}

/// A fresh database with every migration applied, copied from this process's template.
pub fn migrated_database() -> (String, Option<tempfile::TempDir>) {
    init_test_logging();
    latchkey::app::webhooks::send::install_tls();
    match postgres_base() {
        Some(base) => {
            let template = postgres_template(&base);
            let name = format!("lk_test_{}", random_suffix());
            let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
            let mut admin = admin(&base);
            // Nothing stays connected to the template; an autovacuum worker that just
            // started on it is asked to leave by PostgreSQL itself, so one more try suffices.
            if admin.batch_execute(&sql).is_err() {
                admin.batch_execute(&sql).expect("create test database from the template");
            }
            (database_url_named(&base, &name), None)
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("latchkey.db");
            std::fs::copy(sqlite_template(), &path).expect("copy the migrated template");
            (format!("sqlite://{}", path.display()), Some(dir))
        }
    }
}

fn postgres_base() -> Option<String> {
    std::env::var("LATCHKEY_TEST_DATABASE_URL").ok().filter(|base| db::is_postgres(base))
}

fn admin(base: &str) -> diesel::PgConnection {
    diesel::PgConnection::establish(base).expect("connect to the test PostgreSQL server")
}

fn database_url_named(base: &str, name: &str) -> String {
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    format!("{prefix}/{name}")
}

fn migrate_url(url: &str) {
    let mut conn = latchkey::db::Manager::new(url).connect().expect("connect to the template");
    db::migrate(&mut conn).expect("migrate the template");
    if matches!(conn, latchkey::db::DbConn::Sqlite(_)) {
        // Everything into the main file, which alone is copied.
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)").expect("checkpoint the template");
    }
    // Dropped here: no connection to the template stays open.
}

/// This process's PostgreSQL template, migrated on first use. Named after the
/// process, so test binaries running at once never share (or race on) one.
fn postgres_template(base: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("lk_template_{}_{}", std::process::id(), random_suffix());
        admin(base).batch_execute(&format!("CREATE DATABASE {name}")).expect("create the template database");
        migrate_url(&database_url_named(base, &name));
        name
    })
}

/// This process's migrated SQLite file, in a folder named after the process;
/// folders left by test processes that have ended are removed first.
fn sqlite_template() -> &'static std::path::Path {
    static TEMPLATE: OnceLock<std::path::PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let root = std::env::temp_dir();
        let prefix = "latchkey-template-";
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix(prefix) else { continue };
            let proc = std::path::Path::new("/proc");
            if proc.join("self").exists() && !proc.join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let dir = root.join(format!("{prefix}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("template folder");
        let path = dir.join("template.db");
        migrate_url(&format!("sqlite://{}", path.display()));
        path
    })
}
