//! An organisation's key policy: the rules every new, edited or rotated key
//! must meet (a maximum lifetime, an expiry at all, no full access, an IP
//! allowlist). Checked here, once, for the console and anything else that
//! issues keys; each refusal names the field it is about and the policy.

use super::ParseError;
use super::key_settings::IpAllowlist;
use super::scopes::Scopes;
use chrono::{Duration, NaiveDateTime};

/// Longest lifetime a policy may set (ten years).
pub const MAX_LIFETIME_DAYS: u32 = 3650;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Keys may live at most this many days from when they are issued or changed.
    pub max_lifetime_days: Option<u32>,
    pub require_expiry: bool,
    pub forbid_full_access: bool,
    pub require_ip_allowlist: bool,
}

/// A key's settings as the policy looks at them.
pub struct Candidate<'a> {
    pub scopes: &'a Scopes,
    pub expires_at: Option<NaiveDateTime>,
    pub allowlist: &'a IpAllowlist,
}

impl<'a> Candidate<'a> {
    pub fn of(settings: &'a super::key_settings::KeySettings) -> Self {
        Self { scopes: &settings.scopes, expires_at: settings.expires_at, allowlist: &settings.allowed_ips }
    }
}

/// One rule a key breaks: the form field it is about, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub field: &'static str,
    pub message: String,
}

impl KeyPolicy {
    /// `max_key_lifetime_days` as typed: empty = no limit, else 1–3650.
    pub fn parse_lifetime(input: &str) -> Result<Option<u32>, ParseError> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(None);
        }
        match input.parse::<u32>() {
            Ok(days) if (1..=MAX_LIFETIME_DAYS).contains(&days) => Ok(Some(days)),
            _ => Err(ParseError::new(format!(
                "Use a whole number of days from 1 to {MAX_LIFETIME_DAYS}, or leave it empty."
            ))),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Every rule `key` breaks, as of `now` (an empty list: it may be saved).
    pub fn breaches(&self, key: &Candidate<'_>, now: NaiveDateTime) -> Vec<Breach> {
        let mut found = Vec::new();
        let mut breach = |field, message: String| found.push(Breach { field, message });
        if self.forbid_full_access && key.scopes.is_full_access() {
            breach(
                "scopes",
                "The organisation's key policy forbids full access: tick the scopes this key needs.".into(),
            );
        }
        if self.require_ip_allowlist && key.allowlist.is_empty() {
            breach("allowed_ips", "The organisation's key policy requires an IP allowlist.".into());
        }
        match (key.expires_at, self.max_lifetime_days) {
            (None, Some(days)) => breach(
                "expires_at",
                format!("The organisation's key policy limits keys to {days} days: set an expiry within that."),
            ),
            (None, None) if self.require_expiry => {
                breach("expires_at", "The organisation's key policy requires an expiry date.".into())
            }
            (Some(at), Some(days)) if at > now + Duration::days(i64::from(days)) => breach(
                "expires_at",
                format!("The organisation's key policy limits keys to {days} days: choose an expiry within that."),
            ),
            _ => {}
        }
        found
    }

    /// The expiry a rotation's replacement takes: the old key's, capped by
    /// the maximum lifetime (counted from `now`).
    pub fn capped_expiry(&self, old: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let Some(days) = self.max_lifetime_days else { return old };
        let cap = now + Duration::days(i64::from(days));
        Some(old.map_or(cap, |at| at.min(cap)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap().naive_utc() + Duration::days(day)
    }

    #[test]
    fn each_rule_names_its_field_and_a_clean_key_passes() {
        let policy = KeyPolicy {
            max_lifetime_days: Some(30),
            require_expiry: true,
            forbid_full_access: true,
            require_ip_allowlist: true,
        };
        let (full, none) = (Scopes::default(), IpAllowlist::default());
        let fields: Vec<_> = policy
            .breaches(&Candidate { scopes: &full, expires_at: None, allowlist: &none }, at(0))
            .into_iter()
            .map(|b| b.field)
            .collect();
        assert_eq!(fields, ["scopes", "allowed_ips", "expires_at"]);
        let too_late = Candidate { scopes: &full, expires_at: Some(at(31)), allowlist: &none };
        assert!(
            policy.breaches(&too_late, at(0)).iter().any(|b| b.field == "expires_at" && b.message.contains("30 days"))
        );
        let scoped = Scopes::parse(&["orders:read"]).unwrap();
        let listed = IpAllowlist::parse("10.0.0.0/8").unwrap();
        assert!(
            policy
                .breaches(&Candidate { scopes: &scoped, expires_at: Some(at(30)), allowlist: &listed }, at(0))
                .is_empty()
        );
        assert!(
            KeyPolicy::default()
                .breaches(&Candidate { scopes: &full, expires_at: None, allowlist: &none }, at(0))
                .is_empty()
        );
    }

    #[test]
    fn lifetimes_parse_and_rotations_are_capped() {
        assert_eq!(KeyPolicy::parse_lifetime(""), Ok(None));
        assert_eq!(KeyPolicy::parse_lifetime(" 90 "), Ok(Some(90)));
        assert!(KeyPolicy::parse_lifetime("0").is_err());
        assert!(KeyPolicy::parse_lifetime("3651").is_err());
        assert!(KeyPolicy::parse_lifetime("ten").is_err());
        let policy = KeyPolicy { max_lifetime_days: Some(30), ..KeyPolicy::default() };
        assert_eq!(policy.capped_expiry(None, at(0)), Some(at(30)));
        assert_eq!(policy.capped_expiry(Some(at(90)), at(0)), Some(at(30)));
        assert_eq!(policy.capped_expiry(Some(at(10)), at(0)), Some(at(10)));
        assert_eq!(KeyPolicy::default().capped_expiry(None, at(0)), None);
    }
}
