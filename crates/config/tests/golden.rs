//! Golden tests: realistic keepalived.conf files and the typed values they give.

use keepalived_config::{parse_str, Authentication, InitialState, LoadOptions, Loaded, Severity};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

fn parse(text: &str) -> Loaded {
    let opts = LoadOptions {
        config_id: Some("node1".into()),
        ..LoadOptions::default()
    };
    parse_str(text, Path::new("keepalived.conf"), &opts)
}

fn msgs(l: &Loaded) -> Vec<String> {
    l.diagnostics.iter().map(ToString::to_string).collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn pass(s: &[u8]) -> Option<Authentication> {
    let mut k = [0u8; 8];
    for (d, b) in k.iter_mut().zip(s) {
        *d = *b;
    }
    Some(Authentication::Pass(k))
}

const MASTER: &str = r#"! Configuration File for keepalived

global_defs {
   notification_email {
     acassen@firewall.loc
     failover@firewall.loc
   }
   notification_email_from Alexandre.Cassen@firewall.loc
   smtp_server 192.168.200.1
   smtp_connect_timeout 30
   router_id LVS_DEVEL
   vrrp_skip_check_adv_addr
   vrrp_garp_interval 0.001
   vrrp_gna_interval 0.001
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        192.168.200.16
        192.168.200.17/24 dev eth1
        192.168.200.18 dev eth2 label eth2:1
    }
}

virtual_server 192.168.200.100 443 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    persistence_timeout 50
    protocol TCP

    real_server 192.168.201.100 443 {
        weight 1
        SSL_GET {
            url {
              path /
              digest ff20ad2481f97b1754ef3e12ecd3a9cc
            }
            connect_timeout 3
        }
    }
}

virtual_server 10.10.10.2 1358 {
    sorry_server 192.168.200.200 1358
    real_server 192.168.200.2 1358 {
        weight 1
    }
}
"#;

#[test]
fn typical_master() {
    let l = parse(MASTER);
    assert_eq!(
        msgs(&l),
        [
            "keepalived.conf:34:1: warning: virtual_server 192.168.200.100 443 { … } skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)",
            "keepalived.conf:53:1: warning: virtual_server 10.10.10.2 1358 { … } skipped: keepalived-rs runs the VRRP side only (LVS/checker not supported)"
        ]
    );
    assert_eq!(l.worst(), Some(Severity::Warning));
    assert!(!l.has_fatal());
    let c = &l.config;
    assert_eq!(c.global.router_id.as_deref(), Some("LVS_DEVEL"));
    assert_eq!(c.global.vrrp_version, 2);
    assert_eq!(c.instances.len(), 1);
    let i = &c.instances[0];
    assert_eq!(i.name, "VI_1");
    assert_eq!(i.state, InitialState::Master);
    assert_eq!(i.interface.as_deref(), Some("eth0"));
    assert_eq!(i.virtual_router_id, 51);
    assert_eq!(i.priority, 100);
    assert_eq!(i.advert_int_us, 1_000_000);
    assert_eq!(i.version, 2);
    assert!(!i.nopreempt);
    assert_eq!(i.authentication, pass(b"1111"));
    assert_eq!(i.virtual_ipaddress.len(), 3);
    let v = &i.virtual_ipaddress;
    assert_eq!(
        (v[0].addr, v[0].prefix_len, v[0].dev.as_deref()),
        (ip("192.168.200.16"), 32, None)
    );
    assert_eq!(
        (v[1].addr, v[1].prefix_len, v[1].dev.as_deref()),
        (ip("192.168.200.17"), 24, Some("eth1"))
    );
    assert_eq!(v[2].label.as_deref(), Some("eth2:1"));
    assert_eq!((v[2].location.line, v[2].location.col), (30, 9));
    assert_eq!((i.location.line, i.location.col), (17, 1));
    assert_eq!(i.garp_master_delay_s, 5);
    assert_eq!(i.garp_master_repeat, 5);
}

#[test]
fn typical_backup_pair() {
    let text = r#"
global_defs {
    router_id node2
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 90
    advert_int 1
    nopreempt
    authentication {
        auth_type PASS
        auth_pass verylongpassword
    }
    virtual_ipaddress {
        10.0.0.100/24 dev eth0 label eth0:vip
    }
}
vrrp_instance VI_2 {
    interface eth1
    virtual_router_id 52
    priority 255
    preempt_delay 2.5
    virtual_ipaddress {
        10.0.1.100
    }
}
"#;
    let l = parse(text);
    assert_eq!(
        msgs(&l),
        [
            "keepalived.conf:14:19: warning: auth_pass 'verylongpassword' is longer than 8 bytes; truncated",
            "keepalived.conf:24:19: warning: preempt_delay ignored for vrrp_instance 'VI_2' (state MASTER or nopreempt)",
        ]
    );
    let [a, b] = l.config.instances.as_slice() else {
        panic!("two instances expected: {:?}", l.config.instances);
    };
    assert_eq!(a.state, InitialState::Backup);
    assert_eq!(a.priority, 90);
    assert!(a.nopreempt);
    assert_eq!(a.authentication, pass(b"verylong"));
    // No state + priority 255 → MASTER; preempt_delay then cleared.
    assert_eq!(b.state, InitialState::Master);
    assert_eq!(b.preempt_delay_us, 0);
    assert_eq!(b.priority, 255);
}

#[test]
fn vrrp_v3_subsecond() {
    let text = r#"
global_defs {
    vrrp_version 3
    vrrp_garp_master_delay 1
    vrrp_garp_master_repeat 3
    vrrp_mcast_group4 224.0.0.19
}
vrrp_instance V3 {
    state MASTER
    interface eth0
    virtual_router_id 10
    advert_int 0.1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.1/24
    }
}
vrrp_instance V6 {
    interface eth0
    virtual_router_id 10
    advert_int 0.015
    virtual_ipaddress {
        2001:db8::1
        fe80::1/64 dev eth1 label nope
    }
}
"#;
    let l = parse(text);
    assert_eq!(
        msgs(&l),
        [
            "keepalived.conf:13:5: error: authentication is not used with VRRPv3; removed from vrrp_instance 'V3'",
            "keepalived.conf:27:29: warning: label 'nope' ignored for IPv6 virtual_ipaddress 'fe80::1/64'",
            "keepalived.conf:24:16: error: advert_int '0.015' of vrrp_instance 'V6' is not valid for VRRPv3 (multiples of 0.01 s, 0.01..40.95); using 0.02",
            "keepalived.conf:26:9: warning: first IPv6 virtual_ipaddress '2001:db8::1' of vrrp_instance 'V6' is not link-local (RFC 5798 expects one)",
        ]
    );
    assert_eq!(l.config.global.mcast_group4, Ipv4Addr::new(224, 0, 0, 19));
    let [a, b] = l.config.instances.as_slice() else {
        panic!("two instances expected");
    };
    assert_eq!(a.version, 3);
    assert_eq!(a.advert_int_us, 100_000);
    assert_eq!(a.priority, 255, "state MASTER without priority means 255");
    assert_eq!(a.authentication, None);
    assert_eq!((a.garp_master_delay_s, a.garp_master_repeat), (1, 3));
    // Same VRID on the same interface but another family: no conflict.
    assert_eq!(b.version, 3);
    assert_eq!(b.advert_int_us, 20_000);
    assert_eq!(b.virtual_ipaddress[0].prefix_len, 128);
    assert_eq!(b.virtual_ipaddress[1].prefix_len, 64);
}

#[test]
fn unicast_without_interface() {
    let text = r#"
vrrp_instance U {
    virtual_router_id 7
    priority 150
    unicast_src_ip 192.0.2.10
    unicast_peer {
        192.0.2.11
        192.0.2.12 min_ttl 250 max_ttl 255
        192.0.2.11
    }
    virtual_ipaddress {
        192.0.2.100/24 dev eth0
    }
}
"#;
    let l = parse(text);
    assert_eq!(
        msgs(&l),
        [
            "keepalived.conf:9:9: error: duplicate unicast_peer '192.0.2.11' (first at keepalived.conf:7:9) - ignored",
        ]
    );
    let i = &l.config.instances[0];
    assert_eq!(i.interface, None);
    assert_eq!(i.unicast_src_ip, Some(ip("192.0.2.10")));
    assert_eq!(i.unicast_peers, [ip("192.0.2.11"), ip("192.0.2.12")]);
    assert_eq!(i.state, InitialState::Backup);
}

#[test]
fn global_order_dependence() {
    let text = r#"
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress { 10.0.0.1 }
}
global_defs {
    vrrp_garp_master_repeat 9
    vrrp_garp_master_delay 0
}
vrrp_instance B {
    interface eth0
    virtual_router_id 2
    garp_master_repeat 0
    virtual_ipaddress { 10.0.0.2 }
}
vrrp_instance C {
    interface eth0
    virtual_router_id 3
    virtual_ipaddress { 10.0.0.3 }
}
"#;
    let l = parse(text);
    let got: Vec<(u32, u32)> = l
        .config
        .instances
        .iter()
        .map(|i| (i.garp_master_delay_s, i.garp_master_repeat))
        .collect();
    assert_eq!(got, [(5, 5), (0, 1), (0, 9)]);
    assert_eq!(
        msgs(&l),
        ["keepalived.conf:14:24: error: invalid garp_master_repeat '0' (must be at least 1); using 1"]
    );
}

#[test]
fn v2_advert_rounding_and_state_quirks() {
    let text = r#"
vrrp_instance A {
    state MASTER
    state BACKUP
    nopreempt
    preempt_delay 10
    interface eth0
    virtual_router_id 1
    advert_int 2.5
    virtual_ipaddress { 10.0.0.1 }
}
vrrp_instance B {
    state FOO
    interface eth0
    virtual_router_id 2
    virtual_ipaddress { 10.0.0.2 }
    advert_int 0.4
    virtual_ipaddress_excluded { 10.1.1.1 }
    track_script { chk }
    track_interface { eth9 }
}
"#;
    let l = parse(text);
    assert_eq!(
        msgs(&l),
        [
            "keepalived.conf:4:11: warning: state 'BACKUP' after 'MASTER' is ignored (as keepalived does)",
            "keepalived.conf:5:5: warning: nopreempt ignored for vrrp_instance 'A' (state MASTER or priority 255)",
            "keepalived.conf:6:19: warning: preempt_delay ignored for vrrp_instance 'A' (state MASTER or nopreempt)",
            "keepalived.conf:9:16: error: advert_int '2.5' of vrrp_instance 'A' is not valid for VRRPv2 (whole seconds 1..255); using 3",
            "keepalived.conf:13:11: error: invalid state 'FOO' (must be MASTER or BACKUP); using BACKUP",
            "keepalived.conf:17:16: error: advert_int '0.4' of vrrp_instance 'B' is not valid for VRRPv2 (whole seconds 1..255); using 1",
            "keepalived.conf:19:20: error: track_script 'chk' of vrrp_instance 'B': no vrrp_script 'chk' is defined - entry ignored",
        ]
    );
    let [a, b] = l.config.instances.as_slice() else {
        panic!("two instances expected");
    };
    assert_eq!(
        (a.state, a.priority, a.nopreempt, a.advert_int_us),
        (InitialState::Master, 255, false, 3_000_000)
    );
    assert_eq!(
        (b.state, b.priority, b.advert_int_us),
        (InitialState::Backup, 100, 1_000_000)
    );
}

#[test]
fn fixture_files_with_conditional_includes() -> Result<(), keepalived_config::ConfigError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keepalived.conf");
    for (id, state, prio) in [
        ("lb1", InitialState::Master, 150),
        ("lb2", InitialState::Backup, 100),
    ] {
        let l = keepalived_config::load_file(
            &path,
            &LoadOptions {
                config_id: Some(id.into()),
                ..LoadOptions::default()
            },
        )?;
        assert!(l.diagnostics.is_empty(), "{:?}", msgs(&l));
        let i = &l.config.instances[0];
        assert_eq!(
            (i.state, i.priority, i.version, i.advert_int_us),
            (state, prio, 3, 500_000)
        );
        assert_eq!(i.virtual_ipaddress[0].addr, ip("192.0.2.100"));
        assert_eq!(i.virtual_ipaddress[0].prefix_len, 24);
        assert!(i.virtual_ipaddress[0]
            .location
            .file
            .ends_with(if id == "lb1" {
                "master.inc"
            } else {
                "backup.inc"
            }));
    }
    Ok(())
}
