//! Unit and property tests of permission expressions.

use super::*;
use crate::access::Grants;
use proptest::prelude::*;

fn parse(s: &str) -> Expression {
    Expression::parse(s).expect("valid expression")
}

fn p(s: &str) -> Node {
    Node::Permission(PermissionSlug::parse(s).expect("valid slug"))
}

fn tree_of(s: &str) -> Node {
    parse(s).0
}

fn grants(items: &[&str]) -> Grants {
    Grants::parse(items).expect("valid grants")
}

fn missing(expression: &str, held: &[&str]) -> Vec<String> {
    match parse(expression).evaluate(&grants(held)) {
        Ok(()) => Vec::new(),
        Err(missing) => missing.into_iter().map(String::from).collect(),
    }
}

#[test]
fn and_binds_tighter_than_or_and_trees_are_flat() {
    assert_eq!(tree_of("a"), p("a"));
    assert_eq!(tree_of("((a))"), p("a"));
    assert_eq!(tree_of("a or b and c"), Node::Any(vec![p("a"), Node::All(vec![p("b"), p("c")])]));
    assert_eq!(tree_of("a and (b and c)"), Node::All(vec![p("a"), p("b"), p("c")]));
    assert_eq!(tree_of("(a or b) or c"), tree_of("a or b or c"));
    assert_eq!(tree_of("(a or b) and c"), Node::All(vec![Node::Any(vec![p("a"), p("b")]), p("c")]));
}

#[test]
fn the_canonical_text_is_tidy_and_parses_back() {
    for (input, canonical) in [
        ("  invoices.read ", "invoices.read"),
        ("a   and\tb", "a and b"),
        ("(a and b) or c", "a and b or c"),
        ("a and(b or c)", "a and (b or c)"),
        ("((a or b))and((c))", "(a or b) and c"),
        ("customers:read or (orders:read and (x or y and z))", "customers:read or orders:read and (x or y and z)"),
    ] {
        let parsed = parse(input);
        assert_eq!(parsed.to_string(), canonical, "{input:?}");
        assert_eq!(parse(canonical), parsed, "{canonical:?}");
    }
}

#[test]
fn bad_expressions_are_refused_with_a_reason() {
    for (bad, says) in [
        ("", "Name the permission"),
        ("   ", "Name the permission"),
        ("a and", "found the end"),
        ("and a", "found \"and\""),
        ("a or or b", "found \"or\""),
        ("a b", "Join permissions"),
        ("(a", "Expected \")\""),
        ("a)", "closes no"),
        ("()", "found \")\""),
        ("a AND b", "Join permissions"),
        ("Invoices.read", "not a permission"),
        ("a && b", "Join permissions"),
        ("a and &&", "not a permission"),
        ("a.*", "not a permission"),
    ] {
        let err = Expression::parse(bad).expect_err(bad);
        assert!(err.0.contains(says), "{bad:?}: {err}");
    }
}

#[test]
fn hostile_input_is_refused_before_it_costs_anything() {
    let deep = format!("{}a{}", "(".repeat(17), ")".repeat(17));
    assert!(Expression::parse(&deep).expect_err("too deep").0.contains("16"));
    let ok = format!("{}a{}", "(".repeat(16), ")".repeat(16));
    assert_eq!(tree_of(&ok), p("a"));
    let unbalanced = "(".repeat(100_000);
    assert!(Expression::parse(&unbalanced).is_err());
    let long = vec!["a"; 300].join(" or ");
    assert!(Expression::parse(&long).expect_err("too long").0.contains("512"));
    // 16 alternations deep is fine; each needs its parentheses.
    let mut nested = "z".to_owned();
    for _ in 0..16 {
        nested = format!("a and (b or {nested})");
    }
    assert_eq!(parse(&nested).to_string(), nested);
}

#[test]
fn combining_respects_the_limits() {
    let many: Vec<Expression> = (0..100).map(|i| parse(&format!("permission_{i}"))).collect();
    assert!(Expression::all_of(many).is_err(), "its text would be over 512 characters");
    assert_eq!(Expression::all_of(vec![]), Ok(None));
    assert_eq!(Expression::any_of(vec![parse("a")]), Ok(Some(parse("a"))));
    let joined = Expression::all_of(vec![parse("a and b"), parse("c")]).expect("fits");
    assert_eq!(joined, Some(parse("a and b and c")));
}

#[test]
fn and_misses_every_part_or_misses_its_cheapest_alternative() {
    assert_eq!(missing("a and b", &["a"]), ["b"]);
    assert_eq!(missing("a and b", &[]), ["a", "b"]);
    assert_eq!(missing("b and a and b", &[]), ["a", "b"], "sorted, once each");
    assert_eq!(missing("a or b", &[]), ["a"], "a tie: the first written");
    assert_eq!(missing("a and b or c", &["a"]), ["b"]);
    assert_eq!(missing("a and b and c or d and e", &[]), ["d", "e"], "the fewest");
    assert_eq!(missing("(a or b) and c", &["b"]), ["c"]);
    assert_eq!(missing("(a or b) and (b or c)", &[]), ["a", "b"], "part by part, as the module doc says");
    assert!(missing("x.read or y.read", &["y.*"]).is_empty());
    assert!(missing("anything and more", &["*"]).is_empty());
}

#[test]
fn json_carries_the_canonical_text() {
    let e = parse("a and(b or c)");
    assert_eq!(serde_json::to_value(&e).expect("serialises"), serde_json::json!("a and (b or c)"));
    assert_eq!(serde_json::from_value::<Expression>(serde_json::json!("a and (b or c)")).expect("parses"), e);
    assert!(serde_json::from_value::<Expression>(serde_json::json!("a and")).is_err());
}

/// Random trees over a few permissions, written with redundant parentheses.
fn tree() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec!["a", "b", "c.read", "d:write"]).prop_map(str::to_owned);
    leaf.prop_recursive(5, 24, 4, |inner| {
        (prop::collection::vec(inner, 2..4), any::<bool>(), any::<bool>()).prop_map(|(parts, or, wrap)| {
            let joined = parts.join(if or { " or " } else { " and " });
            if wrap || or { format!("({joined})") } else { joined }
        })
    })
}

proptest! {
    #[test]
    fn canonical_text_round_trips(text in tree()) {
        if let Ok(e) = Expression::parse(&text) {
            let canonical = e.to_string();
            prop_assert_eq!(Expression::parse(&canonical), Ok(e));
            prop_assert!(canonical.len() <= text.len());
        }
    }

    #[test]
    fn granting_what_is_missing_lets_it_through(
        text in tree(),
        held in prop::collection::vec(prop::sample::select(vec!["a", "b", "c.read", "c.*", "d:write"]), 0..4),
    ) {
        let Ok(e) = Expression::parse(&text) else { return Ok(()) };
        let mut granted = grants(&held);
        if let Err(missing) = e.evaluate(&granted) {
            prop_assert!(!missing.is_empty());
            for m in &missing {
                prop_assert!(!granted.grants(m), "{m} is held already");
                prop_assert!(e.permissions().contains(m));
            }
            missing.into_iter().for_each(|m| granted.insert(m.into()));
            prop_assert_eq!(e.evaluate(&granted), Ok(()));
        }
    }

    #[test]
    fn the_parser_never_panics_and_what_it_accepts_round_trips(
        words in prop::collection::vec(prop::sample::select(vec!["a", "b.c", "and", "or", "(", ")", " ", "A", "é"]), 0..40),
        noise in "\\PC{0,40}",
    ) {
        let _ = Expression::parse(&noise);
        let text = words.concat();
        if let Ok(e) = Expression::parse(&text) {
            prop_assert_eq!(Expression::parse(&e.to_string()), Ok(e.clone()));
            prop_assert_eq!(e.evaluate(&grants(&["*"])), Ok(()));
        }
    }
}
