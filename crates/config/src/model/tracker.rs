//! Tracker definitions at the root level: `vrrp_script`, `vrrp_track_process`,
//! `track_file`, plus the small root blocks `track_group`, `garp_group`,
//! `linkbeat_interfaces`, `interface_up_down_delays` (reference §2.1, §2.5–2.7).

use super::{Location, RunAs, Script};
use std::path::PathBuf;

/// `vrrp_script NAME { }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: String,
    pub script: Script,
    /// `interval` in µs, millisecond resolution (default 1 s; 0 becomes 1 s).
    pub interval_us: u64,
    /// `timeout` in µs (default = interval; 0 becomes 1 s).
    pub timeout_us: u64,
    /// `weight` -253..253 (default 0).
    pub weight: i32,
    /// `weight W reverse`.
    pub weight_reverse: bool,
    /// `rise` 1..INT_MAX (default 1).
    pub rise: u32,
    /// `fall` 1..INT_MAX (default 1).
    pub fall: u32,
    /// `user USER [GROUP]`; `None` = the global script user.
    pub user: Option<RunAs>,
    /// `init_fail`: start in the failed state.
    pub init_fail: bool,
    pub location: Location,
}

/// `param_match` of a `vrrp_track_process`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParamMatch {
    /// Not given: parameters (if any) must match exactly.
    #[default]
    Unset,
    /// Bare `param_match`: exact match.
    Exact,
    /// `param_match initial`: the configured parameters are a prefix.
    Initial,
    /// `param_match partial`: the configured parameters appear anywhere.
    Partial,
}

/// `vrrp_track_process NAME { }` (§2.6, §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    /// `process NAME`: the program name (or full path with `full_command`).
    pub process: String,
    /// Parameters after the name on the `process` line.
    pub params: Vec<String>,
    pub param_match: ParamMatch,
    /// `weight` -254..254 (default 0).
    pub weight: i32,
    pub weight_reverse: bool,
    /// `quorum` 1..65535 (default 1).
    pub quorum: u32,
    /// `quorum_max` 0..65535; `None` = unlimited.
    pub quorum_max: Option<u32>,
    /// `delay` in µs (sets both fork and terminate delays); `None` = not set.
    pub delay_us: Option<u64>,
    pub fork_delay_us: Option<u64>,
    pub terminate_delay_us: Option<u64>,
    /// `full_command`: match against the full command line.
    pub full_command: bool,
    pub location: Location,
}

/// `init_file [VALUE] [overwrite]` of a `track_file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitFile {
    /// Value written (default 0).
    pub value: i64,
    /// Write it even when the file exists.
    pub overwrite: bool,
}

/// `track_file NAME { }` (`vrrp_track_file` is the deprecated spelling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub file: PathBuf,
    /// `weight` -254..254 (default **1**).
    pub weight: i32,
    pub weight_reverse: bool,
    pub init_file: Option<InitFile>,
    pub location: Location,
}

/// `track_group NAME { group { INSTANCE... } }`: instances whose state a
/// static address/route/rule with `track_group NAME` follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackGroup {
    pub name: String,
    pub members: Vec<String>,
    pub location: Location,
}

/// `garp_group { garp_interval S; gna_interval S; interface IF; interfaces { IF... } }`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GarpGroup {
    pub garp_interval_us: Option<u64>,
    pub gna_interval_us: Option<u64>,
    pub interfaces: Vec<String>,
    pub location: Location,
}

/// How link state of a `linkbeat_interfaces` entry is polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkbeatKind {
    #[default]
    Default,
    Mii,
    Ethtool,
    Ioctl,
}

/// One `linkbeat_interfaces` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkbeatInterface {
    pub name: String,
    pub kind: LinkbeatKind,
    pub location: Location,
}

/// One `interface_up_down_delays` entry: `IF DOWN_SECS [UP_SECS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDelay {
    pub name: String,
    /// 0..255 s in µs.
    pub down_us: u64,
    /// Defaults to `down_us`.
    pub up_us: u64,
    pub location: Location,
}
