//! Expiry warnings (docs/user-guide.md: Expiry warnings): 30, 7 and 1 days before a key expires, and on
//! expiry. When several are due at once only the most urgent one is sent.

use chrono::{Duration, NaiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryWarning {
    Days30,
    Days7,
    Days1,
    Expired,
}

/// An expiry older than this gets no "expired" mail: the warning would be
/// news to nobody (keys that expired before the feature existed, say).
pub const EXPIRED_NOTICE_WINDOW: Duration = Duration::days(7);

impl ExpiryWarning {
    /// The most urgent warning due for a key expiring at `expires_at`.
    pub fn due(expires_at: NaiveDateTime, now: NaiveDateTime) -> Option<Self> {
        let left = expires_at - now;
        if left <= Duration::zero() {
            (left > -EXPIRED_NOTICE_WINDOW).then_some(Self::Expired)
        } else if left <= Duration::days(1) {
            Some(Self::Days1)
        } else if left <= Duration::days(7) {
            Some(Self::Days7)
        } else if left <= Duration::days(30) {
            Some(Self::Days30)
        } else {
            None
        }
    }

    /// Stored in `key_expiry_notices.threshold` and in webhook event data.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Days30 => "30d",
            Self::Days7 => "7d",
            Self::Days1 => "1d",
            Self::Expired => "expired",
        }
    }

    /// Warnings before expiry also raise `api_key.expiring` webhook events.
    pub fn is_advance_warning(self) -> bool {
        self != Self::Expired
    }
}

/// Whole days until `expires_at`, rounded up (6 days and 23 hours = 7 days).
pub fn days_left(expires_at: NaiveDateTime, now: NaiveDateTime) -> i64 {
    let secs = (expires_at - now).num_seconds();
    if secs <= 0 { 0 } else { (secs + 86_399) / 86_400 }
}

#[cfg(test)]
mod tests {
    use super::ExpiryWarning::{self, *};
    use chrono::{Duration, NaiveDateTime};

    #[test]
    fn the_most_urgent_due_warning_is_chosen() {
        let now = NaiveDateTime::default();
        let at = |d: Duration| ExpiryWarning::due(now + d, now);
        assert_eq!(at(Duration::days(31)), None);
        assert_eq!(at(Duration::days(30)), Some(Days30));
        assert_eq!(at(Duration::days(29)), Some(Days30));
        assert_eq!(at(Duration::days(7)), Some(Days7));
        assert_eq!(at(Duration::days(2)), Some(Days7), "a key created 2 days before expiry gets the 7-day one");
        assert_eq!(at(Duration::hours(23)), Some(Days1));
        assert_eq!(at(Duration::zero()), Some(Expired));
        assert_eq!(at(-Duration::days(6)), Some(Expired));
        assert_eq!(at(-Duration::days(8)), None, "long-expired keys are not news");
    }

    #[test]
    fn days_left_round_up() {
        let now = NaiveDateTime::default();
        assert_eq!(super::days_left(now + Duration::days(7) - Duration::minutes(1), now), 7);
        assert_eq!(super::days_left(now + Duration::days(7), now), 7);
        assert_eq!(super::days_left(now + Duration::hours(2), now), 1);
        assert_eq!(super::days_left(now - Duration::hours(2), now), 0);
    }
}
