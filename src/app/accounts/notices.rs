//! Mail about a person's own account, queued in the caller's transaction:
//! how a message is queued (sealed when it carries a one-time link) and the
//! notice of a change to how the account signs in.

use crate::app::audit::RequestMeta;
use crate::db::mail::{self, NewMail};
use crate::db::users::User;
use crate::db::{DbConn, QueryResult, now, other_error};
use crate::domain::OrgId;
use crate::infra::config::Config;
use crate::infra::mail::account::{self, SecurityNotice};
use crate::infra::mail::compose::Composed;

/// Mail that concerns no organisation is queued under this org id.
const NO_ORG: OrgId = OrgId::new(0);

/// Queues `composed` for `to`; `sealed` when it carries a one-time link.
pub(super) fn queue(
    conn: &mut DbConn,
    config: &Config,
    kind: &'static str,
    to: &str,
    composed: Composed,
    sealed: bool,
) -> QueryResult<()> {
    let (text, html) = if sealed {
        let key = &config.encryption_key;
        (
            crate::infra::mail::seal_body(key, &composed.text).map_err(other_error)?,
            crate::infra::mail::seal_body(key, &composed.html).map_err(other_error)?,
        )
    } else {
        (composed.text, composed.html)
    };
    let mail = NewMail {
        org_id: NO_ORG,
        // Each message is its own: a random key never collides with another.
        dedupe_key: format!("{kind}:{}", crate::domain::token::random_base62(24)),
        kind,
        recipient: to.to_owned(),
        subject: composed.subject,
        text_body: text,
        html_body: html,
        sealed,
    };
    mail::enqueue(conn, &mail).map(|_| ())
}

/// Queues a mail telling the user `what` happened to their account
/// ("Your password was changed", "A passkey was added", …).
pub(crate) fn tell(
    conn: &mut DbConn,
    config: &Config,
    user: &User,
    what: &'static str,
    meta: &RequestMeta,
) -> QueryResult<()> {
    let message = SecurityNotice {
        name: user.name.clone(),
        email: user.email.clone(),
        what,
        at: crate::domain::timefmt::exact(&now()),
        ip: meta.ip.clone().unwrap_or_else(|| "an unknown address".into()),
        reset_url: format!("{}{}", config.public_url.origin(), crate::domain::urls::PASSWORD_RESET),
    };
    let composed = account::security_notice(&message).map_err(other_error)?;
    queue(conn, config, "security_notice", &user.email, composed, false)
}
