//! What each key use case can refuse with. The web layer maps each to its
//! surface once: a console page (status, and the message next to a field)
//! or an API error code.

use super::access::Escalation;
use crate::app::caller::Denied;
use crate::db;
use crate::domain::key_policy::Breach;
use crate::domain::records::FieldError;

/// Database failures, as every error here takes them.
macro_rules! takes_db_errors {
    ($($name:ident),*) => {$(
        impl From<crate::db::QueryError> for $name {
            fn from(e: crate::db::QueryError) -> Self {
                Self::Db(e.into())
            }
        }
    )*};
}

takes_db_errors!(CreateError, EditError, RotateError, ChangeError, FindError);

/// Why a key was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Escalation(#[from] Escalation),
    /// The key's API is not the organisation's, or does not declare what the key would hold.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// The organisation's key policy refuses these settings (each rule, by field).
    #[error("the key would break the key policy")]
    Policy(Vec<Breach>),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Why an edit changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such key in this organisation")]
    NotFound,
    /// A revoked key cannot be changed.
    #[error("the key is revoked")]
    Revoked,
    /// A PATCH body's fields did not parse (each named).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Escalation(#[from] Escalation),
    #[error("the key would break the key policy")]
    Policy(Vec<Breach>),
    /// Widening a key's scopes needs sudo mode; nothing was changed.
    #[error("widening the scopes needs the password again")]
    NeedsSudo,
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Why a rotation issued nothing.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such key in this organisation")]
    NotFound,
    /// Revoked, or replaced already (perhaps by a concurrent rotation).
    #[error("the key is revoked or was rotated already")]
    NotRotatable,
    #[error("rotating needs the password again")]
    NeedsSudo,
    #[error(transparent)]
    Escalation(#[from] Escalation),
    /// The replacement (the key's settings, expiry capped) would break the key policy.
    #[error("the replacement would break the key policy")]
    Policy(Vec<Breach>),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Why a revocation, deletion, activation or deactivation did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such key in this organisation")]
    NotFound,
    /// The action does not apply to the key as it is (activating an active key …).
    #[error("the action does not apply to this key")]
    NotApplicable,
    #[error("this action needs the password again")]
    NeedsSudo,
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// Why a key could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("no such key in this organisation")]
    NotFound,
    #[error(transparent)]
    Db(#[from] db::Error),
}
