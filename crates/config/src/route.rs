//! `virtual_routes` / `static_routes` entries (reference §2.9): the
//! `ip route add` grammar keepalived accepts.  Option names must be written
//! in full (keepalived, unlike `ip`, accepts no abbreviations).
//!
//! A bad value or an unknown word drops the whole route with an error, as
//! keepalived does (installing half a route would be worse than none).

use crate::address::{
    ifname_value, ip_value, max_len, parse_prefix, prefix_error, ranged, scope_value, small_uint,
};
use crate::diag::Diags;
use crate::model::{
    IpPrefix, Metric, NextHop, Realms, Route, RouteOp, RoutePref, RouteTable, RouteType, TimeMetric,
};
use crate::tree::{Node, Word};
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::digit1;
use nom::combinator::{all_consuming, opt};
use nom::{IResult, Parser};

/// Route option keywords (for "did you mean" and to end `encap`).
const ROUTE_OPTS: &[&str] = &[
    "via",
    "dev",
    "oif",
    "src",
    "from",
    "to",
    "table",
    "metric",
    "priority",
    "preference",
    "scope",
    "protocol",
    "tos",
    "dsfield",
    "onlink",
    "realms",
    "mtu",
    "advmss",
    "hoplimit",
    "rtt",
    "rttvar",
    "reordering",
    "window",
    "cwnd",
    "ssthresh",
    "rto_min",
    "initcwnd",
    "initrwnd",
    "features",
    "quickack",
    "congctl",
    "pref",
    "fastopen_no_cookie",
    "ttl-propagate",
    "expires",
    "nexthop",
    "encap",
    "vrf",
    "inet",
    "inet6",
    "add",
    "prepend",
    "append",
    "no_track",
    "track_group",
    "default",
    "gw",
];

fn route_type(t: &str) -> Option<RouteType> {
    Some(match t {
        "unicast" => RouteType::Unicast,
        "local" => RouteType::Local,
        "broadcast" => RouteType::Broadcast,
        "multicast" => RouteType::Multicast,
        "throw" => RouteType::Throw,
        "unreachable" => RouteType::Unreachable,
        "prohibit" => RouteType::Prohibit,
        "blackhole" => RouteType::Blackhole,
        _ => return None,
    })
}

/// `table N|NAME`: the standard names are resolved, others kept by name.
pub(crate) fn table_value(w: &Word, diags: &mut Diags) -> Option<RouteTable> {
    let t = w.text.as_str();
    Some(match t {
        "main" => RouteTable::Id(254),
        "local" => RouteTable::Id(255),
        "default" => RouteTable::Id(253),
        "unspec" => RouteTable::Id(0),
        _ => match small_uint(t) {
            Some(v) if v <= u64::from(u32::MAX) => RouteTable::Id(v as u32),
            Some(_) => {
                diags.error(
                    &w.loc,
                    format!("invalid table '{t}' (must be 0..4294967295 or a name)"),
                );
                return None;
            }
            None if t
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && t.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) =>
            {
                RouteTable::Name(t.to_string())
            }
            None => {
                diags.error(
                    &w.loc,
                    format!("invalid table '{t}' (must be 0..4294967295 or a name)"),
                );
                return None;
            }
        },
    })
}

/// `protocol N|NAME` with the names of iproute2's `rt_protos`.
pub(crate) fn protocol_value(w: &Word, diags: &mut Diags) -> Option<u8> {
    let v = match w.text.as_str() {
        "unspec" => 0,
        "redirect" => 1,
        "kernel" => 2,
        "boot" => 3,
        "static" => 4,
        "gated" => 8,
        "ra" => 9,
        "mrt" => 10,
        "zebra" => 11,
        "bird" => 12,
        "dnrouted" => 13,
        "xorp" => 14,
        "ntk" => 15,
        "dhcp" => 16,
        "keepalived" => 18,
        "babel" => 42,
        "bgp" => 186,
        "isis" => 187,
        "ospf" => 188,
        "rip" => 189,
        "eigrp" => 192,
        _ => return ranged(w, "protocol", 0, 255, diags).map(|v| v as u8),
    };
    Some(v)
}

/// `realms [FROM/]TO`, numeric realms 0..65535.
pub(crate) fn realms_value(w: &Word, diags: &mut Diags) -> Option<Realms> {
    let num = |s: &str| small_uint(s).filter(|v| *v <= 65535).map(|v| v as u16);
    let r = match w.text.split_once('/') {
        Some((f, t)) => num(f).zip(num(t)).map(|(f, t)| Realms {
            from: Some(f),
            to: t,
        }),
        None => num(&w.text).map(|t| Realms { from: None, to: t }),
    };
    if r.is_none() {
        diags.error(
            &w.loc,
            format!(
                "invalid realms '{}' (must be [FROM/]TO with realms 0..65535)",
                w.text
            ),
        );
    }
    r
}

fn time_unit(i: &str) -> IResult<&str, (&str, Option<&str>)> {
    all_consuming((
        digit1,
        opt(alt((
            tag("usecs"),
            tag("usec"),
            tag("us"),
            tag("msecs"),
            tag("msec"),
            tag("ms"),
            tag("secs"),
            tag("sec"),
            tag("s"),
        ))),
    ))
    .parse(i)
}

/// `ip route` TIME: a number with an optional unit (default milliseconds),
/// as microseconds.
pub(crate) fn parse_time_us(t: &str) -> Option<u64> {
    let (_, (n, unit)) = time_unit(t).ok()?;
    let n: u64 = n.parse().ok()?;
    let mult = match unit {
        None | Some("ms" | "msec" | "msecs") => 1_000,
        Some("s" | "sec" | "secs") => 1_000_000,
        _ => 1,
    };
    n.checked_mul(mult)
}

/// Cursor over the words of one entry.
struct Words<'a> {
    words: Vec<&'a Word>,
    i: usize,
}

impl<'a> Words<'a> {
    fn next(&mut self) -> Option<&'a Word> {
        let w = self.words.get(self.i).copied();
        self.i += 1;
        w
    }
    fn peek(&self) -> Option<&'a Word> {
        self.words.get(self.i).copied()
    }
    /// The value of option `opt`, or an error naming it.
    fn value(&mut self, opt: &Word, what: &str, diags: &mut Diags) -> Option<&'a Word> {
        let v = self.next();
        if v.is_none() {
            diags.error(
                &opt.loc,
                format!("missing value for '{}' in {what}", opt.text),
            );
        }
        v
    }
    /// `lock` before a metric value.
    fn lock(&mut self) -> bool {
        if self.peek().is_some_and(|w| w.text == "lock") {
            self.i += 1;
            true
        } else {
            false
        }
    }
}

/// Parse one route entry; `None` (with an error) drops it.
pub(crate) fn parse_route(e: &Node, bkw: &str, diags: &mut Diags) -> Option<Route> {
    crate::semantic::no_block(e, diags);
    let stat = bkw == "static_routes";
    let mut ws = Words {
        words: std::iter::once(&e.kw).chain(e.args.iter()).collect(),
        i: 0,
    };
    let what = format!("{bkw} entry");
    let mut r = Route::new(None, e.kw.loc.clone());
    let mut have_dst = false;
    let mut ok = true;
    if let Some(t) = ws.peek().and_then(|w| route_type(&w.text)) {
        r.route_type = t;
        ws.i += 1;
    }
    while let Some(w) = ws.next() {
        let opt = w.text.as_str();
        macro_rules! val {
            () => {
                match ws.value(w, &what, diags) {
                    Some(v) => v,
                    None => {
                        ok = false;
                        break;
                    }
                }
            };
        }
        macro_rules! set {
            ($field:expr, $e:expr) => {
                match $e {
                    Some(v) => $field = Some(v),
                    None => ok = false,
                }
            };
        }
        macro_rules! metric {
            ($field:expr, $min:expr, $max:expr) => {{
                let lock = ws.lock();
                let v = val!();
                set!(
                    $field,
                    ranged(v, opt, $min, $max, diags).map(|value| Metric {
                        value: value as u32,
                        lock
                    })
                );
            }};
        }
        macro_rules! time_metric {
            ($field:expr) => {{
                let lock = ws.lock();
                let v = val!();
                match parse_time_us(&v.text) {
                    Some(us) => $field = Some(TimeMetric { us, lock }),
                    None => {
                        diags.error(
                            &v.loc,
                            format!(
                                "invalid {opt} '{}' (a time: N[s|ms|us], default ms)",
                                v.text
                            ),
                        );
                        ok = false;
                    }
                }
            }};
        }
        match opt {
            "src" => {
                let v = val!();
                set!(r.src, ip_value(v, "src", diags));
            }
            "from" => {
                let v = val!();
                set!(r.from, crate::address::prefix_value(v, "from", diags));
            }
            "to" => {
                let v = val!();
                if !dst(&mut r, v, &mut have_dst, diags) {
                    ok = false;
                }
            }
            "via" | "gw" => {
                if opt == "gw" {
                    diags.error(&w.loc, "'gw' is deprecated in routes; use 'via' instead");
                }
                let mut v = val!();
                if v.text == "inet" || v.text == "inet6" {
                    v = val!();
                }
                set!(r.via, ip_value(v, "via", diags));
            }
            "dev" | "oif" => {
                let v = val!();
                set!(r.dev, ifname_value(v, opt, diags));
            }
            "table" => {
                let v = val!();
                set!(r.table, table_value(v, diags));
            }
            "metric" | "priority" | "preference" => {
                let v = val!();
                set!(
                    r.metric,
                    ranged(v, opt, 0, u64::from(u32::MAX), diags).map(|v| v as u32)
                );
            }
            "scope" => {
                let v = val!();
                set!(r.scope, scope_value(v, diags));
            }
            "protocol" => {
                let v = val!();
                set!(r.protocol, protocol_value(v, diags));
            }
            "tos" | "dsfield" => {
                let v = val!();
                set!(r.tos, ranged(v, opt, 0, 255, diags).map(|v| v as u8));
            }
            "onlink" => r.onlink = true,
            "realms" => {
                let v = val!();
                set!(r.realms, realms_value(v, diags));
            }
            "mtu" => metric!(r.mtu, 0, u64::from(u32::MAX)),
            "advmss" => metric!(r.advmss, 0, u64::from(u32::MAX)),
            "hoplimit" => metric!(r.hoplimit, 0, 255),
            "reordering" => metric!(r.reordering, 0, u64::from(u32::MAX)),
            "window" => metric!(r.window, 0, u64::from(u32::MAX)),
            "cwnd" => metric!(r.cwnd, 0, u64::from(u32::MAX)),
            "ssthresh" => metric!(r.ssthresh, 0, u64::from(u32::MAX)),
            "initcwnd" => metric!(r.initcwnd, 0, u64::from(u32::MAX)),
            "initrwnd" => metric!(r.initrwnd, 0, u64::from(u32::MAX)),
            "rtt" => time_metric!(r.rtt),
            "rttvar" => time_metric!(r.rttvar),
            "rto_min" => time_metric!(r.rto_min),
            "features" => {
                let v = val!();
                if v.text == "ecn" {
                    r.features_ecn = true;
                } else {
                    diags.error(
                        &v.loc,
                        format!("invalid features '{}' (only 'ecn' is known)", v.text),
                    );
                    ok = false;
                }
            }
            "quickack" | "fastopen_no_cookie" => {
                let v = val!();
                let b = match v.text.as_str() {
                    "0" => Some(false),
                    "1" => Some(true),
                    _ => {
                        diags.error(
                            &v.loc,
                            format!("invalid {opt} '{}' (must be 0 or 1)", v.text),
                        );
                        None
                    }
                };
                if opt == "quickack" {
                    set!(r.quickack, b);
                } else {
                    set!(r.fastopen_no_cookie, b);
                }
            }
            "congctl" => {
                let lock = ws.lock();
                let v = val!();
                r.congctl = Some((v.text.clone(), lock));
            }
            "pref" => {
                let v = val!();
                let p = match v.text.as_str() {
                    "low" => Some(RoutePref::Low),
                    "medium" => Some(RoutePref::Medium),
                    "high" => Some(RoutePref::High),
                    _ => {
                        diags.error(
                            &v.loc,
                            format!("invalid pref '{}' (must be low|medium|high)", v.text),
                        );
                        None
                    }
                };
                set!(r.pref, p);
            }
            "ttl-propagate" => {
                let v = val!();
                let p = match v.text.as_str() {
                    "enabled" => Some(true),
                    "disabled" => Some(false),
                    _ => {
                        diags.error(
                            &v.loc,
                            format!(
                                "invalid ttl-propagate '{}' (must be enabled|disabled)",
                                v.text
                            ),
                        );
                        None
                    }
                };
                set!(r.ttl_propagate, p);
            }
            "expires" => {
                let v = val!();
                set!(
                    r.expires_s,
                    ranged(v, opt, 0, u64::from(u32::MAX), diags).map(|v| v as u32)
                );
            }
            "encap" => {
                let mut raw = Vec::new();
                while let Some(n) = ws.peek() {
                    if !raw.is_empty() && ROUTE_OPTS.contains(&n.text.as_str()) {
                        break;
                    }
                    raw.push(n.text.clone());
                    ws.i += 1;
                }
                if raw.is_empty() {
                    diags.error(&w.loc, format!("missing value for 'encap' in {what}"));
                    ok = false;
                    break;
                }
                diags.warn_once(
                    "\0route-encap",
                    &w.loc,
                    "route 'encap' is kept as written but not yet supported by keepalived-rs",
                );
                r.encap = Some(raw);
            }
            "vrf" => {
                let v = val!();
                set!(r.vrf, ifname_value(v, "vrf", diags));
            }
            "nexthop" | "or" => {
                if opt == "or" {
                    diags.error(
                        &w.loc,
                        "'or' is deprecated in routes; use 'nexthop' instead",
                    );
                }
                match nexthop(&mut ws, w, &what, diags) {
                    Some(nh) => r.nexthops.push(nh),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            "inet" => r.family_v6 = Some(false),
            "inet6" => r.family_v6 = Some(true),
            "add" => r.op = RouteOp::Add,
            "prepend" => r.op = RouteOp::Prepend,
            "append" => r.op = RouteOp::Append,
            "no_track" => r.no_track = true,
            "track_group" => {
                let v = val!();
                if stat {
                    r.track_group = Some(v.text.clone());
                } else {
                    diags.error(
                        &w.loc,
                        format!("'track_group' is only valid in static_routes, not {bkw}"),
                    );
                    ok = false;
                }
            }
            _ if !have_dst => {
                if !dst(&mut r, w, &mut have_dst, diags) {
                    ok = false;
                }
            }
            _ => {
                let hint = crate::address::option_hint(opt, ROUTE_OPTS);
                diags.error(
                    &w.loc,
                    format!("unknown {bkw} option '{opt}' (options must be written in full){hint}"),
                );
                ok = false;
                // The entry is dropped; its remaining words would only
                // produce follow-on noise (the value of a misspelt option).
                break;
            }
        }
    }
    if ok && !have_dst {
        diags.error(&e.kw.loc, format!("{what} has no destination - ignored"));
        return None;
    }
    if ok {
        ok = families_agree(&r, bkw, diags);
    }
    if !ok {
        diags.error(&e.kw.loc, format!("{what} '{}' ignored", e.kw.text));
        return None;
    }
    Some(r)
}

/// Destination `PREFIX|default`.
fn dst(r: &mut Route, w: &Word, have: &mut bool, diags: &mut Diags) -> bool {
    if *have {
        diags.error(&w.loc, format!("second route destination '{}'", w.text));
        return false;
    }
    *have = true;
    if w.text == "default" || w.text == "all" {
        r.dst = None;
        return true;
    }
    match parse_prefix(&w.text) {
        Ok((addr, len)) => {
            r.dst = Some(IpPrefix {
                addr,
                len: len.unwrap_or(max_len(&addr)),
            });
            true
        }
        Err(e) => {
            prefix_error(w, "route destination", &e, diags);
            false
        }
    }
}

/// `nexthop via IP [dev IF] [weight 1..256] [onlink]`.
fn nexthop(ws: &mut Words<'_>, kw: &Word, what: &str, diags: &mut Diags) -> Option<NextHop> {
    let mut nh = NextHop {
        via: None,
        dev: None,
        weight: 1,
        onlink: false,
        location: kw.loc.clone(),
    };
    while let Some(w) = ws.peek() {
        match w.text.as_str() {
            "via" | "gw" => {
                ws.i += 1;
                let mut v = ws.value(w, what, diags)?;
                if v.text == "inet" || v.text == "inet6" {
                    v = ws.value(w, what, diags)?;
                }
                nh.via = Some(ip_value(v, "nexthop via", diags)?);
            }
            "dev" => {
                ws.i += 1;
                let v = ws.value(w, what, diags)?;
                nh.dev = Some(ifname_value(v, "nexthop dev", diags)?);
            }
            "weight" => {
                ws.i += 1;
                let v = ws.value(w, what, diags)?;
                nh.weight = ranged(v, "nexthop weight", 1, 256, diags)? as u16;
            }
            "onlink" => {
                ws.i += 1;
                nh.onlink = true;
            }
            _ => break,
        }
    }
    if nh.via.is_none() && nh.dev.is_none() {
        diags.error(
            &kw.loc,
            format!("'{}' without 'via' or 'dev' in {what}", kw.text),
        );
        return None;
    }
    Some(nh)
}

/// Every address of a route must be of one family.
fn families_agree(r: &Route, bkw: &str, diags: &mut Diags) -> bool {
    let fam = r
        .family_v6
        .or(r.dst.map(|d| d.addr.is_ipv6()))
        .or(r.via.map(|a| a.is_ipv6()))
        .or(r.src.map(|a| a.is_ipv6()));
    let Some(v6) = fam else { return true };
    let mut addrs: Vec<(std::net::IpAddr, &str)> = Vec::new();
    if let Some(d) = r.dst {
        addrs.push((d.addr, "destination"));
    }
    if let Some(a) = r.src {
        addrs.push((a, "src"));
    }
    if let Some(a) = r.from {
        addrs.push((a.addr, "from"));
    }
    if let Some(a) = r.via {
        addrs.push((a, "via"));
    }
    for nh in &r.nexthops {
        if let Some(a) = nh.via {
            addrs.push((a, "nexthop via"));
        }
    }
    for (a, what) in addrs {
        if a.is_ipv6() != v6 {
            diags.error(
                &r.location,
                format!(
                    "{bkw} entry mixes address families: {what} '{a}' is not {}",
                    if v6 { "IPv6" } else { "IPv4" }
                ),
            );
            return false;
        }
    }
    true
}

/// Parse a whole routes block.
pub(crate) fn parse_block(node: &Node, diags: &mut Diags) -> Vec<Route> {
    let Some(b) = crate::semantic::require_block(node, diags) else {
        return Vec::new();
    };
    let routes: Vec<Route> = b
        .nodes
        .iter()
        .filter(|e| !e.kw.text.is_empty())
        .filter_map(|e| parse_route(e, &node.kw.text, diags))
        .collect();
    if node.kw.text == "virtual_routes" {
        for r in &routes {
            untrackable(r, diags);
        }
    }
    routes
}

/// A virtual route is tracked through the interface it names: one that names
/// none cannot be, which keepalived reports (and `-t` then exits 5) — unless
/// `no_track` says that is intended.
fn untrackable(r: &Route, diags: &mut Diags) {
    if r.no_track || r.dev.is_some() || r.nexthops.iter().any(|n| n.dev.is_some()) {
        return;
    }
    let dst = r.dst.map_or_else(
        || "default".to_string(),
        |d| format!("{}/{}", d.addr, d.len),
    );
    diags.error(
        &r.location,
        format!(
            "virtual route {dst} names no interface, so it cannot be tracked and is not \
             (add 'dev IF', or 'no_track' if that is intended)"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time_us("10"), Some(10_000));
        assert_eq!(parse_time_us("10ms"), Some(10_000));
        assert_eq!(parse_time_us("2s"), Some(2_000_000));
        assert_eq!(parse_time_us("5us"), Some(5));
        assert_eq!(parse_time_us("5m"), None);
        assert_eq!(parse_time_us(""), None);
    }
}
