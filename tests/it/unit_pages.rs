//! Unit tests of the web layer's and the jobs' pure parts (form ids, content
//! negotiation, asset versions, page helpers, the usage chart, the checkpoint
//! schedule). They live here, not beside the code, so the library is compiled
//! once for the tests (docs/TESTING.md: Speed); each module names its file.

/// `src/jobs/checkpoints.rs`
mod checkpoints {
    use latchkey::jobs::checkpoints::*;
    use std::time::Duration;

    #[test]
    fn the_scheduler_looks_at_least_twice_an_interval_and_at_least_once_a_minute() {
        assert_eq!(period(Duration::from_secs(1)), Duration::from_millis(500));
        assert_eq!(period(Duration::from_secs(90)), Duration::from_secs(45));
        assert_eq!(period(Duration::from_secs(3600)), Duration::from_secs(60));
    }
}

/// `src/web/auth/form_id.rs`
mod form_id {
    use latchkey::domain::{OrgId, UserId};
    use latchkey::web::auth::form_id::*;

    #[test]
    fn only_ids_issued_for_this_user_and_org_verify() {
        let key = [7u8; 64];
        let id = issue(&key, OrgId::new(1), UserId::new(2));
        assert!(verify(&key, OrgId::new(1), UserId::new(2), &id));
        assert!(!verify(&key, OrgId::new(1), UserId::new(3), &id), "another user");
        assert!(!verify(&key, OrgId::new(9), UserId::new(2), &id), "another org");
        assert!(!verify(&[8u8; 64], OrgId::new(1), UserId::new(2), &id), "another server key");
        for bad in ["", "abc", "x.y", "aaaaaaaaaaaaaaaaaaaaaaaa.00", &id.replace('.', "")] {
            assert!(!verify(&key, OrgId::new(1), UserId::new(2), bad), "{bad}");
        }
        let (nonce, sig) = id.split_once('.').expect("dot");
        let other_nonce = format!("{}{}", &nonce[..23], if nonce.ends_with('a') { 'b' } else { 'a' });
        assert!(
            !verify(&key, OrgId::new(1), UserId::new(2), &format!("{other_nonce}.{sig}")),
            "signature bound to the nonce"
        );
    }
}

/// `src/web/pages/health.rs`
mod health {
    use latchkey::web::pages::health::wants_openmetrics;

    #[test]
    fn openmetrics_only_when_asked_for_before_the_text_format() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(prometheus));
        assert!(wants_openmetrics("application/openmetrics-text"));
        assert!(wants_openmetrics("Application/OpenMetrics-Text; version=1.0.0"));
        for text in [
            "",
            "*/*",
            "text/plain;version=0.0.4",
            "application/openmetrics-text;q=0, text/plain",
            "text/plain, application/openmetrics-text;q=0.5",
            "application/openmetrics-text;q=0.5, */*",
            "application/json",
        ] {
            assert!(!wants_openmetrics(text), "{text}");
        }
    }
}

/// `src/web/pages/assets.rs`
mod assets {
    use latchkey::web::pages::assets::*;

    #[test]
    fn the_version_is_a_short_hash_that_changes_with_the_content() {
        let css = include_str!("../../static/app.css");
        assert_eq!(version_of(css), version_of(css), "the same content, the same version");
        assert_eq!(version_of(css).len(), 12);
        assert!(version_of(css).bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(version_of(css), version_of(&format!("{css} ")), "one more byte, another version");
        assert_ne!(version_of("a{color:red}"), version_of("a{color:blue}"));
    }

    #[test]
    fn every_asset_has_a_versioned_url_that_names_it() {
        for asset in Asset::ALL {
            let url = asset.url();
            let (stem, ext) = asset.name().rsplit_once('.').unwrap();
            assert_eq!(url, format!("/static/{stem}.{}.{ext}", asset.version()));
            let file = url.strip_prefix("/static/").unwrap();
            assert_eq!(requested(file), Some(Requested::Current(asset)));
            assert_eq!(requested(asset.name()), Some(Requested::Unversioned(asset)));
            assert_eq!(requested(&format!("{stem}.0123456789ab.{ext}")), Some(Requested::OtherVersion(asset)));
        }
        for unknown in ["app.min.css", "nope.css", "app.0123456789ab.txt", "..", "app.css.map", ""] {
            assert_eq!(requested(unknown), None, "{unknown}");
        }
    }
}

/// `src/web/pages/api_keys/requests.rs`
mod requests {
    #[test]
    fn repeats_are_shown_with_thousands_grouped() {
        let view = |repeats| latchkey::web::pages::api_keys::requests::RequestView {
            at_iso: String::new(),
            at: String::new(),
            method: String::new(),
            path: String::new(),
            status: 401,
            error_code: String::new(),
            latency_ms: 0,
            ip: String::new(),
            user_agent: String::new(),
            request_id: String::new(),
            via: String::new(),
            host: String::new(),
            repeats,
        };
        assert_eq!(view(1).more(), "+1 more like this");
        assert_eq!(view(999).more(), "+999 more like this");
        assert_eq!(view(1_234).more(), "+1,234 more like this");
        assert_eq!(view(1_234_567).more(), "+1,234,567 more like this");
    }
}

/// `src/web/pages/api_keys/reach.rs`
mod reach {
    #[test]
    fn permissions_group_by_what_comes_before_their_last_separator() {
        assert_eq!(latchkey::web::pages::api_keys::reach::prefix("invoices.read"), "invoices");
        assert_eq!(latchkey::web::pages::api_keys::reach::prefix("billing:invoices.read"), "billing:invoices");
        assert_eq!(latchkey::web::pages::api_keys::reach::prefix("customers:read"), "customers");
        assert_eq!(latchkey::web::pages::api_keys::reach::prefix("admin"), "admin");
    }
}

/// `src/web/pages/mod.rs`
mod pages {
    use latchkey::web::pages::safe_next;

    #[test]
    fn next_is_limited_to_local_paths() {
        assert_eq!(safe_next(Some("/orgs/acme")), Some("/orgs/acme".into()));
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "evil", "/a\r\nSet-Cookie: x"] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?} was accepted");
        }
    }
}

/// `src/web/pages/chart.rs`
mod chart {
    use chrono::NaiveDate;
    use latchkey::web::pages::chart::usage_svg;

    #[test]
    fn the_chart_has_a_bar_group_per_day_and_escapes_its_label() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let svg = usage_svg(&[(today, [3, 2, 1])], today, 30, "Key <x>");
        assert_eq!(svg.matches("<g>").count(), 30);
        assert!(svg.contains("2026-11-22: 3 ok, 2 client errors, 1 server errors"));
        assert!(svg.contains(r#"data-total="6""#));
        assert!(svg.contains("Key &lt;x&gt;"));
        assert_eq!(svg.matches("class=\"bar-").count(), 3 + 30, "three stacked parts plus a hit area per day");
    }
}
