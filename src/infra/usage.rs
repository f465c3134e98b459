//! In-memory bookkeeping of key use, so the hot path does not write to the
//! database: last-used times are coalesced and flushed by the scheduler
//! (at most ~30 s late), and reports of revoked keys in use are limited to
//! one a minute per key (per instance).

use crate::domain::OrgId;
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const REVOKED_USE_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// Requests of one key on one UTC day: [2xx, 4xx, 5xx].
pub type DailyCounts = HashMap<(i64, OrgId, NaiveDate), [i64; 3]>;

#[derive(Default)]
pub struct Usage {
    /// Key row id → last use and the caller's address (`None` = unknown).
    last_used: Mutex<HashMap<i64, (NaiveDateTime, Option<IpAddr>)>>,
    /// (key row id, org id, day) → counts.
    counts: Mutex<DailyCounts>,
    revoked_reports: Mutex<HashMap<i64, Instant>>,
}

impl Usage {
    /// Notes a successful request by key row `id` from `ip`.
    pub fn record(&self, id: i64, ip: Option<IpAddr>) {
        if let Ok(mut map) = self.last_used.lock() {
            map.insert(id, (crate::db::now(), ip));
        }
    }

    /// Counts one answered request of key row `id` by its status class.
    pub fn count(&self, id: i64, org_id: OrgId, status: u16) {
        let class = match status {
            500.. => 2,
            400.. => 1,
            _ => 0,
        };
        if let Ok(mut map) = self.counts.lock() {
            map.entry((id, org_id, crate::db::now().date())).or_default()[class] += 1;
        }
    }

    /// Adds the counts not flushed yet (this instance's) to `daily`, for
    /// charts: a request made a moment ago shows at once, not after the flush.
    /// `key` = one key's counts; `None` = the whole org's.
    pub fn add_pending(&self, org_id: OrgId, key: Option<i64>, daily: &mut Vec<(NaiveDate, [i64; 3])>) {
        let Ok(map) = self.counts.lock() else { return };
        for ((id, org, day), counts) in map.iter() {
            if *org != org_id || key.is_some_and(|k| k != *id) {
                continue;
            }
            match daily.iter_mut().find(|(d, _)| d == day) {
                Some((_, c)) => (0..3).for_each(|i| c[i] += counts[i]),
                None => daily.push((*day, *counts)),
            }
        }
        daily.sort_by_key(|(d, _)| *d);
    }

    /// Takes the pending request counts, for a flush.
    pub fn take_counts(&self) -> DailyCounts {
        self.counts.lock().map(|mut map| std::mem::take(&mut *map)).unwrap_or_default()
    }

    /// Puts back counts a failed flush could not write.
    pub fn restore_counts(&self, counts: DailyCounts) {
        if let Ok(mut map) = self.counts.lock() {
            for (k, c) in counts {
                let e = map.entry(k).or_default();
                for i in 0..3 {
                    e[i] += c[i];
                }
            }
        }
    }

    /// Takes every pending last-used entry, for a flush.
    pub fn take_last_used(&self) -> HashMap<i64, (NaiveDateTime, Option<IpAddr>)> {
        self.last_used.lock().map(|mut map| std::mem::take(&mut *map)).unwrap_or_default()
    }

    /// Puts back entries a failed flush could not write.
    pub fn restore(&self, entries: HashMap<i64, (NaiveDateTime, Option<IpAddr>)>) {
        if let Ok(mut map) = self.last_used.lock() {
            for (id, entry) in entries {
                map.entry(id).or_insert(entry);
            }
        }
    }

    /// True at most once a minute per key.
    pub fn should_report_revoked_use(&self, id: i64) -> bool {
        let Ok(mut map) = self.revoked_reports.lock() else {
            return false;
        };
        let now = Instant::now();
        match map.get(&id) {
            Some(last) if now.duration_since(*last) < REVOKED_USE_REPORT_INTERVAL => false,
            _ => {
                map.insert(id, now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Usage;

    #[test]
    fn last_use_is_coalesced_and_revoked_use_reports_are_rate_limited() {
        let usage = Usage::default();
        usage.record(1, "10.0.0.1".parse().ok());
        usage.record(1, "10.0.0.2".parse().ok());
        usage.record(2, None);
        let taken = usage.take_last_used();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[&1].1, "10.0.0.2".parse().ok());
        assert!(usage.take_last_used().is_empty());
        assert!(usage.should_report_revoked_use(7));
        assert!(!usage.should_report_revoked_use(7));
        assert!(usage.should_report_revoked_use(8));
    }
}
