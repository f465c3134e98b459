//! What a backup directory holds and how it is checked: the manifest that
//! `latchkey backup` writes beside the database dump (docs/backup.md).
//! Restore trusts nothing in the directory until every file matches its
//! checksum here, and checks the restored rows against the counts.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The manifest's file name in a backup directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// An SQLite database's snapshot.
pub const SQLITE_FILE: &str = "latchkey.db";
/// A PostgreSQL database's dump (`pg_dump --format=custom`).
pub const POSTGRES_FILE: &str = "latchkey.pgdump";
/// The keys file, when the server's keys live in one.
pub const KEYS_FILE: &str = "latchkey.keys";

/// Which database a backup was taken from; restore goes to the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The dump's file name in the backup directory.
    pub fn dump_file(self) -> &'static str {
        match self {
            Self::Sqlite => SQLITE_FILE,
            Self::Postgres => POSTGRES_FILE,
        }
    }
}

/// An organisation's audit chain head at the moment of the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The latchkey release that wrote it.
    pub version: String,
    /// The newest migration applied to the backed-up database.
    pub schema_version: String,
    pub database: Backend,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    /// Rows per table, by table name, as of the snapshot.
    pub counts: BTreeMap<String, i64>,
    /// Each organisation's chain head (by slug), as of the snapshot.
    pub chain_heads: BTreeMap<String, ChainHead>,
    /// SHA-256 (hex) of every other file in the directory, by file name.
    pub files: BTreeMap<String, String>,
}

/// The tables whose row counts differ between the manifest and a restored
/// database: (table, expected, found); a table missing on either side counts as 0 there.
pub fn count_differences(expected: &BTreeMap<String, i64>, found: &BTreeMap<String, i64>) -> Vec<(String, i64, i64)> {
    let names: std::collections::BTreeSet<&String> = expected.keys().chain(found.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (e, f) = (expected.get(name).copied().unwrap_or(0), found.get(name).copied().unwrap_or(0));
            (e != f).then(|| (name.clone(), e, f))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_table_that_does_not_match() {
        let expected = BTreeMap::from([("a".to_owned(), 2), ("b".to_owned(), 3)]);
        let found = BTreeMap::from([("a".to_owned(), 2), ("b".to_owned(), 4), ("c".to_owned(), 1)]);
        assert_eq!(count_differences(&expected, &found), vec![("b".into(), 3, 4), ("c".into(), 0, 1)]);
        assert!(count_differences(&expected, &expected).is_empty());
    }

    #[test]
    fn the_manifest_reads_back_what_was_written() {
        let manifest = Manifest {
            version: "1.0.0".into(),
            schema_version: "20261206000023".into(),
            database: Backend::Postgres,
            created_at: "2026-12-06T16:00:00Z".into(),
            counts: BTreeMap::from([("orgs".to_owned(), 1)]),
            chain_heads: BTreeMap::from([("acme".to_owned(), ChainHead { seq: 4, hash: "ab".into() })]),
            files: BTreeMap::from([(POSTGRES_FILE.to_owned(), "00".repeat(32))]),
        };
        let text = serde_json::to_string(&manifest).expect("json");
        assert!(text.contains(r#""database":"postgres""#), "{text}");
        assert_eq!(serde_json::from_str::<Manifest>(&text).expect("parse"), manifest);
    }
}
