//! How times appear on pages: stored as naive UTC, shown with their zone.

use chrono::NaiveDateTime;

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
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_explicit_about_utc() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
            .and_then(|d| d.and_hms_opt(7, 8, 9))
            .expect("valid");
        assert_eq!(iso(&t), "2026-03-05T07:08:09Z");
        assert_eq!(exact(&t), "2026-03-05 07:08:09 UTC");
        assert_eq!(date(&t), "5 Mar 2026");
        assert_eq!(initial("ada"), "A");
        assert_eq!(initial(""), "?");
    }
}
