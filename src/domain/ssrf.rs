//! The SSRF guard for webhook URLs (docs/user-guide.md: Webhooks), shared by deliveries and Send
//! test: only public unicast addresses are allowed, including inside IPv6
//! forms that embed an IPv4 address (mapped, NAT64, 6to4; the rest of ::/8,
//! such as IPv4-translated `::ffff:0:a.b.c.d`, is reserved). IP-literal hosts
//! are checked as written — the URL parser already turns `2130706433` and
//! `0x7f.1` into 127.0.0.1 — and resolved names are checked address by
//! address; the sender then connects only to an address that passed.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Why an address is refused, in words for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    Unspecified,
    Loopback,
    Private,
    LinkLocal,
    SharedAddressSpace,
    Documentation,
    Benchmarking,
    UniqueLocal,
    Multicast,
    Reserved,
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "an unspecified address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private network address",
            Self::LinkLocal => "a link-local address (such as cloud metadata at 169.254.169.254)",
            Self::SharedAddressSpace => "a carrier-grade NAT (shared) address",
            Self::Documentation => "a documentation address",
            Self::Benchmarking => "a benchmarking address",
            Self::UniqueLocal => "an IPv6 unique local address",
            Self::Multicast => "a multicast address",
            Self::Reserved => "a reserved address",
        })
    }
}

fn v4(net: &str) -> Ipv4Net {
    net.parse().unwrap_or_else(|_| Ipv4Net::default())
}

fn v6(net: &str) -> Ipv6Net {
    net.parse().unwrap_or_else(|_| Ipv6Net::default())
}

fn check_v4(ip: Ipv4Addr) -> Result<(), Blocked> {
    let table: [(&str, Blocked); 16] = [
        ("0.0.0.0/8", Blocked::Unspecified),
        ("10.0.0.0/8", Blocked::Private),
        ("100.64.0.0/10", Blocked::SharedAddressSpace),
        ("127.0.0.0/8", Blocked::Loopback),
        ("169.254.0.0/16", Blocked::LinkLocal),
        ("172.16.0.0/12", Blocked::Private),
        ("192.0.0.0/24", Blocked::Reserved),
        ("192.0.2.0/24", Blocked::Documentation),
        ("192.88.99.0/24", Blocked::Reserved),
        ("192.168.0.0/16", Blocked::Private),
        ("198.18.0.0/15", Blocked::Benchmarking),
        ("198.51.100.0/24", Blocked::Documentation),
        ("203.0.113.0/24", Blocked::Documentation),
        ("224.0.0.0/4", Blocked::Multicast),
        ("240.0.0.0/4", Blocked::Reserved),
        ("255.255.255.255/32", Blocked::Reserved),
    ];
    match table.iter().find(|(net, _)| v4(net).contains(&ip)) {
        Some((_, why)) => Err(*why),
        None => Ok(()),
    }
}

fn check_v6(ip: Ipv6Addr) -> Result<(), Blocked> {
    // Forms that carry an IPv4 address are judged by that address.
    if let Some(inner) = ip.to_ipv4_mapped() {
        return check_v4(inner);
    }
    let segments = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if v6("64:ff9b::/96").contains(&ip) {
        return check_v4(embedded(segments[6], segments[7]));
    }
    if v6("2002::/16").contains(&ip) {
        return check_v4(embedded(segments[1], segments[2]));
    }
    let table: [(&str, Blocked); 12] = [
        ("::/128", Blocked::Unspecified),
        ("::1/128", Blocked::Loopback),
        // The rest of ::/8 is reserved: IPv4-compatible (::/96, deprecated) and
        // IPv4-translated (::ffff:0:0:0/96) forms that some stacks route to IPv4.
        ("::/8", Blocked::Reserved),
        ("64:ff9b:1::/48", Blocked::Private),
        ("100::/64", Blocked::Reserved),
        ("2001::/23", Blocked::Reserved),
        ("2001:db8::/32", Blocked::Documentation),
        ("3fff::/20", Blocked::Documentation),
        ("fc00::/7", Blocked::UniqueLocal),
        ("fe80::/10", Blocked::LinkLocal),
        ("fec0::/10", Blocked::LinkLocal),
        ("ff00::/8", Blocked::Multicast),
    ];
    match table.iter().find(|(net, _)| v6(net).contains(&ip)) {
        Some((_, why)) => Err(*why),
        None => Ok(()),
    }
}

/// Whether a webhook may be sent to `ip`.
pub fn check_ip(ip: IpAddr) -> Result<(), Blocked> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4),
        IpAddr::V6(v6) => check_v6(v6),
    }
}

/// Whether `net` is one of the ranges above (used by tests and docs).
pub fn is_blocked_net(net: IpNet) -> bool {
    check_ip(net.network()).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(host: &str) -> Option<Blocked> {
        // Parse as a URL, the way a webhook URL arrives, so numeric tricks are normalised.
        let url = url::Url::parse(&format!("http://{host}/hook")).expect("url");
        let ip: IpAddr = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            other => panic!("{host} is not an IP literal: {other:?}"),
        };
        check_ip(ip).err()
    }

    #[test]
    fn every_non_public_range_and_trick_is_refused() {
        let cases: &[(&str, Blocked)] = &[
            ("127.0.0.1", Blocked::Loopback),
            ("127.1", Blocked::Loopback),
            ("2130706433", Blocked::Loopback),
            ("0x7f.1", Blocked::Loopback),
            ("0x7f000001", Blocked::Loopback),
            ("017700000001", Blocked::Loopback),
            ("0177.0.0.1", Blocked::Loopback),
            ("0.0.0.0", Blocked::Unspecified),
            ("10.1.2.3", Blocked::Private),
            ("172.16.0.1", Blocked::Private),
            ("172.31.255.255", Blocked::Private),
            ("192.168.1.1", Blocked::Private),
            ("169.254.169.254", Blocked::LinkLocal),
            ("100.64.0.1", Blocked::SharedAddressSpace),
            ("192.0.2.1", Blocked::Documentation),
            ("198.51.100.1", Blocked::Documentation),
            ("203.0.113.1", Blocked::Documentation),
            ("198.18.0.1", Blocked::Benchmarking),
            ("224.0.0.1", Blocked::Multicast),
            ("240.0.0.1", Blocked::Reserved),
            ("255.255.255.255", Blocked::Reserved),
            ("[::1]", Blocked::Loopback),
            ("[::]", Blocked::Unspecified),
            ("[::ffff:127.0.0.1]", Blocked::Loopback),
            ("[::ffff:7f00:1]", Blocked::Loopback),
            ("[::ffff:169.254.169.254]", Blocked::LinkLocal),
            ("[64:ff9b::a00:1]", Blocked::Private),
            ("[64:ff9b::7f00:1]", Blocked::Loopback),
            ("[2002:7f00:1::]", Blocked::Loopback),
            ("[2002:a9fe:a9fe::1]", Blocked::LinkLocal),
            ("[::127.0.0.1]", Blocked::Reserved),
            ("[::808:808]", Blocked::Reserved),
            ("[::ffff:0:7f00:1]", Blocked::Reserved),
            ("[::ffff:0:808:808]", Blocked::Reserved),
            ("[ff::1]", Blocked::Reserved),
            ("[fc00::1]", Blocked::UniqueLocal),
            ("[fd12:3456::1]", Blocked::UniqueLocal),
            ("[fe80::1]", Blocked::LinkLocal),
            ("[ff02::1]", Blocked::Multicast),
            ("[2001:db8::1]", Blocked::Documentation),
        ];
        for (host, why) in cases {
            assert_eq!(blocked(host), Some(*why), "{host}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for host in [
            "93.184.216.34",
            "1.1.1.1",
            "8.8.8.8",
            "[2606:4700:4700::1111]",
            "[64:ff9b::808:808]",
            "[2002:808:808::1]",
            "172.32.0.1",
        ] {
            assert_eq!(blocked(host), None, "{host}");
        }
        assert!(is_blocked_net("10.0.0.0/8".parse().expect("net")));
    }
}
