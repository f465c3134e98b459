//! The IP allowlist parser (CIDRs and addresses, separated by commas or
//! lines): never panics; what it accepts survives storage unchanged and
//! answers `allows` for any address.
#![no_main]

use latchkey_domain::key_settings::IpAllowlist;
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(list) = IpAllowlist::parse(input) {
        let stored = list.to_stored();
        let again = IpAllowlist::from_stored(&stored);
        assert_eq!(again.to_stored(), stored);
        assert_eq!(list.is_empty(), input.split([',', '\n', '\r']).all(|p| p.trim().is_empty()));
        let probes = [
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        ];
        for ip in probes {
            assert_eq!(list.allows(ip), again.allows(ip));
        }
    }
});
