//! Golden tests for virtual_routes / static_routes and virtual_rules /
//! static_rules (reference §2.9).

use keepalived_config::{
    parse_str, IpPrefix, LoadOptions, Loaded, Metric, PortRange, Realms, Route, RouteOp, RoutePref,
    RouteTable, RouteType, Rule, RuleAction, Scope, TimeMetric,
};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

fn parse(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: Some("node1".into()),
        ..LoadOptions::default()
    };
    parse_str(text, Path::new("r.conf"), &opts)
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

fn pfx(s: &str, len: u8) -> Option<IpPrefix> {
    Some(IpPrefix { addr: ip(s), len })
}

fn routes(body: &str) -> (Vec<Route>, Loaded) {
    let l = parse(&format!("static_routes {{\n{body}\n}}\n"));
    (l.config.static_routes.clone(), l)
}

fn rules(body: &str) -> (Vec<Rule>, Loaded) {
    let l = parse(&format!("static_rules {{\n{body}\n}}\n"));
    (l.config.static_rules.clone(), l)
}

#[test]
fn full_route() {
    let (r, l) = routes(
        " 10.1.0.0/16 via 192.0.2.1 dev eth0 src 192.0.2.5 table 100 metric 20 scope link protocol static tos 0x10 onlink realms 1/2 mtu lock 1400 advmss 1360 hoplimit 64 rtt 20ms rttvar 1s rto_min 200 window 10 cwnd 5 ssthresh 3 reordering 4 initcwnd 10 initrwnd 20 features ecn quickack 1 congctl lock cubic fastopen_no_cookie 0 expires 30 append no_track track_group tg",
    );
    assert!(problems(&l).is_empty(), "{:#?}", problems(&l));
    let r = &r[0];
    assert_eq!(r.route_type, RouteType::Unicast);
    assert_eq!(r.dst, pfx("10.1.0.0", 16));
    assert_eq!(r.via, Some(ip("192.0.2.1")));
    assert_eq!(r.dev.as_deref(), Some("eth0"));
    assert_eq!(r.src, Some(ip("192.0.2.5")));
    assert_eq!(r.table, Some(RouteTable::Id(100)));
    assert_eq!(r.metric, Some(20));
    assert_eq!(r.scope, Some(Scope::Link));
    assert_eq!(r.protocol, Some(4));
    assert_eq!(r.tos, Some(16));
    assert!(r.onlink && r.features_ecn && r.no_track);
    assert_eq!(
        r.realms,
        Some(Realms {
            from: Some(1),
            to: 2
        })
    );
    assert_eq!(
        r.mtu,
        Some(Metric {
            value: 1400,
            lock: true
        })
    );
    assert_eq!(
        r.advmss,
        Some(Metric {
            value: 1360,
            lock: false
        })
    );
    assert_eq!(
        r.rtt,
        Some(TimeMetric {
            us: 20_000,
            lock: false
        })
    );
    assert_eq!(
        r.rttvar,
        Some(TimeMetric {
            us: 1_000_000,
            lock: false
        })
    );
    assert_eq!(
        r.rto_min,
        Some(TimeMetric {
            us: 200_000,
            lock: false
        })
    );
    assert_eq!(r.quickack, Some(true));
    assert_eq!(r.fastopen_no_cookie, Some(false));
    assert_eq!(r.congctl, Some(("cubic".to_string(), true)));
    assert_eq!(r.expires_s, Some(30));
    assert_eq!(r.op, RouteOp::Append);
    assert_eq!(r.track_group.as_deref(), Some("tg"));
}

#[test]
fn types_default_nexthops_v6() {
    let (r, l) = routes(
        " blackhole 10.2.0.0/16\n default table main nexthop via 192.0.2.1 dev eth0 weight 2 nexthop via 192.0.2.2 dev eth1\n to 2001:db8::/32 via fe80::1 dev eth0 pref high inet6 ttl-propagate disabled\n unreachable default table vrfx",
    );
    assert!(problems(&l).is_empty(), "{:#?}", problems(&l));
    assert_eq!(r[0].route_type, RouteType::Blackhole);
    assert_eq!(r[1].dst, None);
    assert_eq!(r[1].table, Some(RouteTable::Id(254)));
    assert_eq!(r[1].nexthops.len(), 2);
    assert_eq!(r[1].nexthops[0].weight, 2);
    assert_eq!(r[1].nexthops[1].dev.as_deref(), Some("eth1"));
    assert_eq!(r[2].dst, pfx("2001:db8::", 32));
    assert_eq!(r[2].pref, Some(RoutePref::High));
    assert_eq!(r[2].ttl_propagate, Some(false));
    assert_eq!(r[3].table, Some(RouteTable::Name("vrfx".into())));
}

#[test]
fn route_errors() {
    let (r, l) = routes(
        " 10.0.0.0/8 met 5\n 10.0.0.0/8 via 192.0.2.1 gw 192.0.2.2\n 10.0.0.0/33\n 10.0.0.0/8 via fe80::1\n 10.0.0.0/8 metric x\n via 192.0.2.1\n 10.0.0.0/8 mtu",
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].via, Some(ip("192.0.2.2")));
    assert_eq!(
        problems(&l),
        [
            "r.conf:2:13: error: unknown static_routes option 'met' (options must be written in full); did you mean `metric`?",
            "r.conf:2:2: error: static_routes entry '10.0.0.0/8' ignored",
            "r.conf:3:27: error: 'gw' is deprecated in routes; use 'via' instead",
            "r.conf:4:2: error: invalid route destination '10.0.0.0/33' (prefix length must be 0..32)",
            "r.conf:4:2: error: static_routes entry '10.0.0.0/33' ignored",
            "r.conf:5:2: error: static_routes entry mixes address families: via 'fe80::1' is not IPv4",
            "r.conf:5:2: error: static_routes entry '10.0.0.0/8' ignored",
            "r.conf:6:20: error: invalid metric 'x' (must be 0..4294967295)",
            "r.conf:6:2: error: static_routes entry '10.0.0.0/8' ignored",
            "r.conf:7:2: error: static_routes entry has no destination - ignored",
            "r.conf:8:13: error: missing value for 'mtu' in static_routes entry",
            "r.conf:8:2: error: static_routes entry '10.0.0.0/8' ignored",
        ]
    );
}

#[test]
fn virtual_routes_and_rules_in_instance() {
    let l = parse("vrrp_instance VI {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress { 10.0.0.1 }\n virtual_routes {\n  10.5.0.0/16 via 10.0.0.254\n  10.6.0.0/16 dev eth0 track_group x\n }\n virtual_rules {\n  from 10.0.0.1 table 100\n }\n}\n");
    let o = &l.config.instances[0].opts;
    assert_eq!(o.virtual_routes.len(), 1);
    assert_eq!(o.virtual_rules.len(), 1);
    assert_eq!(
        problems(&l),
        [
            "r.conf:7:24: error: 'track_group' is only valid in static_routes, not virtual_routes",
            "r.conf:7:3: error: virtual_routes entry '10.6.0.0/16' ignored",
            "r.conf:6:3: error: virtual route 10.5.0.0/16 names no interface, so it cannot be tracked and is not (add 'dev IF', or 'no_track' if that is intended)",
        ]
    );
}

#[test]
fn full_rule() {
    let (r, l) = rules(
        " from 10.0.0.0/8 to 192.168.0.0/16 not iif eth0 oif eth1 tos 0x10 fwmark 0x10/0xff priority 100 table 200 realms 3 suppress_prefixlength 0 suppress_ifgroup 2 uidrange 1000-2000 protocol kernel ipproto tcp sport 1000-2000 dport 80 tunnel-id 7 no_track track_group tg\n from all lookup main\n to 10.0.0.1 goto 200\n from 10.1.1.1 nop\n from 10.2.2.2 type blackhole\n l3mdev priority 1000 inet6",
    );
    assert!(problems(&l).is_empty(), "{:#?}", problems(&l));
    let a = &r[0];
    assert_eq!(a.from, pfx("10.0.0.0", 8));
    assert_eq!(a.to, pfx("192.168.0.0", 16));
    assert!(a.invert && a.no_track);
    assert_eq!(a.iif.as_deref(), Some("eth0"));
    assert_eq!(a.oif.as_deref(), Some("eth1"));
    assert_eq!(a.tos, Some(16));
    assert_eq!(a.fwmark, Some((16, Some(255))));
    assert_eq!(a.priority, Some(100));
    assert_eq!(a.action, Some(RuleAction::Table(RouteTable::Id(200))));
    assert_eq!(a.realms, Some(Realms { from: None, to: 3 }));
    assert_eq!(a.suppress_prefixlength, Some(0));
    assert_eq!(a.suppress_ifgroup, Some(2));
    assert_eq!(a.uidrange, Some((1000, 2000)));
    assert_eq!(a.protocol, Some(2));
    assert_eq!(a.ipproto, Some(6));
    assert_eq!(
        a.sport,
        Some(PortRange {
            start: 1000,
            end: 2000
        })
    );
    assert_eq!(a.dport, Some(PortRange { start: 80, end: 80 }));
    assert_eq!(a.tunnel_id, Some(7));
    assert_eq!(a.track_group.as_deref(), Some("tg"));
    assert_eq!(r[1].from, None);
    assert_eq!(r[1].action, Some(RuleAction::Table(RouteTable::Id(254))));
    assert_eq!(r[2].action, Some(RuleAction::Goto(200)));
    assert_eq!(r[3].action, Some(RuleAction::Nop));
    assert_eq!(r[4].action, Some(RuleAction::Blackhole));
    assert!(r[5].l3mdev);
    assert_eq!(r[5].family_v6, Some(true));
}

#[test]
fn rule_errors() {
    let (r, l) = rules(
        " from 10.0.0.1 pref 5\n from 10.0.0.1 uidrange 5-1\n from 10.0.0.1 to fe80::1\n from 10.0.0.1 fwmark 1/x\n from 10.0.0.1 dport 70000",
    );
    assert!(r.is_empty());
    assert_eq!(
        problems(&l),
        [
            "r.conf:2:16: error: unknown static_rules option 'pref' (options must be written in full); did you mean `preference`?",
            "r.conf:2:2: error: static_rules entry 'from' ignored",
            "r.conf:3:25: error: invalid uidrange '5-1' (must be FIRST-LAST uids)",
            "r.conf:3:2: error: static_rules entry 'from' ignored",
            "r.conf:4:2: error: static_rules entry mixes address families",
            "r.conf:4:2: error: static_rules entry 'from' ignored",
            "r.conf:5:23: error: invalid fwmark '1/x' (must be VALUE[/MASK], 32-bit)",
            "r.conf:5:2: error: static_rules entry 'from' ignored",
            "r.conf:6:22: error: invalid dport '70000' (must be PORT or FIRST-LAST, 0..65535)",
            "r.conf:6:2: error: static_rules entry 'from' ignored",
        ]
    );
}
