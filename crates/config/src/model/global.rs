//! `global_defs { }` (reference §2.2) and the global keywords that live at the
//! root level (`net_namespace`, `instance`, ...).

use super::{GarpExtraIf, Location, Script};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// `notify_fifo` / `vrrp_notify_fifo`: `FIFO [user [group]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyFifo {
    pub path: PathBuf,
    pub user: Option<String>,
    pub group: Option<String>,
    pub location: Location,
}

/// `script_user USER [[:]GROUP]`, also `user` in a `vrrp_script`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    pub group: Option<String>,
    pub location: Location,
}

/// `vrrp_rx_bufs_policy MTU|ADVERT|N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxBufsPolicy {
    /// Size the receive buffer from the interface MTU.
    Mtu,
    /// Size it from the advert size.
    Advert,
    /// An explicit size in bytes.
    Size(u64),
}

/// `smtp_server IP|NAME [PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    /// Default 25.
    pub port: u16,
}

/// `vrrp_iptables [IN [OUT]]` (keepalived HEAD replaces iptables by nftables).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Iptables {
    pub in_chain: Option<String>,
    pub out_chain: Option<String>,
}

/// `global_defs { }` values that matter to VRRP.
///
/// Several `global_defs` blocks are allowed and apply in file order.  The
/// values keepalived copies into an instance when it is allocated
/// (`garp_master_*`, `down_timer_adverts`, `skip_check_adv_addr`,
/// `v3_checksum_as_v2`) must be read by the instance parser at the moment
/// the instance starts (§2.2 "order dependence"); the others are applied
/// after the whole file is read.
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
    pub mcast_group4: Ipv4Addr,
    /// `vrrp_mcast_group6` (default ff02::12).
    pub mcast_group6: Ipv6Addr,
    /// `default_interface` (keepalived's default is `eth0`; `None` = not set).
    pub default_interface: Option<String>,
    /// `vrrp_garp_master_refresh` in seconds (0 = off).
    pub garp_master_refresh_s: u32,
    /// `vrrp_garp_master_refresh_repeat` (default 1, 0 becomes 1).
    pub garp_master_refresh_repeat: u32,
    /// `vrrp_garp_lower_prio_delay`; `None` = same as `garp_master_delay_s`.
    pub garp_lower_prio_delay_s: Option<u32>,
    /// `vrrp_garp_lower_prio_repeat`; `None` = same as `garp_master_repeat`.
    pub garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_garp_interval` in µs (0 = no pacing).
    pub garp_interval_us: u64,
    /// `vrrp_gna_interval` in µs (0 = no pacing).
    pub gna_interval_us: u64,
    /// `vrrp_min_garp`: repeat 1, delay 0, refresh 0 for values not set explicitly.
    pub min_garp: bool,
    /// `vrrp_garp_extra_if [all] SECS` (`vrrp_vmac_garp_intvl` deprecated alias).
    pub garp_extra_if: Option<GarpExtraIf>,
    /// `vrrp_down_timer_adverts` 1..100 (default 3).
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub check_unicast_src: bool,
    pub skip_check_adv_addr: bool,
    /// `vrrp_strict`.
    pub strict: bool,
    pub owner_ignore_adverts: bool,
    pub v3_checksum_as_v2: bool,
    /// `vrrp_notify_priority_changes`.
    pub notify_priority_changes: bool,
    /// `notify_fifo`: shared by the VRRP and checker processes.
    pub notify_fifo: Option<NotifyFifo>,
    pub notify_fifo_script: Option<Script>,
    /// `vrrp_notify_fifo`: VRRP-only FIFO.
    pub vrrp_notify_fifo: Option<NotifyFifo>,
    pub vrrp_notify_fifo_script: Option<Script>,
    pub fifo_write_vrrp_states_on_reload: bool,
    /// `script_user`; `None` = keepalived_script if it exists, else root.
    pub script_user: Option<RunAs>,
    pub enable_script_security: bool,
    /// `dynamic_interfaces`: interfaces may be missing at start.
    pub dynamic_interfaces: bool,
    /// `dynamic_interfaces allow_if_changes`.
    pub dynamic_interfaces_allow_if_changes: bool,
    /// `vrrp_startup_delay` in µs.
    pub startup_delay_us: u64,
    /// `vrrp_delay_after_boot` in µs (the larger of the two applies).
    pub delay_after_boot_us: u64,
    pub log_unknown_vrids: bool,
    /// `vmac_prefix` (default `vrrp`): name prefix of generated VMAC interfaces.
    pub vmac_prefix: Option<String>,
    /// `vmac_addr_prefix`: name prefix of `use_vmac_addr` interfaces.
    pub vmac_addr_prefix: Option<String>,
    /// `nftables [TABLE]`: `Some(table)` when enabled (table default `keepalived`).
    pub nftables: Option<String>,
    /// `nftables_priority` (default -1).
    pub nftables_priority: i32,
    pub nftables_counters: bool,
    pub nftables_ifindex: bool,
    pub iptables: Option<Iptables>,
    /// `vrrp_ipsets [names...]`; empty list = default names.
    pub ipsets: Option<Vec<String>>,
    pub disable_local_igmp: bool,
    pub rx_bufs_policy: Option<RxBufsPolicy>,
    /// `vrrp_rx_bufs_multiplier` (default 3).
    pub rx_bufs_multiplier: u32,
    /// `smtp_alert`; `None` = not set (false).
    pub smtp_alert: Option<bool>,
    /// `smtp_alert_vrrp`; overrides `smtp_alert` for VRRP.
    pub smtp_alert_vrrp: Option<bool>,
    pub notification_email: Vec<String>,
    pub notification_email_from: Option<String>,
    pub smtp_server: Option<SmtpServer>,
    pub smtp_helo_name: Option<String>,
    /// `smtp_connect_timeout` in seconds (default 30; 0 becomes 1).
    pub smtp_connect_timeout_s: u32,
    pub no_email_faults: bool,
    /// `vrrp_priority` (nice value) -20..19.
    pub vrrp_priority: Option<i32>,
    pub vrrp_no_swap: bool,
    /// `vrrp_rt_priority` 1..99.
    pub vrrp_rt_priority: Option<u32>,
    pub vrrp_cpu_affinity: Vec<u32>,
    /// `vrrp_rlimit_rttime` in µs.
    pub vrrp_rlimit_rttime_us: Option<u64>,
    /// `max_auto_priority [N]`: -1 (off) or 0..99; bare = the system maximum.
    pub max_auto_priority: Option<i32>,
    /// `min_auto_priority_delay` in µs.
    pub min_auto_priority_delay_us: Option<u64>,
    pub vrrp_process_name: Option<String>,
    pub process_name: Option<String>,
    pub process_names: bool,
    pub state_dump_file: Option<PathBuf>,
    pub stats_dump_file: Option<PathBuf>,
    pub json_dump_file: Option<PathBuf>,
    /// `json_version` 1 or 2 (default 1).
    pub json_version: u8,
    /// `metrics_listen ADDR:PORT` (keepalived-rs only): serve Prometheus
    /// metrics over HTTP there. Off when unset.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub startup_script: Option<Script>,
    /// `startup_script_timeout` 1..1000 s (default 10).
    pub startup_script_timeout_s: u32,
    pub shutdown_script: Option<Script>,
    /// `shutdown_script_timeout` 1..1000 s (default 10).
    pub shutdown_script_timeout_s: u32,
    pub use_symlink_paths: bool,
    /// Every other accepted keyword (LVS/checker/BFD, SNMP, D-Bus, buffer
    /// sizes...), kept as written: keyword, arguments, location.
    pub other: Vec<(String, Vec<String>, Location)>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: 2,
            garp_master_delay_s: 5,
            garp_master_repeat: 5,
            mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            default_interface: None,
            garp_master_refresh_s: 0,
            garp_master_refresh_repeat: 1,
            garp_lower_prio_delay_s: None,
            garp_lower_prio_repeat: None,
            garp_interval_us: 0,
            gna_interval_us: 0,
            min_garp: false,
            garp_extra_if: None,
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            strict: false,
            owner_ignore_adverts: false,
            v3_checksum_as_v2: false,
            notify_priority_changes: false,
            notify_fifo: None,
            notify_fifo_script: None,
            vrrp_notify_fifo: None,
            vrrp_notify_fifo_script: None,
            fifo_write_vrrp_states_on_reload: false,
            script_user: None,
            enable_script_security: false,
            dynamic_interfaces: false,
            dynamic_interfaces_allow_if_changes: false,
            startup_delay_us: 0,
            delay_after_boot_us: 0,
            log_unknown_vrids: false,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            nftables: None,
            nftables_priority: -1,
            nftables_counters: false,
            nftables_ifindex: false,
            iptables: None,
            ipsets: None,
            disable_local_igmp: false,
            rx_bufs_policy: None,
            rx_bufs_multiplier: 3,
            smtp_alert: None,
            smtp_alert_vrrp: None,
            notification_email: Vec::new(),
            notification_email_from: None,
            smtp_server: None,
            smtp_helo_name: None,
            smtp_connect_timeout_s: 30,
            no_email_faults: false,
            vrrp_priority: None,
            vrrp_no_swap: false,
            vrrp_rt_priority: None,
            vrrp_cpu_affinity: Vec::new(),
            vrrp_rlimit_rttime_us: None,
            max_auto_priority: None,
            min_auto_priority_delay_us: None,
            vrrp_process_name: None,
            process_name: None,
            process_names: false,
            state_dump_file: None,
            stats_dump_file: None,
            json_dump_file: None,
            json_version: 1,
            metrics_listen: None,
            startup_script: None,
            startup_script_timeout_s: 10,
            shutdown_script: None,
            shutdown_script_timeout_s: 10,
            use_symlink_paths: false,
            other: Vec::new(),
        }
    }
}

/// Global keywords written at the root level, outside `global_defs`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RootGlobals {
    /// `net_namespace NAME`: run in that network namespace.
    pub net_namespace: Option<String>,
    /// `net_namespace_ipvs [NAME]` (LVS; kept for completeness).
    pub net_namespace_ipvs: Option<String>,
    pub namespace_with_ipsets: bool,
    pub use_pid_dir: bool,
    /// `instance NAME`.
    pub instance: Option<String>,
    /// `child_wait_time SECS`.
    pub child_wait_time_s: Option<u32>,
    pub linkbeat_use_polling: bool,
}
