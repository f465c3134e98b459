//! The use cases' refusals as the console answers them when no form field
//! is to blame: a page that says why, with its status. Handlers that show a
//! refusal next to a field (the key policy, sudo prompts) match on it
//! first and hand the rest here.

use crate::app::accounts::AccountError;
use crate::app::accounts::ceremony::CeremonyError;
use crate::app::accounts::factors::FactorError;
use crate::app::audit_log::ReadError;
use crate::app::keys::{ChangeError, CreateError, Denied, EditError, FindError, RotateError};
use crate::app::members::MemberError;
use crate::app::webhooks::delivery::SendError;
use crate::app::webhooks::{EndpointError, HookError, TestError};
use crate::web::error::AppError;

impl From<Denied> for AppError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Plan => AppError::PlanRequired,
            Denied::Role | Denied::Scope(_) => AppError::Forbidden,
        }
    }
}

impl From<FindError> for AppError {
    fn from(err: FindError) -> Self {
        match err {
            FindError::Denied(d) => d.into(),
            FindError::NotFound => AppError::NotFound,
            FindError::Db(e) => e.into(),
        }
    }
}

impl From<ChangeError> for AppError {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::Denied(d) => d.into(),
            ChangeError::NotFound => AppError::NotFound,
            ChangeError::NotApplicable => AppError::BadRequest("the action does not apply to this key".into()),
            // The handler asks for the password first; reaching this is a bug, refused all the same.
            ChangeError::NeedsSudo => AppError::Forbidden,
            ChangeError::Db(e) => e.into(),
        }
    }
}

/// What is left of a create's refusals once the form showed the key policy's.
impl From<CreateError> for AppError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::Denied(d) => d.into(),
            CreateError::Db(e) => e.into(),
            other => AppError::internal(other),
        }
    }
}

impl From<EditError> for AppError {
    fn from(err: EditError) -> Self {
        match err {
            EditError::Denied(d) => d.into(),
            // A revoked key has no edit form.
            EditError::NotFound | EditError::Revoked => AppError::NotFound,
            EditError::NeedsSudo => AppError::Forbidden,
            EditError::Db(e) => e.into(),
            other => AppError::internal(other),
        }
    }
}

impl From<RotateError> for AppError {
    fn from(err: RotateError) -> Self {
        match err {
            RotateError::Denied(d) => d.into(),
            RotateError::NotFound => AppError::NotFound,
            // Another rotation (a second tab, a double click) won: say so, as for a stale action.
            RotateError::NotRotatable => AppError::BadRequest("cannot rotate this key: it was rotated already".into()),
            RotateError::NeedsSudo => AppError::Forbidden,
            RotateError::Db(e) => e.into(),
            other => AppError::internal(other),
        }
    }
}

impl From<HookError> for AppError {
    fn from(err: HookError) -> Self {
        match err {
            HookError::Denied(d) => d.into(),
            HookError::NotFound => AppError::NotFound,
            HookError::Db(e) => e.into(),
        }
    }
}

/// What is left of an endpoint change's refusals once the page showed the cap's and Recover's.
impl From<EndpointError> for AppError {
    fn from(err: EndpointError) -> Self {
        match err {
            EndpointError::Denied(d) => d.into(),
            EndpointError::NotFound => AppError::NotFound,
            EndpointError::Db(e) => e.into(),
            other => AppError::internal(other),
        }
    }
}

impl From<TestError> for AppError {
    fn from(err: TestError) -> Self {
        match err {
            TestError::Hook(e) => e.into(),
            TestError::Send(SendError::Db(e)) => e.into(),
            TestError::Send(e) => AppError::internal(e),
        }
    }
}

/// What is left of a members use case's refusals once the page showed those about a field or a row.
impl From<MemberError> for AppError {
    fn from(err: MemberError) -> Self {
        match err {
            MemberError::Denied(d) => d.into(),
            MemberError::NotMember | MemberError::NoInvitation => AppError::NotFound,
            MemberError::Db(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

/// What is left of a second-factor use case's refusals once the page showed its message.
impl From<FactorError> for AppError {
    fn from(err: FactorError) -> Self {
        match err {
            FactorError::Db(e) => e.into(),
            FactorError::Refused(e) => AppError::internal(e),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Db(e) => e.into(),
            AccountError::Hash(e) => AppError::internal(e),
        }
    }
}

impl From<CeremonyError> for AppError {
    fn from(err: CeremonyError) -> Self {
        match err {
            CeremonyError::Db(e) => e.into(),
            CeremonyError::Refused(e) => AppError::internal(e),
        }
    }
}

impl From<ReadError> for AppError {
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::Denied(d) => d.into(),
            ReadError::Db(e) => e.into(),
        }
    }
}
