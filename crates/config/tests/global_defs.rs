//! global_defs: typed values, defaults, deprecated spellings, unknown keywords.

use keepalived_config::{parse_str, GlobalDefs, LoadOptions, Loaded, RxBufsPolicy, Severity};
use std::path::{Path, PathBuf};

fn parse(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: Some("node1".into()),
        ..LoadOptions::default()
    };
    parse_str(text, Path::new("k.conf"), &opts)
}

fn msgs(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(ToString::to_string).collect()
}

#[test]
fn defaults() {
    let g = GlobalDefs::default();
    assert_eq!(g.vrrp_version, 2);
    assert_eq!(g.mcast_group4.to_string(), "224.0.0.18");
    assert_eq!(g.mcast_group6.to_string(), "ff02::12");
    assert_eq!((g.garp_master_delay_s, g.garp_master_repeat), (5, 5));
    assert_eq!(
        (g.garp_master_refresh_s, g.garp_master_refresh_repeat),
        (0, 1)
    );
    assert_eq!(g.garp_lower_prio_delay_s, None);
    assert_eq!(g.down_timer_adverts, 3);
    assert_eq!(g.rx_bufs_multiplier, 3);
    assert_eq!(g.nftables_priority, -1);
    assert_eq!(g.json_version, 1);
    assert_eq!(
        (g.startup_script_timeout_s, g.shutdown_script_timeout_s),
        (10, 10)
    );
    assert!(!g.strict && !g.enable_script_security && !g.dynamic_interfaces);
}

const FULL: &str = r#"global_defs {
  router_id lb1
  notification_email {
    ops@example.com
    noc@example.com
  }
  notification_email_from keepalived@example.com
  smtp_server 192.0.2.25 2525
  smtp_connect_timeout 15
  smtp_alert
  vrrp_version 3
  vrrp_mcast_group4 224.0.0.19
  vrrp_mcast_group6 ff02::13
  default_interface bond0
  vrrp_garp_master_delay 2
  vrrp_garp_master_repeat 3
  vrrp_garp_master_refresh 60
  vrrp_garp_master_refresh_repeat 2
  vrrp_garp_lower_prio_delay 7
  vrrp_garp_lower_prio_repeat 0
  vrrp_garp_interval 0.001
  vrrp_gna_interval 0.0025
  vrrp_min_garp true
  vrrp_garp_extra_if all 30
  vrrp_down_timer_adverts 5
  vrrp_lower_prio_no_advert
  vrrp_higher_prio_send_advert yes
  vrrp_check_unicast_src
  vrrp_skip_check_adv_addr off
  vrrp_strict
  vrrp_owner_ignore_adverts
  v3_checksum_as_v2 on
  vrrp_notify_priority_changes true
  notify_fifo /run/k.fifo root adm
  vrrp_notify_fifo_script "/usr/bin/logger -t vrrp" nobody
  fifo_write_vrrp_states_on_reload
  script_user keepalived_script:ka
  enable_script_security
  dynamic_interfaces allow_if_changes
  vrrp_startup_delay 5.5
  vrrp_delay_after_boot 30
  log_unknown_vrids
  vmac_prefix vr
  vmac_addr_prefix va
  nftables kad
  nftables_priority -5
  nftables_counters
  nftables_ifindex
  disable_local_igmp
  vrrp_rx_bufs_policy ADVERT
  vrrp_rx_bufs_multiplier 4
  vrrp_priority -10
  vrrp_no_swap
  vrrp_rt_priority 50
  vrrp_cpu_affinity 0 2
  vrrp_rlimit_rttime 10000
  max_auto_priority 20
  vrrp_process_name ka-vrrp
  process_names
  state_dump_file /tmp/state
  json_version 2
  metrics_listen [2001:db8::1]:9650
  startup_script "/usr/local/bin/up.sh now"
  startup_script_timeout 20
  shutdown_script /usr/local/bin/down.sh
  use_symlink_paths
  enable_snmp_vrrp
  lvs_flush
}
"#;

#[test]
fn every_vrrp_keyword_typed() {
    let l = parse(FULL);
    assert!(l.diagnostics.is_empty(), "{:?}", msgs(&l));
    let g = &l.config.global;
    assert_eq!(g.router_id.as_deref(), Some("lb1"));
    assert_eq!(g.notification_email, ["ops@example.com", "noc@example.com"]);
    assert_eq!(
        g.notification_email_from.as_deref(),
        Some("keepalived@example.com")
    );
    let smtp = g.smtp_server.as_ref().map(|s| (s.host.as_str(), s.port));
    assert_eq!(smtp, Some(("192.0.2.25", 2525)));
    assert_eq!(g.smtp_connect_timeout_s, 15);
    assert_eq!(g.smtp_alert, Some(true));
    assert_eq!(g.vrrp_version, 3);
    assert_eq!(g.mcast_group4.to_string(), "224.0.0.19");
    assert_eq!(g.mcast_group6.to_string(), "ff02::13");
    assert_eq!(g.default_interface.as_deref(), Some("bond0"));
    assert_eq!((g.garp_master_delay_s, g.garp_master_repeat), (2, 3));
    assert_eq!(
        (g.garp_master_refresh_s, g.garp_master_refresh_repeat),
        (60, 2)
    );
    assert_eq!(
        (g.garp_lower_prio_delay_s, g.garp_lower_prio_repeat),
        (Some(7), Some(0))
    );
    assert_eq!((g.garp_interval_us, g.gna_interval_us), (1_000, 2_500));
    assert!(g.min_garp);
    let x = g.garp_extra_if.map(|x| (x.all, x.interval_s));
    assert_eq!(x, Some((true, 30)));
    assert_eq!(g.down_timer_adverts, 5);
    assert!(g.lower_prio_no_advert && g.higher_prio_send_advert && g.check_unicast_src);
    assert!(!g.skip_check_adv_addr);
    assert!(g.strict && g.owner_ignore_adverts && g.v3_checksum_as_v2);
    assert!(g.notify_priority_changes);
    let f = g.notify_fifo.as_ref().map(|f| {
        (
            f.path.clone(),
            f.user.as_deref().map(str::to_string),
            f.group.as_deref().map(str::to_string),
        )
    });
    assert_eq!(
        f,
        Some((
            PathBuf::from("/run/k.fifo"),
            Some("root".to_string()),
            Some("adm".to_string())
        ))
    );
    let s = g.vrrp_notify_fifo_script.as_ref();
    assert_eq!(
        s.map(|s| s.argv.clone()),
        Some(vec![
            "/usr/bin/logger".to_string(),
            "-t".into(),
            "vrrp".into()
        ])
    );
    assert_eq!(s.and_then(|s| s.user.clone()), Some("nobody".to_string()));
    assert!(g.fifo_write_vrrp_states_on_reload);
    let su = g
        .script_user
        .as_ref()
        .map(|r| (r.user.as_str(), r.group.as_deref()));
    assert_eq!(su, Some(("keepalived_script", Some("ka"))));
    assert!(g.enable_script_security);
    assert!(g.dynamic_interfaces && g.dynamic_interfaces_allow_if_changes);
    assert_eq!(
        (g.startup_delay_us, g.delay_after_boot_us),
        (5_500_000, 30_000_000)
    );
    assert!(g.log_unknown_vrids);
    assert_eq!(g.vmac_prefix.as_deref(), Some("vr"));
    assert_eq!(g.vmac_addr_prefix.as_deref(), Some("va"));
    assert_eq!(g.nftables.as_deref(), Some("kad"));
    assert_eq!(g.nftables_priority, -5);
    assert!(g.nftables_counters && g.nftables_ifindex && g.disable_local_igmp);
    assert_eq!(g.rx_bufs_policy, Some(RxBufsPolicy::Advert));
    assert_eq!(g.rx_bufs_multiplier, 4);
    assert_eq!(g.vrrp_priority, Some(-10));
    assert!(g.vrrp_no_swap);
    assert_eq!(g.vrrp_rt_priority, Some(50));
    assert_eq!(g.vrrp_cpu_affinity, [0, 2]);
    assert_eq!(g.vrrp_rlimit_rttime_us, Some(10_000));
    assert_eq!(g.max_auto_priority, Some(20));
    assert_eq!(g.vrrp_process_name.as_deref(), Some("ka-vrrp"));
    assert!(g.process_names);
    assert_eq!(g.state_dump_file, Some(PathBuf::from("/tmp/state")));
    assert_eq!(g.json_version, 2);
    assert_eq!(
        g.metrics_listen,
        Some("[2001:db8::1]:9650".parse().expect("socket address"))
    );
    assert_eq!(
        g.startup_script.as_ref().map(|s| s.argv.clone()),
        Some(vec!["/usr/local/bin/up.sh".to_string(), "now".into()])
    );
    assert_eq!(g.startup_script_timeout_s, 20);
    assert!(g.shutdown_script.is_some());
    assert!(g.use_symlink_paths);
    let other: Vec<&str> = g.other.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(other, ["enable_snmp_vrrp", "lvs_flush"]);
}

#[test]
fn global_problems_and_deprecations() {
    let l = parse(
        "global_defs {\n vrrp_down_timer_adverts 101\n vrrp_garp_master_refresh_repeat 0\n\
         vrrp_priority -21\n vrrp_rt_priority 100\n max_auto_priority 100\n startup_script_timeout 1001\n\
         vrrp_garp_extra_if all 86401\n vrrp_vmac_garp_intvl 5\n enable_snmp_keepalived\n vrrp_rlimit_rtime 100\n\
         vrrp_mcast_group6 1::1\n vrrp_rx_bufs_policy foo\n vrrp_garp_interval 0\n smtp_server 1.2.3.4 99999\n\
         smtp_connect_timeout 0\n log_unknown_vrids no\n vrrp_strict maybe\n vrrp_stric\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            "k.conf:2:26: error: invalid vrrp_down_timer_adverts '101' (must be 1..100)",
            "k.conf:3:34: error: invalid vrrp_garp_master_refresh_repeat '0' (must be at least 1); using 1",
            "k.conf:4:15: error: invalid vrrp_priority '-21' (must be -20..19) - ignored",
            "k.conf:5:19: error: vrrp_rt_priority '100' is above the maximum (must be 1..99); using 99",
            "k.conf:6:20: error: invalid max_auto_priority (-1 = off) '100' (must be -1..99) - ignored",
            "k.conf:7:25: error: invalid startup_script_timeout '1001' (must be 1..1000)",
            "k.conf:8:24: error: invalid vrrp_garp_extra_if '86401' (must be 0..86400)",
            "k.conf:9:2: error: 'vrrp_vmac_garp_intvl' is deprecated - use 'vrrp_garp_extra_if' instead (applied as 'vrrp_garp_extra_if')",
            "k.conf:10:2: error: 'enable_snmp_keepalived' is deprecated - use 'enable_snmp_vrrp' instead (applied as 'enable_snmp_vrrp')",
            "k.conf:11:2: error: 'vrrp_rlimit_rtime' is deprecated - use 'vrrp_rlimit_rttime' instead (applied as 'vrrp_rlimit_rttime')",
            "k.conf:12:19: error: invalid vrrp_mcast_group6 '1::1' (must be an IPv6 multicast address)",
            "k.conf:13:22: error: invalid vrrp_rx_bufs_policy 'foo' (must be MTU, ADVERT or a size in bytes) - ignored",
            "k.conf:14:21: error: invalid vrrp_garp_interval '0' (must be 0.000001..4294.967295 seconds)",
            "k.conf:15:22: error: invalid smtp_server port '99999' (must be 1..65535)",
            "k.conf:16:22: error: invalid smtp_connect_timeout '0' (must be at least 1); using 1",
            "k.conf:17:20: warning: 'log_unknown_vrids' takes no argument: 'no' is ignored and the option is turned on",
            "k.conf:18:14: error: invalid vrrp_strict 'maybe' (must be on|off|true|false|yes|no)",
            "k.conf:19:2: error: unknown keyword 'vrrp_stric'; did you mean `vrrp_strict`?",
        ]
    );
    let g = &l.config.global;
    assert_eq!(
        g.garp_extra_if.map(|x| (x.all, x.interval_s)),
        Some((false, 5))
    );
    assert_eq!(g.vrrp_rt_priority, Some(99));
    assert_eq!(g.vrrp_rlimit_rttime_us, Some(100));
    assert!(g.log_unknown_vrids && !g.strict);
    let deprecated: Vec<Severity> = l
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("deprecated"))
        .map(|d| d.severity)
        .collect();
    assert_eq!(deprecated, [Severity::Error; 3]);
}

#[test]
fn later_global_defs_override_in_order() {
    let l = parse("global_defs {\n vrrp_garp_master_delay 1\n}\nglobal_defs {\n vrrp_garp_master_delay 9\n}\n");
    assert!(l.diagnostics.is_empty());
    assert_eq!(l.config.global.garp_master_delay_s, 9);
}

#[test]
fn metrics_listen_is_checked_and_dumped() {
    let l = parse("global_defs {\n metrics_listen 127.0.0.1:9650\n}\n");
    assert!(l.diagnostics.is_empty(), "{:?}", msgs(&l));
    assert_eq!(
        l.config.global.metrics_listen,
        Some("127.0.0.1:9650".parse().expect("socket address"))
    );
    assert!(keepalived_config::dump(&l.config).contains("metrics_listen 127.0.0.1:9650\n"));
    assert_eq!(GlobalDefs::default().metrics_listen, None);
    let bad = parse("global_defs {\n metrics_listen 127.0.0.1\n}\n");
    assert_eq!(bad.diagnostics.len(), 1, "{:?}", msgs(&bad));
    assert_eq!(bad.diagnostics[0].severity, Severity::Error);
    assert!(msgs(&bad)[0].contains("invalid metrics_listen '127.0.0.1'"));
    assert_eq!(bad.config.global.metrics_listen, None);
}
