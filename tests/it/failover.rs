//! A PostgreSQL failover under two real instances (docs/operator-guide.md:
//! Scale-out → Failover): a primary and a streaming standby made with
//! `pg_basebackup -R` (synchronous, so a commit is on both), a multi-host
//! `DATABASE_URL` with `target_session_attrs=read-write`, the primary
//! killed and the standby promoted with `pg_ctl promote`. A key revoked
//! before or after the switch is never served; a revocation while no
//! primary is reachable is refused (503) within 15 s and changes nothing;
//! both instances serve again within 10 s of the promotion. Runs when the
//! test command has PostgreSQL (its binaries make the two clusters).

use crate::lifecycle::setup_over_http;
use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// PostgreSQL's server programs (the newest installed).
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.filter_map(Result::ok).map(|d| d.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    versions.pop().unwrap_or_default().join(program)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs a PostgreSQL program as the `postgres` user when we are root (initdb refuses root).
fn pg(program: &str, args: &[&str]) {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(pg_bin(program));
        c
    } else {
        Command::new(pg_bin(program))
    };
    let out = command.args(args).output().expect(program);
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

struct Cluster {
    data: PathBuf,
    port: u16,
}

/// Stops a cluster however the test ends (a stopped one is left as it is).
impl Drop for Cluster {
    fn drop(&mut self) {
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_bin("pg_ctl"));
            c
        } else {
            Command::new(pg_bin("pg_ctl"))
        };
        let _ = command.args(["-D", &self.data.to_string_lossy(), "-m", "immediate", "-w", "stop"]).output();
    }
}

impl Cluster {
    fn start(&self, log: &Path) {
        let options = format!("-c listen_addresses=127.0.0.1 -p {} -k {}", self.port, log.parent().unwrap().display());
        pg(
            "pg_ctl",
            &[
                "-D",
                &self.data.to_string_lossy(),
                "-l",
                &log.to_string_lossy(),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn sql(&self, query: &str) -> String {
        let out = Command::new(pg_bin("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-tAc", query, "postgres"])
            .output()
            .expect("psql");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// A primary and a synchronous streaming standby, each in `dir`.
fn primary_and_standby(dir: &Path) -> (Cluster, Cluster) {
    if is_root() {
        let _ = Command::new("chown").args(["-R", "postgres:", &dir.to_string_lossy()]).status();
    }
    let primary = Cluster { data: dir.join("primary"), port: free_port() };
    pg("initdb", &["-D", &primary.data.to_string_lossy(), "-U", "postgres", "-A", "trust", "--no-sync"]);
    let conf = "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\nmax_connections = 200\n";
    append(&primary.data.join("postgresql.conf"), conf);
    primary.start(&dir.join("primary.log"));
    assert_eq!(primary.sql("CREATE DATABASE latchkey"), "CREATE DATABASE");
    let standby = Cluster { data: dir.join("standby"), port: free_port() };
    let source = format!("host=127.0.0.1 port={} user=postgres application_name=standby", primary.port);
    pg(
        "pg_basebackup",
        &["-d", &source, "-D", &standby.data.to_string_lossy(), "-R", "-X", "stream", "--checkpoint=fast"],
    );
    // -R wrote primary_conninfo; it needs the name the primary waits for.
    append(&standby.data.join("postgresql.auto.conf"), &format!("primary_conninfo = '{source}'\n"));
    standby.start(&dir.join("standby.log"));
    // Synchronous from now on (before, every commit would wait for a standby not there yet).
    primary.sql("ALTER SYSTEM SET synchronous_standby_names = 'standby'");
    primary.sql("SELECT pg_reload_conf()");
    let started = Instant::now();
    while primary.sql("SELECT sync_state FROM pg_stat_replication") != "sync" {
        assert!(started.elapsed() < Duration::from_secs(30), "the standby never streamed");
        std::thread::sleep(Duration::from_millis(100)); // PostgreSQL's own start-up, not ours
    }
    (primary, standby)
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).expect("conf");
    file.write_all(text.as_bytes()).expect("append");
}

async fn status(base: &str, token: &str) -> u16 {
    let ping = api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).timeout(Duration::from_secs(20));
    ping.send().await.map_or(0, |r| r.status().as_u16())
}

async fn revoke(base: &str, admin: &str, key_id: &str) -> (u16, Duration) {
    let started = Instant::now();
    let res = api_client()
        .post(format!("{base}/api/v1/keys/{key_id}/revoke"))
        .bearer_auth(admin)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("revoke");
    (res.status().as_u16(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_revoked_key_is_served_across_a_failover_and_both_instances_serve_within_10_s() {
    if std::env::var("LATCHKEY_TEST_DATABASE_URL").map_or(true, |u| !latchkey::db::is_postgres(&u)) {
        return;
    }
    latchkey::app::webhooks::send::install_tls(); // the tests' HTTP clients need a TLS provider
    let dir = tempfile::tempdir().expect("clusters");
    let (primary, standby) = primary_and_standby(dir.path());
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/latchkey?target_session_attrs=read-write&connect_timeout=2",
        primary.port, standby.port
    );
    let env = shared_keys().to_vec();
    let a = ServeProcess::start(&url, &env).await;
    let b = ServeProcess::start(&url, &env).await;
    let owner = setup_over_http(&a.base).await;
    let fields = |label| [("label", label), ("rate_limit_per_minute", "0")];
    let admin =
        create_key(&owner, &[("label", "admin"), ("scopes", "keys:write"), ("rate_limit_per_minute", "0")]).await;
    let before = create_key(&owner, &fields("before")).await;
    let during = create_key(&owner, &fields("during")).await;
    let after = create_key(&owner, &fields("after")).await;
    let alive = create_key(&owner, &fields("alive")).await;
    for key in [&before, &during, &after, &alive] {
        assert_eq!((status(&a.base, &key.token).await, status(&b.base, &key.token).await), (200, 200));
    }
    assert_eq!(revoke(&a.base, &admin.token, &before.id).await.0, 200);
    assert_eq!(status(&b.base, &before.token).await, 401);

    // The primary dies.
    pg("pg_ctl", &["-D", &primary.data.to_string_lossy(), "-m", "immediate", "-w", "stop"]);
    // No primary: the revocation is refused, in time, and changes nothing.
    let (code, took) = revoke(&a.base, &admin.token, &during.id).await;
    assert_eq!(code, 503, "refused while no primary is reachable");
    assert!(took <= Duration::from_secs(15), "answered in {took:?}");
    for base in [&a.base, &b.base] {
        assert_ne!(status(base, &before.token).await, 200, "a key revoked before the switch is never served");
    }

    pg("pg_ctl", &["-D", &standby.data.to_string_lossy(), "-w", "promote"]);
    let promoted = Instant::now();
    for base in [&a.base, &b.base] {
        while status(base, &alive.token).await != 200 {
            assert!(promoted.elapsed() <= Duration::from_secs(10), "{base} serves again within 10 s");
            assert_ne!(status(base, &before.token).await, 200, "a key revoked before the switch is never served");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let serving = promoted.elapsed();
    assert!(serving <= Duration::from_secs(10), "both serve {serving:?} after the promotion");
    println!(
        "refused the revocation without a primary in {took:?}; both instances served {serving:?} after the promotion"
    );
    for base in [&a.base, &b.base] {
        assert_eq!(status(base, &before.token).await, 401);
        assert_eq!(status(base, &during.token).await, 200, "the refused revocation changed nothing");
    }
    // A revocation on the new primary holds on both at once.
    assert_eq!(revoke(&a.base, &admin.token, &after.id).await.0, 200);
    assert_eq!((status(&a.base, &after.token).await, status(&b.base, &after.token).await), (401, 401));
}
