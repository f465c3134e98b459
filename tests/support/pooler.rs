//! A real PgBouncer (Debian's, installed by `scripts/bootstrap`) in
//! transaction mode in front of the test PostgreSQL, as a deployment with
//! many instances would put it (docs/operator-guide.md: Scale-out →
//! Connection poolers).

use super::free_port;
use std::process::{Child, Command, Stdio};

pub struct PgBouncer {
    /// The database URL through the pooler.
    pub url: String,
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PgBouncer {
    /// PgBouncer in transaction mode for the database `url` names (`postgres://user@host:port/name`).
    pub async fn start(url: &str) -> Self {
        let rest = url.split_once("://").expect("a URL").1;
        let (user, rest) = rest.split_once('@').expect("user@");
        let (address, name) = rest.split_once('/').expect("/database");
        let (host, port) = address.rsplit_once(':').expect("host:port");
        let dir = tempfile::tempdir().expect("pgbouncer dir");
        let listen = free_port();
        let d = dir.path().display();
        std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).expect("users");
        let ini = format!(
            "[databases]\n{name} = host={host} port={port} dbname={name}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
             listen_port = {listen}\nunix_socket_dir =\nauth_type = trust\nauth_file = {d}/users.txt\n\
             pool_mode = transaction\nmax_client_conn = 500\ndefault_pool_size = 20\n\
             ignore_startup_parameters = extra_float_digits,options\nlogfile = {d}/pgbouncer.log\n\
             pidfile = {d}/pgbouncer.pid\n"
        );
        std::fs::write(dir.path().join("pgbouncer.ini"), ini).expect("ini");
        let binary = if Command::new("pgbouncer").arg("--version").output().is_ok() {
            "pgbouncer"
        } else {
            "/usr/sbin/pgbouncer"
        };
        let mut command = Command::new(binary);
        // PgBouncer refuses to run as root.
        if nix_is_root() {
            let _ = Command::new("chown").args(["-R", "postgres:", &d.to_string()]).status();
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(dir.path().join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pgbouncer (scripts/bootstrap installs it)");
        let bouncer = Self { url: format!("postgres://{user}@127.0.0.1:{listen}/{name}"), child, dir };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", listen)).is_ok() {
                return bouncer;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("pgbouncer did not start: {}", bouncer.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

fn nix_is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
