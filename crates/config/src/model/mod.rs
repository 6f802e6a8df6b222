//! Typed model of the VRRP side of keepalived.conf.
//!
//! Times are integer microseconds (`*_us`), never floats: keepalived reads decimal
//! seconds and so do we, but they are converted to integer units at parse time.

mod script;
mod track;
pub use script::*;
pub use track::*;

use std::net::IpAddr;
use std::path::PathBuf;

/// Where a token came from, for diagnostics (`file:line:col`, 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
    pub col: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
    }
}

/// The whole parsed configuration (VRRP side).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub global: GlobalDefs,
    pub instances: Vec<VrrpInstance>,
}

/// `global_defs { }` values that matter to VRRP.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalDefs {
    /// `router_id`; `None` means "use the host name".
    pub router_id: Option<String>,
    /// `vrrp_version`, 2 or 3 (default 2).
    pub vrrp_version: u8,
    /// `vrrp_garp_master_delay` in whole seconds (default 5; 0 = no second burst).
    pub garp_master_delay_s: u32,
    /// `vrrp_garp_master_repeat` (default 5, 0 becomes 1).
    pub garp_master_repeat: u32,
    /// `vrrp_mcast_group4` (default 224.0.0.18).
    pub mcast_group4: std::net::Ipv4Addr,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: 2,
            garp_master_delay_s: 5,
            garp_master_repeat: 5,
            mcast_group4: std::net::Ipv4Addr::new(224, 0, 0, 18),
        }
    }
}

/// `state` keyword of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    Master,
    Backup,
}

/// `authentication { auth_type PASS; auth_pass X }` (VRRPv2 only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Simple text password, truncated/zero-padded to 8 bytes.
    Pass([u8; 8]),
}

/// One `virtual_ipaddress` entry: `ADDR[/PREFIX] [dev IF] [label L]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualIp {
    pub addr: IpAddr,
    /// Prefix length; defaults to 32 (IPv4) or 128 (IPv6).
    pub prefix_len: u8,
    /// `dev IF`; `None` = the instance's interface.
    pub dev: Option<String>,
    /// `label L` (IPv4 only).
    pub label: Option<String>,
    pub location: Location,
}

/// One `vrrp_instance NAME { }` block, with keepalived's defaults and
/// normalisations already applied (see the reference, §2.3 and §3.3).
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpInstance {
    pub name: String,
    /// Configured `state`; the effective start state.
    pub state: InitialState,
    pub interface: Option<String>,
    pub virtual_router_id: u8,
    /// Base priority 1..=255 (255 = address owner).
    pub priority: u8,
    /// Advertisement interval in microseconds, already normalised for the version
    /// (v2: whole seconds 1..=255; v3: multiple of 10 ms, 10 ms..=40.95 s).
    pub advert_int_us: u64,
    /// 2 or 3.
    pub version: u8,
    pub nopreempt: bool,
    /// `preempt_delay` in microseconds (0 = none).
    pub preempt_delay_us: u64,
    pub virtual_ipaddress: Vec<VirtualIp>,
    pub authentication: Option<Authentication>,
    pub unicast_src_ip: Option<IpAddr>,
    pub unicast_peers: Vec<IpAddr>,
    /// `garp_master_delay` (instance value or the global default at allocation).
    pub garp_master_delay_s: u32,
    /// `garp_master_repeat` (instance value or the global default at allocation).
    pub garp_master_repeat: u32,
    /// `track_*` entries of the instance, in order.
    pub track: Vec<TrackRef>,
    /// Where the `vrrp_instance` keyword was.
    pub location: Location,
}
