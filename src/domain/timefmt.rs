//! How times appear to people, on pages and in mails: stored as naive UTC, shown with their zone.

use chrono::{NaiveDateTime, Timelike, Utc};

/// The current UTC time as stored: PostgreSQL keeps microseconds, so both
/// backends get exactly that precision.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

/// Machine-readable, for `<time datetime>`.
pub fn iso(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The exact time, for `title` tooltips.
pub fn exact(t: &NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A short date for tables.
pub fn date(t: &NaiveDateTime) -> String {
    t.format("%-d %b %Y").to_string()
}

/// The first letter of a name, upper-cased, for avatars.
pub fn initial(name: &str) -> String {
    name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_explicit_about_utc() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 5).and_then(|d| d.and_hms_opt(7, 8, 9)).expect("valid");
        assert_eq!(iso(&t), "2026-03-05T07:08:09Z");
        assert_eq!(exact(&t), "2026-03-05 07:08:09 UTC");
        assert_eq!(date(&t), "5 Mar 2026");
        assert_eq!(initial("ada"), "A");
        assert_eq!(initial(""), "?");
    }
}

/// "3 minutes ago", "in 5 days", "just now".
pub fn relative(t: &NaiveDateTime, now: &NaiveDateTime) -> String {
    let secs = (*now - *t).num_seconds();
    let (amount, future) = (secs.unsigned_abs(), secs < 0);
    if amount < 45 {
        return "just now".into();
    }
    let (n, unit) = match amount {
        a if a < 60 * 60 => (a.div_ceil(60).max(1), "minute"),
        a if a < 60 * 60 * 24 => (a / 3600, "hour"),
        // Days ahead round up, as expiry mails count them (4 days 23 hours = "in 5 days"); days ago round down.
        a if a < 60 * 60 * 24 * 45 => (if future { a.div_ceil(86_400) } else { a / 86_400 }, "day"),
        a if a < 60 * 60 * 24 * 365 => (a / (86_400 * 30), "month"),
        a => (a / (86_400 * 365), "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if future { format!("in {n} {unit}{plural}") } else { format!("{n} {unit}{plural} ago") }
}

#[cfg(test)]
mod relative_tests {
    use super::relative;
    use chrono::{Duration, NaiveDateTime};

    #[test]
    fn days_ahead_match_the_expiry_mails_count() {
        let now = NaiveDateTime::default();
        let later = now + Duration::days(4) + Duration::hours(23);
        assert_eq!(relative(&later, &now), "in 5 days");
        assert_eq!(crate::expiry::days_left(later, now), 5);
        assert_eq!(relative(&(now - Duration::days(4) - Duration::hours(23)), &now), "4 days ago");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = NaiveDateTime::default();
        assert_eq!(relative(&now, &now), "just now");
        assert_eq!(relative(&(now - Duration::minutes(3)), &now), "3 minutes ago");
        assert_eq!(relative(&(now - Duration::hours(1)), &now), "1 hour ago");
        assert_eq!(relative(&(now + Duration::days(5)), &now), "in 5 days");
        assert_eq!(relative(&(now - Duration::days(400)), &now), "1 year ago");
    }
}
