//! deploy/latchkey.service, checked by systemd's own tools (docs/systemd.md):
//! `systemd-analyze verify` finds nothing to say, and `systemd-analyze
//! security` rates its exposure 2.0 or better ("OK").

use std::path::Path;
use std::process::Command;

const UNIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/latchkey.service");

/// A root directory holding the unit where an operator installs it, the
/// binary at its ExecStart path, and the host's own system units (the
/// targets the unit is ordered after), so `verify` checks all of it.
fn install_root(root: &Path) {
    let bin = root.join("usr/local/bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    let exe = env!("CARGO_BIN_EXE_latchkey");
    if std::fs::hard_link(exe, bin.join("latchkey")).is_err() {
        std::fs::copy(exe, bin.join("latchkey")).expect("install the binary");
    }
    let units = root.join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("units dir");
    std::fs::copy(UNIT, units.join("latchkey.service")).expect("install the unit");
    // Copied, links and all: a link out of the root is followed inside it.
    let system = root.join("usr/lib/systemd");
    std::fs::create_dir_all(&system).expect("lib dir");
    let status = Command::new("cp").arg("-a").arg("/usr/lib/systemd/system").arg(&system).status().expect("cp");
    assert!(status.success(), "the host's systemd units copied");
}

#[test]
fn the_unit_verifies_without_a_word_and_rates_ok() {
    let root = tempfile::tempdir().expect("root");
    install_root(root.path());
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.path().display()))
        .arg("latchkey.service")
        .output()
        .expect("systemd-analyze (scripts/bootstrap installs it)");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "verify: {said}");

    let out = Command::new("systemd-analyze").args(["security", "--offline=true", UNIT]).output().expect("security");
    let report = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|l| l.split("Overall exposure level for latchkey.service:").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no overall rating in: {report}"));
    assert!(exposure <= 2.0, "exposure {exposure}: {report}");
}

#[test]
fn the_unit_reads_every_key_from_a_credential() {
    let unit = std::fs::read_to_string(UNIT).expect("unit");
    for (credential, setting) in [
        ("session-key", "LATCHKEY_SESSION_KEY_FILE"),
        ("encryption-key", "LATCHKEY_ENCRYPTION_KEY_FILE"),
        ("audit-signing-key", "LATCHKEY_AUDIT_SIGNING_KEY_FILE"),
    ] {
        assert!(unit.contains(&format!("\nLoadCredential={credential}:/etc/latchkey/{credential}\n")), "{credential}");
        assert!(unit.contains(&format!("\nEnvironment={setting}=%d/{credential}\n")), "{setting}");
    }
    for setting in ["DynamicUser=yes", "StateDirectory=latchkey", "ProtectSystem=strict", "NoNewPrivileges=yes"] {
        assert!(unit.lines().any(|l| l == setting), "{setting}");
    }
}
