//! Turns `virtual_routes`/`static_routes` and `virtual_rules`/`static_rules`
//! entries (reference §2.9) into the rtnetlink messages `ip route add` and
//! `ip rule add` would send for the same words, so a keepalived.conf behaves
//! the same under keepalived-rs.
//!
//! The conversion is pure: everything it needs to know about the running
//! system (interface indexes, VRF tables, `rt_tables` names) comes through
//! [`Names`], which keeps it unit-testable. Anything in the config model that
//! cannot be expressed in a netlink message is reported as a [`ConvertError`]
//! naming the option; nothing is silently dropped, because installing a route
//! that differs from the one configured is worse than refusing it.

use keepalived_config::{
    IpPrefix, Metric, NextHop, Realms, Route, RouteOp, RoutePref, RouteTable, RouteType, Rule,
    RuleAction as CfgRuleAction, TimeMetric,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteMetric,
    RouteMplsTtlPropagation, RouteNextHop, RouteNextHopFlags, RoutePreference, RouteProtocol,
    RouteRealm, RouteScope, RouteType as NlRouteType, RouteVia,
};
use netlink_packet_route::rule::{
    RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange,
};
use netlink_packet_route::{AddressFamily, IpProtocol};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

/// `RT_TABLE_*` numbers the kernel and iproute2 give names to.
const RT_TABLE_UNSPEC: u32 = 0;
const RT_TABLE_DEFAULT: u32 = 253;
const RT_TABLE_MAIN: u32 = 254;
const RT_TABLE_LOCAL: u32 = 255;
/// `RTAX_FEATURE_ECN`, the only route feature `ip route` can set.
const RTAX_FEATURE_ECN: u32 = 1;
/// `RTAX_*` numbers, for the `lock` bitmask (bit N locks metric N).
const RTAX_MTU: u32 = 2;
const RTAX_WINDOW: u32 = 3;
const RTAX_RTT: u32 = 4;
const RTAX_RTTVAR: u32 = 5;
const RTAX_SSTHRESH: u32 = 6;
const RTAX_CWND: u32 = 7;
const RTAX_ADVMSS: u32 = 8;
const RTAX_REORDERING: u32 = 9;
const RTAX_HOPLIMIT: u32 = 10;
const RTAX_INITCWND: u32 = 11;
const RTAX_RTO_MIN: u32 = 13;
const RTAX_INITRWND: u32 = 14;
const RTAX_CC_ALGO: u32 = 16;

/// A config route or rule that cannot be turned into a netlink message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The option is in the config model but netlink (or this
    /// implementation) has no way to express it for this entry.
    #[error("option '{option}' is not supported: {why}")]
    Unsupported {
        option: &'static str,
        why: &'static str,
    },
    #[error("interface '{0}' does not exist")]
    NoSuchInterface(String),
    #[error("'{0}' is not a VRF interface")]
    NoSuchVrf(String),
    #[error("routing table '{0}' is not defined in rt_tables")]
    UnknownTable(String),
    /// Addresses of both families in one entry, or `inet`/`inet6` that
    /// contradicts an address.
    #[error("address families do not match ({0})")]
    FamilyMismatch(String),
    /// Two options that each decide the same thing disagree.
    #[error("conflicting options: {0}")]
    Conflict(String),
}

/// What the conversion needs to know about the running system.
pub trait Names {
    /// The ifindex of an interface, `None` when it does not exist.
    fn ifindex(&self, name: &str) -> Option<u32>;
    /// The routing table a VRF device is bound to, `None` when `name` is not
    /// a VRF.
    fn vrf_table(&self, name: &str) -> Option<u32>;
    /// A routing table number from iproute2's `rt_tables` files.
    fn table_id(&self, name: &str) -> Option<u32>;
}

/// iproute2's table names (`/etc/iproute2/rt_tables` and friends), so
/// `table NAME` means what it means to `ip route`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtTables {
    by_name: HashMap<String, u32>,
}

impl Default for RtTables {
    /// Only the names iproute2 knows without any file.
    fn default() -> Self {
        let by_name = [
            ("unspec", RT_TABLE_UNSPEC),
            ("default", RT_TABLE_DEFAULT),
            ("main", RT_TABLE_MAIN),
            ("local", RT_TABLE_LOCAL),
        ]
        .into_iter()
        .map(|(n, id)| (n.to_string(), id))
        .collect();
        RtTables { by_name }
    }
}

impl RtTables {
    /// Reads the files iproute2 reads: the distribution defaults in
    /// `/usr/share/iproute2` (iproute2 ≥ 6.5) and then the administrator's
    /// `/etc/iproute2`, each with its `rt_tables.d/*.conf`. Missing files are
    /// normal and skipped.
    pub fn load() -> Self {
        let mut t = RtTables::default();
        for dir in ["/usr/share/iproute2", "/etc/iproute2"] {
            t.load_dir(Path::new(dir));
        }
        t
    }

    fn load_dir(&mut self, dir: &Path) {
        if let Ok(text) = std::fs::read_to_string(dir.join("rt_tables")) {
            self.add_text(&text);
        }
        let Ok(entries) = std::fs::read_dir(dir.join("rt_tables.d")) else {
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "conf"))
            .collect();
        files.sort();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(&f) {
                self.add_text(&text);
            }
        }
    }

    /// Adds the entries of one `rt_tables` file: `ID NAME` lines, ID decimal
    /// or `0x` hex, `#` comments.
    pub fn add_text(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let (Some(id), Some(name)) = (words.next(), words.next()) else {
                continue;
            };
            let id = match id.strip_prefix("0x").or_else(|| id.strip_prefix("0X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => id.parse().ok(),
            };
            if let Some(id) = id {
                self.by_name.insert(name.to_string(), id);
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }
}

/// A snapshot of the names the conversion needs (links, VRF tables,
/// `rt_tables`), taken just before installing, since interfaces can come and
/// go between reloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemNames {
    pub links: HashMap<String, u32>,
    pub vrf_tables: HashMap<String, u32>,
    pub tables: RtTables,
}

impl Names for SystemNames {
    fn ifindex(&self, name: &str) -> Option<u32> {
        self.links.get(name).copied()
    }
    fn vrf_table(&self, name: &str) -> Option<u32> {
        self.vrf_tables.get(name).copied()
    }
    fn table_id(&self, name: &str) -> Option<u32> {
        self.tables.get(name)
    }
}

/// A route ready for `RTM_NEWROUTE` / `RTM_DELROUTE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub(crate) add: RouteMessage,
    pub(crate) del: RouteMessage,
    pub(crate) op: RouteOp,
    desc: String,
}

impl RouteSpec {
    /// Converts a config route the way `ip route add` would.
    pub fn from_config(route: &Route, names: &dyn Names) -> Result<Self, ConvertError> {
        route_spec(route, names)
    }
    /// The message sent to add the route.
    pub fn add_message(&self) -> &RouteMessage {
        &self.add
    }
    /// The message sent to delete it: like `ip route del` with the same
    /// words, scope and protocol are wildcards unless configured, so a route
    /// the kernel stored with a computed scope still matches.
    pub fn del_message(&self) -> &RouteMessage {
        &self.del
    }
    pub fn op(&self) -> RouteOp {
        self.op
    }
    /// `ip route`-like text for logs.
    pub fn describe(&self) -> &str {
        &self.desc
    }
}

/// A rule ready for `RTM_NEWRULE` / `RTM_DELRULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSpec {
    pub(crate) msg: RuleMessage,
    desc: String,
}

impl RuleSpec {
    /// Converts a config rule the way `ip rule add` would.
    pub fn from_config(rule: &Rule, names: &dyn Names) -> Result<Self, ConvertError> {
        rule_spec(rule, names)
    }
    /// The message for both add and delete: the kernel treats every unset
    /// selector of a delete as a wildcard, and every set one must match.
    pub fn message(&self) -> &RuleMessage {
        &self.msg
    }
    pub fn describe(&self) -> &str {
        &self.desc
    }
}

fn family_of(a: &IpAddr) -> bool {
    a.is_ipv6()
}

/// Picks the family the way `ip` does: from the first address given, with
/// `inet`/`inet6` as a check (and the only hint when there is no address);
/// IPv4 when nothing says otherwise.
fn pick_family(
    explicit_v6: Option<bool>,
    addrs: &[(&'static str, IpAddr)],
) -> Result<bool, ConvertError> {
    let mut fam = explicit_v6;
    let mut first: Option<&'static str> = explicit_v6.map(|_| "inet/inet6");
    for (what, a) in addrs {
        let v6 = family_of(a);
        match fam {
            None => {
                fam = Some(v6);
                first = Some(what);
            }
            Some(f) if f != v6 => {
                return Err(ConvertError::FamilyMismatch(format!(
                    "{} is {}, {what} {a} is not",
                    first.unwrap_or("route"),
                    if f { "IPv6" } else { "IPv4" }
                )))
            }
            Some(_) => {}
        }
    }
    Ok(fam.unwrap_or(false))
}

fn resolve_table(t: &RouteTable, names: &dyn Names) -> Result<u32, ConvertError> {
    match t {
        RouteTable::Id(id) => Ok(*id),
        RouteTable::Name(n) => names
            .table_id(n)
            .ok_or_else(|| ConvertError::UnknownTable(n.clone())),
    }
}

fn ifindex(name: &str, names: &dyn Names) -> Result<u32, ConvertError> {
    names
        .ifindex(name)
        .ok_or_else(|| ConvertError::NoSuchInterface(name.to_string()))
}

fn nl_route_type(t: RouteType) -> NlRouteType {
    match t {
        RouteType::Unicast => NlRouteType::Unicast,
        RouteType::Local => NlRouteType::Local,
        RouteType::Broadcast => NlRouteType::Broadcast,
        RouteType::Multicast => NlRouteType::Multicast,
        RouteType::Throw => NlRouteType::Throw,
        RouteType::Unreachable => NlRouteType::Unreachable,
        RouteType::Prohibit => NlRouteType::Prohibit,
        RouteType::Blackhole => NlRouteType::BlackHole,
    }
}

/// A gateway of the route's own family is `RTA_GATEWAY`; one of the other
/// family (IPv4 route via an IPv6 router) needs `RTA_VIA`.
fn gateway_attr(via: IpAddr, route_v6: bool) -> RouteAttribute {
    match (via, route_v6) {
        (IpAddr::V4(a), false) => RouteAttribute::Gateway(RouteAddress::Inet(a)),
        (IpAddr::V6(a), true) => RouteAttribute::Gateway(RouteAddress::Inet6(a)),
        (IpAddr::V4(a), true) => RouteAttribute::Via(RouteVia::Inet(a)),
        (IpAddr::V6(a), false) => RouteAttribute::Via(RouteVia::Inet6(a)),
    }
}

fn realm(r: &Realms) -> RouteRealm {
    RouteRealm {
        source: r.from.unwrap_or(0),
        destination: r.to,
    }
}

/// Collects `RTA_METRICS` and the `lock` bitmask.
#[derive(Default)]
struct Metrics {
    list: Vec<RouteMetric>,
    lock: u32,
}

impl Metrics {
    fn plain(&mut self, m: Option<Metric>, rtax: u32, make: fn(u32) -> RouteMetric) {
        if let Some(m) = m {
            self.list.push(make(m.value));
            if m.lock {
                self.lock |= 1 << rtax;
            }
        }
    }

    /// Time metrics: the model holds microseconds; the kernel wants
    /// milliseconds times `scale` (`rtt` is kept in 1/8 ms, `rttvar` in
    /// 1/4 ms, as `ip route` sends them).
    fn time(
        &mut self,
        option: &'static str,
        m: Option<TimeMetric>,
        rtax: u32,
        scale: u64,
        make: fn(u32) -> RouteMetric,
    ) -> Result<(), ConvertError> {
        if let Some(m) = m {
            let v = (m.us / 1000).saturating_mul(scale);
            let v = u32::try_from(v).map_err(|_| ConvertError::Unsupported {
                option,
                why: "value too large for the kernel (32 bits)",
            })?;
            self.list.push(make(v));
            if m.lock {
                self.lock |= 1 << rtax;
            }
        }
        Ok(())
    }
}

fn route_metrics(r: &Route) -> Result<Vec<RouteMetric>, ConvertError> {
    let mut m = Metrics::default();
    m.plain(r.mtu, RTAX_MTU, RouteMetric::Mtu);
    m.plain(r.advmss, RTAX_ADVMSS, RouteMetric::Advmss);
    m.plain(r.hoplimit, RTAX_HOPLIMIT, RouteMetric::Hoplimit);
    m.time("rtt", r.rtt, RTAX_RTT, 8, RouteMetric::Rtt)?;
    m.time("rttvar", r.rttvar, RTAX_RTTVAR, 4, RouteMetric::RttVar)?;
    m.plain(r.reordering, RTAX_REORDERING, RouteMetric::Reordering);
    m.plain(r.window, RTAX_WINDOW, RouteMetric::Window);
    m.plain(r.cwnd, RTAX_CWND, RouteMetric::Cwnd);
    m.plain(r.ssthresh, RTAX_SSTHRESH, RouteMetric::SsThresh);
    m.time("rto_min", r.rto_min, RTAX_RTO_MIN, 1, RouteMetric::RtoMin)?;
    m.plain(r.initcwnd, RTAX_INITCWND, RouteMetric::InitCwnd);
    m.plain(r.initrwnd, RTAX_INITRWND, RouteMetric::InitRwnd);
    if r.features_ecn {
        m.list.push(RouteMetric::Features(RTAX_FEATURE_ECN));
    }
    if let Some(q) = r.quickack {
        m.list.push(RouteMetric::QuickAck(u32::from(q)));
    }
    if let Some((name, lock)) = &r.congctl {
        m.list.push(RouteMetric::CcAlgo(name.clone()));
        if *lock {
            m.lock |= 1 << RTAX_CC_ALGO;
        }
    }
    if let Some(f) = r.fastopen_no_cookie {
        m.list.push(RouteMetric::FastopenNoCookie(u32::from(f)));
    }
    if m.lock != 0 {
        m.list.insert(0, RouteMetric::Lock(m.lock));
    }
    Ok(m.list)
}

fn nexthop(nh: &NextHop, route_v6: bool, names: &dyn Names) -> Result<RouteNextHop, ConvertError> {
    let mut out = RouteNextHop::default();
    if nh.onlink {
        out.flags |= RouteNextHopFlags::Onlink;
    }
    // The wire carries weight - 1 (`rtnh_hops`), weight being 1..=256.
    out.hops = u8::try_from(nh.weight.clamp(1, 256) - 1).unwrap_or(u8::MAX);
    if let Some(dev) = &nh.dev {
        out.interface_index = ifindex(dev, names)?;
    }
    if let Some(via) = nh.via {
        out.attributes.push(gateway_attr(via, route_v6));
    }
    Ok(out)
}

fn prefix_text(p: &Option<IpPrefix>) -> String {
    match p {
        Some(p) => format!("{}/{}", p.addr, p.len),
        None => "default".to_string(),
    }
}

fn route_spec(r: &Route, names: &dyn Names) -> Result<RouteSpec, ConvertError> {
    if r.encap.is_some() {
        return Err(ConvertError::Unsupported {
            option: "encap",
            why: "lightweight tunnel encapsulation is not implemented",
        });
    }
    let mut addrs: Vec<(&'static str, IpAddr)> = Vec::new();
    if let Some(d) = &r.dst {
        addrs.push(("destination", d.addr));
    }
    if let Some(s) = r.src {
        addrs.push(("src", s));
    }
    if let Some(f) = &r.from {
        addrs.push(("from", f.addr));
    }
    let v6 = pick_family(r.family_v6, &addrs)?;

    if !v6 {
        for (set, option) in [
            (r.from.is_some(), "from"),
            (r.pref.is_some(), "pref"),
            (r.expires_s.is_some(), "expires"),
        ] {
            if set {
                return Err(ConvertError::Unsupported {
                    option,
                    why: "the kernel only honours it on IPv6 routes",
                });
            }
        }
    } else if r.realms.is_some() {
        return Err(ConvertError::Unsupported {
            option: "realms",
            why: "the kernel only honours realms on IPv4 routes",
        });
    }
    if r.ttl_propagate.is_some() {
        return Err(ConvertError::Unsupported {
            option: "ttl-propagate",
            why: "only meaningful for MPLS routes, which keepalived-rs does not install",
        });
    }

    let mut h = RouteHeader {
        address_family: if v6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        },
        kind: nl_route_type(r.route_type),
        ..Default::default()
    };
    let mut attrs: Vec<RouteAttribute> = Vec::new();

    // Table: `table`, else the VRF's table, else what `ip route` picks
    // (local for local/broadcast routes, main otherwise).
    let mut table = r
        .table
        .as_ref()
        .map(|t| resolve_table(t, names))
        .transpose()?;
    if let Some(vrf) = &r.vrf {
        let vt = names
            .vrf_table(vrf)
            .ok_or_else(|| ConvertError::NoSuchVrf(vrf.clone()))?;
        match table {
            Some(t) if t != vt => {
                return Err(ConvertError::Conflict(format!(
                    "table {t} but vrf {vrf} uses table {vt}"
                )))
            }
            _ => table = Some(vt),
        }
    }
    let table = table.unwrap_or(match r.route_type {
        RouteType::Local | RouteType::Broadcast => RT_TABLE_LOCAL,
        _ => RT_TABLE_MAIN,
    });
    if let Ok(t) = u8::try_from(table) {
        h.table = t;
    } else {
        h.table = RT_TABLE_UNSPEC as u8;
    }
    // Always sent as well: the header byte cannot hold ids above 255, and the
    // attribute is what the kernel reads first.
    attrs.push(RouteAttribute::Table(table));

    if let Some(d) = &r.dst {
        h.destination_prefix_length = d.len;
        attrs.push(RouteAttribute::Destination(d.addr.into()));
    }
    if let Some(f) = &r.from {
        h.source_prefix_length = f.len;
        attrs.push(RouteAttribute::Source(f.addr.into()));
    }
    if let Some(s) = r.src {
        attrs.push(RouteAttribute::PrefSource(s.into()));
    }
    if let Some(via) = r.via {
        attrs.push(gateway_attr(via, v6));
    }
    if let Some(dev) = &r.dev {
        attrs.push(RouteAttribute::Oif(ifindex(dev, names)?));
    }
    if let Some(m) = r.metric {
        attrs.push(RouteAttribute::Priority(m));
    }
    if let Some(t) = r.tos {
        h.tos = t;
    }
    if r.onlink {
        h.flags |= RouteFlags::Onlink;
    }
    if let Some(rl) = &r.realms {
        attrs.push(RouteAttribute::Realm(realm(rl)));
    }
    if let Some(p) = r.pref {
        attrs.push(RouteAttribute::Preference(match p {
            RoutePref::Low => RoutePreference::Low,
            RoutePref::Medium => RoutePreference::Medium,
            RoutePref::High => RoutePreference::High,
        }));
    }
    if let Some(e) = r.expires_s {
        attrs.push(RouteAttribute::Expires(e));
    }
    if let Some(t) = r.ttl_propagate {
        attrs.push(RouteAttribute::TtlPropagate(if t {
            RouteMplsTtlPropagation::Enabled
        } else {
            RouteMplsTtlPropagation::Disabled
        }));
    }
    let metrics = route_metrics(r)?;
    if !metrics.is_empty() {
        attrs.push(RouteAttribute::Metrics(metrics));
    }
    if !r.nexthops.is_empty() {
        let hops = r
            .nexthops
            .iter()
            .map(|nh| nexthop(nh, v6, names))
            .collect::<Result<Vec<_>, _>>()?;
        attrs.push(RouteAttribute::MultiPath(hops));
    }

    // Protocol: `ip route add` marks routes it adds as `boot`.
    let protocol = r.protocol.map(RouteProtocol::from);
    h.protocol = protocol.unwrap_or(RouteProtocol::Boot);

    // Scope as `ip route add` computes it when not given: host for local
    // routes, link for broadcast/multicast and for unicast routes with no
    // gateway, universe otherwise.
    let has_gw = r.via.is_some() || r.nexthops.iter().any(|n| n.via.is_some());
    let scope = r.scope.map(|s| RouteScope::from(s.value()));
    h.scope = scope.unwrap_or(match r.route_type {
        RouteType::Local => RouteScope::Host,
        RouteType::Broadcast | RouteType::Multicast => RouteScope::Link,
        RouteType::Unicast if !has_gw => RouteScope::Link,
        _ => RouteScope::Universe,
    });

    let mut add = RouteMessage::default();
    add.header = h;
    add.attributes = attrs;

    let mut del = add.clone();
    del.header.scope = scope.unwrap_or(RouteScope::NoWhere);
    del.header.protocol = protocol.unwrap_or(RouteProtocol::Unspec);

    let mut desc = String::new();
    if r.route_type != RouteType::Unicast {
        let _ = write!(desc, "{:?} ", r.route_type);
        desc.make_ascii_lowercase();
    }
    desc.push_str(&prefix_text(&r.dst));
    if let Some(v) = r.via {
        let _ = write!(desc, " via {v}");
    }
    if let Some(d) = &r.dev {
        let _ = write!(desc, " dev {d}");
    }
    for nh in &r.nexthops {
        desc.push_str(" nexthop");
        if let Some(v) = nh.via {
            let _ = write!(desc, " via {v}");
        }
        if let Some(d) = &nh.dev {
            let _ = write!(desc, " dev {d}");
        }
        let _ = write!(desc, " weight {}", nh.weight);
    }
    let _ = write!(desc, " table {table}");
    if let Some(m) = r.metric {
        let _ = write!(desc, " metric {m}");
    }

    Ok(RouteSpec {
        add,
        del,
        op: r.op,
        desc,
    })
}

fn rule_spec(r: &Rule, names: &dyn Names) -> Result<RuleSpec, ConvertError> {
    let mut addrs: Vec<(&'static str, IpAddr)> = Vec::new();
    if let Some(f) = &r.from {
        addrs.push(("from", f.addr));
    }
    if let Some(t) = &r.to {
        addrs.push(("to", t.addr));
    }
    let v6 = pick_family(r.family_v6, &addrs)?;
    if v6 && r.realms.is_some() {
        return Err(ConvertError::Unsupported {
            option: "realms",
            why: "the kernel only honours realms in IPv4 rules",
        });
    }
    let mut msg = RuleMessage::default();
    msg.header.family = if v6 {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    let a = &mut msg.attributes;
    if let Some(p) = r.priority {
        a.push(RuleAttribute::Priority(p));
    }
    if let Some(f) = &r.from {
        msg.header.src_len = f.len;
        a.push(RuleAttribute::Source(f.addr));
    }
    if let Some(t) = &r.to {
        msg.header.dst_len = t.len;
        a.push(RuleAttribute::Destination(t.addr));
    }
    if r.invert {
        msg.header.flags |= RuleFlags::Invert;
    }
    if let Some(i) = &r.iif {
        a.push(RuleAttribute::Iifname(i.clone()));
    }
    if let Some(o) = &r.oif {
        a.push(RuleAttribute::Oifname(o.clone()));
    }
    if let Some(t) = r.tos {
        msg.header.tos = t;
    }
    if let Some((mark, mask)) = r.fwmark {
        a.push(RuleAttribute::FwMark(mark));
        if let Some(mask) = mask {
            a.push(RuleAttribute::FwMask(mask));
        }
    }
    if let Some(rl) = &r.realms {
        a.push(RuleAttribute::Realm(realm(rl)));
    }
    if let Some(s) = r.suppress_prefixlength {
        a.push(RuleAttribute::SuppressPrefixLen(s));
    }
    if let Some(s) = r.suppress_ifgroup {
        a.push(RuleAttribute::SuppressIfGroup(s));
    }
    if let Some((start, end)) = r.uidrange {
        a.push(RuleAttribute::UidRange(RuleUidRange { start, end }));
    }
    if let Some(p) = r.protocol {
        a.push(RuleAttribute::Protocol(RouteProtocol::from(p)));
    }
    if let Some(p) = r.ipproto {
        a.push(RuleAttribute::IpProtocol(IpProtocol::from(p)));
    }
    if let Some(p) = r.sport {
        a.push(RuleAttribute::SourcePortRange(RulePortRange {
            start: p.start,
            end: p.end,
        }));
    }
    if let Some(p) = r.dport {
        a.push(RuleAttribute::DestinationPortRange(RulePortRange {
            start: p.start,
            end: p.end,
        }));
    }
    if let Some(t) = r.tunnel_id {
        a.push(RuleAttribute::TunId(t));
    }

    // Action. `l3mdev` is a table lookup whose table comes from the
    // device, so it takes no table; otherwise a rule with no action looks
    // up `main`, as with `ip rule add`.
    let action_text;
    if r.l3mdev {
        if let Some(act) = &r.action {
            return Err(ConvertError::Conflict(format!(
                "l3mdev cannot be combined with {act:?}"
            )));
        }
        a.push(RuleAttribute::L3MDev(true));
        msg.header.action = RuleAction::ToTable;
        action_text = "l3mdev".to_string();
    } else {
        let action = r
            .action
            .clone()
            .unwrap_or(CfgRuleAction::Table(RouteTable::Id(RT_TABLE_MAIN)));
        match action {
            CfgRuleAction::Table(t) => {
                let id = resolve_table(&t, names)?;
                msg.header.action = RuleAction::ToTable;
                match u8::try_from(id) {
                    Ok(b) => msg.header.table = b,
                    Err(_) => {
                        msg.header.table = RT_TABLE_UNSPEC as u8;
                        msg.attributes.push(RuleAttribute::Table(id));
                    }
                }
                action_text = format!("lookup {id}");
            }
            CfgRuleAction::Goto(n) => {
                msg.header.action = RuleAction::Goto;
                msg.attributes.push(RuleAttribute::Goto(n));
                action_text = format!("goto {n}");
            }
            CfgRuleAction::Nop => {
                msg.header.action = RuleAction::Nop;
                action_text = "nop".to_string();
            }
            CfgRuleAction::Blackhole => {
                msg.header.action = RuleAction::Blackhole;
                action_text = "blackhole".to_string();
            }
            CfgRuleAction::Unreachable => {
                msg.header.action = RuleAction::Unreachable;
                action_text = "unreachable".to_string();
            }
            CfgRuleAction::Prohibit => {
                msg.header.action = RuleAction::Prohibit;
                action_text = "prohibit".to_string();
            }
        }
    }

    let mut desc = String::new();
    if let Some(p) = r.priority {
        let _ = write!(desc, "{p}: ");
    }
    if r.invert {
        desc.push_str("not ");
    }
    let _ = write!(
        desc,
        "from {}",
        r.from
            .as_ref()
            .map_or("all".to_string(), |p| format!("{}/{}", p.addr, p.len))
    );
    if let Some(t) = &r.to {
        let _ = write!(desc, " to {}/{}", t.addr, t.len);
    }
    if let Some((m, mask)) = r.fwmark {
        let _ = write!(desc, " fwmark {m:#x}");
        if let Some(mask) = mask {
            let _ = write!(desc, "/{mask:#x}");
        }
    }
    let _ = write!(desc, " {action_text}");
    Ok(RuleSpec { msg, desc })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_config::{Location, PortRange, Scope};
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// Names for tests: eth0=2, eth1=3, vrf-blue (table 10).
    struct TestNames(RtTables);

    impl TestNames {
        fn new() -> Self {
            let mut t = RtTables::default();
            t.add_text("# comment\n100 isp1\n0x65 isp2 # trailing\n70000\tbig\n");
            TestNames(t)
        }
    }

    impl Names for TestNames {
        fn ifindex(&self, name: &str) -> Option<u32> {
            match name {
                "eth0" => Some(2),
                "eth1" => Some(3),
                "vrf-blue" => Some(9),
                _ => None,
            }
        }
        fn vrf_table(&self, name: &str) -> Option<u32> {
            (name == "vrf-blue").then_some(10)
        }
        fn table_id(&self, name: &str) -> Option<u32> {
            self.0.get(name)
        }
    }

    fn pfx(s: &str) -> IpPrefix {
        let (a, l) = s.split_once('/').expect("prefix");
        IpPrefix {
            addr: a.parse().expect("addr"),
            len: l.parse().expect("len"),
        }
    }

    fn route(dst: Option<&str>) -> Route {
        Route::new(dst.map(pfx), Location::default())
    }

    fn convert(r: &Route) -> RouteSpec {
        RouteSpec::from_config(r, &TestNames::new()).expect("converts")
    }

    fn has(msg: &RouteMessage, a: &RouteAttribute) -> bool {
        msg.attributes.contains(a)
    }

    fn metrics(msg: &RouteMessage) -> Vec<RouteMetric> {
        msg.attributes
            .iter()
            .find_map(|a| match a {
                RouteAttribute::Metrics(m) => Some(m.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    #[test]
    fn unicast_via_gateway() {
        let mut r = route(Some("192.0.2.0/24"));
        r.via = Some("198.51.100.1".parse().expect("ip"));
        r.dev = Some("eth0".into());
        r.metric = Some(50);
        r.src = Some("198.51.100.10".parse().expect("ip"));
        let s = convert(&r);
        let m = s.add_message();
        assert_eq!(m.header.address_family, AddressFamily::Inet);
        assert_eq!(m.header.kind, NlRouteType::Unicast);
        assert_eq!(m.header.destination_prefix_length, 24);
        assert_eq!(m.header.table, 254);
        assert_eq!(m.header.scope, RouteScope::Universe);
        assert_eq!(m.header.protocol, RouteProtocol::Boot);
        assert!(has(m, &RouteAttribute::Table(254)));
        assert!(has(
            m,
            &RouteAttribute::Destination(RouteAddress::Inet(Ipv4Addr::new(192, 0, 2, 0)))
        ));
        assert!(has(
            m,
            &RouteAttribute::Gateway(RouteAddress::Inet(Ipv4Addr::new(198, 51, 100, 1)))
        ));
        assert!(has(
            m,
            &RouteAttribute::PrefSource(RouteAddress::Inet(Ipv4Addr::new(198, 51, 100, 10)))
        ));
        assert!(has(m, &RouteAttribute::Oif(2)));
        assert!(has(m, &RouteAttribute::Priority(50)));
        // The delete leaves scope and protocol open, like `ip route del`.
        assert_eq!(s.del_message().header.scope, RouteScope::NoWhere);
        assert_eq!(s.del_message().header.protocol, RouteProtocol::Unspec);
        assert_eq!(s.del_message().attributes, m.attributes);
        assert_eq!(
            s.describe(),
            "192.0.2.0/24 via 198.51.100.1 dev eth0 table 254 metric 50"
        );
    }

    #[test]
    fn default_route_and_link_scope() {
        let mut r = route(None);
        r.dev = Some("eth1".into());
        let m = convert(&r).add;
        assert_eq!(m.header.destination_prefix_length, 0);
        assert!(!m
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::Destination(_))));
        // No gateway: a directly connected route, link scope.
        assert_eq!(m.header.scope, RouteScope::Link);
        assert!(has(&m, &RouteAttribute::Oif(3)));
    }

    #[test]
    fn route_types_tables_scopes() {
        let cases = [
            (
                RouteType::Blackhole,
                NlRouteType::BlackHole,
                254,
                RouteScope::Universe,
            ),
            (
                RouteType::Unreachable,
                NlRouteType::Unreachable,
                254,
                RouteScope::Universe,
            ),
            (
                RouteType::Prohibit,
                NlRouteType::Prohibit,
                254,
                RouteScope::Universe,
            ),
            (
                RouteType::Throw,
                NlRouteType::Throw,
                254,
                RouteScope::Universe,
            ),
            (RouteType::Local, NlRouteType::Local, 255, RouteScope::Host),
            (
                RouteType::Broadcast,
                NlRouteType::Broadcast,
                255,
                RouteScope::Link,
            ),
            (
                RouteType::Multicast,
                NlRouteType::Multicast,
                254,
                RouteScope::Link,
            ),
            (
                RouteType::Unicast,
                NlRouteType::Unicast,
                254,
                RouteScope::Link,
            ),
        ];
        for (t, nl, table, scope) in cases {
            let mut r = route(Some("203.0.113.0/24"));
            r.route_type = t;
            let m = convert(&r).add;
            assert_eq!(m.header.kind, nl, "{t:?}");
            assert_eq!(m.header.table, table, "{t:?}");
            assert_eq!(m.header.scope, scope, "{t:?}");
        }
    }

    #[test]
    fn table_by_number_and_name() {
        let mut r = route(Some("192.0.2.0/24"));
        r.route_type = RouteType::Blackhole;
        r.table = Some(RouteTable::Id(100));
        let m = convert(&r).add;
        assert_eq!(m.header.table, 100);
        assert!(has(&m, &RouteAttribute::Table(100)));

        r.table = Some(RouteTable::Name("isp2".into()));
        assert_eq!(convert(&r).add.header.table, 0x65);

        // Above 255 only the attribute can carry it.
        r.table = Some(RouteTable::Name("big".into()));
        let m = convert(&r).add;
        assert_eq!(m.header.table, 0);
        assert!(has(&m, &RouteAttribute::Table(70000)));

        r.table = Some(RouteTable::Name("nosuch".into()));
        assert_eq!(
            RouteSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::UnknownTable("nosuch".into()))
        );
    }

    #[test]
    fn vrf_sets_table() {
        let mut r = route(Some("192.0.2.0/24"));
        r.vrf = Some("vrf-blue".into());
        assert_eq!(convert(&r).add.header.table, 10);
        r.table = Some(RouteTable::Id(11));
        assert!(matches!(
            RouteSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::Conflict(_))
        ));
        r.table = None;
        r.vrf = Some("eth0".into());
        assert_eq!(
            RouteSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::NoSuchVrf("eth0".into()))
        );
    }

    #[test]
    fn header_fields_and_ipv4_extras() {
        let mut r = route(Some("192.0.2.0/24"));
        r.via = Some("198.51.100.1".parse().expect("ip"));
        r.scope = Some(Scope::Site);
        r.protocol = Some(18);
        r.tos = Some(0x10);
        r.onlink = true;
        r.realms = Some(Realms {
            from: Some(3),
            to: 4,
        });
        let s = convert(&r);
        let m = &s.add;
        assert_eq!(m.header.scope, RouteScope::Site);
        assert_eq!(m.header.protocol, RouteProtocol::KeepAlived);
        assert_eq!(m.header.tos, 0x10);
        assert!(m.header.flags.contains(RouteFlags::Onlink));
        assert!(has(
            m,
            &RouteAttribute::Realm(RouteRealm {
                source: 3,
                destination: 4
            })
        ));
        // Configured scope and protocol are kept on delete.
        assert_eq!(s.del.header.scope, RouteScope::Site);
        assert_eq!(s.del.header.protocol, RouteProtocol::KeepAlived);
    }

    #[test]
    fn all_metrics_and_locks() {
        let mut r = route(Some("192.0.2.0/24"));
        let m = |value, lock| Some(Metric { value, lock });
        r.mtu = m(1400, true);
        r.advmss = m(1360, false);
        r.hoplimit = m(32, false);
        r.rtt = Some(TimeMetric {
            us: 10_000,
            lock: false,
        });
        r.rttvar = Some(TimeMetric {
            us: 5_000,
            lock: false,
        });
        r.rto_min = Some(TimeMetric {
            us: 200_000,
            lock: true,
        });
        r.reordering = m(3, false);
        r.window = m(65535, false);
        r.cwnd = m(10, false);
        r.ssthresh = m(20, false);
        r.initcwnd = m(30, false);
        r.initrwnd = m(40, false);
        r.features_ecn = true;
        r.quickack = Some(true);
        r.congctl = Some(("cubic".into(), true));
        r.fastopen_no_cookie = Some(false);
        let got = metrics(&convert(&r).add);
        let lock = (1 << RTAX_MTU) | (1 << RTAX_RTO_MIN) | (1 << RTAX_CC_ALGO);
        assert_eq!(
            got,
            vec![
                RouteMetric::Lock(lock),
                RouteMetric::Mtu(1400),
                RouteMetric::Advmss(1360),
                RouteMetric::Hoplimit(32),
                RouteMetric::Rtt(80),
                RouteMetric::RttVar(20),
                RouteMetric::Reordering(3),
                RouteMetric::Window(65535),
                RouteMetric::Cwnd(10),
                RouteMetric::SsThresh(20),
                RouteMetric::RtoMin(200),
                RouteMetric::InitCwnd(30),
                RouteMetric::InitRwnd(40),
                RouteMetric::Features(RTAX_FEATURE_ECN),
                RouteMetric::QuickAck(1),
                RouteMetric::CcAlgo("cubic".into()),
                RouteMetric::FastopenNoCookie(0),
            ]
        );
        // No metrics at all: no RTA_METRICS attribute.
        let plain = convert(&route(Some("192.0.2.0/24"))).add;
        assert!(!plain
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::Metrics(_))));
    }

    #[test]
    fn multipath_with_weights() {
        let mut r = route(Some("203.0.113.0/24"));
        r.nexthops = vec![
            NextHop {
                via: Some("192.0.2.1".parse().expect("ip")),
                dev: Some("eth0".into()),
                weight: 1,
                onlink: false,
                location: Location::default(),
            },
            NextHop {
                via: Some("198.51.100.1".parse().expect("ip")),
                dev: Some("eth1".into()),
                weight: 256,
                onlink: true,
                location: Location::default(),
            },
        ];
        let m = convert(&r).add;
        // Gateways in the nexthops: universe scope, not link.
        assert_eq!(m.header.scope, RouteScope::Universe);
        let hops = m
            .attributes
            .iter()
            .find_map(|a| match a {
                RouteAttribute::MultiPath(h) => Some(h.clone()),
                _ => None,
            })
            .expect("multipath");
        assert_eq!(hops.len(), 2);
        assert_eq!(hops[0].hops, 0);
        assert_eq!(hops[0].interface_index, 2);
        assert!(hops[0].flags.is_empty());
        assert_eq!(
            hops[0].attributes,
            vec![RouteAttribute::Gateway(RouteAddress::Inet(Ipv4Addr::new(
                192, 0, 2, 1
            )))]
        );
        assert_eq!(hops[1].hops, 255);
        assert_eq!(hops[1].interface_index, 3);
        assert!(hops[1].flags.contains(RouteNextHopFlags::Onlink));

        r.nexthops[1].dev = Some("nosuch".into());
        assert_eq!(
            RouteSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::NoSuchInterface("nosuch".into()))
        );
    }

    #[test]
    fn ipv6_route_options() {
        let mut r = route(Some("2001:db8:1::/48"));
        r.via = Some("2001:db8::1".parse().expect("ip"));
        r.from = Some(pfx("2001:db8:2::/64"));
        r.pref = Some(RoutePref::High);
        r.expires_s = Some(600);
        let m = convert(&r).add;
        assert_eq!(m.header.address_family, AddressFamily::Inet6);
        assert_eq!(m.header.destination_prefix_length, 48);
        assert_eq!(m.header.source_prefix_length, 64);
        let gw: Ipv6Addr = "2001:db8::1".parse().expect("ip");
        assert!(has(&m, &RouteAttribute::Gateway(RouteAddress::Inet6(gw))));
        assert!(has(&m, &RouteAttribute::Preference(RoutePreference::High)));
        assert!(has(&m, &RouteAttribute::Expires(600)));
        assert!(has(
            &m,
            &RouteAttribute::Source(RouteAddress::Inet6("2001:db8:2::".parse().expect("ip")))
        ));
    }

    #[test]
    fn ipv4_route_via_ipv6_uses_rta_via() {
        let mut r = route(Some("192.0.2.0/24"));
        r.via = Some("2001:db8::1".parse().expect("ip"));
        r.dev = Some("eth0".into());
        let m = convert(&r).add;
        assert_eq!(m.header.address_family, AddressFamily::Inet);
        assert!(has(
            &m,
            &RouteAttribute::Via(RouteVia::Inet6("2001:db8::1".parse().expect("ip")))
        ));
    }

    #[test]
    fn family_selection() {
        let mut r = route(None);
        r.family_v6 = Some(true);
        r.route_type = RouteType::Unreachable;
        assert_eq!(convert(&r).add.header.address_family, AddressFamily::Inet6);
        r.family_v6 = None;
        assert_eq!(convert(&r).add.header.address_family, AddressFamily::Inet);

        let mut r = route(Some("192.0.2.0/24"));
        r.family_v6 = Some(true);
        assert!(matches!(
            RouteSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::FamilyMismatch(_))
        ));
        let mut r = route(Some("192.0.2.0/24"));
        r.src = Some("2001:db8::1".parse().expect("ip"));
        assert!(matches!(
            RouteSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::FamilyMismatch(_))
        ));
    }

    #[test]
    fn inexpressible_route_options_are_errors() {
        let n = TestNames::new();
        let unsupported = |r: &Route| match RouteSpec::from_config(r, &n) {
            Err(ConvertError::Unsupported { option, .. }) => option,
            other => panic!("expected Unsupported, got {other:?}"),
        };
        let mut r = route(Some("192.0.2.0/24"));
        r.encap = Some(vec!["mpls".into(), "100".into()]);
        assert_eq!(unsupported(&r), "encap");

        let mut r = route(Some("192.0.2.0/24"));
        r.pref = Some(RoutePref::Low);
        assert_eq!(unsupported(&r), "pref");
        let mut r = route(Some("192.0.2.0/24"));
        r.expires_s = Some(1);
        assert_eq!(unsupported(&r), "expires");
        let mut r = route(Some("192.0.2.0/24"));
        r.from = Some(pfx("198.51.100.0/24"));
        assert_eq!(unsupported(&r), "from");

        let mut r = route(Some("2001:db8::/32"));
        r.realms = Some(Realms { from: None, to: 1 });
        assert_eq!(unsupported(&r), "realms");

        let mut r = route(Some("192.0.2.0/24"));
        r.ttl_propagate = Some(true);
        assert_eq!(unsupported(&r), "ttl-propagate");

        let mut r = route(Some("192.0.2.0/24"));
        r.dev = Some("nosuch".into());
        assert_eq!(
            RouteSpec::from_config(&r, &n),
            Err(ConvertError::NoSuchInterface("nosuch".into()))
        );
    }

    #[test]
    fn route_op_is_kept() {
        let mut r = route(Some("192.0.2.0/24"));
        r.op = RouteOp::Append;
        assert_eq!(convert(&r).op(), RouteOp::Append);
    }

    fn rule() -> Rule {
        Rule::new(Location::default())
    }

    fn convert_rule(r: &Rule) -> RuleMessage {
        RuleSpec::from_config(r, &TestNames::new())
            .expect("converts")
            .msg
    }

    #[test]
    fn rule_from_table_priority() {
        let mut r = rule();
        r.from = Some(pfx("198.51.100.0/24"));
        r.action = Some(CfgRuleAction::Table(RouteTable::Id(100)));
        r.priority = Some(100);
        let spec = RuleSpec::from_config(&r, &TestNames::new()).expect("converts");
        let m = spec.message();
        assert_eq!(m.header.family, AddressFamily::Inet);
        assert_eq!(m.header.src_len, 24);
        assert_eq!(m.header.table, 100);
        assert_eq!(m.header.action, RuleAction::ToTable);
        assert!(m
            .attributes
            .contains(&RuleAttribute::Source("198.51.100.0".parse().expect("ip"))));
        assert!(m.attributes.contains(&RuleAttribute::Priority(100)));
        assert_eq!(spec.describe(), "100: from 198.51.100.0/24 lookup 100");
    }

    #[test]
    fn rule_default_is_lookup_main() {
        let m = convert_rule(&rule());
        assert_eq!(m.header.action, RuleAction::ToTable);
        assert_eq!(m.header.table, 254);
        assert_eq!(m.header.family, AddressFamily::Inet);
    }

    #[test]
    fn rule_all_selectors() {
        let mut r = rule();
        r.to = Some(pfx("2001:db8::/32"));
        r.invert = true;
        r.iif = Some("eth0".into());
        r.oif = Some("eth1".into());
        r.tos = Some(0x10);
        r.fwmark = Some((0x10, Some(0xff)));
        r.suppress_prefixlength = Some(0);
        r.suppress_ifgroup = Some(5);
        r.uidrange = Some((1000, 2000));
        r.protocol = Some(18);
        r.ipproto = Some(6);
        r.sport = Some(PortRange { start: 80, end: 80 });
        r.dport = Some(PortRange {
            start: 1000,
            end: 2000,
        });
        r.tunnel_id = Some(42);
        r.action = Some(CfgRuleAction::Table(RouteTable::Name("big".into())));
        let m = convert_rule(&r);
        assert_eq!(m.header.family, AddressFamily::Inet6);
        assert_eq!(m.header.dst_len, 32);
        assert_eq!(m.header.tos, 0x10);
        assert!(m.header.flags.contains(RuleFlags::Invert));
        assert_eq!(m.header.table, 0);
        for a in [
            RuleAttribute::Destination("2001:db8::".parse().expect("ip")),
            RuleAttribute::Iifname("eth0".into()),
            RuleAttribute::Oifname("eth1".into()),
            RuleAttribute::FwMark(0x10),
            RuleAttribute::FwMask(0xff),
            RuleAttribute::SuppressPrefixLen(0),
            RuleAttribute::SuppressIfGroup(5),
            RuleAttribute::UidRange(RuleUidRange {
                start: 1000,
                end: 2000,
            }),
            RuleAttribute::Protocol(RouteProtocol::KeepAlived),
            RuleAttribute::IpProtocol(IpProtocol::Tcp),
            RuleAttribute::SourcePortRange(RulePortRange { start: 80, end: 80 }),
            RuleAttribute::DestinationPortRange(RulePortRange {
                start: 1000,
                end: 2000,
            }),
            RuleAttribute::TunId(42),
            RuleAttribute::Table(70000),
        ] {
            assert!(m.attributes.contains(&a), "missing {a:?}");
        }
        // fwmark without a mask sends no mask (the kernel then uses all bits).
        let mut r = rule();
        r.fwmark = Some((7, None));
        let m = convert_rule(&r);
        assert!(m.attributes.contains(&RuleAttribute::FwMark(7)));
        assert!(!m
            .attributes
            .iter()
            .any(|a| matches!(a, RuleAttribute::FwMask(_))));
    }

    #[test]
    fn rule_actions() {
        let cases = [
            (CfgRuleAction::Goto(200), RuleAction::Goto),
            (CfgRuleAction::Nop, RuleAction::Nop),
            (CfgRuleAction::Blackhole, RuleAction::Blackhole),
            (CfgRuleAction::Unreachable, RuleAction::Unreachable),
            (CfgRuleAction::Prohibit, RuleAction::Prohibit),
        ];
        for (cfg, nl) in cases {
            let mut r = rule();
            r.action = Some(cfg.clone());
            let m = convert_rule(&r);
            assert_eq!(m.header.action, nl, "{cfg:?}");
            assert_eq!(m.header.table, 0, "{cfg:?}");
        }
        let mut r = rule();
        r.action = Some(CfgRuleAction::Goto(200));
        assert!(convert_rule(&r)
            .attributes
            .contains(&RuleAttribute::Goto(200)));
    }

    #[test]
    fn rule_realms_and_l3mdev() {
        let mut r = rule();
        r.realms = Some(Realms { from: None, to: 7 });
        assert!(convert_rule(&r)
            .attributes
            .contains(&RuleAttribute::Realm(RouteRealm {
                source: 0,
                destination: 7
            })));
        r.family_v6 = Some(true);
        assert!(matches!(
            RuleSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::Unsupported {
                option: "realms",
                ..
            })
        ));

        let mut r = rule();
        r.l3mdev = true;
        let m = convert_rule(&r);
        assert!(m.attributes.contains(&RuleAttribute::L3MDev(true)));
        assert_eq!(m.header.action, RuleAction::ToTable);
        assert_eq!(m.header.table, 0);
        r.action = Some(CfgRuleAction::Table(RouteTable::Id(5)));
        assert!(matches!(
            RuleSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::Conflict(_))
        ));
    }

    #[test]
    fn rule_family_mismatch() {
        let mut r = rule();
        r.from = Some(pfx("198.51.100.0/24"));
        r.to = Some(pfx("2001:db8::/32"));
        assert!(matches!(
            RuleSpec::from_config(&r, &TestNames::new()),
            Err(ConvertError::FamilyMismatch(_))
        ));
    }

    #[test]
    fn rt_tables_parsing() {
        let n = TestNames::new();
        assert_eq!(n.0.get("main"), Some(254));
        assert_eq!(n.0.get("local"), Some(255));
        assert_eq!(n.0.get("default"), Some(253));
        assert_eq!(n.0.get("isp1"), Some(100));
        assert_eq!(n.0.get("isp2"), Some(101));
        assert_eq!(n.0.get("big"), Some(70000));
        assert_eq!(n.0.get("trailing"), None);
        assert_eq!(n.0.get("comment"), None);
    }
}
