//! The key form's expiry choice (docs/user-guide.md: API keys): a
//! preset of 7, 30, 60 or 90 days, a custom date, or no expiry — only the
//! choices the organisation's key policy allows — and the policy said next
//! to the field before anyone breaks it.

use super::ParseError;
use super::key_policy::KeyPolicy;
use super::key_settings::parse_expiry;
use chrono::{Duration, NaiveDateTime};

/// The presets, in days.
pub const PRESET_DAYS: [u32; 4] = [7, 30, 60, 90];

/// The value of the custom-date choice (the date box applies).
pub const CUSTOM: &str = "custom";
/// The value of the no-expiry choice.
pub const NEVER: &str = "never";

/// One option of the choice: its form value and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryOption {
    pub value: String,
    pub label: String,
}

/// Whether the policy lets a key live without an expiry.
fn never_allowed(policy: &KeyPolicy) -> bool {
    !policy.require_expiry && policy.max_lifetime_days.is_none()
}

/// The options the policy allows, shortest first: presets within the
/// maximum lifetime, a custom date, then no expiry.
pub fn options(policy: &KeyPolicy) -> Vec<ExpiryOption> {
    let within = |days: &u32| policy.max_lifetime_days.is_none_or(|max| *days <= max);
    let mut options: Vec<ExpiryOption> = PRESET_DAYS
        .iter()
        .filter(|d| within(d))
        .map(|d| ExpiryOption { value: d.to_string(), label: format!("{d} days") })
        .collect();
    options.push(ExpiryOption { value: CUSTOM.into(), label: "Custom date…".into() });
    if never_allowed(policy) {
        options.push(ExpiryOption { value: NEVER.into(), label: "No expiry".into() });
    }
    options
}

/// The choice a new key's form starts with: no expiry where the policy
/// allows it (as before the choice existed), else the longest preset within
/// the policy, else a custom date.
pub fn default_choice(policy: &KeyPolicy) -> String {
    if never_allowed(policy) {
        return NEVER.into();
    }
    options(policy).iter().rev().find(|o| o.value.parse::<u32>().is_ok()).map_or(CUSTOM.into(), |o| o.value.clone())
}

/// The choice an edit form starts with: the custom date when the key has an expiry.
pub fn choice_for(expires_at: Option<NaiveDateTime>) -> String {
    if expires_at.is_some() { CUSTOM.into() } else { NEVER.into() }
}

/// The expiry the form asks for: a preset counts from `now`; no expiry is
/// none; a custom date (or a form without the choice, as older clients
/// send it) is the date box's value.
pub fn resolve(choice: &str, custom: &str, now: NaiveDateTime) -> Result<Option<NaiveDateTime>, ParseError> {
    match choice.trim() {
        "" | CUSTOM => parse_expiry(custom, now),
        NEVER => Ok(None),
        days => match days.parse::<u32>() {
            Ok(days) if PRESET_DAYS.contains(&days) => Ok(Some(now + Duration::days(i64::from(days)))),
            _ => Err(ParseError::new("Choose one of the expiry options.")),
        },
    }
}

/// The policy's rule for the expiry, as the form states it beside the field.
pub fn rule(policy: &KeyPolicy) -> String {
    match (policy.max_lifetime_days, policy.require_expiry) {
        (Some(days), _) => format!("required, at most {days} days"),
        (None, true) => "required".into(),
        (None, false) => "optional".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time").naive_utc()
    }

    fn values(policy: &KeyPolicy) -> Vec<String> {
        options(policy).into_iter().map(|o| o.value).collect()
    }

    #[test]
    fn the_policy_limits_the_choices_and_the_default() {
        let open = KeyPolicy::default();
        assert_eq!(values(&open), ["7", "30", "60", "90", "custom", "never"]);
        assert_eq!(default_choice(&open), "never");
        assert_eq!(rule(&open), "optional");
        let required = KeyPolicy { require_expiry: true, ..KeyPolicy::default() };
        assert_eq!(values(&required), ["7", "30", "60", "90", "custom"]);
        assert_eq!(default_choice(&required), "90");
        assert_eq!(rule(&required), "required");
        let capped = KeyPolicy { max_lifetime_days: Some(45), ..KeyPolicy::default() };
        assert_eq!(values(&capped), ["7", "30", "custom"]);
        assert_eq!(default_choice(&capped), "30");
        assert_eq!(rule(&capped), "required, at most 45 days");
        let short = KeyPolicy { max_lifetime_days: Some(3), ..KeyPolicy::default() };
        assert_eq!(values(&short), ["custom"]);
        assert_eq!(default_choice(&short), "custom");
    }

    #[test]
    fn a_choice_resolves_to_an_expiry() {
        assert_eq!(resolve("30", "2099-01-01", now()), Ok(Some(now() + Duration::days(30))));
        assert_eq!(resolve("never", "2099-01-01", now()), Ok(None));
        let custom = resolve("custom", "2099-01-31", now()).expect("date").expect("some");
        assert_eq!(custom.format("%Y-%m-%d %H:%M").to_string(), "2099-01-31 00:00");
        assert_eq!(resolve("", "", now()), Ok(None), "a form without the choice keeps the old meaning");
        assert!(resolve("31", "", now()).is_err(), "only the presets");
        assert!(resolve("custom", "tomorrow", now()).is_err());
    }
}
