//! The editable settings of an API key, each parsed from its form field.

use super::ParseError;
use super::access::{ApiDefinition, Metadata, OwnerId};
use super::scopes::Scopes;
use chrono::{NaiveDate, NaiveDateTime};
use core::net::IpAddr;
use ipnet::IpNet;

/// The settings a key is created or edited with, already parsed (from the
/// console's form or the management API's JSON, by the parsers below).
#[derive(Debug, Clone)]
pub struct KeySettings {
    pub label: String,
    pub description: String,
    pub scopes: Scopes,
    pub expires_at: Option<NaiveDateTime>,
    pub allowed_ips: IpAllowlist,
    pub rate_limit_per_minute: Option<u32>,
    /// Who the key is for in the team's own terms (a customer id).
    pub owner_id: Option<OwnerId>,
    /// What the team keeps with the key (a JSON object).
    pub metadata: Option<Metadata>,
}

/// A key's label: required, at most 100 characters (counted as sent, like
/// every text of the API), white space around it trimmed.
pub fn parse_label(input: &str) -> Result<String, ParseError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(ParseError::new("Give the key a label, such as the integration that uses it."));
    }
    if input.chars().count() > 100 {
        return Err(ParseError::new("Use at most 100 characters."));
    }
    if value.chars().any(char::is_control) {
        return Err(ParseError::new("Remove the control characters."));
    }
    Ok(value.to_owned())
}

/// A description: optional, at most 500 characters as sent (new lines allowed).
pub fn parse_description(input: &str) -> Result<String, ParseError> {
    let value = input.trim();
    if input.chars().count() > 500 {
        return Err(ParseError::new("Use at most 500 characters."));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(ParseError::new("Remove the control characters."));
    }
    Ok(value.to_owned())
}

/// An expiry: empty = never; `YYYY-MM-DD` (00:00 UTC that day, as GitLab
/// does), `YYYY-MM-DDTHH:MM` (UTC) or an RFC 3339 time (what the API
/// answers, so a client can send back what it read). It must lie in the future.
pub fn parse_expiry(input: &str, now: NaiveDateTime) -> Result<Option<NaiveDateTime>, ParseError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let at = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M").ok())
        .or_else(|| chrono::DateTime::parse_from_rfc3339(value).ok().map(|t| t.naive_utc()))
        .ok_or_else(|| ParseError::new("Use a date like 2027-01-31, or 2027-01-31T14:30 (UTC)."))?;
    if at <= now {
        return Err(ParseError::new("Choose a time in the future."));
    }
    Ok(Some(at))
}

/// An IP allowlist: CIDRs or single addresses, separated by commas or new lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAllowlist(Vec<IpNet>);

impl IpAllowlist {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let mut nets = Vec::new();
        for part in input.split([',', '\n', '\r']).map(str::trim).filter(|p| !p.is_empty()) {
            let net = part.parse::<IpNet>().or_else(|_| part.parse::<IpAddr>().map(IpNet::from)).map_err(|_| {
                ParseError::new(format!("{part:?} is not an IP address or CIDR range (like 203.0.113.0/24)."))
            })?;
            if net.trunc() != net {
                return Err(ParseError::new(format!("{part} has host bits set; did you mean {}?", net.trunc())));
            }
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > 100 {
            return Err(ParseError::new("Use at most 100 ranges."));
        }
        Ok(Self(nets))
    }

    /// Reads the stored form (one range per line); it was validated when saved.
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.lines().filter_map(|l| l.trim().parse().ok()).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Empty = any address. IPv4-mapped IPv6 clients match IPv4 ranges.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        self.0.is_empty() || self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn ranges(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// Whether every address this list allows, `outer` allows too: an empty
    /// `outer` allows any; an empty `self` allows any, so it is within only
    /// an empty `outer`.
    pub fn is_within(&self, outer: &IpAllowlist) -> bool {
        outer.0.is_empty() || (!self.0.is_empty() && self.0.iter().all(|net| outer.0.iter().any(|o| o.contains(net))))
    }
}

impl KeySettings {
    /// The first setting in which these settings (a key being created,
    /// changed or rotated by an API key) are more capable than `holder`'s,
    /// by its JSON field name; `None` when they are within it everywhere.
    /// Scopes ⊆ (management scopes, and what it reaches in `api`, the
    /// definition of the API the settings are for), allowlist ⊆ (a restricted holder's child must be
    /// restricted inside it), expiry no later (none is latest), rate limit
    /// no higher (`None` is `default_limit`, 0 is unlimited: the highest).
    pub fn wider_than(&self, holder: &KeySettings, api: &ApiDefinition, default_limit: u32) -> Option<&'static str> {
        let limit = |l: Option<u32>| match l.unwrap_or(default_limit) {
            0 => u64::MAX,
            n => u64::from(n),
        };
        let later = match (self.expires_at, holder.expires_at) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(mine), Some(theirs)) => mine > theirs,
        };
        if !holder.scopes.covers(&self.scopes, api) {
            // The older field for the sample, the newer for an API of the team's.
            Some(if api.is_built_in() { "scopes" } else { "permissions" })
        } else if !self.allowed_ips.is_within(&holder.allowed_ips) {
            Some("allowed_ips")
        } else if later {
            Some("expires_at")
        } else if limit(self.rate_limit_per_minute) > limit(holder.rate_limit_per_minute) {
            Some("rate_limit_per_minute")
        } else {
            None
        }
    }
}

/// Requests per minute: empty = the server default; 0 = unlimited.
pub fn parse_rate_limit(input: &str) -> Result<Option<u32>, ParseError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= 1_000_000)
        .map(Some)
        .ok_or_else(|| ParseError::new("Enter a whole number of requests per minute (0 = unlimited, at most 1000000)."))
}

/// How long a rotated-out key keeps working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Grace::None, Grace::OneHour, Grace::OneDay, Grace::SevenDays];

    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "none" => Ok(Self::None),
            "1h" => Ok(Self::OneHour),
            "24h" => Ok(Self::OneDay),
            "7d" => Ok(Self::SevenDays),
            _ => Err(ParseError::new("Choose a grace period: none, 1 hour, 24 hours or 7 days.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::OneHour => "1h",
            Self::OneDay => "24h",
            Self::SevenDays => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None — revoke the old key now",
            Self::OneHour => "1 hour",
            Self::OneDay => "24 hours",
            Self::SevenDays => "7 days",
        }
    }

    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::None => chrono::Duration::zero(),
            Self::OneHour => chrono::Duration::hours(1),
            Self::OneDay => chrono::Duration::hours(24),
            Self::SevenDays => chrono::Duration::days(7),
        }
    }
}

/// Rows read the stored column straight into an allowlist (db/api_keys.rs).
impl From<String> for IpAllowlist {
    fn from(stored: String) -> Self {
        Self::from_stored(&stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 6, 1).and_then(|d| d.and_hms_opt(12, 0, 0)).expect("time")
    }

    #[test]
    fn expiry_dates_mean_midnight_utc_and_must_be_in_the_future() {
        let midnight = NaiveDate::from_ymd_opt(2026, 6, 2).and_then(|d| d.and_hms_opt(0, 0, 0));
        assert_eq!(parse_expiry("2026-06-02", now()), Ok(midnight));
        assert!(parse_expiry("2026-06-01T12:30", now()).expect("valid").is_some());
        assert_eq!(parse_expiry("2026-06-02T02:00:00+02:00", now()), Ok(midnight), "RFC 3339, any offset");
        assert_eq!(parse_expiry("", now()), Ok(None));
        assert!(parse_expiry("2026-06-01", now()).is_err(), "today's midnight has passed");
        assert!(parse_expiry("next week", now()).is_err());
    }

    #[test]
    fn allowlists_take_cidrs_and_addresses_separated_by_commas_or_lines() {
        let list = IpAllowlist::parse("203.0.113.0/24, 198.51.100.7\n2001:db8::/32").expect("valid");
        assert_eq!(list.ranges(), ["203.0.113.0/24", "198.51.100.7/32", "2001:db8::/32"]);
        assert!(list.allows("203.0.113.9".parse().expect("ip")));
        assert!(list.allows("::ffff:203.0.113.9".parse().expect("ip")));
        assert!(list.allows("2001:db8::1".parse().expect("ip")));
        assert!(!list.allows("198.51.100.8".parse().expect("ip")));
        assert!(!list.allows("2001:db9::1".parse().expect("ip")));
        assert!(IpAllowlist::parse("").expect("empty").allows("10.0.0.1".parse().expect("ip")));
        assert!(IpAllowlist::parse("10.0.0.300").is_err());
        assert!(IpAllowlist::parse("10.0.0.1/24").is_err(), "host bits set");
        assert_eq!(IpAllowlist::from_stored(&list.to_stored()), list);
    }

    #[test]
    fn rate_limits_labels_and_grace_periods_parse() {
        assert_eq!(parse_rate_limit(""), Ok(None));
        assert_eq!(parse_rate_limit("0"), Ok(Some(0)));
        assert!(parse_rate_limit("-1").is_err());
        assert!(parse_rate_limit("ten").is_err());
        assert!(parse_label(" ").is_err());
        assert!(parse_label(&"x".repeat(101)).is_err());
        assert!(parse_description(&"x".repeat(501)).is_err());
        for grace in Grace::ALL {
            assert_eq!(Grace::parse(grace.as_str()), Ok(grace));
        }
    }

    fn settings(ips: &str, expires_days: Option<i64>, limit: Option<u32>) -> KeySettings {
        KeySettings {
            label: "k".into(),
            description: String::new(),
            scopes: Scopes::parse(&["orders:read"]).expect("scopes"),
            expires_at: expires_days.map(|d| now() + chrono::Duration::days(d)),
            allowed_ips: IpAllowlist::parse(ips).expect("ips"),
            rate_limit_per_minute: limit,
            owner_id: None,
            metadata: None,
        }
    }

    #[test]
    fn a_child_key_is_at_most_as_capable_as_its_holder_in_every_setting() {
        let holder = settings("10.0.0.0/8", Some(30), Some(5));
        assert_eq!(
            settings("10.1.0.0/16", Some(29), Some(5)).wider_than(&holder, ApiDefinition::built_in(), 600),
            None
        );
        assert_eq!(
            settings("", Some(29), Some(5)).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("allowed_ips"),
            "no allowlist = any"
        );
        assert_eq!(
            settings("192.168.0.0/16", Some(29), Some(5)).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("allowed_ips")
        );
        assert_eq!(
            settings("10.0.0.0/7", Some(29), Some(5)).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("allowed_ips")
        );
        assert_eq!(
            settings("10.0.0.1", None, Some(5)).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("expires_at"),
            "never = later"
        );
        assert_eq!(
            settings("10.0.0.1", Some(31), Some(5)).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("expires_at")
        );
        assert_eq!(
            settings("10.0.0.1", Some(1), None).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("rate_limit_per_minute")
        );
        assert_eq!(
            settings("10.0.0.1", Some(1), Some(0)).wider_than(&holder, ApiDefinition::built_in(), 600),
            Some("rate_limit_per_minute")
        );
        assert_eq!(
            settings("10.0.0.1", Some(1), None).wider_than(&holder, ApiDefinition::built_in(), 5),
            None,
            "the default, when it is lower"
        );
        let open = settings("", None, Some(0));
        assert_eq!(
            settings("", None, None).wider_than(&open, ApiDefinition::built_in(), 600),
            None,
            "an unrestricted holder may issue anything"
        );
        let mut wide = settings("", None, None);
        wide.scopes = Scopes::default();
        assert_eq!(
            wide.wider_than(&open, ApiDefinition::built_in(), 600),
            Some("scopes"),
            "full access is wider than orders:read"
        );
    }
}
