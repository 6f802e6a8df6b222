//! Cross-object checks after parsing: exact locations and messages.

use keepalived_config::{parse_str, LoadOptions, Loaded, Severity, TrackKind};
use std::path::Path;

fn parse(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: Some("node1".into()),
        ..LoadOptions::default()
    };
    parse_str(text, Path::new("k.conf"), &opts)
}

/// Every diagnostic but the script-security one (tested on its own).
fn msgs(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Security)
        .map(ToString::to_string)
        .collect()
}

fn names(l: &Loaded, inst: usize) -> Vec<(TrackKind, String, Option<i32>)> {
    l.config.instances[inst]
        .track
        .iter()
        .map(|t| (t.kind, t.name.clone(), t.weight))
        .collect()
}

#[test]
fn tracker_undefined_or_defined_later() {
    let l = parse(
        "vrrp_script chk_a {\n script /bin/true\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n\
         track_script {\n  chk_a\n  chk_b\n  chk_c\n }\n track_file {\n  nofile\n }\n track_bfd {\n  b1\n  b2\n }\n}\n\
         vrrp_script chk_c {\n script /bin/true\n}\n\
         bfd_instance b1 {\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            "k.conf:24:1: warning: bfd_instance b1 { … } skipped: BFD is not supported; track_bfd entries naming it are ignored",
            "k.conf:10:3: error: track_script 'chk_b' of vrrp_instance 'VI_1': no vrrp_script 'chk_b' is defined - entry ignored; did you mean `chk_a`?",
            "k.conf:11:3: error: track_script 'chk_c' of vrrp_instance 'VI_1': vrrp_script 'chk_c' is defined later, at k.conf:21:1; keepalived only finds trackers defined before use - entry ignored (move the vrrp_script up)",
            "k.conf:14:3: error: track_file 'nofile' of vrrp_instance 'VI_1': no track_file 'nofile' is defined - entry ignored",
            "k.conf:17:3: warning: track_bfd 'b1' of vrrp_instance 'VI_1': bfd_instance 'b1' is skipped (BFD is not supported by keepalived-rs) - entry ignored",
            "k.conf:18:3: error: track_bfd 'b2' of vrrp_instance 'VI_1': no bfd_instance 'b2' is defined - entry ignored",
        ]
    );
    assert_eq!(
        names(&l, 0),
        [(TrackKind::Script, "chk_a".to_string(), None)]
    );
}

#[test]
fn sync_group_tracker_checked_too() {
    let l = parse(
        "vrrp_sync_group G {\n group { VI_1 VI_2 }\n track_script { chk }\n}\n\
         vrrp_script chk {\n script /bin/true\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n\
         vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress { 10.0.0.2 }\n}\n",
    );
    assert_eq!(
        msgs(&l),
        ["k.conf:3:17: error: track_script 'chk' of vrrp_sync_group 'G': vrrp_script 'chk' is defined later, at k.conf:5:1; keepalived only finds trackers defined before use - entry ignored (move the vrrp_script up)"]
    );
    assert!(l.config.sync_groups[0].track.is_empty());
}

#[test]
fn owner_weighted_trackers_removed() {
    let l = parse(
        "vrrp_script heavy {\n script /bin/true\n weight 10\n}\n\
         vrrp_script light {\n script /bin/true\n}\n\
         track_file tf {\n file /run/tf\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 255\n virtual_ipaddress { 10.0.0.1 }\n\
         track_script {\n  heavy\n  light\n  light2\n }\n track_interface {\n  eth1 weight 5\n  eth2\n }\n track_file {\n  tf\n }\n}\n",
    );
    let m = msgs(&l);
    assert_eq!(
        m,
        [
            "k.conf:19:3: error: track_script 'light2' of vrrp_instance 'VI_1': no vrrp_script 'light2' is defined - entry ignored; did you mean `light`?",
            "k.conf:17:3: error: track_script 'heavy' has weight 10, but vrrp_instance 'VI_1' is the address owner (priority 255, at k.conf:11:1) whose priority never changes - entry removed",
            "k.conf:22:3: error: track_interface 'eth1' has weight 5, but vrrp_instance 'VI_1' is the address owner (priority 255, at k.conf:11:1) whose priority never changes - entry removed",
        ]
    );
    assert_eq!(
        names(&l, 0),
        [
            (TrackKind::Script, "light".to_string(), None),
            (TrackKind::Interface, "eth2".to_string(), None),
            (TrackKind::File, "tf".to_string(), Some(0)),
        ]
    );
}

#[test]
fn vip_in_two_instances() {
    let l = parse(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n\
         vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n  10.0.0.1/24\n }\n}\n",
    );
    assert_eq!(
        msgs(&l),
        ["k.conf:10:3: error: virtual_ipaddress 10.0.0.1 of vrrp_instance 'VI_2' is also in vrrp_instance 'VI_1' at k.conf:4:22 (both on eth0)"]
    );
    assert_eq!(l.diagnostics[0].severity, Severity::Error);
}

#[test]
fn scripts_without_script_security() {
    let l = parse(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n notify_master /bin/m.sh\n}\n\
         vrrp_script unused {\n script \"/bin/true x\"\n}\n",
    );
    let sec: Vec<String> = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Security)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        sec,
        // keepalived counts only scripts whose program exists: /bin/m.sh does not.
        ["k.conf:8:9: error: SECURITY VIOLATION: scripts are configured (first: vrrp_script 'unused' `/bin/true x`) but enable_script_security is not set in global_defs; keepalived runs them anyway and reports this as a security error"]
    );
    // A vrrp_script whose program is missing is disabled, and its tracking
    // entries go with it (keepalived: "Disabling track script").
    let l = parse(
        "vrrp_script gone {\n script /nonexistent/check\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n track_script {\n  gone\n }\n}\n",
    );
    assert_eq!(
        msgs(&l),
        ["k.conf:2:9: error: vrrp_script 'gone': program '/nonexistent/check' not found or not accessible - the script is disabled and not tracked"]
    );
    assert!(l.config.scripts.is_empty());
    assert!(l
        .config
        .instances
        .first()
        .is_some_and(|i| i.track.is_empty()));
    let l =
        parse("global_defs {\n enable_script_security\n}\nvrrp_script s {\n script /bin/true\n}\n");
    assert!(l.diagnostics.is_empty(), "{:?}", msgs(&l));
}
