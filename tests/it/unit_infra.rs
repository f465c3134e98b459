//! Unit tests of the infrastructure and database layers' pure parts (rate
//! limits and their leases, configuration, usage, passwords, telemetry,
//! metrics). They live here, not beside the code, so the library is compiled
//! once for the tests (docs/TESTING.md: Speed); each module names its file.

/// `src/db/rate_buckets.rs`
mod rate_buckets {
    use latchkey::db::rate_buckets::*;

    fn row(capacity: i64, tokens: f64, elapsed: f64, others: i64) -> Row {
        Row { bucket: "k:1".into(), capacity, tokens, updated_at: 100.0, now: 100.0 + elapsed, others }
    }

    fn ask(unused: f64, want: f64) -> Ask {
        Ask { bucket: "k:1".into(), capacity: 60, unused, want }
    }

    #[test]
    fn leases_follow_demand_within_the_fair_part() {
        // Alone and wanting it all: the whole bucket.
        let (lease, left) = settle(&row(60, 60.0, 0.0, 0), &ask(0.0, 100.0));
        assert_eq!((lease.granted, left), (60.0, 0.0));
        // Wanting little: that much, the rest stays for the others.
        let (lease, left) = settle(&row(60, 60.0, 0.0, 2), &ask(0.0, 5.0));
        assert_eq!((lease.granted, left), (5.0, 55.0));
        // Three sharers: at most a third of what the bucket and the lease hold together.
        let (lease, left) = settle(&row(60, 30.0, 0.0, 2), &ask(6.0, 100.0));
        assert_eq!((lease.granted, left), (6.0, 24.0));
        // Refilled a token a second, never above capacity.
        assert_eq!(settle(&row(60, 0.0, 2.0, 0), &ask(0.0, 100.0)).0.granted, 2.0);
        assert_eq!(settle(&row(60, 59.0, 30.0, 0), &ask(0.0, 100.0)).0.granted, 60.0);
        // A lease above what is wanted gives the excess back; a leaver gives all of it back.
        let (lease, left) = settle(&row(60, 0.0, 0.0, 1), &ask(40.0, 10.0));
        assert_eq!((lease.granted, left), (-30.0, 30.0), "down to what it wants");
        let (lease, left) = settle(&row(60, 10.0, 0.0, 1), &ask(5.0, 0.0));
        assert_eq!((lease.granted, left), (-5.0, 15.0));
        // Fractions are not handed out, but one whole token is when there is one.
        assert_eq!(settle(&row(60, 2.5, 0.0, 2), &ask(0.0, 5.0)).0.granted, 1.0);
        assert_eq!(settle(&row(60, 0.5, 0.0, 2), &ask(0.0, 5.0)).0.granted, 0.0);
        // A raised limit adds the difference, a lowered one caps; a debt is paid from the bucket.
        assert_eq!(settle(&row(30, 0.0, 0.0, 0), &ask(0.0, 100.0)).0.granted, 30.0);
        assert_eq!(settle(&row(90, 80.0, 0.0, 0), &ask(0.0, 100.0)).0.granted, 60.0);
        let (lease, left) = settle(&row(60, 10.0, 0.0, 0), &ask(-4.0, 0.0));
        assert_eq!((lease.granted, left), (4.0, 6.0));
    }
}

/// `src/infra/rate_limit/cluster.rs`
mod cluster {
    use latchkey::db::rate_buckets::Lease;
    use latchkey::infra::rate_limit::cluster::*;
    use latchkey::infra::rate_limit::{Bucket, Decision};

    #[test]
    fn a_share_spends_its_lease_then_waits_for_the_next() {
        let mut share = Share::new(30);
        share.apply(&Lease { granted: 2.0, unleased: 10.0, sharers: 3 });
        assert_eq!(share.take(), Decision::Allowed { limit: 30, remaining: 11 });
        assert_eq!(share.take(), Decision::Allowed { limit: 30, remaining: 10 });
        assert_eq!(share.take(), Decision::Limited { limit: 30, retry_after_secs: 6 });
        // It asks for two periods of what was asked of it (three requests), at least a chunk.
        let ask = share.ask(&Bucket::Key(1), 3);
        assert_eq!((ask.want, ask.unused), (6.0, 0.0));
        assert_eq!(share.ask(&Bucket::Key(1), 3).want, 1.0, "a tenth of its part of 30 a minute, at least 1");
    }
}

/// `src/infra/rate_limit/mod.rs`
mod rate_limit {
    use latchkey::infra::rate_limit::{Bucket, Decision, check_here};

    #[test]
    fn a_key_gets_its_burst_then_waits() {
        let limiters = Default::default();
        let check = |bucket: &Bucket, limit| check_here(&limiters, bucket, limit);
        let (one, two) = (Bucket::Key(1), Bucket::Key(2));
        assert_eq!(check(&one, 3), Decision::Allowed { limit: 3, remaining: 2 });
        assert_eq!(check(&one, 3), Decision::Allowed { limit: 3, remaining: 1 });
        assert_eq!(check(&one, 3), Decision::Allowed { limit: 3, remaining: 0 });
        match check(&one, 3) {
            Decision::Limited { limit: 3, retry_after_secs } => assert!((1..=20).contains(&retry_after_secs)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(check(&two, 3), Decision::Allowed { .. }), "keys are independent");
        assert_eq!(check(&one, 0), Decision::Unlimited);
        assert!(matches!(check(&one, 5), Decision::Allowed { limit: 5, .. }), "a new limit starts afresh");
    }

    #[test]
    fn the_stricter_answer_wins() {
        let (few, many) = (Decision::Allowed { limit: 9, remaining: 1 }, Decision::Allowed { limit: 9, remaining: 5 });
        let limited = Decision::Limited { limit: 9, retry_after_secs: 3 };
        assert_eq!(few.stricter(many), few);
        assert_eq!(many.stricter(few), few);
        assert_eq!(many.stricter(limited), limited);
        assert_eq!(Decision::Unlimited.stricter(many), many);
        assert_eq!(limited.stricter(Decision::Unlimited), limited);
    }
}

/// `src/infra/config/mod.rs`
mod config {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use latchkey::infra::config::*;

    #[test]
    fn public_url_is_reduced_to_its_origin() {
        let url = PublicUrl::parse("https://keys.example.com/console/", true).expect("valid");
        assert_eq!(url.origin(), "https://keys.example.com");
        assert!(url.is_https());
        assert!(url.allows_origin("https://keys.example.com"));
        assert!(!url.allows_origin("http://keys.example.com"));
        assert!(!url.allows_origin("https://127.0.0.1"));
    }

    #[test]
    fn a_derived_public_url_also_accepts_loopback_spellings_of_its_port() {
        let url = PublicUrl::parse("http://127.0.0.1:8080", false).expect("valid");
        assert!(url.allows_origin("http://localhost:8080"));
        assert!(url.allows_origin("http://[::1]:8080"));
        assert!(!url.allows_origin("http://localhost:9090"));
        assert!(!url.allows_origin("http://evil.example"));
        assert!(PublicUrl::parse("ftp://x", true).is_err());
    }

    #[test]
    fn keys_file_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k");
        let first = load_or_create_keys_file(&path).expect("created");
        let again = load_or_create_keys_file(&path).expect("read");
        assert_eq!(first, again);
        assert_eq!(B64.decode(&first.0).map(|k| k.len()).ok(), Some(64));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

/// `src/infra/usage.rs`
mod usage {
    use latchkey::infra::usage::Usage;

    #[test]
    fn last_use_is_coalesced_and_revoked_use_reports_are_rate_limited() {
        let usage = Usage::default();
        usage.record(1, "10.0.0.1".parse().ok());
        usage.record(1, "10.0.0.2".parse().ok());
        usage.record(2, None);
        let taken = usage.take_last_used();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken[&1].1, "10.0.0.2".parse().ok());
        assert!(usage.take_last_used().is_empty());
        assert!(usage.should_report_revoked_use(7));
        assert!(!usage.should_report_revoked_use(7));
        assert!(usage.should_report_revoked_use(8));
    }
}

/// `src/infra/password.rs`
mod password {
    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = latchkey::infra::password::hash("correct horse").expect("hash");
        let b = latchkey::infra::password::hash("correct horse").expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salts differ");
        assert!(latchkey::infra::password::verify("correct horse", &a));
        assert!(!latchkey::infra::password::verify("battery staple", &a));
        assert!(!latchkey::infra::password::verify("correct horse", "not a hash"));
        assert!(!latchkey::infra::password::verify("!sso", "!sso"), "an account single sign-on made has no password");
    }

    #[test]
    fn unconfigured_hashes_take_the_recommended_cost_and_any_cost_verifies() {
        let recommended = latchkey::infra::password::hash("correct horse").expect("hash");
        assert!(recommended.contains("$m=19456,t=2,p=1$"), "{recommended}");
        let cheap = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(64, 1, 1, None).expect("params"),
        );
        use argon2::password_hash::PasswordHasher;
        let cheap = cheap.hash_password(b"correct horse").expect("hash").to_string();
        assert!(latchkey::infra::password::verify("correct horse", &cheap), "a stored hash carries its own cost");
        assert!(!latchkey::infra::password::verify("battery staple", &cheap));
    }
}

/// `src/infra/telemetry.rs`
mod telemetry {
    use latchkey::infra::telemetry::colour;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())), "an empty NO_COLOR counts as unset");
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None), "a file or a pipe");
        assert!(!colour(false, Some("1".into())));
    }
}

/// `src/infra/metrics.rs`
mod metrics {
    use latchkey::infra::metrics::Metrics;

    #[test]
    fn exposition_has_every_family_with_its_labels() {
        let m = Metrics::default();
        m.observe_request("GET", "/api/v1/{kind}", 200, 0.002);
        m.key_verified("malformed_key");
        m.webhook_attempted("timeout");
        m.set_queue("mail", 3, 12.5);
        m.scheduler_ran(0.25);
        let text = m.encode();
        for needle in [
            r#"latchkey_http_requests_total{method="GET",route="/api/v1/{kind}",status="200"} 1"#,
            r#"latchkey_http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/api/v1/{kind}"} 1"#,
            r#"latchkey_api_key_verifications_total{outcome="malformed_key"} 1"#,
            r#"latchkey_webhook_attempts_total{outcome="timeout"} 1"#,
            r#"latchkey_outbox_depth{queue="mail"} 3"#,
            r#"latchkey_outbox_oldest_due_age_seconds{queue="mail"} 12.5"#,
            "latchkey_scheduler_lag_seconds 0.25",
            "# EOF",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
    }

    #[test]
    fn the_text_format_names_counters_by_their_samples_and_has_no_openmetrics_lines() {
        let m = Metrics::default();
        m.observe_request("GET", "/healthz", 200, 0.001);
        m.key_verified("ok");
        m.scheduler_ran(0.25);
        let text = m.encode_text();
        for needle in [
            "# HELP latchkey_api_key_verifications_total ",
            "# TYPE latchkey_api_key_verifications_total counter\n",
            r#"latchkey_api_key_verifications_total{outcome="ok"} 1"#,
            "# TYPE latchkey_http_request_duration_seconds histogram\n",
            "# TYPE latchkey_scheduler_lag_seconds gauge\n",
        ] {
            assert!(text.contains(needle), "missing {needle} in:\n{text}");
        }
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"), "{text}");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let m = Metrics::default();
        for i in 0..500 {
            m.observe_request(&format!("FUZZ{i}"), "unmatched", 400, 0.001);
        }
        m.observe_request("GET", "/healthz", 200, 0.001);
        let text = m.encode();
        assert!(text.contains(r#"method="OTHER",route="unmatched",status="400"} 500"#), "{text}");
        assert!(!text.contains("FUZZ"), "raw methods never become labels");
        assert!(text.len() < 20_000, "the exposition stays small: {} bytes", text.len());
    }
}
