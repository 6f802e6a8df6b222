//! `virtual_routes` / `static_routes` entries (reference §2.9), in
//! `ip route add` terms.

use super::{Location, Scope};
use std::net::IpAddr;

/// An address with a prefix length (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

/// Route type (`ip route` TYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouteType {
    #[default]
    Unicast,
    Local,
    Broadcast,
    Multicast,
    Throw,
    Unreachable,
    Prohibit,
    Blackhole,
}

/// `table N|NAME` (routes) and `table|lookup` (rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTable {
    /// A number, or a standard name resolved (`main` 254, `local` 255,
    /// `default` 253).
    Id(u32),
    /// A name to look up in iproute2's `rt_tables` at run time.
    Name(String),
}

/// `add|prepend|append` (how the route is installed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RouteOp {
    #[default]
    Add,
    Prepend,
    Append,
}

/// `pref low|medium|high` (IPv6 router preference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutePref {
    Low,
    Medium,
    High,
}

/// A route metric value, with `lock` (`mtu lock 1400`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub value: u32,
    pub lock: bool,
}

/// A route metric that is a time (`rtt 10ms`), in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeMetric {
    pub us: u64,
    pub lock: bool,
}

/// `realms [FROM/]TO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Realms {
    pub from: Option<u16>,
    pub to: u16,
}

/// One `nexthop via IP [dev IF] [weight N] [onlink]` of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// 1..256 (default 1).
    pub weight: u16,
    pub onlink: bool,
    pub location: Location,
}

/// One route entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub route_type: RouteType,
    /// Destination; `None` = `default`.
    pub dst: Option<IpPrefix>,
    /// `src IP`: preferred source address.
    pub src: Option<IpAddr>,
    /// `from PREFIX`: source prefix (IPv6 source routing).
    pub from: Option<IpPrefix>,
    /// `via IP` (`gw` is the deprecated spelling).
    pub via: Option<IpAddr>,
    /// `dev|oif IF`.
    pub dev: Option<String>,
    pub table: Option<RouteTable>,
    /// `metric|priority|preference N`.
    pub metric: Option<u32>,
    pub scope: Option<Scope>,
    /// `protocol N|NAME` as a number; `None` = the kernel's default (`boot`).
    pub protocol: Option<u8>,
    pub tos: Option<u8>,
    pub onlink: bool,
    pub realms: Option<Realms>,
    pub mtu: Option<Metric>,
    pub advmss: Option<Metric>,
    pub hoplimit: Option<Metric>,
    pub rtt: Option<TimeMetric>,
    pub rttvar: Option<TimeMetric>,
    pub reordering: Option<Metric>,
    pub window: Option<Metric>,
    pub cwnd: Option<Metric>,
    pub ssthresh: Option<Metric>,
    pub rto_min: Option<TimeMetric>,
    pub initcwnd: Option<Metric>,
    pub initrwnd: Option<Metric>,
    /// `features ecn`.
    pub features_ecn: bool,
    pub quickack: Option<bool>,
    /// `congctl [lock] NAME`.
    pub congctl: Option<(String, bool)>,
    pub pref: Option<RoutePref>,
    pub fastopen_no_cookie: Option<bool>,
    /// `ttl-propagate enabled|disabled`.
    pub ttl_propagate: Option<bool>,
    /// `expires N` seconds.
    pub expires_s: Option<u32>,
    pub nexthops: Vec<NextHop>,
    /// `encap …` words as written (not interpreted yet).
    pub encap: Option<Vec<String>>,
    pub vrf: Option<String>,
    /// `inet|inet6` when given explicitly.
    pub family_v6: Option<bool>,
    pub op: RouteOp,
    pub no_track: bool,
    /// `track_group G` (static routes only).
    pub track_group: Option<String>,
    pub location: Location,
}

impl Route {
    /// A route to `dst` with every option at its default.
    pub fn new(dst: Option<IpPrefix>, location: Location) -> Self {
        Route {
            route_type: RouteType::Unicast,
            dst,
            src: None,
            from: None,
            via: None,
            dev: None,
            table: None,
            metric: None,
            scope: None,
            protocol: None,
            tos: None,
            onlink: false,
            realms: None,
            mtu: None,
            advmss: None,
            hoplimit: None,
            rtt: None,
            rttvar: None,
            reordering: None,
            window: None,
            cwnd: None,
            ssthresh: None,
            rto_min: None,
            initcwnd: None,
            initrwnd: None,
            features_ecn: false,
            quickack: None,
            congctl: None,
            pref: None,
            fastopen_no_cookie: None,
            ttl_propagate: None,
            expires_s: None,
            nexthops: Vec::new(),
            encap: None,
            vrf: None,
            family_v6: None,
            op: RouteOp::Add,
            no_track: false,
            track_group: None,
            location,
        }
    }
}
