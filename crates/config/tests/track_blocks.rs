//! Root tracker blocks (vrrp_script, vrrp_track_process, track_file,
//! vrrp_sync_group, track_group, garp_group, linkbeat_interfaces,
//! interface_up_down_delays, root globals): typed values and diagnostics.

use keepalived_config::{
    parse_str, InitFile, LinkbeatKind, LoadOptions, Loaded, ParamMatch, Severity, TrackKind,
};
use std::path::{Path, PathBuf};

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

const TRACKERS: &str = r#"vrrp_script chk_nginx {
  script "/usr/bin/pgrep -x nginx"
  interval 2.5
  timeout 1
  weight -20 reverse
  rise 3
  fall 2
  user nobody nogroup
  init_fail
}
vrrp_script defaults {
  script /bin/true
}
vrrp_track_process haproxy {
  process haproxy -f /etc/haproxy.cfg
  param_match initial
  weight 254
  quorum 2
  quorum_max 4
  delay 0.5
  terminate_delay 1.25
  full_command
}
track_file maint {
  file /run/maint
  weight -254 reverse
  init_file 010 overwrite
}
track_file plain {
  file /run/plain
}
"#;

#[test]
fn tracker_blocks_typed() {
    let l = parse(TRACKERS);
    assert!(msgs(&l).is_empty(), "{:?}", msgs(&l));
    let c = &l.config;
    assert_eq!(c.scripts.len(), 2);
    let s = &c.scripts[0];
    assert_eq!(s.name, "chk_nginx");
    assert_eq!(s.script.argv, ["/usr/bin/pgrep", "-x", "nginx"]);
    assert_eq!(s.interval_us, 2_500_000);
    assert_eq!(s.timeout_us, 1_000_000);
    assert_eq!((s.weight, s.weight_reverse), (-20, true));
    assert_eq!((s.rise, s.fall), (3, 2));
    let u = s
        .user
        .as_ref()
        .map(|u| (u.user.as_str(), u.group.as_deref()));
    assert_eq!(u, Some(("nobody", Some("nogroup"))));
    assert!(s.init_fail);
    assert_eq!(s.location.line, 1);
    let d = &c.scripts[1];
    assert_eq!((d.interval_us, d.timeout_us), (1_000_000, 1_000_000));
    assert_eq!(
        (d.weight, d.weight_reverse, d.rise, d.fall),
        (0, false, 1, 1)
    );
    assert!(d.user.is_none() && !d.init_fail);

    let p = &c.track_processes[0];
    assert_eq!(p.name, "haproxy");
    assert_eq!(p.process, "haproxy");
    assert_eq!(p.params, ["-f", "/etc/haproxy.cfg"]);
    assert_eq!(p.param_match, ParamMatch::Initial);
    assert_eq!((p.weight, p.quorum, p.quorum_max), (254, 2, Some(4)));
    assert_eq!(p.delay_us, Some(500_000));
    assert_eq!(p.fork_delay_us, None);
    assert_eq!(p.terminate_delay_us, Some(1_250_000));
    assert!(p.full_command);

    let f = &c.track_files[0];
    assert_eq!(f.file, PathBuf::from("/run/maint"));
    assert_eq!((f.weight, f.weight_reverse), (-254, true));
    assert_eq!(
        f.init_file,
        Some(InitFile {
            value: 8,
            overwrite: true
        })
    );
    let f = &c.track_files[1];
    assert_eq!((f.weight, f.init_file), (1, None));
}

#[test]
fn tracker_block_problems() {
    let l = parse(
        "vrrp_script s1 {\n interval 0\n weight 254\n rise 0\n bogus 1\n}\n\
         vrrp_script s2 {\n script /bin/true\n interval 0\n timeout 1.0005\n}\n\
         vrrp_track_process p1 {\n param_match initial\n}\n\
         vrrp_track_process p2 {\n process a\n process b\n param_match bogus\n quorum 3\n quorum_max 2\n terminate_delay 0\n}\n\
         vrrp_track_file f1 {\n weight 3\n}\n\
         track_file f2 {\n file /x\n weight 255\n init_file x\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            "k.conf:2:11: error: vrrp_script 's1': interval must be greater than 0; using 1",
            "k.conf:3:9: error: invalid vrrp_script 's1' weight '254' (must be -253..253) - ignored",
            "k.conf:4:7: error: invalid rise '0' (must be 1..2147483647)",
            "k.conf:5:2: error: unknown keyword 'bogus'",
            "k.conf:1:1: error: vrrp_script 's1' has no 'script' - the vrrp_script is removed",
            "k.conf:9:11: error: vrrp_script 's2': interval must be greater than 0; using 1",
            "k.conf:10:10: error: timeout '1.0005' has more than 3 decimal places; rounded to 1.001",
            "k.conf:12:1: error: vrrp_track_process 'p1' has no 'process' - the vrrp_track_process is removed",
            "k.conf:17:10: error: vrrp_track_process 'p2': process already set at k.conf:16:10 - 'b' ignored",
            "k.conf:18:14: error: vrrp_track_process 'p2': invalid param_match 'bogus' (must be initial|partial, or nothing for exact) - ignored",
            "k.conf:21:18: error: invalid terminate_delay '0' (must be 0.000001..3600 seconds)",
            "k.conf:20:13: error: vrrp_track_process 'p2': quorum_max 2 is less than quorum 3 (quorum at k.conf:19:9); quorum_max ignored",
            "k.conf:23:1: error: 'vrrp_track_file' is deprecated - use 'track_file' instead (applied as 'track_file')",
            "k.conf:23:1: error: track_file 'f1' has no 'file' - the track_file is removed",
            "k.conf:28:9: error: invalid track_file 'f2' weight '255' (must be -254..254) - ignored",
            "k.conf:29:12: error: track_file 'f2': unknown init_file option 'x' (expected a number and/or 'overwrite') - init_file ignored",
        ]
    );
    assert_eq!(l.config.scripts.len(), 1);
    assert_eq!(l.config.scripts[0].timeout_us, 1_001_000);
    assert_eq!(l.config.track_processes.len(), 1);
    assert_eq!(l.config.track_processes[0].process, "a");
    assert_eq!(l.config.track_files.len(), 1);
    assert!(l
        .diagnostics
        .iter()
        .all(|d| matches!(d.severity, Severity::Error | Severity::Security)));
}

const SYNC: &str = r#"vrrp_script chk {
  script /bin/true
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  track_script {
    chk weight 10 noreverse
  }
  track_interface {
    eth1 weight 5 reverse
  }
  notify_master "/usr/local/bin/master.sh G1"
  notify /usr/local/bin/notify.sh
  smtp_alert
  notify_priority_changes false
  sync_group_tracking_weight
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  virtual_ipaddress { 10.0.0.2 }
}
"#;

#[test]
fn sync_group_typed() {
    let l = parse(SYNC);
    assert!(msgs(&l).is_empty(), "{:?}", msgs(&l));
    let g = &l.config.sync_groups[0];
    assert_eq!(g.name, "G1");
    assert_eq!(g.members, ["VI_1", "VI_2"]);
    assert_eq!(g.member_locations[1].line, 7);
    let t: Vec<_> = g
        .track
        .iter()
        .map(|t| (t.kind, t.name.as_str(), t.weight, t.reverse))
        .collect();
    assert_eq!(
        t,
        [
            (TrackKind::Script, "chk", Some(10), Some(false)),
            (TrackKind::Interface, "eth1", Some(5), Some(true)),
        ]
    );
    let nm = g.notify_master.as_ref().map(|s| s.argv.clone());
    assert_eq!(
        nm,
        Some(vec![
            "/usr/local/bin/master.sh".to_string(),
            "G1".to_string()
        ])
    );
    assert!(g.notify.is_some() && g.notify_backup.is_none());
    assert_eq!(g.smtp_alert, Some(true));
    assert_eq!(g.notify_priority_changes, Some(false));
    assert!(g.tracking_weight);
}

#[test]
fn sync_group_problems() {
    let l = parse(
        "vrrp_sync_group G1 {\n group { VI_1 VI_X }\n notify_deleted /bin/true\n global_tracking\n}\n\
         vrrp_sync_group G2 {\n group { VI_1 }\n}\n\
         vrrp_sync_group G3 {\n group { }\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            "k.conf:3:2: error: 'notify_deleted' is not valid in a vrrp_sync_group (only in vrrp_instance) - ignored",
            "k.conf:4:2: error: vrrp_sync_group 'G1': 'global_tracking' is deprecated - use 'sync_group_tracking_weight' or track_* blocks on the sync group (applied as 'sync_group_tracking_weight')",
            "k.conf:2:15: error: vrrp_sync_group 'G1': member 'VI_X' is not a (valid) vrrp_instance - ignored; did you mean `VI_1`?",
            "k.conf:7:10: error: vrrp_sync_group 'G2': vrrp_instance 'VI_1' is already a member of vrrp_sync_group 'G1' at k.conf:2:10 - ignored here",
            "k.conf:1:1: warning: vrrp_sync_group 'G1' has only one member ('VI_1'): a sync group needs at least two to be useful",
            "k.conf:6:1: warning: vrrp_sync_group 'G2' has no valid members - removed",
            "k.conf:9:1: warning: vrrp_sync_group 'G3' has no valid members - removed",
        ]
    );
    assert_eq!(l.config.sync_groups.len(), 1);
    assert!(l.config.sync_groups[0].tracking_weight);
}

#[test]
fn small_root_blocks() {
    let l = parse(
        "net_namespace blue\ninstance inst1\nuse_pid_dir\nchild_wait_time 7\nlinkbeat_use_polling\n\
         track_group TG {\n group { VI_1 VI_9 }\n}\n\
         garp_group {\n garp_interval 0.002\n gna_interval 0.003\n interface eth0\n interfaces { eth1 eth2 }\n}\n\
         linkbeat_interfaces {\n eth0\n eth1 MII\n eth2 ethtool\n eth3 bogus\n}\n\
         interface_up_down_delays {\n eth0 2.5\n eth1 1 3\n eth2 256\n}\n\
         vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 10.0.0.1 }\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            "k.conf:19:7: error: linkbeat_interfaces 'eth3': unknown type 'bogus' (must be MII|ETHTOOL|IOCTL) - default used",
            "k.conf:24:7: error: invalid interface down delay '256' (must be 0..255 seconds)",
            "k.conf:6:1: error: track_group 'TG': member 'VI_9' is not a vrrp_instance - ignored",
        ]
    );
    let c = &l.config;
    assert_eq!(c.root.net_namespace.as_deref(), Some("blue"));
    assert_eq!(c.root.instance.as_deref(), Some("inst1"));
    assert!(c.root.use_pid_dir && c.root.linkbeat_use_polling);
    assert_eq!(c.root.child_wait_time_s, Some(7));
    assert_eq!(c.track_groups[0].members, ["VI_1"]);
    let g = &c.garp_groups[0];
    assert_eq!(
        (g.garp_interval_us, g.gna_interval_us),
        (Some(2_000), Some(3_000))
    );
    assert_eq!(g.interfaces, ["eth0", "eth1", "eth2"]);
    let lb: Vec<_> = c
        .linkbeat_interfaces
        .iter()
        .map(|x| (x.name.as_str(), x.kind))
        .collect();
    assert_eq!(
        lb,
        [
            ("eth0", LinkbeatKind::Default),
            ("eth1", LinkbeatKind::Mii),
            ("eth2", LinkbeatKind::Ethtool),
            ("eth3", LinkbeatKind::Default),
        ]
    );
    let d: Vec<_> = c
        .interface_delays
        .iter()
        .map(|x| (x.name.as_str(), x.down_us, x.up_us))
        .collect();
    assert_eq!(
        d,
        [
            ("eth0", 2_500_000, 2_500_000),
            ("eth1", 1_000_000, 3_000_000)
        ]
    );
}

#[test]
fn skipped_blocks_one_warning_each() {
    let l = parse(
        "virtual_server 192.0.2.1 80 {\n real_server 10.0.0.1 80 {\n  HTTP_GET {\n   url { path / }\n  }\n }\n}\n\
         virtual_server 192.0.2.2 80 {\n}\nbfd_instance b1 {\n neighbor_ip 1.2.3.4\n}\n",
    );
    assert_eq!(
        msgs(&l),
        [
            "k.conf:1:1: warning: virtual_server 192.0.2.1 80 { … } skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)",
            "k.conf:8:1: warning: virtual_server 192.0.2.2 80 { … } skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)",
            "k.conf:10:1: warning: bfd_instance b1 { … } skipped: BFD is not supported; track_bfd entries naming it are ignored",
        ]
    );
    assert_eq!(l.config.bfd_instances, ["b1"]);
}

#[test]
fn sync_group_member_outside_group_block() {
    let l = parse("vrrp_sync_group VG1 {\n  VI_2\n  grup { VI_3 }\n}\n");
    assert_eq!(
        msgs(&l),
        [
            "k.conf:2:3: error: unknown keyword 'VI_2' in vrrp_sync_group 'VG1'; if 'VI_2' is a vrrp_instance, list it inside 'group { … }'",
            "k.conf:3:3: error: unknown keyword 'grup' with a '{' block: the whole block is skipped (keepalived would instead read its contents as part of the enclosing block); did you mean `group`?",
            "k.conf:1:1: error: vrrp_sync_group 'VG1' has no 'group' block",
            "k.conf:1:1: warning: vrrp_sync_group 'VG1' has no valid members - removed",
        ]
    );
}

#[test]
fn unknown_root_keyword_suggests() {
    let l = parse("vrrp_scrpt chk {\n script /bin/true\n}\n");
    assert_eq!(
        msgs(&l),
        ["k.conf:1:1: error: unknown keyword 'vrrp_scrpt' with a '{' block: the whole block is skipped (keepalived would instead read its contents as part of the enclosing block); did you mean `vrrp_script`?"]
    );
}
