//! Test databases: an empty one (for tests of migrating, and the CLI), or a
//! migrated one copied from a template — an SQLite file copied, or
//! `CREATE DATABASE … TEMPLATE` on PostgreSQL. The template is migrated
//! once and shared by every test process (nextest runs one per test): it is
//! named after a hash of the migrations, built under a private name, then
//! renamed into place, so processes that build it at once never see half of
//! one, and a changed migration gets a template of its own.

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

/// A fresh database with every migration applied, copied from the template.
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

/// A hash of the backend's migration files (names and contents): the template's name.
fn migrations_hash(backend: &str) -> String {
    use std::hash::{Hash, Hasher};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut files: Vec<std::path::PathBuf> = walk(&root);
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.strip_prefix(&root).expect("under the root").hash(&mut hasher);
        std::fs::read(&file).expect("read a migration").hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the migrations folder").flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
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

/// The PostgreSQL template, built (once per server and set of migrations) if missing.
fn postgres_template(base: &str) -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("lk_template_{}", migrations_hash("postgres"));
        let mut admin = admin(base);
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let exists = |admin: &mut diesel::PgConnection| {
            let query = format!("SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'");
            diesel::RunQueryDsl::get_result::<Found>(diesel::sql_query(query), admin).expect("pg_database").n > 0
        };
        if !exists(&mut admin) {
            let building = format!("lk_building_{}_{}", std::process::id(), random_suffix());
            admin.batch_execute(&format!("CREATE DATABASE {building}")).expect("create the template database");
            migrate_url(&database_url_named(base, &building));
            // Another process may have put its own in place meanwhile: then this one goes.
            // (PostgreSQL itself waits a few seconds for the migrating session to end.)
            let rename = format!("ALTER DATABASE {building} RENAME TO {name}");
            if let Err(e) = admin.batch_execute(&rename) {
                assert!(exists(&mut admin), "the template is in place: {e}");
                let _ = admin.batch_execute(&format!("DROP DATABASE {building}"));
            }
        }
        name
    })
}

/// The migrated SQLite template, in `target/test-templates`, built if missing.
fn sqlite_template() -> &'static std::path::Path {
    static TEMPLATE: OnceLock<std::path::PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-templates");
        std::fs::create_dir_all(&dir).expect("template folder");
        let path = dir.join(format!("sqlite-{}.db", migrations_hash("sqlite")));
        if !path.exists() {
            let building = tempfile::tempdir_in(&dir).expect("a folder to build in");
            let built = building.path().join("template.db");
            migrate_url(&format!("sqlite://{}", built.display()));
            // Atomic: a process copying the template sees the whole old file or the whole new one.
            std::fs::rename(&built, &path).expect("put the template in place");
        }
        path
    })
}
