//! Where one webhook message stands for one endpoint: waiting for its next
//! attempt, or finished one of three ways
//! (docs/api-guide.md: Receiving webhooks → Delivery and retries).
//! The `webhook_deliveries.state` column holds [`DeliveryState::as_str`].

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Queued or waiting for a retry (`next_attempt_at`).
    Pending,
    /// An attempt got a 2xx.
    Delivered,
    /// Given up: retries ran out, or the endpoint answered 410.
    Failed,
    /// Not sent: the endpoint was disabled or deleted meanwhile.
    Cancelled,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [Self::Pending, Self::Delivered, Self::Failed, Self::Cancelled];
    /// The states no attempt follows.
    pub const FINISHED: [DeliveryState; 3] = [Self::Delivered, Self::Failed, Self::Cancelled];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rows read the stored column straight into a state (db/deliveries.rs); an
/// unknown word fails the read instead of travelling on.
impl TryFrom<String> for DeliveryState {
    type Error = String;
    fn try_from(stored: String) -> Result<Self, String> {
        Self::parse(&stored).ok_or_else(|| format!("unknown delivery state {stored:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryState;

    #[test]
    fn states_read_back_from_their_column_text() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::try_from(s.as_str().to_owned()), Ok(s));
        }
        assert_eq!(DeliveryState::FINISHED.map(DeliveryState::as_str), ["delivered", "failed", "cancelled"]);
        assert!(DeliveryState::try_from("sent".to_owned()).is_err());
    }
}
