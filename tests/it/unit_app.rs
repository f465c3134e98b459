//! Unit tests of the use-case layer's pure parts (audit actions, the request
//! log's flood ledger, webhook signing, targets, retries and examples, mail
//! retries). They live here, not beside the code, so the library is compiled
//! once for the tests (docs/TESTING.md: Speed); each module names its file.

/// `src/app/audit/action.rs`
mod action {
    use latchkey::app::audit::action::Action;

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("session.hijacked"), None);
    }
}

/// `src/app/audit/action.rs`
mod action_label_tests {
    #[test]
    fn codes_read_as_words() {
        assert_eq!(latchkey::app::audit::action::human_label("api_key.revoked"), "API key revoked");
        assert_eq!(latchkey::app::audit::action::human_label("session.login_failed"), "Session login failed");
        assert_eq!(latchkey::app::audit::action::human_label("support.viewed_audit_log"), "Support viewed audit log");
    }
}

/// `src/app/audit/mod.rs`
mod audit {
    use latchkey::app::audit::trace_id_from_traceparent;

    #[test]
    fn trace_ids_come_only_from_valid_traceparent_headers() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(trace_id_from_traceparent(&format!("00-{trace}-00f067aa0ba902b7-01")).as_deref(), Some(trace));
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_id_from_traceparent(bad), None, "{bad:?}");
        }
    }
}

/// `src/app/request_log/coalesce.rs`
mod coalesce {
    use latchkey::app::request_log::Entry;
    use latchkey::app::request_log::coalesce::*;
    use std::net::IpAddr;
    use std::sync::Arc;

    fn seen(status: u16, code: Option<&'static str>) -> Seen {
        let created = chrono::DateTime::from_timestamp(0, 0).map(|t| t.naive_utc()).unwrap_or_default();
        Seen { key: (7, created), status, error_code: code, authenticated: false, ip: None }
    }

    fn entry(request_id: &str) -> Entry {
        let created = chrono::DateTime::from_timestamp(0, 0).map(|t| t.naive_utc()).unwrap_or_default();
        Entry {
            key_row_id: 7,
            key_created_at: created,
            org_id: latchkey::domain::OrgId::new(1),
            at: created,
            method: "GET".into(),
            path: "/api/v1/ping".into(),
            status: 401,
            error_code: Some("revoked_key"),
            latency_ms: 0,
            ip: None,
            user_agent: None,
            request_id: request_id.into(),
            authenticated: false,
            repeats: 0,
            tally: None,
            via: latchkey::app::request_log::Via::Api,
            host: None,
        }
    }

    /// (rows kept, counted) of `n` requests like `seen` at `now`.
    fn flood(ledger: &mut Ledger, seen: Seen, now: i64, n: usize) -> (usize, usize) {
        let (mut kept, mut counted) = (0, 0);
        for i in 0..n {
            match ledger.admit(seen, now, true, || entry(&format!("req_{i}"))) {
                Admitted::Row(_) => kept += 1,
                Admitted::Counted => counted += 1,
                Admitted::Dropped => {}
            }
        }
        (kept, counted)
    }

    #[test]
    fn a_flood_of_refusals_keeps_five_a_minute_and_counts_the_rest_on_one_row() {
        let mut ledger = Ledger::default();
        let revoked = seen(401, Some("revoked_key"));
        assert_eq!(flood(&mut ledger, revoked, 120, 10_000), (5, 9_995));
        let rows = ledger.drain(121);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].request_id.as_str(), rows[0].repeats), ("req_5", 9_994), "the first counted one, +9,994");
        let tally = rows[0].tally.clone().expect("a counted row");
        assert!(ledger.drain(122).is_empty(), "nothing new, nothing to write");
        assert_eq!(flood(&mut ledger, revoked, 130, 100), (0, 100), "same minute: all counted");
        let rows = ledger.drain(131);
        assert_eq!(rows[0].repeats, 100);
        assert!(Arc::ptr_eq(rows[0].tally.as_ref().expect("tally"), &tally), "added to the same row");
        // Another kind has its own five; the next minute starts over.
        assert_eq!(flood(&mut ledger, seen(429, Some("rate_limited")), 140, 7), (5, 2));
        assert_eq!(flood(&mut ledger, revoked, 180, 7), (5, 2));
        assert_eq!(ledger.drain(181).len(), 2, "one row per kind that counted something");
    }

    #[test]
    fn the_row_of_a_minute_that_ended_is_still_written() {
        let mut ledger = Ledger::default();
        let revoked = seen(401, Some("revoked_key"));
        flood(&mut ledger, revoked, 119, 8);
        flood(&mut ledger, revoked, 120, 8); // the writer has not run in between
        let rows = ledger.drain(120);
        let repeats: Vec<u64> = rows.iter().map(|r| r.repeats).collect();
        assert_eq!(repeats.iter().sum::<u64>() + rows.len() as u64, 6, "3 + 3 requests counted on two rows");
        assert!(ledger.drain(200).is_empty());
        assert_eq!(ledger.kinds_tracked(), 0, "the minute is forgotten");
        assert!(ledger.drain(7_300).is_empty() && ledger.keys_tracked() == 0, "and the hour");
    }

    #[test]
    fn served_requests_are_kept_up_to_the_hourly_budget_then_counted() {
        let mut ledger = Ledger::default();
        let served = seen(200, None);
        let budget = ROWS_PER_HOUR as usize;
        assert_eq!(flood(&mut ledger, served, 3_600, budget + 500), (budget, 500));
        assert_eq!(
            flood(&mut ledger, seen(401, Some("revoked_key")), 3_600, 3),
            (0, 3),
            "the budget holds refusals too"
        );
        assert_eq!(flood(&mut ledger, served, 7_200, 10), (10, 0), "a new hour, a new budget");
    }

    #[test]
    fn past_the_budget_the_first_use_from_each_new_network_is_kept() {
        let mut ledger = Ledger::default();
        let mut served = seen(200, None);
        served.authenticated = true;
        served.ip = "203.0.113.7".parse().ok();
        flood(&mut ledger, served, 0, ROWS_PER_HOUR as usize);
        assert_eq!(flood(&mut ledger, served, 0, 10), (1, 9), "once per network");
        served.ip = "203.0.113.99".parse().ok();
        assert_eq!(flood(&mut ledger, served, 0, 10), (0, 10), "same /24");
        served.ip = "2001:db8:1::1".parse().ok();
        assert_eq!(flood(&mut ledger, served, 0, 10), (1, 9));
        for i in 0..100u8 {
            served.ip = Some(IpAddr::from([198, 51, i, 1]));
            flood(&mut ledger, served, 0, 1);
        }
        assert_eq!(ledger.networks_kept(), NETWORKS_PER_HOUR, "a bounded number of networks an hour");
    }

    #[test]
    fn networks_match_the_leak_signals_prefixes() {
        let n = |s: &str| network(s.parse().expect("ip"));
        assert_eq!(n("203.0.113.7"), n("203.0.113.250"));
        assert_ne!(n("203.0.113.7"), n("203.0.114.7"));
        assert_eq!(n("::ffff:203.0.113.7"), n("203.0.113.1"));
        assert_eq!(n("2001:db8:1::1"), n("2001:db8:1:ffff::9"));
        assert_ne!(n("2001:db8:1::1"), n("2001:db8:2::1"));
    }
}

/// `src/app/webhooks/health.rs`
mod webhook_health {
    use chrono::NaiveDateTime;
    use latchkey::app::webhooks::health::*;
    use latchkey::db::webhooks::Endpoint;

    fn hook(enabled: bool, failing_since: Option<NaiveDateTime>) -> Endpoint {
        Endpoint {
            id: 1,
            org_id: 1,
            public_id: "wh_x".into(),
            url: "https://example.com/h".into(),
            description: String::new(),
            events: "order.created".into(),
            enabled,
            secret_sealed: String::new(),
            previous_secret_sealed: None,
            previous_until: None,
            disabled_reason: (!enabled).then(|| "disabled by a user".into()),
            failing_since,
            created_at: NaiveDateTime::default(),
            created_by_name: "t".into(),
            created_by_key: None,
        }
    }

    #[test]
    fn marks_say_how_long_and_how_many() {
        let now = NaiveDateTime::default() + chrono::Duration::days(1);
        let since = now - chrono::Duration::hours(3);
        let mut recent = vec![Some(500); 12];
        recent.extend(vec![Some(200); 7]);
        recent.push(None);
        let failing = of(&hook(true, Some(since)), &recent, now);
        assert_eq!(failing.kind, "failing");
        assert_eq!(failing.summary, "for 3 h, since 1970-01-01 21:00 UTC — 13 of the last 20 attempts failed");
        let healthy = of(&hook(true, None), &[Some(204), Some(200)], now);
        assert_eq!((healthy.kind, healthy.summary.as_str()), ("healthy", "2 of the last 2 attempts succeeded"));
        assert_eq!(of(&hook(true, None), &[], now).summary, "no attempts yet");
        assert_eq!(of(&hook(false, Some(since)), &recent, now).kind, "disabled");
    }
}

/// `src/app/webhooks/signing.rs`
mod signing {
    use latchkey::app::webhooks::signing::*;

    #[test]
    fn the_standard_webhooks_test_vector_signs_as_published() {
        // From the Standard Webhooks specification's test suite.
        let secret = SigningSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
        let signature = secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, br#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn secrets_round_trip_and_rotation_signs_with_both() {
        let a = SigningSecret::generate();
        let b = SigningSecret::generate();
        assert_eq!(SigningSecret::parse(&a.expose()), Some(a.clone()));
        assert!(a.expose().starts_with("whsec_"));
        assert_eq!(format!("{a:?}"), "SigningSecret(<redacted>)");
        let header = signature_header(&[&a, &b], "msg_1", 1, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [a.sign("msg_1", 1, b"{}"), b.sign("msg_1", 1, b"{}")]);
        assert!(SigningSecret::parse("whsec_c2hvcnQ=").is_none(), "too short");
        assert!(SigningSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none(), "needs the prefix");
    }

    #[test]
    fn the_standardwebhooks_crate_verifies_our_signatures_including_during_rotation() {
        let old = SigningSecret::generate();
        let new = SigningSecret::generate();
        let body = br#"{"type":"webhook.test","timestamp":"2026-11-22T10:00:00Z","data":{"webhook_id":"wh_1","message":"hi"}}"#;
        let now = chrono::Utc::now().timestamp();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("webhook-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".parse().expect("h"));
        headers.insert("webhook-timestamp", now.to_string().parse().expect("h"));
        headers.insert(
            "webhook-signature",
            signature_header(&[&old, &new], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", now, body).parse().expect("h"),
        );
        for secret in [&old, &new] {
            let oracle = standardwebhooks::Webhook::new(&secret.expose()).expect("oracle secret");
            assert!(oracle.verify(body, &headers).is_ok(), "a receiver holding either secret accepts the message");
        }
        let stranger = standardwebhooks::Webhook::new(&SigningSecret::generate().expose()).expect("secret");
        assert!(stranger.verify(body, &headers).is_err());
        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        let oracle = standardwebhooks::Webhook::new(&new.expose()).expect("secret");
        assert!(oracle.verify(&tampered, &headers).is_err(), "the exact bytes are signed");
    }
}

/// `src/app/webhooks/events.rs`
mod events {
    #[test]
    fn events_are_known_and_at_least_one() {
        assert_eq!(
            latchkey::app::webhooks::events::parse(&["api_key.revoked".into(), "order.created".into()]),
            Ok("order.created,api_key.revoked".into())
        );
        assert!(latchkey::app::webhooks::events::parse(&[]).is_err());
        assert!(latchkey::app::webhooks::events::parse(&["user.deleted".into()]).is_err());
    }
}

/// `src/app/webhooks/target.rs`
mod target {
    use latchkey::app::webhooks::target::*;

    #[test]
    fn ip_literals_and_names_resolving_to_blocked_addresses_are_refused() {
        for url in [
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest",
            "http://localhost./",
        ] {
            let parsed = parse_url(url, true).expect("parses");
            assert!(matches!(resolve(&parsed, false), Err(TargetError::Blocked { .. })), "{url}");
            assert!(resolve(&parsed, true).is_ok(), "{url} is allowed with the dev/test flag");
        }
    }

    #[test]
    fn names_under_invalid_fail_like_any_unresolvable_name_without_a_lookup() {
        for url in ["https://hooks.acme.invalid/x", "https://HOOKS.Acme.INVALID./x", "http://invalid/"] {
            let parsed = parse_url(url, true).expect("parses");
            for allow_private in [false, true] {
                let refused = resolve(&parsed, allow_private).expect_err(url);
                assert!(matches!(refused, TargetError::Unresolvable(_)), "{url}: {refused:?}");
                assert_eq!(refused.class(), "dns", "an ordinary failed attempt, not a blocked one");
            }
        }
    }
}

/// `src/app/webhooks/examples.rs`
mod examples {
    use latchkey::app::webhooks::examples::*;
    use latchkey::domain::event_type::EventType;
    use serde_json::json;

    #[test]
    fn every_type_has_a_marked_example_and_unknown_types_are_refused() {
        assert_eq!(parse_event(""), Ok(EventType::WebhookTest));
        assert_eq!(parse_event("order.created"), Ok(EventType::OrderCreated));
        assert!(parse_event("order.deleted").is_err());
        for event_type in choices() {
            let example = body(event_type, "wh_x");
            assert_eq!(example["type"], event_type.as_str());
            assert_eq!((&example["test"], &example["seq"]), (&json!(true), &json!(0)));
            assert!(example["data"].is_object(), "{event_type}");
        }
        assert_eq!(body(EventType::WebhookTest, "wh_x")["data"]["webhook_id"], "wh_x");
    }
}

/// `src/app/webhooks/delivery.rs`
mod delivery {
    use latchkey::app::webhooks::delivery::next_delay;

    #[test]
    fn retries_follow_the_schedule_with_jitter_and_retry_after() {
        for _ in 0..50 {
            let first = next_delay(1, None).expect("retry").num_milliseconds();
            assert!((4_000..=6_000).contains(&first), "{first}");
            let second = next_delay(2, None).expect("retry").num_seconds();
            assert!((240..=360).contains(&second), "{second}");
            let honoured = next_delay(1, Some(60)).expect("retry").num_seconds();
            assert!((48..=72).contains(&honoured), "{honoured}");
        }
        assert!(next_delay(7, None).is_some());
        assert!(next_delay(8, None).is_none(), "eight attempts in all");
    }
}

/// `src/app/send_mail.rs`
mod send_mail {
    use latchkey::app::send_mail::next_delay;

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(next_delay(1).map(|d| d.num_minutes()), Some(1));
        assert_eq!(next_delay(8).map(|d| d.num_minutes()), Some(1440));
        assert!(next_delay(9).is_none());
        assert!(next_delay(0).is_none());
    }
}
