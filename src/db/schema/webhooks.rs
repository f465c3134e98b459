//! The outbox of events and mail, and the webhook endpoints, deliveries and attempts.

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
        test -> Bool,
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
