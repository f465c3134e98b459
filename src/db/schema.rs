//! Hand-written schema: only column types both backends share (docs/DATABASE.md).

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

diesel::joinable!(memberships -> orgs (org_id));
diesel::joinable!(memberships -> users (user_id));

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
    apis (id) {
        id -> BigInt,
        org_id -> BigInt,
        slug -> Text,
        name -> Text,
        definition -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        org_id -> BigInt,
        key_id -> Text,
        token_hash -> Text,
        display_prefix -> Text,
        label -> Text,
        description -> Text,
        scopes -> Text,
        expires_at -> Nullable<Timestamp>,
        allowed_ips -> Text,
        rate_limit_per_minute -> Nullable<BigInt>,
        enabled -> Bool,
        created_at -> Timestamp,
        created_by_id -> Nullable<BigInt>,
        created_by_name -> Text,
        last_used_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by_name -> Nullable<Text>,
        rotated_from -> Nullable<Text>,
        replaced_by -> Nullable<Text>,
        grace_until -> Nullable<Timestamp>,
        expired_event_at -> Nullable<Timestamp>,
        created_by_email -> Nullable<Text>,
        created_by_key -> Nullable<Text>,
        exposed_at -> Nullable<Timestamp>,
        api -> Text,
        permissions -> Text,
        roles -> Text,
        owner_id -> Nullable<Text>,
        metadata -> Nullable<Text>,
    }
}

diesel::table! {
    used_form_ids (form_id) {
        form_id -> Text,
        org_id -> BigInt,
        key_id -> Text,
        used_at -> Timestamp,
    }
}

diesel::joinable!(api_keys -> orgs (org_id));
diesel::joinable!(apis -> orgs (org_id));

diesel::table! {
    api_records (id) {
        id -> BigInt,
        org_id -> BigInt,
        kind -> Text,
        public_id -> Text,
        data -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        created_by_key -> Nullable<Text>,
    }
}

diesel::table! {
    api_request_log (id) {
        id -> BigInt,
        org_id -> BigInt,
        api_key_id -> BigInt,
        at -> Timestamp,
        method -> Text,
        path -> Text,
        status -> BigInt,
        error_code -> Nullable<Text>,
        latency_ms -> BigInt,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        request_id -> Text,
        repeats -> BigInt,
    }
}

diesel::table! {
    key_networks (api_key_id, network) {
        api_key_id -> BigInt,
        network -> Text,
        last_seen -> Timestamp,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> BigInt,
        org_id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    key_usage_daily (api_key_id, day) {
        api_key_id -> BigInt,
        day -> Date,
        org_id -> BigInt,
        ok -> BigInt,
        client_errors -> BigInt,
        server_errors -> BigInt,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        org_id -> BigInt,
        public_id -> Text,
        url -> Text,
        description -> Text,
        events -> Text,
        enabled -> Bool,
        secret_sealed -> Text,
        previous_secret_sealed -> Nullable<Text>,
        previous_until -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamp>,
        created_at -> Timestamp,
        created_by_name -> Text,
        created_by_key -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        org_id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        delivery_id -> BigInt,
        endpoint_id -> BigInt,
        attempt -> BigInt,
        trigger -> Text,
        attempted_at -> Timestamp,
        status_code -> Nullable<BigInt>,
        latency_ms -> BigInt,
        error_class -> Nullable<Text>,
        excerpt -> Text,
        request_url -> Text,
        request_headers -> Text,
        request_body -> Text,
        response_headers -> Text,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        org_id -> BigInt,
        dedupe_key -> Text,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        state -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        sealed -> Bool,
    }
}

diesel::table! {
    key_expiry_notices (id) {
        id -> BigInt,
        api_key_id -> BigInt,
        expires_at -> Timestamp,
        threshold -> Text,
        created_at -> Timestamp,
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
