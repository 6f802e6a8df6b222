//! `global_defs { }` (reference §2.2).
//!
//! Every VRRP-relevant keyword is typed into [`GlobalDefs`]; keywords of the
//! LVS/checker/BFD side and optional subsystems are accepted and kept in
//! `GlobalDefs::other` so that existing files load without a wall of
//! warnings.  Deprecated spellings are errors (keepalived's `-t` exits 5 for
//! them) that name the replacement, and are otherwise applied as the new
//! keyword.

use crate::diag::Diags;
use crate::model::{
    GarpExtraIf, GlobalDefs, Iptables, NotifyFifo, RunAs, RxBufsPolicy, SmtpServer,
};
use crate::semantic::{need_arg, no_block, opt_bool, require_block, seconds, uint, unknown_in};
use crate::tree::{Block, Node, Word};

/// Keywords typed here, most common first (ties in "did you mean" go to
/// the first candidate).
const TYPED: &[&str] = &[
    "router_id",
    "vrrp_version",
    "vrrp_strict",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_down_timer_adverts",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_owner_ignore_adverts",
    "v3_checksum_as_v2",
    "vrrp_notify_priority_changes",
    "default_interface",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
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
    "max_auto_priority",
    "min_auto_priority_delay",
    "vrrp_process_name",
    "process_name",
    "process_names",
    "state_dump_file",
    "stats_dump_file",
    "json_dump_file",
    "json_version",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "use_symlink_paths",
    "metrics_listen",
];

/// Deprecated spellings and their replacements.  The replacement is applied.
const DEPRECATED: &[(&str, &str)] = &[
    ("vrrp_vmac_garp_intvl", "vrrp_garp_extra_if"),
    ("vrrp_rlimit_rtime", "vrrp_rlimit_rttime"),
    ("enable_snmp_keepalived", "enable_snmp_vrrp"),
    ("lvs_flush_onstop", "lvs_flush_on_stop"),
    ("lvs_process_name", "checker_process_name"),
    ("checker_rlimit_rtime", "checker_rlimit_rttime"),
    ("bfd_rlimit_rtime", "bfd_rlimit_rttime"),
];

/// Keywords keepalived accepts that keepalived-rs keeps as written in
/// `GlobalDefs::other` (no effect on the VRRP side, or not implemented).
const KEPT: &[&str] = &[
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
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
    "set_supplementary_groups",
    "iproute_usr_dir",
    "iproute_etc_dir",
    "enable_snmp_vrrp",
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
    "bfd_process_name",
    "checker_log_all_failures",
    "smtp_alert_checker",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
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
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "enable_snmp_checker",
    "snmp_vs_stats_update_interval",
    "snmp_rs_stats_update_interval",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
];

/// Every global_defs keyword, for "did you mean".
fn candidates() -> Vec<&'static str> {
    TYPED.iter().chain(KEPT.iter()).copied().collect()
}

/// Apply one `global_defs` block.  Several blocks are allowed; values apply
/// in file order, which matters for instances parsed in between (§2.2).
pub(crate) fn parse(block: &Block, g: &mut GlobalDefs, diags: &mut Diags) {
    for node in &block.nodes {
        let kw = node.kw.text.as_str();
        if kw.is_empty() {
            continue;
        }
        if let Some((_, new)) = DEPRECATED.iter().find(|(d, _)| *d == kw) {
            diags.error(
                &node.kw.loc,
                format!("'{kw}' is deprecated - use '{new}' instead (applied as '{new}')"),
            );
            keyword(new, node, g, diags);
            continue;
        }
        keyword(kw, node, g, diags);
    }
}

/// One keyword, `kw` being the name to apply (the replacement for a
/// deprecated spelling).
fn keyword(kw: &str, node: &Node, g: &mut GlobalDefs, diags: &mut Diags) {
    match kw {
        "router_id" => {
            if let Some(w) = need_arg(node, diags) {
                g.router_id = Some(w.text.clone());
                extra_args(node, 1, diags);
            }
        }
        "vrrp_version" => {
            if let Some(v) = num(node, 2, 3, diags) {
                g.vrrp_version = v as u8;
            }
        }
        "vrrp_garp_master_delay" => set_u32(node, 0, u32::MAX, &mut g.garp_master_delay_s, diags),
        "vrrp_garp_master_repeat" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                    g.garp_master_repeat = garp_repeat(v as u32, w, kw, diags);
                }
            }
        }
        "vrrp_garp_master_refresh" => {
            set_u32(node, 0, u32::MAX, &mut g.garp_master_refresh_s, diags)
        }
        "vrrp_garp_master_refresh_repeat" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                    g.garp_master_refresh_repeat = garp_repeat(v as u32, w, kw, diags);
                }
            }
        }
        "vrrp_garp_lower_prio_delay" => {
            if let Some(v) = num(node, 0, u64::from(u32::MAX), diags) {
                g.garp_lower_prio_delay_s = Some(v as u32);
            }
        }
        "vrrp_garp_lower_prio_repeat" => {
            if let Some(v) = num(node, 0, u64::from(u32::MAX), diags) {
                g.garp_lower_prio_repeat = Some(v as u32);
            }
        }
        "vrrp_garp_interval" => set_secs(node, 1, MAX_U32_US, &mut g.garp_interval_us, diags),
        "vrrp_gna_interval" => set_secs(node, 1, MAX_U32_US, &mut g.gna_interval_us, diags),
        "vrrp_min_garp" => set_bool(node, &mut g.min_garp, diags),
        "vrrp_garp_extra_if" => {
            if let Some(x) = garp_extra_if(node, diags) {
                g.garp_extra_if = Some(x);
            }
        }
        "vrrp_down_timer_adverts" => set_u32(node, 1, 100, &mut g.down_timer_adverts, diags),
        "vrrp_lower_prio_no_advert" => set_bool(node, &mut g.lower_prio_no_advert, diags),
        "vrrp_higher_prio_send_advert" => set_bool(node, &mut g.higher_prio_send_advert, diags),
        "vrrp_check_unicast_src" => flag(node, &mut g.check_unicast_src, diags),
        "vrrp_skip_check_adv_addr" => set_bool(node, &mut g.skip_check_adv_addr, diags),
        "vrrp_strict" => set_bool(node, &mut g.strict, diags),
        "vrrp_owner_ignore_adverts" => set_bool(node, &mut g.owner_ignore_adverts, diags),
        "v3_checksum_as_v2" => set_bool(node, &mut g.v3_checksum_as_v2, diags),
        "vrrp_notify_priority_changes" => set_bool(node, &mut g.notify_priority_changes, diags),
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
                extra_args(node, 1, diags);
            }
        }
        "vrrp_mcast_group6" => {
            if let Some(w) = need_arg(node, diags) {
                match w.text.parse::<std::net::Ipv6Addr>() {
                    Ok(a) if a.is_multicast() => g.mcast_group6 = a,
                    _ => diags.error(
                        &w.loc,
                        format!(
                            "invalid vrrp_mcast_group6 '{}' (must be an IPv6 multicast address)",
                            w.text
                        ),
                    ),
                }
                extra_args(node, 1, diags);
            }
        }
        "default_interface" => {
            if let Some(w) = need_arg(node, diags) {
                if ifname_ok(w, kw, diags) {
                    g.default_interface = Some(w.text.clone());
                }
                extra_args(node, 1, diags);
            }
        }
        "notify_fifo" => g.notify_fifo = fifo(node, diags).or(g.notify_fifo.take()),
        "vrrp_notify_fifo" => g.vrrp_notify_fifo = fifo(node, diags).or(g.vrrp_notify_fifo.take()),
        "notify_fifo_script" => {
            no_block(node, diags);
            if let Some(s) = crate::script::parse_script(node, diags) {
                g.notify_fifo_script = Some(s);
            }
        }
        "vrrp_notify_fifo_script" => {
            no_block(node, diags);
            if let Some(s) = crate::script::parse_script(node, diags) {
                g.vrrp_notify_fifo_script = Some(s);
            }
        }
        "startup_script" => {
            no_block(node, diags);
            if let Some(s) = crate::script::parse_script(node, diags) {
                g.startup_script = Some(s);
            }
        }
        "shutdown_script" => {
            no_block(node, diags);
            if let Some(s) = crate::script::parse_script(node, diags) {
                g.shutdown_script = Some(s);
            }
        }
        "startup_script_timeout" => set_u32(node, 1, 1000, &mut g.startup_script_timeout_s, diags),
        "shutdown_script_timeout" => {
            set_u32(node, 1, 1000, &mut g.shutdown_script_timeout_s, diags)
        }
        "fifo_write_vrrp_states_on_reload" => {
            flag(node, &mut g.fifo_write_vrrp_states_on_reload, diags)
        }
        "script_user" => {
            if let Some(r) = run_as(node, diags) {
                g.script_user = Some(r);
            }
        }
        "enable_script_security" => flag(node, &mut g.enable_script_security, diags),
        "dynamic_interfaces" => {
            no_block(node, diags);
            g.dynamic_interfaces = true;
            match node.args.first() {
                None => {}
                Some(w) if w.text == "allow_if_changes" => {
                    g.dynamic_interfaces_allow_if_changes = true;
                    extra_args(node, 1, diags);
                }
                Some(w) => diags.error(
                    &w.loc,
                    format!(
                        "dynamic_interfaces: unknown option '{}' (expected allow_if_changes) - ignored",
                        w.text
                    ),
                ),
            }
        }
        "vrrp_startup_delay" => set_secs(node, 1_000, MAX_U32_US, &mut g.startup_delay_us, diags),
        "vrrp_delay_after_boot" => {
            set_secs(node, 1_000, MAX_U32_US, &mut g.delay_after_boot_us, diags)
        }
        "log_unknown_vrids" => flag(node, &mut g.log_unknown_vrids, diags),
        "vmac_prefix" => set_string(node, &mut g.vmac_prefix, diags),
        "vmac_addr_prefix" => set_string(node, &mut g.vmac_addr_prefix, diags),
        "nftables" => {
            no_block(node, diags);
            let table = node
                .args
                .first()
                .map_or_else(|| "keepalived".to_string(), |w| w.text.clone());
            extra_args(node, 1, diags);
            g.nftables = Some(table);
        }
        "nftables_priority" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = sint(w, kw, i64::from(i32::MIN), i64::from(i32::MAX), diags) {
                    g.nftables_priority = v as i32;
                }
                extra_args(node, 1, diags);
            }
        }
        "nftables_counters" => flag(node, &mut g.nftables_counters, diags),
        "nftables_ifindex" => flag(node, &mut g.nftables_ifindex, diags),
        "vrrp_iptables" => {
            no_block(node, diags);
            g.iptables = Some(Iptables {
                in_chain: node.args.first().map(|w| w.text.clone()),
                out_chain: node.args.get(1).map(|w| w.text.clone()),
            });
            extra_args(node, 2, diags);
        }
        "vrrp_ipsets" => {
            no_block(node, diags);
            g.ipsets = Some(node.args.iter().map(|w| w.text.clone()).collect());
            extra_args(node, 4, diags);
        }
        "disable_local_igmp" => flag(node, &mut g.disable_local_igmp, diags),
        "vrrp_rx_bufs_policy" => {
            if let Some(w) = need_arg(node, diags) {
                let p = match w.text.to_ascii_uppercase().as_str() {
                    "MTU" => Some(RxBufsPolicy::Mtu),
                    "ADVERT" => Some(RxBufsPolicy::Advert),
                    t if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                        uint(w, kw, 1, u64::from(u32::MAX), diags).map(RxBufsPolicy::Size)
                    }
                    _ => {
                        diags.error(
                            &w.loc,
                            format!(
                                "invalid vrrp_rx_bufs_policy '{}' (must be MTU, ADVERT or a size in bytes) - ignored",
                                w.text
                            ),
                        );
                        None
                    }
                };
                if p.is_some() {
                    g.rx_bufs_policy = p;
                }
                extra_args(node, 1, diags);
            }
        }
        "vrrp_rx_bufs_multiplier" => set_u32(node, 1, u32::MAX, &mut g.rx_bufs_multiplier, diags),
        "smtp_alert" => {
            if let Some(b) = opt_bool(node, diags) {
                g.smtp_alert = Some(b);
            }
        }
        "smtp_alert_vrrp" => {
            if let Some(b) = opt_bool(node, diags) {
                g.smtp_alert_vrrp = Some(b);
            }
        }
        "notification_email" => {
            if let Some(b) = require_block(node, diags) {
                extra_args(node, 0, diags);
                for e in &b.nodes {
                    if e.kw.text.is_empty() {
                        continue;
                    }
                    no_block(e, diags);
                    g.notification_email.push(e.kw.text.clone());
                    g.notification_email
                        .extend(e.args.iter().map(|w| w.text.clone()));
                }
            }
        }
        "notification_email_from" => set_string(node, &mut g.notification_email_from, diags),
        "smtp_server" => {
            if let Some(w) = need_arg(node, diags) {
                let port = match node.args.get(1) {
                    None => Some(25),
                    Some(p) => uint(p, "smtp_server port", 1, 65535, diags).map(|v| v as u16),
                };
                if let Some(port) = port {
                    g.smtp_server = Some(SmtpServer {
                        host: w.text.clone(),
                        port,
                    });
                }
                extra_args(node, 2, diags);
            }
        }
        "smtp_helo_name" => set_string(node, &mut g.smtp_helo_name, diags),
        "smtp_connect_timeout" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = uint(w, kw, 0, u64::from(u32::MAX), diags) {
                    g.smtp_connect_timeout_s = if v == 0 {
                        diags.error(
                            &w.loc,
                            "invalid smtp_connect_timeout '0' (must be at least 1); using 1",
                        );
                        1
                    } else {
                        v as u32
                    };
                }
                extra_args(node, 1, diags);
            }
        }
        "no_email_faults" => flag(node, &mut g.no_email_faults, diags),
        "vrrp_priority" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = sint(w, kw, -20, 19, diags) {
                    g.vrrp_priority = Some(v as i32);
                }
                extra_args(node, 1, diags);
            }
        }
        "vrrp_no_swap" => flag(node, &mut g.vrrp_no_swap, diags),
        "vrrp_rt_priority" => {
            if let Some(w) = need_arg(node, diags) {
                if let Some(v) = uint(w, kw, 1, u64::from(u32::MAX), diags) {
                    let v = if v > 99 {
                        diags.error(
                            &w.loc,
                            format!("vrrp_rt_priority '{v}' is above the maximum (must be 1..99); using 99"),
                        );
                        99
                    } else {
                        v
                    };
                    g.vrrp_rt_priority = Some(v as u32);
                }
                extra_args(node, 1, diags);
            }
        }
        "vrrp_cpu_affinity" => {
            if need_arg(node, diags).is_some() {
                let cpus: Vec<u32> = node
                    .args
                    .iter()
                    .filter_map(|w| uint(w, "vrrp_cpu_affinity CPU", 0, 4095, diags))
                    .map(|v| v as u32)
                    .collect();
                g.vrrp_cpu_affinity = cpus;
            }
        }
        "vrrp_rlimit_rttime" => {
            if let Some(v) = num(node, 1, u64::from(u32::MAX), diags) {
                g.vrrp_rlimit_rttime_us = Some(v);
            }
        }
        "max_auto_priority" => {
            no_block(node, diags);
            match node.args.first() {
                // Bare keyword: the system's maximum real-time priority.
                None => g.max_auto_priority = Some(99),
                Some(w) => {
                    if let Some(v) = sint(w, "max_auto_priority (-1 = off)", -1, 99, diags) {
                        g.max_auto_priority = Some(v as i32);
                    }
                    extra_args(node, 1, diags);
                }
            }
        }
        "min_auto_priority_delay" => {
            if let Some(v) = num(node, 1, u64::from(u32::MAX), diags) {
                g.min_auto_priority_delay_us = Some(v);
            }
        }
        "vrrp_process_name" => opt_string(node, &mut g.vrrp_process_name, diags),
        "process_name" => opt_string(node, &mut g.process_name, diags),
        "process_names" => flag(node, &mut g.process_names, diags),
        "state_dump_file" => set_path(node, &mut g.state_dump_file, diags),
        "stats_dump_file" => set_path(node, &mut g.stats_dump_file, diags),
        "json_dump_file" => set_path(node, &mut g.json_dump_file, diags),
        "json_version" => {
            if let Some(v) = num(node, 1, 2, diags) {
                g.json_version = v as u8;
            }
        }
        "use_symlink_paths" => set_bool(node, &mut g.use_symlink_paths, diags),
        // keepalived-rs only: where the Prometheus exporter listens.
        "metrics_listen" => {
            if let Some(w) = need_arg(node, diags) {
                match w.text.parse::<std::net::SocketAddr>() {
                    Ok(a) => g.metrics_listen = Some(a),
                    Err(_) => diags.error(
                        &w.loc,
                        format!(
                            "invalid metrics_listen '{}' (expected ADDRESS:PORT, e.g. 127.0.0.1:9650 or [::1]:9650)",
                            w.text
                        ),
                    ),
                }
                extra_args(node, 1, diags);
            }
        }
        _ if KEPT.contains(&kw) => g.other.push((
            kw.to_string(),
            node.args.iter().map(|w| w.text.clone()).collect(),
            node.kw.loc.clone(),
        )),
        _ => unknown_in(node, &candidates(), diags),
    }
}

/// 4294.967295 s: keepalived reads these times as 32-bit microseconds.
const MAX_U32_US: u64 = u32::MAX as u64;

/// keepalived turns a GARP repeat of 0 into 1 with an error.
pub(crate) fn garp_repeat(v: u32, w: &Word, kw: &str, diags: &mut Diags) -> u32 {
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

/// Report words beyond the first `n` arguments (keepalived ignores them
/// silently, which hides typos such as a missing quote).
fn extra_args(node: &Node, n: usize, diags: &mut Diags) {
    if let Some(w) = node.args.get(n) {
        diags.error(
            &w.loc,
            format!(
                "{}: unexpected extra argument '{}' - ignored",
                node.kw.text, w.text
            ),
        );
    }
}

/// The single unsigned argument in `min..=max`.
fn num(node: &Node, min: u64, max: u64, diags: &mut Diags) -> Option<u64> {
    let w = need_arg(node, diags)?;
    let v = uint(w, &node.kw.text, min, max, diags);
    extra_args(node, 1, diags);
    v
}

fn set_u32(node: &Node, min: u32, max: u32, slot: &mut u32, diags: &mut Diags) {
    if let Some(v) = num(node, u64::from(min), u64::from(max), diags) {
        *slot = v as u32;
    }
}

/// Decimal seconds in µs.
fn set_secs(node: &Node, min_us: u64, max_us: u64, slot: &mut u64, diags: &mut Diags) {
    if let Some(w) = need_arg(node, diags) {
        if let Some(v) = seconds(w, &node.kw.text, min_us, max_us, diags) {
            *slot = v;
        }
        extra_args(node, 1, diags);
    }
}

/// keepalived's `[BOOL]` keywords.
fn set_bool(node: &Node, slot: &mut bool, diags: &mut Diags) {
    if let Some(b) = opt_bool(node, diags) {
        *slot = b;
    }
    extra_args(node, 1, diags);
}

/// A plain flag.  keepalived ignores any argument, so `log_unknown_vrids no`
/// turns the option *on*; we do the same but say so.
fn flag(node: &Node, slot: &mut bool, diags: &mut Diags) {
    no_block(node, diags);
    *slot = true;
    if let Some(w) = node.args.first() {
        diags.warn(
            &w.loc,
            format!(
                "'{}' takes no argument: '{}' is ignored and the option is turned on",
                node.kw.text, w.text
            ),
        );
    }
}

fn set_string(node: &Node, slot: &mut Option<String>, diags: &mut Diags) {
    if let Some(w) = need_arg(node, diags) {
        *slot = Some(w.text.clone());
        extra_args(node, 1, diags);
    }
}

/// `KEYWORD [NAME]`: bare keyword = the default name (empty string).
fn opt_string(node: &Node, slot: &mut Option<String>, diags: &mut Diags) {
    no_block(node, diags);
    *slot = Some(
        node.args
            .first()
            .map(|w| w.text.clone())
            .unwrap_or_default(),
    );
    extra_args(node, 1, diags);
}

fn set_path(node: &Node, slot: &mut Option<std::path::PathBuf>, diags: &mut Diags) {
    if let Some(w) = need_arg(node, diags) {
        *slot = Some(std::path::PathBuf::from(&w.text));
        extra_args(node, 1, diags);
    }
}

/// Signed decimal in `min..=max`, no trailing garbage.
pub(crate) fn sint(w: &Word, kw: &str, min: i64, max: i64, diags: &mut Diags) -> Option<i64> {
    let t = w.text.strip_prefix(['-', '+']).unwrap_or(&w.text);
    let v = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        w.text.parse::<i64>().ok()
    } else {
        None
    };
    match v {
        Some(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            diags.error(
                &w.loc,
                format!("invalid {kw} '{}' (must be {min}..{max}) - ignored", w.text),
            );
            None
        }
    }
}

/// Interface names are at most 15 bytes (IFNAMSIZ - 1).
pub(crate) fn ifname_ok(w: &Word, kw: &str, diags: &mut Diags) -> bool {
    if w.text.is_empty() || w.text.len() > 15 || w.text.contains('/') {
        diags.error(
            &w.loc,
            format!(
                "invalid {kw} '{}' (an interface name is 1..15 characters, no '/') - ignored",
                w.text
            ),
        );
        false
    } else {
        true
    }
}

/// `[all] SECS` of `vrrp_garp_extra_if` / `garp_extra_if`.
pub(crate) fn garp_extra_if(node: &Node, diags: &mut Diags) -> Option<GarpExtraIf> {
    need_arg(node, diags)?;
    let mut args = node.args.iter();
    let mut all = false;
    let mut w = args.next()?;
    if w.text == "all" {
        all = true;
        let Some(n) = args.next() else {
            diags.error(
                &w.loc,
                format!("{}: missing interval after 'all' - ignored", node.kw.text),
            );
            return None;
        };
        w = n;
    }
    let v = uint(w, &node.kw.text, 0, 86_400, diags)?;
    if let Some(x) = args.next() {
        diags.error(
            &x.loc,
            format!(
                "{}: unexpected extra argument '{}' - ignored",
                node.kw.text, x.text
            ),
        );
    }
    Some(GarpExtraIf {
        all,
        interval_s: v as u32,
    })
}

/// `FIFO [user [group]]`.
fn fifo(node: &Node, diags: &mut Diags) -> Option<NotifyFifo> {
    let w = need_arg(node, diags)?;
    extra_args(node, 3, diags);
    Some(NotifyFifo {
        path: std::path::PathBuf::from(&w.text),
        user: node.args.get(1).map(|w| w.text.clone()),
        group: node.args.get(2).map(|w| w.text.clone()),
        location: w.loc.clone(),
    })
}

/// `USER [GROUP]`, also written `USER:GROUP` or `USER :GROUP`.
pub(crate) fn run_as(node: &Node, diags: &mut Diags) -> Option<RunAs> {
    let w = need_arg(node, diags)?;
    let (user, mut group) = match w.text.split_once(':') {
        Some((u, g)) => (u.to_string(), Some(g.to_string())),
        None => (w.text.clone(), None),
    };
    let mut used = 1;
    if group.is_none() {
        if let Some(gw) = node.args.get(1) {
            group = Some(gw.text.trim_start_matches(':').to_string());
            used = 2;
        }
    }
    extra_args(node, used, diags);
    if user.is_empty() || group.as_deref() == Some("") {
        diags.error(
            &w.loc,
            format!(
                "{}: invalid user/group '{}' - ignored",
                node.kw.text, w.text
            ),
        );
        return None;
    }
    Some(RunAs {
        user,
        group,
        location: w.loc.clone(),
    })
}
