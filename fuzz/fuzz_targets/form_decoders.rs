//! The console's form decoders: any body decodes into each real form type
//! or fails cleanly, and every field parser takes any decoded value without
//! panicking (the pages re-render their errors; nothing may crash).
#![no_main]

use latchkey_domain::key_settings::{
    Grace, IpAllowlist, parse_description, parse_expiry, parse_label, parse_rate_limit,
};
use latchkey_domain::scopes::Scopes;
use latchkey_domain::{Email, OrgName, OrgSlug, Password, PersonName, Plan, Role};
use latchkey_domain::forms::{AddMemberForm, ApiForm, DefinitionForm, HookForm, ImportForm, KeyForm, LoginForm, RoleForm};
use latchkey_domain::key_reach::{self, ReachFields};
use latchkey_domain::webhook_url;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_html_form::from_bytes::<KeyForm>(data);
    let _ = serde_html_form::from_bytes::<HookForm>(data);
    let _ = serde_html_form::from_bytes::<LoginForm>(data);
    let _ = serde_html_form::from_bytes::<AddMemberForm>(data);
    let _ = serde_html_form::from_bytes::<RoleForm>(data);
    let _ = serde_html_form::from_bytes::<ApiForm>(data);
    let _ = serde_html_form::from_bytes::<DefinitionForm>(data);
    let _ = serde_html_form::from_bytes::<ImportForm>(data);
    if let Ok(form) = serde_html_form::from_bytes::<KeyForm>(data) {
        let fields = ReachFields {
            api: &form.api,
            access: &form.access,
            scopes: &form.scopes,
            permissions: &form.permissions,
            roles: &form.roles,
        };
        let _ = key_reach::parse(&fields, None);
    }
    let Ok(pairs) = serde_html_form::from_bytes::<Vec<(String, String)>>(data) else { return };
    let now = chrono::Utc::now().naive_utc();
    let values: Vec<&str> = pairs.iter().map(|(_, v)| v.as_str()).collect();
    let _ = Scopes::parse(&values);
    for value in values {
        let _ = parse_label(value);
        let _ = parse_description(value);
        let _ = parse_expiry(value, now);
        let _ = parse_rate_limit(value);
        let _ = IpAllowlist::parse(value);
        let _ = Grace::parse(value);
        let _ = Email::parse(value);
        let _ = OrgSlug::parse(value);
        let _ = OrgName::parse(value);
        let _ = PersonName::parse(value);
        let _ = Password::parse(value);
        let _ = Role::parse(value);
        let _ = Plan::parse(value);
        let _ = webhook_url::parse_url(value, true);
    }
});
