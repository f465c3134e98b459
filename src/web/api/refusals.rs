//! The use cases' refusals as the API answers them: every typed error of
//! `app::keys` and `app::webhooks` mapped to a status, a stable code and a
//! message here, once, so each handler only returns what its use case said.

use super::error::{ApiError, Code};
use crate::app::audit_log::ReadError;
use crate::app::keys::{self, ChangeError, CreateError, Denied, EditError, Escalation, FindError, RotateError};
use crate::app::webhooks::{EndpointError, HookError, TestError};
use crate::domain::key_policy::Breach;
use crate::domain::records::FieldError;
use crate::domain::scopes::Management;
use crate::domain::token::ApiKeySecret;

/// 403 `insufficient_scope` naming the management scope the key needs.
pub fn insufficient_scope(scope: Management) -> ApiError {
    ApiError::with_message(
        Code::InsufficientScope,
        format!(
            "This API key needs the {} scope for this request (management scopes are never part of full access).",
            scope.name()
        ),
    )
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Scope(scope) => insufficient_scope(scope),
            Denied::Plan => ApiError::new(Code::PlanRequired),
            // A key is never a member: nothing to say but that it may not.
            Denied::Role => ApiError::new(Code::InsufficientScope),
        }
    }
}

/// 403 `scope_escalation`: the key asked for more than itself; nothing changed.
impl From<Escalation> for ApiError {
    fn from(escalation: Escalation) -> Self {
        match escalation {
            Escalation::Scopes => ApiError::new(Code::ScopeEscalation),
            Escalation::Setting(field) => ApiError::with_message(
                Code::ScopeEscalation,
                format!(
                    "`{field}` would give the key more than the calling key has; an API key can only create, \
                     change or rotate keys at most as capable as itself. Nothing was changed."
                ),
            ),
        }
    }
}

/// 422 naming each rule of the org's key policy that the key would break.
fn policy(breaches: Vec<Breach>) -> ApiError {
    ApiError::validation(
        breaches.into_iter().map(|b| FieldError { field: b.field.into(), message: b.message }).collect(),
    )
}

/// 422 on `key_id` when the key cannot be changed any more.
fn state_conflict(message: &str) -> ApiError {
    ApiError::validation(vec![FieldError { field: "key_id".into(), message: message.into() }])
}

/// 409 `already_created`, naming the key the first request with this `Idempotency-Key` made.
pub fn already_created(first: Option<String>) -> ApiError {
    let mut err = ApiError::new(Code::AlreadyCreated);
    err.about = first.map(|id| Box::new(super::error::About::KeyId(id)));
    err
}

/// A step only the console asks for (sudo mode) reached the API: a bug.
fn console_only(what: &str) -> ApiError {
    tracing::error!(what, "a console-only refusal reached the API");
    ApiError::new(Code::Internal)
}

impl From<FindError> for ApiError {
    fn from(err: FindError) -> Self {
        match err {
            FindError::Denied(d) => d.into(),
            FindError::NotFound => ApiError::new(Code::NotFound),
            FindError::Db(e) => e.into(),
        }
    }
}

impl From<CreateError> for ApiError {
    fn from(err: CreateError) -> Self {
        match err {
            CreateError::Denied(d) => d.into(),
            CreateError::Escalation(e) => e.into(),
            CreateError::Invalid(errors) => ApiError::validation(errors),
            CreateError::Policy(breaches) => policy(breaches),
            CreateError::Db(e) => e.into(),
        }
    }
}

impl From<EditError> for ApiError {
    fn from(err: EditError) -> Self {
        match err {
            EditError::Denied(d) => d.into(),
            EditError::NotFound => ApiError::new(Code::NotFound),
            EditError::Revoked => state_conflict("is revoked; a revoked key cannot be changed"),
            EditError::Invalid(errors) => ApiError::validation(errors),
            EditError::Escalation(e) => e.into(),
            EditError::Policy(breaches) => policy(breaches),
            EditError::NeedsSudo => console_only("sudo"),
            EditError::Db(e) => e.into(),
        }
    }
}

impl From<RotateError> for ApiError {
    fn from(err: RotateError) -> Self {
        match err {
            RotateError::Denied(d) => d.into(),
            RotateError::NotFound => ApiError::new(Code::NotFound),
            // Revoked, or rotated already (perhaps by a concurrent request a moment ago).
            RotateError::NotRotatable => {
                state_conflict("is revoked or was already rotated; rotate its replacement instead")
            }
            RotateError::NeedsSudo => console_only("sudo"),
            RotateError::Escalation(e) => e.into(),
            RotateError::Policy(breaches) => policy(breaches),
            RotateError::Db(e) => e.into(),
        }
    }
}

impl From<ChangeError> for ApiError {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::Denied(d) => d.into(),
            ChangeError::NotFound => ApiError::new(Code::NotFound),
            ChangeError::NotApplicable => state_conflict("cannot be changed so in its current state"),
            ChangeError::NeedsSudo => console_only("sudo"),
            ChangeError::Db(e) => e.into(),
        }
    }
}

/// What a create or a rotation issued, or 409 when the `Idempotency-Key` was used before.
pub fn issued(result: keys::Issued) -> Result<(Box<keys::ApiKey>, ApiKeySecret), ApiError> {
    match result {
        keys::Issued::Created(key, secret) => Ok((key, secret)),
        keys::Issued::AlreadySubmitted(first) => Err(already_created(first)),
    }
}

impl From<HookError> for ApiError {
    fn from(err: HookError) -> Self {
        match err {
            HookError::Denied(d) => d.into(),
            HookError::NotFound => ApiError::new(Code::NotFound),
            HookError::Db(e) => e.into(),
        }
    }
}

impl From<EndpointError> for ApiError {
    fn from(err: EndpointError) -> Self {
        match err {
            EndpointError::Denied(d) => d.into(),
            EndpointError::NotFound => ApiError::new(Code::NotFound),
            // 422 naming the cap, with the detail on `url`: the field the console
            // marks too, so both sides explain the refusal in the same place.
            EndpointError::AtCap(refused) => {
                let message = format!(
                    "The organisation has reached its cap of {} webhook endpoints; nothing was created.",
                    refused.0
                );
                let mut err = ApiError::with_message(Code::ValidationFailed, message);
                err.details = vec![FieldError { field: "url".into(), message: refused.message() }];
                err
            }
            EndpointError::Disabled => ApiError::validation(vec![FieldError {
                field: "id".into(),
                message: "is disabled; enable it first: a disabled endpoint is sent nothing".into(),
            }]),
            EndpointError::Seal(_) => ApiError::new(Code::Internal),
            EndpointError::Db(e) => e.into(),
        }
    }
}

impl From<TestError> for ApiError {
    fn from(err: TestError) -> Self {
        match err {
            TestError::Hook(e) => e.into(),
            TestError::Send(e) => {
                tracing::error!(error = %e, "webhook test failed");
                ApiError::new(Code::Internal)
            }
        }
    }
}

impl From<ReadError> for ApiError {
    fn from(err: ReadError) -> Self {
        match err {
            ReadError::Denied(d) => d.into(),
            ReadError::Db(e) => e.into(),
        }
    }
}
