//! Where the key form's problems show: next to their fields (policy
//! breaches included), and all together in a summary at the top of the
//! form, each a link to its field, so an error far down the page is not missed.

use super::KeyFormPage;
use crate::domain::key_policy::Breach;
use crate::web::error::AppError;
use crate::web::pages::render_status;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;

/// One problem: the id of the field it is about, and what is wrong.
pub struct Problem<'a> {
    pub field: &'static str,
    pub message: &'a str,
}

impl KeyFormPage {
    /// The problems in the order of the form's fields.
    pub fn problems(&self) -> Vec<Problem<'_>> {
        let password = if self.chrome.sudo_with_code { "code" } else { "password" };
        [
            ("label", self.label.error.as_deref()),
            ("description", self.description.error.as_deref()),
            ("access-full", self.access_error.as_deref()),
            ("access", self.scope_error.as_deref()),
            ("expires_in", self.expires_at.error.as_deref()),
            ("allowed_ips", self.allowed_ips.error.as_deref()),
            ("rate_limit_per_minute", self.rate_limit.error.as_deref()),
            ("owner_id", self.owner_id.error.as_deref()),
            ("metadata", self.metadata.error.as_deref()),
            (password, self.password_error.as_deref()),
        ]
        .into_iter()
        .filter_map(|(field, message)| message.map(|message| Problem { field, message }))
        .collect()
    }
}

impl KeyFormPage {
    /// What the org's key policy asks of the expiry, e.g. "required, at most 90 days".
    pub fn expiry_rule(&self) -> String {
        crate::domain::expiry_choice::rule(&self.policy)
    }
}

impl KeyFormPage {
    /// Puts each rule of the org's key policy that the key would break next to its field.
    pub(super) fn breaches(&mut self, breaches: Vec<Breach>) -> Result<HttpResponse, AppError> {
        for breach in breaches {
            let message = Some(breach.message);
            match breach.field {
                "scopes" => self.scope_error = message,
                "allowed_ips" => self.allowed_ips.error = message,
                _ => self.expires_at.error = message,
            }
        }
        render_status(StatusCode::UNPROCESSABLE_ENTITY, self)
    }
}
