//! Address entries: `virtual_ipaddress`, `virtual_ipaddress_excluded` and
//! `static_ipaddress` (reference §2.8), in `ip address add` terms.

use super::Location;
use std::net::{IpAddr, Ipv4Addr};

/// `scope` of an address or route: the names of `ip(8)` or a raw 0..255 value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Site,
    Link,
    Host,
    Nowhere,
    /// A numeric scope that has no name (`scope 17`).
    Other(u8),
}

impl Scope {
    /// The kernel's `RT_SCOPE_*` value.
    pub fn value(self) -> u8 {
        match self {
            Scope::Global => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
            Scope::Other(v) => v,
        }
    }
}

/// `brd|broadcast IP|+|-` (IPv4 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broadcast {
    Addr(Ipv4Addr),
    /// `brd +`: the host bits set.
    HostBitsSet,
    /// `brd -`: the host bits cleared.
    HostBitsClear,
}

/// `preferred_lft N|forever`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferredLft {
    Seconds(u32),
    Forever,
}

/// One address entry: `ADDR[/PREFIX] [dev IF] [brd …] [scope …] [label L]
/// [peer IP[/P]] [home] [-nodad] [mngtmpaddr] [noprefixroute] [autojoin]
/// [no_track] [preferred_lft N|forever] [use_vmac] [track_group G]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualIp {
    pub addr: IpAddr,
    /// Prefix length; defaults to 32 (IPv4) or 128 (IPv6).
    pub prefix_len: u8,
    /// `dev IF`; `None` = the instance's interface (static: `default_interface`).
    pub dev: Option<String>,
    /// `label L` (IPv4 only).
    pub label: Option<String>,
    pub broadcast: Option<Broadcast>,
    /// `scope` (IPv4 only; keepalived ignores it for IPv6).
    pub scope: Option<Scope>,
    /// `peer IP[/P]`: point-to-point peer, with its prefix length.
    pub peer: Option<(IpAddr, u8)>,
    /// `home` (IPv6 mobile home address).
    pub home: bool,
    /// `-nodad`: keepalived adds IPv6 VIPs with `nodad` (no duplicate
    /// address detection) by default; `-nodad` turns that off, i.e. DAD runs.
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    /// `no_track`: losing the address does not take the instance out of MASTER.
    pub no_track: bool,
    /// `preferred_lft` as written; `None` = keepalived's default (0 for an
    /// IPv6 /128, which marks it deprecated so it is not used as a source;
    /// forever otherwise).
    pub preferred_lft: Option<PreferredLft>,
    /// `use_vmac` (VIPs only): put this address on the instance's VMAC.
    pub use_vmac: bool,
    /// `track_group G` (static addresses only).
    pub track_group: Option<String>,
    pub location: Location,
}

impl VirtualIp {
    /// A bare `ADDR/PREFIX` entry with every option at its default.
    pub fn new(addr: IpAddr, prefix_len: u8, location: Location) -> Self {
        VirtualIp {
            addr,
            prefix_len,
            dev: None,
            label: None,
            broadcast: None,
            scope: None,
            peer: None,
            home: false,
            nodad: false,
            mngtmpaddr: false,
            noprefixroute: false,
            autojoin: false,
            no_track: false,
            preferred_lft: None,
            use_vmac: false,
            track_group: None,
            location,
        }
    }
}
