//! `global_defs { }` (reference §2.2).

use crate::diag::Diags;
use crate::model::GlobalDefs;
use crate::semantic::{need_arg, uint, unknown};
use crate::tree::Block;

/// global_defs keywords keepalived accepts that have no effect (yet) in
/// keepalived-rs.  They are accepted silently so that existing files do not
/// produce a wall of warnings; §2.2 lists them.
const ACCEPTED: &[&str] = &[
    // VRRP-related, not (yet) modelled.
    "vrrp_mcast_group6",
    "default_interface",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "vrrp_down_timer_adverts",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_owner_ignore_adverts",
    "v3_checksum_as_v2",
    "vrrp_notify_priority_changes",
    "notify_fifo",
    "vrrp_notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo_script",
    "fifo_write_vrrp_states_on_reload",
    "script_user",
    "enable_script_security",
    "dynamic_interfaces",
    "vrrp_startup_delay",
    "vrrp_delay_after_boot",
    "log_unknown_vrids",
    "vmac_prefix",
    "vmac_addr_prefix",
    "nftables",
    "nftables_priority",
    "nftables_counters",
    "nftables_ifindex",
    "vrrp_iptables",
    "vrrp_ipsets",
    "disable_local_igmp",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "smtp_alert",
    "smtp_alert_vrrp",
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "no_email_faults",
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "max_auto_priority",
    "min_auto_priority_delay",
    "vrrp_process_name",
    "process_name",
    "process_names",
    "umask",
    "random_seed",
    "include_check",
    "tmp_config_directory",
    "config_save_dir",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "data_use_instance",
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
    "json_version",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "use_symlink_paths",
    "set_supplementary_groups",
    "iproute_usr_dir",
    "iproute_etc_dir",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_traps",
    "snmp_socket",
    "enable_dbus",
    "dbus_service_name",
    "dbus_no_interface_name",
    // LVS / checker / BFD.
    "checker_process_name",
    "lvs_process_name",
    "bfd_process_name",
    "checker_log_all_failures",
    "smtp_alert_checker",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "rs_init_notifies",
    "no_checker_emails",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "enable_snmp_checker",
    "snmp_vs_stats_update_interval",
    "snmp_rs_stats_update_interval",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
];

/// Whether `kw` is a global_defs keyword accepted without effect.
pub(crate) fn is_accepted(kw: &str) -> bool {
    ACCEPTED.contains(&kw) || kw.starts_with("lvs_netlink_")
}

/// Apply one `global_defs` block.  Several blocks are allowed; values apply
/// in file order, which matters for instances parsed in between (§2.2).
pub(crate) fn parse(block: &Block, g: &mut GlobalDefs, diags: &mut Diags) {
    for node in &block.nodes {
        let kw = node.kw.text.as_str();
        match kw {
            "" => {}
            "router_id" => {
                if let Some(w) = need_arg(node, diags) {
                    g.router_id = Some(w.text.clone());
                }
            }
            "vrrp_version" => {
                if let Some(w) = need_arg(node, diags) {
                    if let Some(v) = uint(w, kw, 2, 3, diags) {
                        g.vrrp_version = v as u8;
                    }
                }
            }
            "vrrp_garp_master_delay" => {
                if let Some(w) = need_arg(node, diags) {
                    if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                        g.garp_master_delay_s = v as u32;
                    }
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(w) = need_arg(node, diags) {
                    if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                        g.garp_master_repeat = garp_repeat(v as u32, w, kw, diags);
                    }
                }
            }
            "vrrp_mcast_group4" => {
                if let Some(w) = need_arg(node, diags) {
                    match w.text.parse::<std::net::Ipv4Addr>() {
                        Ok(a) if a.is_multicast() => g.mcast_group4 = a,
                        _ => diags.error(
                            &w.loc,
                            format!(
                                "invalid vrrp_mcast_group4 '{}' (must be an IPv4 multicast address)",
                                w.text
                            ),
                        ),
                    }
                }
            }
            _ if is_accepted(kw) => {}
            _ => unknown(node, diags),
        }
    }
}

/// keepalived turns a GARP repeat of 0 into 1 with an error.
pub(crate) fn garp_repeat(v: u32, w: &crate::tree::Word, kw: &str, diags: &mut Diags) -> u32 {
    if v == 0 {
        diags.error(
            &w.loc,
            format!("invalid {kw} '0' (must be at least 1); using 1"),
        );
        1
    } else {
        v
    }
}
