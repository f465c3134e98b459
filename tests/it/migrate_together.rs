//! Replicas started together on a fresh database: every process migrates,
//! exactly one of them applies each migration, and every one exits 0.

use crate::support::*;
use diesel::RunQueryDsl;
use std::process::{Command, Output, Stdio};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn migration_count() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite")).expect("migrations").count()
}

/// The `N` of "N migration(s) applied" on a `latchkey migrate` process's stdout.
fn applied(out: &Output) -> usize {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .find_map(|l| l.split_once(" migration(s) applied")?.0.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count on stdout: {stdout}"))
}

#[test]
fn four_processes_migrating_a_fresh_database_at_once_all_succeed_and_apply_each_migration_once() {
    let (url, _dir) = fresh_database();
    // Started back to back, before any of them has opened the database.
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_latchkey"))
                .arg("migrate")
                .env("DATABASE_URL", &url)
                .env("RUST_LOG", "info")
                .env_remove("LATCHKEY_LOG_FORMAT")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start latchkey migrate")
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().expect("wait")).collect();
    for out in &outputs {
        assert!(out.status.success(), "every process runs: {}", String::from_utf8_lossy(&out.stderr));
    }

    let total = migration_count();
    assert_eq!(outputs.iter().map(applied).sum::<usize>(), total, "each migration applied by one process");
    let logged: usize =
        outputs.iter().map(|o| String::from_utf8_lossy(&o.stderr).matches("migration applied").count()).sum();
    assert_eq!(logged, total, "one INFO line per applied migration");
    let mut conn = latchkey::db::pool(&url).get().expect("connect");
    let rows: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut *conn)
        .expect("count migrations");
    assert_eq!(rows.n as usize, total, "one migrated schema");
}
