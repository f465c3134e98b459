//! Unit tests of methods, path patterns, request paths and route tables.

use super::*;

fn pattern(s: &str) -> PathPattern {
    PathPattern::parse(s).expect("valid pattern")
}

fn path(s: &str) -> RequestPath<'_> {
    RequestPath::parse(s).expect("valid path")
}

fn route(method: &str, p: &str) -> Route {
    Route {
        method: Method::parse(method).expect("method"),
        path: pattern(p),
        requires: Expression::parse("a").expect("expression"),
    }
}

#[test]
fn methods_are_upper_case_tokens_or_any() {
    assert_eq!(Method::parse(" get ").map(String::from), Ok("GET".to_owned()));
    assert!(Method::parse("*").expect("any").matches("PURGE"));
    assert!(Method::parse("VERSION-CONTROL").is_ok());
    assert!(!Method::parse("GET").expect("get").matches("get"), "the wire is case-sensitive");
    for bad in ["", "G T", "GET1", "**", "GET/", &"A".repeat(33)] {
        assert!(Method::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn patterns_parse_to_their_canonical_text() {
    for (input, canonical) in [
        ("/", "/"),
        ("/v1/invoices", "/v1/invoices"),
        ("/v1/invoices/", "/v1/invoices"),
        ("/v1/invoices/{id}/lines/*", "/v1/invoices/{id}/lines/*"),
        ("/v1/**", "/v1/**"),
        ("/**", "/**"),
        ("/%7euser/a%2fb/%41", "/~user/a%2Fb/A"),
        ("/a:b/@me/x=1,y", "/a:b/@me/x=1,y"),
    ] {
        assert_eq!(pattern(input).to_string(), canonical, "{input:?}");
        assert_eq!(pattern(canonical), pattern(input));
    }
}

#[test]
fn bad_patterns_are_refused_with_a_reason() {
    for (bad, says) in [
        ("v1/invoices", "Start the path"),
        ("", "Start the path"),
        ("/v1//invoices", "empty segment"),
        ("/v1/**/x", "last segment"),
        ("/v1/{}", "not a parameter"),
        ("/v1/{a b}", "not a parameter"),
        ("/v1/{id}.json", "not a parameter"),
        ("/v1/x{id}", "not a parameter"),
        ("/v1/{id}/{id}", "twice"),
        ("/v1/inv*", "wildcard"),
        ("/v1/in voices", "percent-encode"),
        ("/v1/a;v=1", "percent-encode"),
        ("/v1/a%zz", "two hex digits"),
        ("/v1/..", "dot segment"),
        ("/v1/%2E", "dot segment"),
    ] {
        let err = PathPattern::parse(bad).expect_err(bad);
        assert!(err.0.contains(says), "{bad:?}: {err}");
    }
    assert!(PathPattern::parse(&format!("/{}", "a".repeat(512))).is_err());
}

#[test]
fn request_paths_are_normalised_so_spelling_cannot_dodge_a_route() {
    let segments = |s: &str| path(s).segments().iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(segments("/v1/invoices/42?expand=lines#top"), ["v1", "invoices", "42"]);
    assert_eq!(segments("/v1//invoices/"), ["v1", "invoices"]);
    assert_eq!(segments("/v1/%69nvoices"), ["v1", "invoices"]);
    assert_eq!(segments("/v1/public/../admin/./x"), ["v1", "admin", "x"]);
    assert_eq!(segments("/v1/public/%2e%2E/admin"), ["v1", "admin"]);
    assert_eq!(segments("/../../etc"), ["etc"]);
    assert_eq!(segments("/files/a%2fb"), ["files", "a%2Fb"], "an encoded slash stays in its segment");
    assert_eq!(segments("/a%zz/%"), ["a%zz", "%"]);
    assert_eq!(segments("/v1/admin;jsessionid=x/y;v=2"), ["v1", "admin", "y"]);
    assert_eq!(segments("/v1/public/..;/admin"), ["v1", "admin"]);
    assert_eq!(segments("/v1/;x/a%3Bb"), ["v1", "a%3Bb"], "an encoded ; is no separator");
    assert!(segments("/").is_empty() && segments("/?q").is_empty());
    for bad in ["", "v1/invoices", "*", "http://host/path", "/a b", "/a\tb"] {
        assert!(RequestPath::parse(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn matching_follows_the_segments() {
    let matches = |p: &str, r: &str| pattern(p).matches(&path(r));
    assert!(matches("/", "/") && !matches("/", "/a"));
    assert!(matches("/v1/invoices", "/v1/invoices/"));
    assert!(!matches("/v1/invoices", "/v1/invoices/42"));
    assert!(matches("/v1/invoices/{id}", "/v1/invoices/42") && matches("/v1/invoices/*", "/v1/invoices/42"));
    assert!(!matches("/v1/invoices/{id}", "/v1/invoices"), "one segment, never none");
    assert!(matches("/v1/**", "/v1") && matches("/v1/**", "/v1/a/b/c") && !matches("/v1/**", "/v2/a"));
    assert!(matches("/**", "/") && matches("/**", "/anything/at/all"));
    assert!(!matches("/V1", "/v1"), "literals are case-sensitive");
    assert!(matches("/~u", "/%7Eu") && matches("/a%2Fb", "/a%2fb"));
}

#[test]
fn the_most_specific_route_wins() {
    let table = RouteTable::new(vec![
        route("*", "/**"),
        route("GET", "/v1/**"),
        route("GET", "/v1/invoices/{id}"),
        route("GET", "/v1/invoices/latest"),
        route("*", "/v1/invoices/latest"),
        route("POST", "/v1/*/latest"),
        route("GET", "/v1/invoices/{id}/**"),
    ])
    .expect("no duplicates");
    let found = |m: &str, p: &str| table.find(m, &path(p)).map(|r| format!("{} {}", r.method, r.path));
    assert_eq!(found("GET", "/v1/invoices/latest").as_deref(), Some("GET /v1/invoices/latest"));
    assert_eq!(found("POST", "/v1/invoices/latest").as_deref(), Some("* /v1/invoices/latest"), "path before method");
    assert_eq!(found("POST", "/v1/orders/latest").as_deref(), Some("POST /v1/*/latest"));
    assert_eq!(found("GET", "/v1/invoices/42").as_deref(), Some("GET /v1/invoices/{id}"), "the end beats **");
    assert_eq!(found("GET", "/v1/invoices/42/lines").as_deref(), Some("GET /v1/invoices/{id}/**"));
    assert_eq!(found("GET", "/v1/orders").as_deref(), Some("GET /v1/**"));
    assert_eq!(found("DELETE", "/v1/orders").as_deref(), Some("* /**"));
    assert_eq!(RouteTable::default().find("GET", &path("/")), None);
}

#[test]
fn a_table_refuses_a_route_that_repeats_another() {
    let (index, err) = RouteTable::new(vec![route("GET", "/a/{id}"), route("POST", "/a/{id}"), route("GET", "/a/*")])
        .expect_err("dup");
    assert_eq!(index, 2);
    assert!(err.0.contains("routes[0]"), "{err}");
    assert!(RouteTable::new(vec![route("GET", "/a"), route("*", "/a"), route("GET", "/a/**")]).is_ok());
}

#[test]
fn routes_cross_json_as_text() {
    let json = serde_json::json!({"method": "get", "path": "/v1/invoices/", "requires": "a and(b or c)"});
    let r: Route = serde_json::from_value(json).expect("parses");
    let back = serde_json::to_value(&r).expect("serialises");
    assert_eq!(back, serde_json::json!({"method": "GET", "path": "/v1/invoices", "requires": "a and (b or c)"}));
    let extra = serde_json::json!({"method": "GET", "path": "/", "requires": "a", "name": "x"});
    assert!(serde_json::from_value::<Route>(extra).is_err());
}
