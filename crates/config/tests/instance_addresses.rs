//! Golden tests for address entries (reference §2.8): virtual_ipaddress,
//! virtual_ipaddress_excluded and root static_ipaddress.

use keepalived_config::{
    parse_str, Broadcast, LoadOptions, Loaded, PreferredLft, Scope, VirtualIp,
};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

fn parse(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: Some("node1".into()),
        ..LoadOptions::default()
    };
    parse_str(text, Path::new("a.conf"), &opts)
}

fn problems(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .map(ToString::to_string)
        .filter(|m| !m.contains("not yet supported by keepalived-rs"))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn vips(body: &str) -> (Vec<VirtualIp>, Vec<VirtualIp>, Loaded) {
    let l = parse(&format!(
        "vrrp_instance VI {{\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {{\n{body}\n }}\n}}\n"
    ));
    let (v, e) = l
        .config
        .instances
        .first()
        .map(|i| {
            (
                i.virtual_ipaddress.clone(),
                i.opts.virtual_ipaddress_excluded.clone(),
            )
        })
        .unwrap_or_default();
    (v, e, l)
}

#[test]
fn full_ipv4_entry() {
    let (v, _, l) = vips(
        "  192.0.2.10/24 dev eth1 brd + scope link label eth1:vip no_track preferred_lft 60 noprefixroute autojoin use_vmac",
    );
    assert!(problems(&l).is_empty(), "{:#?}", problems(&l));
    let a = &v[0];
    assert_eq!((a.addr, a.prefix_len), (ip("192.0.2.10"), 24));
    assert_eq!(a.dev.as_deref(), Some("eth1"));
    assert_eq!(a.broadcast, Some(Broadcast::HostBitsSet));
    assert_eq!(a.scope, Some(Scope::Link));
    assert_eq!(a.label.as_deref(), Some("eth1:vip"));
    assert!(a.no_track && a.noprefixroute && a.autojoin && a.use_vmac);
    assert_eq!(a.preferred_lft, Some(PreferredLft::Seconds(60)));
    assert_eq!(a.location.line, 5);
}

#[test]
fn ipv6_entry_ignores_scope_and_label() {
    let (v, _, l) =
        vips("  fe80::10/64 scope site label x -nodad home mngtmpaddr preferred_lft forever");
    let a = &v[0];
    assert_eq!(a.scope, None);
    assert_eq!(a.label, None);
    assert!(a.nodad && a.home && a.mngtmpaddr);
    assert_eq!(a.preferred_lft, Some(PreferredLft::Forever));
    assert_eq!(
        problems(&l),
        [
            "a.conf:5:15: warning: scope 'site' ignored for IPv6 virtual_ipaddress 'fe80::10/64'",
            "a.conf:5:26: warning: label 'x' ignored for IPv6 virtual_ipaddress 'fe80::10/64'",
        ]
    );
}

#[test]
fn option_rules() {
    let (v, _, l) = vips(
        "  10.0.0.1 brd +\n  10.0.0.2/24 peer 10.0.0.9\n  10.0.0.3 peer 10.0.0.8/30 brd 10.0.0.255\n  10.0.0.4 scope 300 bogus\n  10.0.0.5 track_group g1\n  10.0.0.1/16 dev eth0\n  10.0.0.6/8 brd 10.255.255.255 scope 17",
    );
    assert_eq!(v.len(), 7, "{:#?}", problems(&l));
    assert_eq!(v[0].broadcast, None);
    assert_eq!(v[1].peer, None);
    assert_eq!(v[2].peer, Some((ip("10.0.0.8"), 30)));
    assert_eq!(v[2].broadcast, None);
    assert_eq!(v[4].track_group, None);
    assert_eq!(
        v[6].broadcast,
        Some(Broadcast::Addr(Ipv4Addr::new(10, 255, 255, 255)))
    );
    assert_eq!(v[6].scope, Some(Scope::Other(17)));
    assert_eq!(
        problems(&l),
        [
            "a.conf:5:16: error: 'brd +' needs a prefix length of 30 or less, '10.0.0.1' has /32 - ignored",
            "a.conf:6:15: error: 'peer' cannot be combined with a prefix length in virtual_ipaddress '10.0.0.2/24' (put the prefix on the peer) - peer ignored",
            "a.conf:7:29: error: 'brd' cannot be combined with 'peer' in virtual_ipaddress '10.0.0.3' - broadcast ignored",
            "a.conf:8:18: error: invalid scope '300' (must be global|site|link|host|nowhere or 0..255)",
            "a.conf:8:22: error: unknown virtual_ipaddress option 'bogus' for '10.0.0.4' - ignored (address kept)",
            "a.conf:9:12: error: 'track_group' is only valid in static_ipaddress, not virtual_ipaddress ('10.0.0.5') - ignored",
        ]
    );
}

#[test]
fn bad_addresses_duplicates_and_families() {
    let (v, _, l) =
        vips("  10.0.0.1/33\n  10.0.0.x\n  10.0.0.7\n  10.0.0.7/24\n  fe80::1\n  10.0.0.8 labl x");
    assert_eq!(v.len(), 2);
    assert_eq!(
        problems(&l),
        [
            "a.conf:5:3: error: invalid prefix length '33' in virtual_ipaddress '10.0.0.1/33' (must be 0..32) - ignored",
            "a.conf:6:3: error: invalid virtual_ipaddress '10.0.0.x' - ignored",
            "a.conf:8:3: warning: duplicate virtual_ipaddress '10.0.0.7/24' (first at a.conf:7:3) - ignored",
            "a.conf:9:3: error: virtual_ipaddress 'fe80::1' is IPv6 but vrrp_instance 'VI' is IPv4 - ignored",
            "a.conf:10:12: error: unknown virtual_ipaddress option 'labl' for '10.0.0.8' - ignored (address kept); did you mean `label`?",
            "a.conf:10:17: error: unknown virtual_ipaddress option 'x' for '10.0.0.8' - ignored (address kept)",
        ]
    );
}

#[test]
fn excluded_allows_mixed_families() {
    let l = parse("vrrp_instance VI {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress { 10.0.0.1 }\n virtual_ipaddress_excluded {\n  2001:db8::1/64\n  10.9.9.9 dev eth2\n }\n}\n");
    let e = &l.config.instances[0].opts.virtual_ipaddress_excluded;
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].prefix_len, 64);
    assert_eq!(e[1].dev.as_deref(), Some("eth2"));
}

#[test]
fn static_ipaddress() {
    let l = parse("static_ipaddress {\n 192.168.1.1/24 dev eth0 track_group tg\n 192.168.1.2 use_vmac\n}\nstatic_ipaddress {\n 192.168.1.1 dev eth0\n}\n");
    let s = &l.config.static_ipaddress;
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].track_group.as_deref(), Some("tg"));
    assert!(!s[1].use_vmac);
    assert_eq!(
        problems(&l),
        [
            "a.conf:3:14: error: 'use_vmac' is not valid in static_ipaddress ('192.168.1.2') - ignored",
            "a.conf:6:2: warning: duplicate static_ipaddress '192.168.1.1' (first at a.conf:2:2) - ignored",
        ]
    );
}
