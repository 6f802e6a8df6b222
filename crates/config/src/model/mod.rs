//! Typed model of the VRRP side of keepalived.conf.
//!
//! Times are integer microseconds (`*_us`), never floats: keepalived reads decimal
//! seconds and so do we, but they are converted to integer units at parse time.

mod address;
mod global;
mod instance_opts;
mod route;
mod rule;
mod script;
mod source_path;
mod sync;
mod track;
mod tracker;
pub use address::*;
pub use global::*;
pub use instance_opts::*;
pub use route::*;
pub use rule::*;
pub use script::*;
pub use source_path::*;
pub use sync::*;
pub use track::*;
pub use tracker::*;

use std::net::IpAddr;

/// Where a token came from, for diagnostics (`file:line:col`, 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: SourcePath,
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
    /// Root `static_ipaddress { }` entries (installed regardless of VRRP state).
    pub static_ipaddress: Vec<VirtualIp>,
    /// Root `static_routes { }` entries.
    pub static_routes: Vec<Route>,
    /// Root `static_rules { }` entries.
    pub static_rules: Vec<Rule>,
    /// Root-level global keywords (`net_namespace`, `instance`, ...).
    pub root: RootGlobals,
    /// `vrrp_script` blocks, in file order.
    pub scripts: Vec<VrrpScript>,
    /// `vrrp_track_process` blocks.
    pub track_processes: Vec<TrackProcess>,
    /// `track_file` / `vrrp_track_file` blocks.
    pub track_files: Vec<TrackFile>,
    /// `vrrp_sync_group` blocks (members resolved after parsing).
    pub sync_groups: Vec<SyncGroup>,
    /// `track_group` blocks.
    pub track_groups: Vec<TrackGroup>,
    /// `garp_group` blocks.
    pub garp_groups: Vec<GarpGroup>,
    /// `linkbeat_interfaces` entries.
    pub linkbeat_interfaces: Vec<LinkbeatInterface>,
    /// `interface_up_down_delays` entries.
    pub interface_delays: Vec<InterfaceDelay>,
    /// Names of `bfd_instance` blocks (skipped; kept so `track_bfd` entries
    /// naming them are not reported as undefined).
    pub bfd_instances: Vec<String>,
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
    /// IPSEC-AH (RFC 2402 HMAC-MD5-96), keyed with the password as for PASS.
    Ah([u8; 8]),
}

/// One `vrrp_instance NAME { }` block, with keepalived's defaults and
/// normalisations already applied (see the reference, §2.3 and §3.3).
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpInstance {
    pub name: String,
    /// Configured `state`; the effective start state.
    pub state: InitialState,
    pub interface: Option<String>,
    /// Where `interface` was written (for messages about that interface).
    pub interface_location: Option<Location>,
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
    /// Every other instance keyword (reference §2.3), typed.
    /// Boxed to keep `VrrpInstance` small: big configurations hold many.
    pub opts: Box<InstanceOpts>,
    /// Where the `vrrp_instance` keyword was.
    pub location: Location,
}
