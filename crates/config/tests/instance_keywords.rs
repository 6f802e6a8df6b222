//! Golden tests for every `vrrp_instance` keyword (reference §2.3, §3.9):
//! typed values, defaults, normalisations and their diagnostics.

use keepalived_config::{
    parse_str, Authentication, GarpExtraIf, HmacMode, InitialState, Ipvlan, IpvlanMode,
    LoadOptions, Loaded, OldUnicastChecksum, Severity, TrackKind, Vmac, VrrpInstance,
};
use std::net::IpAddr;
use std::path::Path;

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

/// Messages other than the "not yet supported by keepalived-rs" notes.
fn problems(l: &Loaded) -> Vec<String> {
    msgs(l)
        .into_iter()
        .filter(|m| !m.contains("not yet supported by keepalived-rs"))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse()
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

fn inst(l: &Loaded) -> &VrrpInstance {
    assert_eq!(l.config.instances.len(), 1, "{:#?}", msgs(l));
    &l.config.instances[0]
}

/// An instance with `body` inserted after the minimal keywords (line 5 on).
fn with(body: &str) -> String {
    format!(
        "vrrp_instance VI {{\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {{ 10.0.0.1 }}\n{body}\n}}\n"
    )
}

#[test]
fn defaults() {
    let l = parse(&with(""));
    assert!(problems(&l).is_empty(), "{:#?}", msgs(&l));
    let i = inst(&l);
    let o = &i.opts;
    assert_eq!(i.state, InitialState::Backup);
    assert_eq!(i.priority, 100);
    assert!(o.accept);
    assert_eq!(o.down_timer_adverts, 3);
    assert!(!o.strict_mode);
    assert_eq!(o.garp_master_refresh_s, 0);
    assert_eq!(o.garp_master_refresh_repeat, 1);
    assert_eq!(o.garp_lower_prio_delay_s, 5);
    assert_eq!(o.garp_lower_prio_repeat, 5);
    assert_eq!(o.old_unicast_checksum, OldUnicastChecksum::Auto);
    assert_eq!(o.unicast_ttl, None);
    assert!(o.use_vmac.is_none());
    assert!(!o.skip_check_adv_addr);
    assert_eq!(o.timer_expired_backup, None);
}

#[test]
fn flags_and_values() {
    let l = parse(&with(
        " dont_track_primary\n promote_secondaries\n no_accept\n mcast_src_ip 10.0.0.9\n track_src_ip\n\
         mcast_dst_ip 224.0.0.99\n garp_master_refresh 60\n garp_master_refresh_repeat 2\n\
         garp_lower_prio_delay 1\n garp_lower_prio_repeat 0\n garp_extra_if all 30\n\
         down_timer_adverts 5\n lower_prio_no_advert\n higher_prio_send_advert true\n\
         v3_checksum_as_v2 off\n use_vmac_addr\n smtp_alert no\n kernel_rx_buf_size 65536\n debug 2\n\
         notify_priority_changes on\n use_ipvlan ipv0 10.0.0.5/24 vepa group 3",
    ));
    assert!(problems(&l).is_empty(), "{:#?}", msgs(&l));
    let o = &inst(&l).opts;
    assert!(o.dont_track_primary && o.promote_secondaries && o.track_src_ip);
    assert!(!o.accept);
    assert_eq!(o.mcast_src_ip, Some(ip("10.0.0.9")));
    assert_eq!(o.mcast_dst_ip, Some(ip("224.0.0.99")));
    assert_eq!(
        (o.garp_master_refresh_s, o.garp_master_refresh_repeat),
        (60, 2)
    );
    assert_eq!(
        (o.garp_lower_prio_delay_s, o.garp_lower_prio_repeat),
        (1, 0)
    );
    assert_eq!(
        o.garp_extra_if,
        Some(GarpExtraIf {
            all: true,
            interval_s: 30
        })
    );
    assert_eq!(o.down_timer_adverts, 5);
    assert!(o.lower_prio_no_advert && o.higher_prio_send_advert);
    assert!(!o.v3_checksum_as_v2);
    assert!(o.use_vmac_addr);
    assert_eq!(o.smtp_alert, Some(false));
    assert_eq!(o.kernel_rx_buf_size, Some(65536));
    assert_eq!(o.debug, Some(2));
    assert_eq!(o.notify_priority_changes, Some(true));
    assert_eq!(
        o.use_ipvlan,
        Some(Ipvlan {
            name: Some("ipv0".into()),
            addr: Some((ip("10.0.0.5"), 24)),
            mode: IpvlanMode::Vepa,
            group: Some(3),
        })
    );
    // Each keyword the daemon does not run yet is noted once.
    assert!(msgs(&l).contains(
        &"k.conf:6:2: warning: 'promote_secondaries' is parsed but not yet supported by keepalived-rs (it has no effect yet)".to_string()
    ));
}

#[test]
fn state_quirks() {
    // state MASTER without priority means 255 (owner).
    let l = parse(&with(" state MASTER"));
    assert_eq!(
        (inst(&l).state, inst(&l).priority),
        (InitialState::Master, 255)
    );
    // No state: MASTER iff priority 255.
    let l = parse(&with(" priority 255"));
    assert_eq!(inst(&l).state, InitialState::Master);
    // BACKUP after MASTER is ignored; other values → BACKUP with an error.
    let l = parse(&with(" state MASTER\n state BACKUP\n priority 50"));
    assert_eq!(inst(&l).state, InitialState::Master);
    assert_eq!(
        msgs(&l),
        ["k.conf:6:8: warning: state 'BACKUP' after 'MASTER' is ignored (as keepalived does)"]
    );
    let l = parse(&with(" state master"));
    assert_eq!(inst(&l).state, InitialState::Backup);
    assert_eq!(
        msgs(&l),
        ["k.conf:5:8: error: invalid state 'master' (must be MASTER or BACKUP); using BACKUP"]
    );
}

#[test]
fn interface_rules() {
    let l = parse("vrrp_instance VI {\n interface lo\n virtual_router_id 7\n}\n");
    assert!(l.has_fatal());
    assert!(l.config.instances.is_empty());
    assert_eq!(
        msgs(&l)[0],
        "k.conf:2:12: error: interface 'lo' is the loopback interface; VRRP cannot run on it"
    );
    let l = parse("vrrp_instance VI {\n interface abcdefghijklmnopq\n virtual_router_id 7\n}\n");
    assert_eq!(
        msgs(&l)[0],
        "k.conf:2:12: error: invalid interface 'abcdefghijklmnopq' (interface names are 1..15 characters)"
    );
}

#[test]
fn unicast_peers() {
    let l = parse(&with(
        " unicast_src_ip 10.0.0.2\n unicast_ttl 10\n unicast_peer {\n  10.0.0.3 min_ttl 250 max_ttl 255\n  10.0.0.4\n  10.0.0.3\n  10.0.0.5 max_tll 3\n }",
    ));
    let i = inst(&l);
    assert_eq!(
        i.unicast_peers,
        [ip("10.0.0.3"), ip("10.0.0.4"), ip("10.0.0.5")]
    );
    assert_eq!(i.opts.unicast_peer[0].min_ttl, Some(250));
    assert_eq!(i.opts.unicast_peer[0].max_ttl, Some(255));
    assert_eq!(i.opts.unicast_peer[1].min_ttl, None);
    // min/max TTL turn on source checking.
    assert!(i.opts.check_unicast_src);
    assert_eq!(i.opts.unicast_ttl, Some(10));
    assert_eq!(
        problems(&l),
        [
            "k.conf:10:3: error: duplicate unicast_peer '10.0.0.3' (first at k.conf:8:3) - ignored",
            "k.conf:11:12: error: unknown unicast_peer option 'max_tll' for '10.0.0.5' - ignored; did you mean `max_ttl`?",
            "k.conf:11:20: error: unknown unicast_peer option '3' for '10.0.0.5' - ignored",
        ]
    );
}

#[test]
fn unicast_without_peers() {
    let l = parse(&with(" unicast_src_ip 10.0.0.2\n unicast_ttl 9"));
    let i = inst(&l);
    assert_eq!(i.opts.unicast_ttl, None);
    assert_eq!(
        problems(&l),
        [
            "k.conf:1:1: error: vrrp_instance 'VI' has unicast settings but no unicast_peer; falling back to multicast (this fallback is deprecated: add peers or 'unicast_fault_no_peer')",
            "k.conf:6:14: warning: unicast_ttl ignored: vrrp_instance 'VI' has no unicast_peer",
        ]
    );
    let l = parse(&with(" unicast_fault_no_peer\n unicast_src_ip 10.0.0.2"));
    assert!(problems(&l).is_empty(), "{:#?}", msgs(&l));
    assert!(inst(&l).opts.unicast_fault_no_peer);
}

#[test]
fn source_family_and_mcast_dst() {
    let l = parse(&with(" mcast_src_ip fe80::1\n mcast_dst_ip 10.1.1.1\n"));
    assert_eq!(inst(&l).opts.mcast_src_ip, None);
    assert_eq!(
        problems(&l),
        [
            "k.conf:6:15: error: invalid mcast_dst_ip '10.1.1.1' (must be an IPv4 multicast address or an IPv6 link-local multicast address ffX2::/16) - ignored",
            "k.conf:5:15: error: mcast_src_ip 'fe80::1' family does not match vrrp_instance 'VI' - ignored",
        ]
    );
    let l = parse("vrrp_instance V6 {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress { fe80::10 }\n mcast_dst_ip ff05::12\n}\n vrrp_instance W6 {\n interface eth0\n virtual_router_id 8\n virtual_ipaddress { fe80::11 }\n mcast_dst_ip ff12::12\n}\n");
    assert_eq!(l.config.instances[0].opts.mcast_dst_ip, None);
    assert_eq!(
        l.config.instances[1].opts.mcast_dst_ip,
        Some(ip("ff12::12"))
    );
}

#[test]
fn vmac() {
    let l = parse(&with(
        " use_vmac vrrp77 02:11:22:33:44 netlink_notify_msg group 4",
    ));
    assert!(problems(&l).is_empty(), "{:#?}", msgs(&l));
    assert_eq!(
        inst(&l).opts.use_vmac,
        Some(Vmac {
            name: Some("vrrp77".into()),
            mac: Some([2, 0x11, 0x22, 0x33, 0x44, 7]),
            netlink_notify_msg: true,
            group: Some(4),
        })
    );
    let l = parse(&with(
        " use_vmac 01:00:5e:00:00:01\n use_vmac 00:00:5e:00:01:07",
    ));
    assert_eq!(
        problems(&l),
        [
            "k.conf:5:11: error: use_vmac MAC '01:00:5e:00:00:01' is a multicast address - ignored",
            "k.conf:6:11: error: use_vmac MAC '00:00:5e:00:01:07' is in the VRRP virtual MAC range (00:00:5e:00:01/02:XX, used by default) - ignored",
        ]
    );
    assert_eq!(inst(&l).opts.use_vmac, Some(Vmac::default()));
    // Unicast with VMAC forces vmac_xmit_base.
    let l = parse(&with(" use_vmac\n unicast_peer { 10.0.0.3 }"));
    assert!(inst(&l).opts.vmac_xmit_base);
}

#[test]
fn skip_check_adv_addr_bug() {
    let l = parse(&with(" skip_check_adv_addr false"));
    assert!(inst(&l).opts.skip_check_adv_addr);
    assert_eq!(problems(&l), ["k.conf:5:22: warning: 'skip_check_adv_addr false' turns the option ON: keepalived enables it for any valid value (a long-standing bug), and keepalived-rs does the same for compatibility; remove the keyword to leave it off"]);
    let l = parse(&with(" skip_check_adv_addr maybe"));
    assert!(!inst(&l).opts.skip_check_adv_addr);
    assert_eq!(
        problems(&l),
        ["k.conf:5:22: error: invalid skip_check_adv_addr 'maybe' (must be on|off|true|false|yes|no)"]
    );
}

#[test]
fn ranges() {
    let l = parse(&with(
        " down_timer_adverts 101\n unicast_ttl 256\n garp_extra_if 86401\n timer_expired_backup 255\n debug 5",
    ));
    assert_eq!(
        problems(&l),
        [
            "k.conf:5:21: error: invalid down_timer_adverts '101' (must be 1..100)",
            "k.conf:6:14: error: invalid unicast_ttl '256' (must be 0..255)",
            "k.conf:7:16: error: invalid garp_extra_if '86401' (must be 0..86400)",
            "k.conf:8:23: error: invalid timer_expired_backup '255' (must be 1..254)",
            "k.conf:9:8: error: invalid debug '5' (must be 0..4)",
        ]
    );
    assert!(l.diagnostics.iter().all(|d| d.severity <= Severity::Error));
}

#[test]
fn timer_expired_backup_needs_nopreempt() {
    let l = parse(&with(" nopreempt\n thread_timer_expired"));
    assert_eq!(inst(&l).opts.timer_expired_backup, Some(254));
    let l = parse(&with(" timer_expired_backup 200"));
    assert_eq!(inst(&l).opts.timer_expired_backup, None);
    assert_eq!(
        problems(&l),
        ["k.conf:5:2: warning: timer_expired_backup needs nopreempt; ignored for vrrp_instance 'VI'"]
    );
}

#[test]
fn deprecated_keywords_name_the_replacement() {
    let l = parse(&with(
        " vmac_garp_intvl 10\n native_ipv6\n lvs_sync_daemon_interface eth1",
    ));
    assert_eq!(
        inst(&l).opts.garp_extra_if,
        Some(GarpExtraIf {
            all: false,
            interval_s: 10
        })
    );
    assert_eq!(
        problems(&l),
        [
            "k.conf:5:2: error: 'vmac_garp_intvl' is deprecated; use 'garp_extra_if' instead",
            "k.conf:6:2: error: 'native_ipv6' is deprecated; remove it: the address family comes from the virtual addresses",
            "k.conf:7:2: error: 'lvs_sync_daemon_interface' is deprecated; use 'lvs_sync_daemon' in global_defs instead (LVS is not part of keepalived-rs)",
        ]
    );
}

#[test]
fn unknown_keyword_suggests() {
    let l = parse(&with(" garp_master_refesh 5"));
    assert_eq!(
        msgs(&l),
        ["k.conf:5:2: error: unknown keyword 'garp_master_refesh'; did you mean `garp_master_refresh`?"]
    );
}

#[test]
fn strict_mode_effects() {
    let l = parse(&with(
        " strict_mode\n state MASTER\n priority 100\n preempt_delay 5\n accept\n garp_lower_prio_repeat 3\n\
         higher_prio_send_advert\n vmac_xmit_base\n down_timer_adverts 7\n authentication {\n  auth_type PASS\n  auth_pass x\n }",
    ));
    let i = inst(&l);
    let o = &i.opts;
    assert!(o.strict_mode);
    assert_eq!(i.state, InitialState::Backup);
    assert_eq!(i.preempt_delay_us, 0);
    assert!(!o.accept);
    assert_eq!(
        (o.garp_lower_prio_repeat, o.garp_lower_prio_delay_s),
        (0, 0)
    );
    assert!(o.lower_prio_no_advert && !o.higher_prio_send_advert && !o.vmac_xmit_base);
    assert_eq!(o.down_timer_adverts, 3);
    assert_eq!(i.authentication, None);
    assert_eq!(
        problems(&l),
        [
            "k.conf:1:1: error: vrrp_instance 'VI': strict mode requires state BACKUP for priority 100; changed",
            "k.conf:8:16: error: preempt_delay is not allowed in strict mode; cleared for vrrp_instance 'VI'",
            "k.conf:12:2: error: vmac_xmit_base is not allowed in strict mode; cleared for vrrp_instance 'VI'",
            "k.conf:10:25: error: garp_lower_prio_repeat must be 0 in strict mode; set to 0 for vrrp_instance 'VI'",
            "k.conf:11:1: error: higher_prio_send_advert must be false in strict mode; set to false for vrrp_instance 'VI'",
            "k.conf:13:21: error: down_timer_adverts must be 3 in strict mode; set to 3 for vrrp_instance 'VI'",
            "k.conf:9:2: error: accept is not allowed in strict mode for a VRRPv2 non-owner; cleared for vrrp_instance 'VI'",
            "k.conf:14:2: error: authentication is not allowed in strict mode; removed from vrrp_instance 'VI'",
        ]
    );
    // Strict mode without addresses cannot run; unicast neither.
    let l = parse("vrrp_instance VI {\n strict_mode\n interface eth0\n virtual_router_id 7\n no_virtual_ipaddress\n unicast_peer { 10.0.0.2 }\n}\n");
    assert!(l.has_fatal());
}

#[test]
fn authentication_variants() {
    let l = parse(&with(
        " authentication {\n  auth_type AH\n  auth_pass secret\n }",
    ));
    let mut k = [0u8; 8];
    k[..6].copy_from_slice(b"secret");
    assert_eq!(inst(&l).authentication, Some(Authentication::Ah(k)));
    let l = parse(&with(
        " version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }",
    ));
    assert_eq!(inst(&l).authentication, None);
}

#[test]
fn auth_hmac_block() {
    let key = "k".repeat(32);
    let l = parse(&with(&format!(
        " auth_hmac {{\n  key 1 {key}\n  key 2 hex:{}\n  active_key 2\n  time_window 30\n  mode permissive\n  anti_replay monotonic\n }}",
        "ab".repeat(40)
    )));
    assert!(problems(&l).is_empty(), "{:#?}", msgs(&l));
    let h = inst(&l).opts.auth_hmac.clone();
    let Some(h) = h else {
        panic!("auth_hmac missing: {:#?}", msgs(&l));
    };
    assert_eq!(h.keys.len(), 2);
    assert_eq!(h.active_key, Some(2));
    assert_eq!(h.time_window_s, Some(30));
    assert_eq!(h.mode, HmacMode::Permissive);
    let l = parse(&with(" auth_hmac {\n  key 1 short\n }"));
    assert_eq!(
        problems(&l),
        [
            "k.conf:6:9: error: auth_hmac key 1 is 5 bytes (must be 32..64) - ignored",
            "k.conf:5:2: error: auth_hmac has no valid key - ignored",
        ]
    );
}

#[test]
fn notify_scripts_and_tracking() {
    let l = parse(&with(
        " notify_master \"/bin/echo master\"\n notify /bin/n\n notify_deleted\n track_interface {\n  eth1 weight 10\n }",
    ));
    let i = inst(&l);
    let n = &i.opts.notify;
    assert_eq!(
        n.master.as_ref().map(|s| s.argv.clone()),
        Some(vec!["/bin/echo".to_string(), "master".to_string()])
    );
    assert_eq!(n.notify.as_ref().map(|s| s.argv.len()), Some(1));
    assert!(n.deleted && n.deleted_script.is_none());
    assert_eq!(i.track.len(), 1);
    assert_eq!(i.track[0].kind, TrackKind::Interface);
    assert_eq!(i.track[0].weight, Some(10));
}

#[test]
fn vrf_needs_unicast_without_interface() {
    let l = parse(&with(" vrf blue"));
    assert_eq!(inst(&l).opts.vrf, None);
    assert_eq!(
        problems(&l),
        ["k.conf:5:6: error: vrf 'blue' of vrrp_instance 'VI' is only valid for a unicast instance without 'interface' - ignored"]
    );
}

#[test]
fn global_defaults_reach_instances() {
    let l = parse(
        "global_defs {\n vrrp_garp_master_refresh 10\n vrrp_garp_lower_prio_repeat 2\n vrrp_higher_prio_send_advert\n vrrp_check_unicast_src\n}\n\
         vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n\
         global_defs {\n vrrp_garp_master_refresh 20\n vrrp_strict\n}\n\
         vrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 255\n virtual_ipaddress { 10.0.0.2 }\n}\n",
    );
    let a = &l.config.instances[0].opts;
    let b = &l.config.instances[1].opts;
    // Copied at allocation: a later global_defs does not change A.
    assert_eq!(a.garp_master_refresh_s, 10);
    assert_eq!(b.garp_master_refresh_s, 20);
    // Applied at completion (whole file): strict reaches A too.
    assert!(a.strict_mode && b.strict_mode);
    assert_eq!(a.garp_lower_prio_repeat, 0);
    assert!(!a.higher_prio_send_advert && a.lower_prio_no_advert);
    assert!(a.check_unicast_src);
    assert!(!a.accept && b.accept);
    assert!(b.owner_ignore_adverts && !a.owner_ignore_adverts);
}

#[test]
fn ah_cannot_start_as_master() {
    let l = parse(&with(
        " state MASTER\n priority 200\n authentication {\n  auth_type AH\n  auth_pass x\n }",
    ));
    assert_eq!(inst(&l).state, InitialState::Backup);
    assert!(problems(&l).contains(
        &"k.conf:8:13: error: vrrp_instance 'VI': initial state MASTER is incompatible with auth_type AH; using BACKUP".to_string()
    ), "{:#?}", msgs(&l));
}
