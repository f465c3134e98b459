//! The audit log's filters as typed (docs/user-guide.md: Audit log): the console's
//! page and exports and the management API's `GET /api/v1/audit-events`
//! read them with this one parser, so they accept the same values.

use super::Action;
use crate::db::audit_events::Filter;
use chrono::{Duration, NaiveDate, NaiveDateTime};

/// The filter values as given (empty = not filtered).
#[derive(Debug, Default, Clone, Copy)]
pub struct FilterInput<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

/// `YYYY-MM-DD` (the start of that day, UTC) or `YYYY-MM-DDTHH:MM`.
fn parse_time(input: &str) -> Result<(NaiveDateTime, bool), String> {
    if let Ok(date) = NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        return Ok((date.and_hms_opt(0, 0, 0).unwrap_or_default(), true));
    }
    NaiveDateTime::parse_from_str(input, "%Y-%m-%dT%H:%M")
        .map(|t| (t, false))
        .map_err(|_| "Use a date like 2026-01-31, or 2026-01-31T14:30 (UTC).".to_owned())
}

/// A `from`–`to` range as typed: each a day or a minute (UTC); the end is
/// inclusive (the whole day, or the whole minute) and must come after the
/// start. Also used by the key page's request log.
pub fn parse_range(
    from: &str,
    to: &str,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>, Vec<(&'static str, String)>) {
    let (mut start, mut end, mut errors) = (None, None, Vec::new());
    if !from.trim().is_empty() {
        match parse_time(from.trim()) {
            Ok((t, _)) => start = Some(t),
            Err(e) => errors.push(("from", e)),
        }
    }
    if !to.trim().is_empty() {
        match parse_time(to.trim()) {
            Ok((t, whole_day)) => end = Some(t + if whole_day { Duration::days(1) } else { Duration::minutes(1) }),
            Err(e) => errors.push(("to", e)),
        }
    }
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        errors.push(("to", "The end must be after the start.".into()));
    }
    (start, end, errors)
}

/// The filter, and a message per field that could not be read.
pub fn parse(input: FilterInput<'_>) -> (Filter, Vec<(&'static str, String)>) {
    let non_empty = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    let mut filter = Filter { actor: non_empty(input.actor), target: non_empty(input.target), ..Filter::default() };
    let mut errors = Vec::new();
    if let Some(action) = non_empty(input.action) {
        match Action::parse(&action) {
            Some(a) => filter.action = Some(a.as_str().to_owned()),
            None => errors.push(("action", "Choose an action from the list.".to_owned())),
        }
    }
    let (from, to, range_errors) = parse_range(input.from, input.to);
    (filter.from, filter.to) = (from, to);
    errors.extend(range_errors);
    (filter, errors)
}
