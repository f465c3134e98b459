//! Property tests of the route order: the route a table picks matches the
//! request, no matching route is strictly more specific, the order is total,
//! and shuffling the table never changes the pick.

use super::*;
use proptest::prelude::*;
use std::cmp::Ordering;

fn segment() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "{id}", "*"]).prop_map(str::to_owned)
}

fn route() -> impl Strategy<Value = Route> {
    let method = prop::sample::select(vec!["GET", "POST", "*"]);
    (method, prop::collection::vec(segment(), 0..4), any::<bool>()).prop_filter_map("valid", |(m, segs, rest)| {
        let mut text = format!("/{}", segs.join("/"));
        if rest {
            text = format!("{}/**", text.trim_end_matches('/'));
        }
        Some(Route {
            method: Method::parse(m).ok()?,
            path: PathPattern::parse(&text).ok()?,
            requires: Expression::parse("a").ok()?,
        })
    })
}

/// Routes, keeping the first of any two a table would refuse together.
fn routes() -> impl Strategy<Value = Vec<Route>> {
    prop::collection::vec(route(), 0..14).prop_map(|all| {
        let mut kept: Vec<Route> = Vec::new();
        for r in all {
            let mut next = kept.clone();
            next.push(r);
            if RouteTable::new(next.clone()).is_ok() {
                kept = next;
            }
        }
        kept
    })
}

fn request() -> impl Strategy<Value = (&'static str, String)> {
    let path = prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d"]), 0..5);
    (prop::sample::select(vec!["GET", "POST", "PUT"]), path.prop_map(|p| format!("/{}", p.join("/"))))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_pick_matches_and_nothing_matching_is_more_specific(
        (routes, shuffled) in routes().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle())),
        (method, target) in request(),
    ) {
        let path = RequestPath::parse(&target).map_err(|e| TestCaseError::fail(e.0))?;
        let table = RouteTable::new(routes.clone()).map_err(|e| TestCaseError::fail(e.1.0))?;
        let picked = table.find(method, &path);
        let matching: Vec<&Route> = routes.iter().filter(|r| r.matches(method, &path)).collect();
        match picked {
            None => prop_assert!(matching.is_empty()),
            Some(best) => {
                prop_assert!(best.matches(method, &path));
                for other in matching.iter().filter(|r| **r != best) {
                    prop_assert_eq!(best.cmp_specificity(other), Ordering::Less, "{} {} vs {} {}",
                        best.method, best.path, other.method, other.path);
                }
            }
        }
        let again = RouteTable::new(shuffled).map_err(|e| TestCaseError::fail(e.1.0))?;
        prop_assert_eq!(again.find(method, &path), picked);
    }

    #[test]
    fn specificity_is_a_total_order(a in route(), b in route(), c in route()) {
        prop_assert_eq!(a.cmp_specificity(&b), b.cmp_specificity(&a).reverse());
        prop_assert_eq!(a.cmp_specificity(&b) == Ordering::Equal, a == b);
        if a.cmp_specificity(&b) != Ordering::Greater && b.cmp_specificity(&c) != Ordering::Greater {
            prop_assert_ne!(a.cmp_specificity(&c), Ordering::Greater);
        }
    }

    #[test]
    fn a_literal_beats_a_wildcard_which_beats_the_rest(
        prefix in prop::collection::vec(prop::sample::select(vec!["a", "b"]), 0..3),
        tail in prop::collection::vec(prop::sample::select(vec!["a", "b"]), 0..3),
    ) {
        let base = prefix.iter().map(|s| format!("/{s}")).collect::<String>();
        let literal = PathPattern::parse(&format!("{base}/x/**")).map_err(|e| TestCaseError::fail(e.0))?;
        let one = PathPattern::parse(&format!("{base}/{{id}}/**")).map_err(|e| TestCaseError::fail(e.0))?;
        let rest = PathPattern::parse(&format!("{base}/**")).map_err(|e| TestCaseError::fail(e.0))?;
        let target = format!("{base}/x{}", tail.iter().map(|s| format!("/{s}")).collect::<String>());
        let path = RequestPath::parse(&target).map_err(|e| TestCaseError::fail(e.0))?;
        prop_assert!(literal.matches(&path) && one.matches(&path) && rest.matches(&path));
        prop_assert_eq!(literal.cmp_specificity(&one), Ordering::Less);
        prop_assert_eq!(one.cmp_specificity(&rest), Ordering::Less);
    }
}
