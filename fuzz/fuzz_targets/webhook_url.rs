//! The webhook URL guard: URL parsing never panics and never lets through a
//! non-http(s) URL or credentials; the address check never calls an address
//! public that the standard library classifies as loopback, private,
//! link-local, unspecified, multicast, broadcast or documentation — for IP
//! literals in URLs and for raw addresses alike (a differential check).
#![no_main]

use latchkey_domain::{ssrf, webhook_url};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn assert_public(ip: IpAddr) {
    if ssrf::check_ip(ip).is_err() {
        return;
    }
    assert!(!ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast(), "{ip} passed the guard");
    match ip {
        IpAddr::V4(v4) => assert!(
            !v4.is_private() && !v4.is_link_local() && !v4.is_broadcast() && !v4.is_documentation(),
            "{ip} passed the guard"
        ),
        IpAddr::V6(v6) => {
            assert!(!v6.is_unique_local() && !v6.is_unicast_link_local(), "{ip} passed the guard");
            if let Some(v4) = v6.to_ipv4_mapped() {
                assert!(ssrf::check_ip(IpAddr::V4(v4)).is_ok(), "{ip} embeds a blocked {v4}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = <[u8; 16]>::try_from(data.get(..16).unwrap_or_default()) {
        assert_public(IpAddr::V6(Ipv6Addr::from(bytes)));
        assert_public(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])));
    }
    let Ok(input) = std::str::from_utf8(data) else { return };
    for insecure in [false, true] {
        let Ok(url) = webhook_url::parse_url(input, insecure) else { continue };
        assert!(url.scheme() == "https" || (insecure && url.scheme() == "http"), "{url}");
        assert!(url.username().is_empty() && url.password().is_none(), "{url}");
        match url.host() {
            Some(url::Host::Ipv4(v4)) => assert_public(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => assert_public(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => {}
            None => panic!("{url} has no host"),
        }
    }
});
