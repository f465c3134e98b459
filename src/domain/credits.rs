//! A key's credits (docs/api-guide.md: Credits): how many more requests it
//! may make (`None` = unlimited), and how the count refills. A refill sets
//! the count back to its amount at the start of each UTC day or month; it is
//! applied when the key is next used (or shown), so nothing runs on a timer.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value, json};

/// The largest count or refill amount a key may hold.
pub const MAX_CREDITS: u64 = 1_000_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Month,
}

impl Interval {
    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "day" => Some(Self::Day),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Month => "month",
        }
    }

    /// The start of the period `now` lies in (UTC midnight of the day, or of the month's first day).
    pub fn period_start(self, now: NaiveDateTime) -> NaiveDateTime {
        let day = match self {
            Self::Day => now.date(),
            Self::Month => NaiveDate::from_ymd_opt(now.year(), now.month(), 1).unwrap_or(now.date()),
        };
        day.and_time(chrono::NaiveTime::MIN)
    }
}

/// How a key's credits refill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refill {
    pub amount: u64,
    pub interval: Interval,
}

impl Refill {
    pub fn to_json(self) -> Value {
        json!({"amount": self.amount, "interval": self.interval.as_str()})
    }
}

/// What a key carries besides its own rate limit: whether it has credits
/// and how they refill, and its owner's rate limit (copied from the owner).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyLimits {
    pub metered: bool,
    pub refill: Option<Refill>,
    pub owner_rate_limit: Option<u32>,
}

impl KeyLimits {
    /// As stored: a JSON object, `None` when there is nothing to say.
    pub fn to_stored(self) -> Option<String> {
        if self == Self::default() {
            return None;
        }
        let mut object = Map::new();
        if self.metered {
            object.insert("metered".into(), true.into());
        }
        if let Some(r) = self.refill.filter(|_| self.metered) {
            object.insert("refill".into(), r.to_json());
        }
        if let Some(n) = self.owner_rate_limit {
            object.insert("owner_rate_limit_per_minute".into(), n.into());
        }
        Some(Value::Object(object).to_string())
    }
}

/// From the stored column; anything unreadable reads as nothing set.
impl From<Option<String>> for KeyLimits {
    fn from(stored: Option<String>) -> Self {
        let Some(Value::Object(o)) = stored.and_then(|s| serde_json::from_str(&s).ok()) else { return Self::default() };
        let metered = o.get("metered").and_then(Value::as_bool).unwrap_or(false);
        let refill = o.get("refill").and_then(|r| refill(r).ok().flatten()).filter(|_| metered);
        let owner_rate_limit =
            o.get("owner_rate_limit_per_minute").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
        Self { metered, refill, owner_rate_limit }
    }
}

/// The count a key shows now, from its stored count and the period that
/// count belongs to: a new period has refilled it.
pub fn shown(remaining: i64, refilled_at: NaiveDateTime, refill: Option<Refill>, now: NaiveDateTime) -> u64 {
    match refill {
        Some(r) if refilled_at < r.interval.period_start(now) => r.amount,
        _ => u64::try_from(remaining).unwrap_or(0),
    }
}

/// What a create or PATCH body says of credits: each field `None` when not named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreditsChange {
    /// `Some(None)`: unlimited (the refill goes too); `Some(Some(n))`: exactly n left.
    pub remaining: Option<Option<u64>>,
    /// `Some(None)`: no refill.
    pub refill: Option<Option<Refill>>,
}

impl CreditsChange {
    pub fn is_empty(&self) -> bool {
        self.remaining.is_none() && self.refill.is_none()
    }

    /// Whether the key is metered once this applies to a key that `was` metered.
    pub fn metered(&self, was: bool) -> bool {
        self.remaining.map_or(was, |r| r.is_some())
    }

    /// The refill once this applies over `old` (gone with the metering).
    pub fn refill_over(&self, old: Option<Refill>, was_metered: bool) -> Option<Refill> {
        if !self.metered(was_metered) {
            return None;
        }
        self.refill.unwrap_or(old)
    }
}

/// Reads `credits_remaining` and `credits_refill` from a body (for a key
/// that `was_metered`, false when creating); `Err` = (field, message).
pub fn parse(body: &Map<String, Value>, was_metered: bool) -> Result<CreditsChange, Vec<(&'static str, String)>> {
    let mut change = CreditsChange::default();
    let mut errors = Vec::new();
    if let Some(value) = body.get("credits_remaining") {
        match value {
            Value::Null => change.remaining = Some(None),
            v => match whole(v) {
                Some(n) => change.remaining = Some(Some(n)),
                None => errors.push((
                    "credits_remaining",
                    format!("must be a whole number from 0 to {MAX_CREDITS}, or null for unlimited"),
                )),
            },
        }
    }
    if let Some(value) = body.get("credits_refill") {
        match refill(value) {
            Ok(r) => change.refill = Some(r),
            Err(message) => errors.push(("credits_refill", message)),
        }
    }
    if errors.is_empty() && matches!(change.refill, Some(Some(_))) && !change.metered(was_metered) {
        errors.push(("credits_refill", "needs credits_remaining: a key without credits has nothing to refill".into()));
    }
    if errors.is_empty() { Ok(change) } else { Err(errors) }
}

fn whole(value: &Value) -> Option<u64> {
    super::records::whole_number(value).filter(|n| *n <= MAX_CREDITS)
}

fn refill(value: &Value) -> Result<Option<Refill>, String> {
    let shape = "must be null or {\"amount\": a whole number of at least 1, \"interval\": \"day\" or \"month\"}";
    let Value::Object(fields) = value else {
        return if value.is_null() { Ok(None) } else { Err(shape.into()) };
    };
    if fields.keys().any(|k| k != "amount" && k != "interval") {
        return Err(shape.into());
    }
    let amount = fields.get("amount").and_then(whole).filter(|n| *n >= 1).ok_or(shape)?;
    let interval = fields.get("interval").and_then(Value::as_str).and_then(Interval::parse).ok_or(shape)?;
    Ok(Some(Refill { amount, interval }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("time")
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn periods_start_at_utc_midnight_of_the_day_or_month() {
        assert_eq!(Interval::Day.period_start(at("2026-12-06 19:04:05")), at("2026-12-06 00:00:00"));
        assert_eq!(Interval::Month.period_start(at("2026-12-06 19:04:05")), at("2026-12-01 00:00:00"));
    }

    #[test]
    fn a_new_period_shows_the_refill_amount() {
        let daily = Some(Refill { amount: 50, interval: Interval::Day });
        assert_eq!(shown(3, at("2026-12-06 00:00:00"), daily, at("2026-12-06 23:59:59")), 3);
        assert_eq!(shown(3, at("2026-12-06 00:00:00"), daily, at("2026-12-07 00:00:00")), 50);
        assert_eq!(shown(3, at("2026-01-01 00:00:00"), None, at("2026-12-07 00:00:00")), 3);
    }

    #[test]
    fn limits_are_stored_as_a_json_object_and_read_back() {
        assert_eq!(KeyLimits::default().to_stored(), None);
        let limits = KeyLimits {
            metered: true,
            refill: Some(Refill { amount: 9, interval: Interval::Month }),
            owner_rate_limit: Some(60),
        };
        assert_eq!(KeyLimits::from(limits.to_stored()), limits);
        assert_eq!(KeyLimits::from(Some("not json".to_owned())), KeyLimits::default());
    }

    #[test]
    fn bodies_name_each_bad_field() {
        let ok =
            parse(&body(json!({"credits_remaining": 10, "credits_refill": {"amount": 10, "interval": "day"}})), false)
                .expect("valid");
        assert_eq!(ok.remaining, Some(Some(10)));
        assert!(ok.metered(false));
        let bad =
            parse(&body(json!({"credits_remaining": -1, "credits_refill": {"amount": 0, "interval": "day"}})), false)
                .expect_err("invalid");
        assert_eq!(bad.iter().map(|e| e.0).collect::<Vec<_>>(), ["credits_remaining", "credits_refill"]);
        let unmetered = parse(&body(json!({"credits_refill": {"amount": 5, "interval": "month"}})), false);
        assert!(unmetered.is_err(), "a refill needs a count");
        assert!(parse(&body(json!({"credits_refill": {"amount": 5, "interval": "month"}})), true).is_ok());
        let cleared = parse(&body(json!({"credits_remaining": null})), true).expect("valid");
        assert_eq!(cleared.refill_over(Some(Refill { amount: 5, interval: Interval::Day }), true), None);
        assert!(parse(&body(json!({"credits_refill": {"amount": 5, "interval": "week"}})), true).is_err());
    }
}
