//! The ids of the two things most queries are scoped by: an organisation
//! (the tenant) and a user (an account). Both are `i64` row ids in the
//! database; as distinct types they cannot be passed in each other's place
//! or in place of any other number (a key's row id, a limit, a sequence).
//!
//! The database layer turns them into the column value with [`OrgId::get`]
//! and wraps a value read from a row with [`OrgId::new`]; the domain knows
//! nothing of Diesel. They serialise as the bare number (the session cookie
//! keeps a user id).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id stored in a row (or given by a test or the CLI).
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            /// The number, as the database column holds it.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

row_id! {
    /// An organisation's row id (`orgs.id`, and `org_id` wherever a row belongs to one).
    OrgId
}

row_id! {
    /// A user's row id (`users.id`, and `user_id` wherever a row belongs to one).
    UserId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_and_prints_the_number() {
        const ORG: OrgId = OrgId::new(42);
        assert_eq!(ORG.get(), 42);
        assert_eq!(ORG.to_string(), "42");
        assert_eq!(UserId::new(-7).to_string(), "-7");
        assert_eq!(format!("{:>4}", UserId::new(5)), "   5");
        assert!(OrgId::new(1) < OrgId::new(2));
    }
}
