//! The permission-expression parser (`a and (b or c)`): never panics; what
//! it accepts, written canonically, parses back to the same tree (and so
//! prints the same); and its evaluation names missing permissions that,
//! once granted, let it through.
#![no_main]

use latchkey_domain::access::{Expression, Grant, Grants};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let Ok(expression) = Expression::parse(input) else { return };
    let canonical = expression.to_string();
    let again = Expression::parse(&canonical);
    assert_eq!(again.as_ref(), Ok(&expression), "{input:?} printed as {canonical:?}");
    assert_eq!(again.map(|e| e.to_string()).as_deref(), Ok(canonical.as_str()));
    let everything: Grants = [Grant::all()].into_iter().collect();
    assert_eq!(expression.evaluate(&everything), Ok(()));
    let Err(missing) = expression.evaluate(&Grants::default()) else { panic!("no grant satisfied {canonical:?}") };
    assert!(!missing.is_empty() && missing.windows(2).all(|w| w[0] < w[1]), "{missing:?}");
    let granted: Grants = missing.into_iter().map(Grant::from).collect();
    assert_eq!(expression.evaluate(&granted), Ok(()), "granting what was missing for {canonical:?}");
});
