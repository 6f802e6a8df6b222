//! Typed values of the less common `vrrp_instance` keywords (reference §2.3).

use super::Location;
use std::net::IpAddr;

/// One `unicast_peer { IP [min_ttl N] [max_ttl N] }` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    /// `min_ttl`, 0..255 (setting it turns on `check_unicast_src`).
    pub min_ttl: Option<u8>,
    /// `max_ttl`, 0..255 (setting it turns on `check_unicast_src`).
    pub max_ttl: Option<u8>,
    pub location: Location,
}

/// `use_vmac [[name] IFNAME] [MAC] [netlink_notify_msg] [group G]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vmac {
    /// Interface name; `None` = `vrrp.<VRID>` chosen at run time.
    pub name: Option<String>,
    /// Configured MAC (a 5-octet MAC gets the VRID as 6th octet); `None` =
    /// the RFC virtual MAC. Cleared in strict mode.
    pub mac: Option<[u8; 6]>,
    pub netlink_notify_msg: bool,
    /// `group G`: interface group of the macvlan.
    pub group: Option<u32>,
}

/// Mode of `use_ipvlan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpvlanMode {
    #[default]
    Bridge,
    Private,
    Vepa,
}

/// `use_ipvlan [[name] IF] [IP[/P]] [bridge|private|vepa] [group G]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipvlan {
    pub name: Option<String>,
    pub addr: Option<(IpAddr, u8)>,
    pub mode: IpvlanMode,
    pub group: Option<u32>,
}

/// `garp_extra_if [all] SECS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpExtraIf {
    /// `all`: every interface carrying VIPs, not only VMACs.
    pub all: bool,
    /// 0..86400 seconds.
    pub interval_s: u32,
}

/// `old_unicast_checksum [never]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OldUnicastChecksum {
    /// Not configured: detect from received adverts.
    #[default]
    Auto,
    /// Bare keyword: always use the pre-2.2 checksum.
    Always,
    /// `never`: never use it, not even when a peer does.
    Never,
}

/// The `notify*` scripts of an instance (§6); `None` = not configured.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotifyScripts {
    pub master: Option<super::Script>,
    pub backup: Option<super::Script>,
    pub fault: Option<super::Script>,
    pub stop: Option<super::Script>,
    /// Generic `notify` (gets type, name, state and priority appended).
    pub notify: Option<super::Script>,
    pub master_rx_lower_pri: Option<super::Script>,
    /// `notify_deleted [script]`: report DELETED instead of FAULT on removal.
    pub deleted: bool,
    pub deleted_script: Option<super::Script>,
}

/// No scripts configured (what a [`NotifyBox`] reads as until written).
const NO_NOTIFY: NotifyScripts = NotifyScripts {
    master: None,
    backup: None,
    fault: None,
    stop: None,
    notify: None,
    master_rx_lower_pri: None,
    deleted: false,
    deleted_script: None,
};

/// [`NotifyScripts`] allocated only when an instance configures one.
///
/// Most instances have no notify scripts, and the eight slots take 848 bytes:
/// inline or eagerly boxed, a 10,000-instance configuration would carry 8 MB
/// of empty slots. Reads go through `Deref` (an absent box reads as "none
/// configured"); the first write allocates. Equality and `Debug` look at the
/// contents, so an allocated-but-empty box equals an absent one.
#[derive(Clone, Default)]
pub struct NotifyBox(Option<Box<NotifyScripts>>);

impl std::ops::Deref for NotifyBox {
    type Target = NotifyScripts;
    fn deref(&self) -> &NotifyScripts {
        self.0.as_deref().unwrap_or(&NO_NOTIFY)
    }
}

impl std::ops::DerefMut for NotifyBox {
    fn deref_mut(&mut self) -> &mut NotifyScripts {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for NotifyBox {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for NotifyBox {}

impl std::fmt::Debug for NotifyBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// `auth_hmac { }` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HmacMode {
    #[default]
    Enforce,
    Permissive,
    ReceiveOnly,
}

/// `auth_hmac { anti_replay }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HmacAntiReplay {
    #[default]
    Time,
    Monotonic,
}

/// Where an HMAC key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HmacKeySource {
    /// `hex:…` or plain ASCII: the key bytes.
    Bytes(Vec<u8>),
    /// `file:PATH`: read at start-up.
    File(std::path::PathBuf),
}

/// `key ID SECRET` inside `auth_hmac`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacKey {
    pub id: u8,
    pub key: HmacKeySource,
    pub location: Location,
}

/// `auth_hmac { key …; active_key ID; anti_replay …; time_window N; mode … }`
/// (keepalived 2.4.0+ HMAC-SHA256 trailer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthHmac {
    pub keys: Vec<HmacKey>,
    pub active_key: Option<u8>,
    pub anti_replay: HmacAntiReplay,
    /// `time_window`, 1..300 seconds.
    pub time_window_s: Option<u16>,
    pub mode: HmacMode,
}

/// Everything of a `vrrp_instance` beyond the fields the daemon already runs
/// (kept apart so [`super::VrrpInstance`] stays small and stable), with
/// keepalived's defaults and strict-mode effects applied (§2.3, §3.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceOpts {
    pub dont_track_primary: bool,
    pub mcast_src_ip: Option<IpAddr>,
    /// FAULT when the configured source address disappears; cleared when no
    /// source address is configured.
    pub track_src_ip: bool,
    /// `mcast_dst_ip`; `None` = the global group of the family.
    pub mcast_dst_ip: Option<IpAddr>,
    /// `unicast_peer` entries with their TTL limits (the plain addresses
    /// are also in `VrrpInstance::unicast_peers`).
    pub unicast_peer: Vec<UnicastPeer>,
    pub unicast_fault_no_peer: bool,
    /// Own `check_unicast_src`, the global one, or forced by a peer TTL limit.
    pub check_unicast_src: bool,
    /// `unicast_ttl`; `None` = 255 for IPv4, kernel default hop limit for IPv6.
    pub unicast_ttl: Option<u8>,
    pub old_unicast_checksum: OldUnicastChecksum,
    pub v3_checksum_as_v2: bool,
    pub use_vmac: Option<Vmac>,
    pub use_vmac_addr: bool,
    pub vmac_xmit_base: bool,
    pub use_ipvlan: Option<Ipvlan>,
    pub vrf: Option<String>,
    /// Seconds; 0 = no periodic refresh.
    pub garp_master_refresh_s: u32,
    pub garp_master_refresh_repeat: u32,
    pub garp_lower_prio_delay_s: u32,
    pub garp_lower_prio_repeat: u32,
    pub garp_extra_if: Option<GarpExtraIf>,
    /// 1..100 (default 3; 3 in strict mode).
    pub down_timer_adverts: u8,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub owner_ignore_adverts: bool,
    /// `timer_expired_backup [PRIO]`: priority 1..254 to advertise when the
    /// master-down timer expires with nopreempt (254 when bare).
    pub timer_expired_backup: Option<u8>,
    pub skip_check_adv_addr: bool,
    pub strict_mode: bool,
    pub accept: bool,
    pub promote_secondaries: bool,
    pub no_virtual_ipaddress: bool,
    pub virtual_ipaddress_excluded: Vec<super::VirtualIp>,
    pub virtual_routes: Vec<super::Route>,
    pub virtual_rules: Vec<super::Rule>,
    pub auth_hmac: Option<AuthHmac>,
    pub notify: NotifyBox,
    /// `None` = the sync group's or the global value.
    pub notify_priority_changes: Option<bool>,
    /// `None` = the global `smtp_alert`.
    pub smtp_alert: Option<bool>,
    pub kernel_rx_buf_size: Option<u64>,
    /// `debug 0..4` (no effect, kept for `--dump-config`).
    pub debug: Option<u8>,
}
