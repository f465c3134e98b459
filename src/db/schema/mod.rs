//! Hand-written schema: only column types both backends share (docs/DATABASE.md).
//!
//! Split by area (`keys`, `webhooks`, the rest here); every table is re-exported
//! here, so `schema::api_keys` reads the same everywhere.

mod keys;
mod webhooks;

pub use keys::*;
pub use webhooks::*;

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        is_staff -> Bool,
        session_epoch -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    orgs (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        plan -> Text,
        created_at -> Timestamp,
        require_two_factor -> Bool,
        max_key_lifetime_days -> Nullable<BigInt>,
        require_key_expiry -> Bool,
        forbid_full_access -> Bool,
        require_ip_allowlist -> Bool,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        org_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        email -> Text,
        ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instance_setup (id) {
        id -> BigInt,
        completed_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        org_id -> BigInt,
        seq -> BigInt,
        occurred_at -> Timestamp,
        actor_type -> Text,
        actor_id -> Nullable<BigInt>,
        actor_email -> Nullable<Text>,
        actor_name -> Nullable<Text>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        target_label -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        request_id -> Nullable<Text>,
        trace_id -> Nullable<Text>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_chain_heads (org_id) {
        org_id -> BigInt,
        last_seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    invitations (id) {
        id -> BigInt,
        public_id -> Text,
        org_id -> BigInt,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by_id -> Nullable<BigInt>,
        invited_by_name -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_reset_requests (id) {
        id -> BigInt,
        email -> Text,
        ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    totp_factors (id) {
        id -> BigInt,
        user_id -> BigInt,
        secret_sealed -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_step -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    passkeys (id) {
        id -> BigInt,
        public_id -> Text,
        user_id -> BigInt,
        name -> Text,
        credential_id -> Text,
        credential -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webauthn_ceremonies (id) {
        id -> BigInt,
        handle_hash -> Text,
        user_id -> BigInt,
        purpose -> Text,
        state -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(memberships -> orgs (org_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(api_keys -> orgs (org_id));
diesel::joinable!(apis -> orgs (org_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    orgs,
    memberships,
    login_failures,
    sessions,
    instance_setup,
    audit_events,
    audit_chain_heads,
    api_keys,
    apis,
    used_form_ids,
    api_records,
    api_request_log,
    key_networks,
    outbox_events,
    key_usage_daily,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    mail_outbox,
    key_expiry_notices,
    invitations,
    password_resets,
    password_reset_requests,
    totp_factors,
    recovery_codes,
    passkeys,
    webauthn_ceremonies
);
