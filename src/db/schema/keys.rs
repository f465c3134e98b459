//! The tables of keys, the APIs they guard, their use and the records the sample API holds.

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
        api -> Text,
        permissions -> Text,
        roles -> Text,
        owner_id -> Nullable<Text>,
        metadata -> Nullable<Text>,
        creator_deprovisioned_at -> Nullable<Timestamp>,
        limits -> Nullable<Text>,
    }
}

diesel::table! {
    /// When a key was last reported exposed: a column of `api_keys` kept
    /// out of its definition above, which holds diesel's 32 columns at most.
    #[sql_name = "api_keys"]
    key_exposure_marks (id) {
        id -> BigInt,
        org_id -> BigInt,
        key_id -> Text,
        label -> Text,
        exposed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    key_credits (key_row_id) {
        key_row_id -> BigInt,
        remaining -> BigInt,
        refilled_at -> Timestamp,
    }
}

diesel::table! {
    owner_limits (org_id, owner_id) {
        org_id -> BigInt,
        owner_id -> Text,
        rate_limit_per_minute -> BigInt,
        updated_at -> Timestamp,
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
    used_form_ids (form_id) {
        form_id -> Text,
        org_id -> BigInt,
        key_id -> Text,
        used_at -> Timestamp,
    }
}

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
        via -> Text,
        host -> Nullable<Text>,
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
    key_expiry_notices (id) {
        id -> BigInt,
        api_key_id -> BigInt,
        expires_at -> Timestamp,
        threshold -> Text,
        created_at -> Timestamp,
    }
}
