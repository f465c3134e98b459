//! The audit log's filters as typed (README: Audit log): the console's
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
    if let Some(from) = non_empty(input.from) {
        match parse_time(&from) {
            Ok((t, _)) => filter.from = Some(t),
            Err(e) => errors.push(("from", e)),
        }
    }
    if let Some(to) = non_empty(input.to) {
        // The end is inclusive: the whole day, or the whole minute.
        match parse_time(&to) {
            Ok((t, whole_day)) => {
                filter.to = Some(t + if whole_day { Duration::days(1) } else { Duration::minutes(1) })
            }
            Err(e) => errors.push(("to", e)),
        }
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        errors.push(("to", "The end must be after the start.".into()));
    }
    (filter, errors)
}
