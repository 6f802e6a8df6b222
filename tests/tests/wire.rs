//! tshark decodes every packet kind keepalived-rs sends (VRRPv2/v3 adverts,
//! multicast and unicast, PASS auth, priority 0 on shutdown, gratuitous ARP)
//! as valid, with good checksums.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{master_down, under_test, wait_sole_holder, Lab, VrrpConf, VIP};

fn wire(version: u8) {
    let lab = Lab::new(1);
    let mut cap = lab.capture("ip proto 112");
    let conf = VrrpConf::prio(150).version(version).vrid(42);
    let _d = lab.node(0).spawn_impl(under_test(), &conf.render());
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP,
        master_down(1.0, 150, version) + Duration::from_secs(3),
        "lone node becoming MASTER",
    );
    std::thread::sleep(Duration::from_millis(3500));
    let adv_field = if version == 2 {
        "vrrp.adver_int"
    } else {
        "vrrp.short_adver_int"
    };
    let fields = [
        "ip.src",
        "ip.dst",
        "ip.ttl",
        "vrrp.version",
        "vrrp.type",
        "vrrp.virt_rtr_id",
        "vrrp.prio",
        "vrrp.addr_count",
        "vrrp.ip_addr",
        "vrrp.checksum.status",
        adv_field,
        "vrrp.auth_type",
        "vrrp.auth_string",
        "frame.time_relative",
    ];
    let rows = cap.fields("vrrp", &fields);
    let dump = cap.verbose("vrrp");
    assert!(
        rows.len() >= 3,
        "expected >= 3 adverts, got {}: {rows:?}",
        rows.len()
    );
    let mut times = Vec::new();
    for r in &rows {
        let ctx = format!("v{version} advert {r:?}");
        assert_eq!(r[0], "192.0.2.10", "{ctx}: source");
        assert_eq!(r[1], "224.0.0.18", "{ctx}: destination");
        assert_eq!(r[2], "255", "{ctx}: TTL");
        assert_eq!(r[3], version.to_string(), "{ctx}: version");
        assert_eq!(r[4], "1", "{ctx}: type");
        assert_eq!(r[5], "42", "{ctx}: VRID");
        assert_eq!(r[6], "150", "{ctx}: priority");
        assert_eq!(r[7], "1", "{ctx}: address count");
        assert_eq!(r[8], VIP, "{ctx}: address");
        // 1 = Good (0 = Bad, 2 = Unverified).
        assert_eq!(r[9], "1", "{ctx}: checksum status (1 = good)");
        if version == 2 {
            assert_eq!(r[10], "1", "{ctx}: advert interval (s)");
            assert_eq!(r[11], "1", "{ctx}: auth type (simple text)");
            assert_eq!(r[12], "s3cret", "{ctx}: auth string");
        } else {
            assert_eq!(r[10], "100", "{ctx}: advert interval (cs)");
        }
        times.push(
            r[13]
                .parse::<f64>()
                .expect("frame.time_relative is a number"),
        );
    }
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            (0.8..1.3).contains(&gap),
            "adverts {gap:.3} s apart, expected ~1 s: {times:?}\n{}",
            dump
        );
    }
}

#[test]
fn wire_vrrp_v2_decodes() {
    wire(2);
}

#[test]
fn wire_vrrp_v3_decodes() {
    wire(3);
}

/// Anything tshark objects to: a malformed frame, an expert warning or
/// error, or a bad IPv4 or VRRP checksum (IPv4 checking is off by default
/// in tshark, so it is switched on in [`tshark`]).
const TSHARK_PROBLEMS: &str = "_ws.malformed || _ws.expert.severity >= \"Warning\" \
     || ip.checksum.status == \"Bad\" || vrrp.checksum.status == \"Bad\"";

/// `tshark -T fields` over a finished capture, with IPv4 header checksum
/// validation on. One row per frame matching `filter`.
fn tshark(pcap: &std::path::Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = std::process::Command::new("tshark");
    cmd.arg("-n")
        .args(["-o", "ip.check_checksum:TRUE", "-r"])
        .arg(pcap)
        .args(["-Y", filter, "-T", "fields", "-E", "separator=|"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("cannot run tshark (install tshark)");
    assert!(
        out.status.success(),
        "tshark -Y '{filter}' failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('|').map(String::from).collect())
        .collect()
}

/// Drops the `authentication { ... }` block that [`VrrpConf::render`]
/// always writes for VRRPv2.
fn without_auth(conf: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in conf.lines() {
        let t = line.trim();
        if t.starts_with("authentication") {
            skipping = true;
        } else if skipping {
            skipping = t != "}";
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(!out.contains("auth_"), "auth block not removed:\n{out}");
    out
}

/// Every packet kind of one run, as tshark sees it: the adverts while
/// MASTER, the priority-0 advert on SIGTERM and (multicast or unicast alike)
/// the gratuitous ARPs for the VIP, all free of malformed/checksum flags.
fn wire_kinds(version: u8, auth: bool, unicast: bool) {
    let what = format!(
        "v{version} {} {}",
        if unicast { "unicast" } else { "multicast" },
        if auth { "PASS auth" } else { "no auth" }
    );
    let lab = Lab::new(if unicast { 2 } else { 1 });
    // The bridge port of node0 sees its unicast frames too.
    let mut cap = lab.capture_port(0, "ip proto 112 or arp");
    let mut conf = VrrpConf::prio(150).version(version).vrid(42);
    if unicast {
        conf.unicast_peers = vec![lab.node(1).addr.clone()];
    }
    let mut text = conf.render();
    if !auth {
        text = without_auth(&text);
    }
    let mut d = lab.node(0).spawn_impl(under_test(), &text);
    wait_sole_holder(
        &lab,
        if unicast { 2 } else { 1 },
        0,
        VIP,
        master_down(1.0, 150, version) + Duration::from_secs(3),
        "lone node becoming MASTER",
    );
    std::thread::sleep(Duration::from_millis(2500));
    d.sigterm();
    assert!(
        d.wait_exit(Duration::from_secs(5)).is_some(),
        "{what}: daemon did not exit on SIGTERM"
    );
    // libpcap hands packets to tcpdump in blocks retired on a timer (tcpdump
    // -U without --immediate-mode): wait so the last advert reaches the file.
    std::thread::sleep(Duration::from_millis(1500));
    cap.stop();
    let pcap = cap.pcap().to_path_buf();
    let dump = cap.verbose("vrrp || arp");

    let problems = tshark(&pcap, TSHARK_PROBLEMS, &["frame.number", "_ws.col.Info"]);
    assert!(
        problems.is_empty(),
        "{what}: tshark flags {problems:?}\n{dump}"
    );

    let dst = if unicast { "192.0.2.11" } else { "224.0.0.18" };
    let adv_field = if version == 2 {
        "vrrp.adver_int"
    } else {
        "vrrp.short_adver_int"
    };
    let rows = tshark(
        &pcap,
        "vrrp",
        &[
            "ip.src",
            "ip.dst",
            "ip.ttl",
            "ip.checksum.status",
            "ip.flags.df",
            "ip.dsfield.dscp",
            "vrrp.version",
            "vrrp.type",
            "vrrp.virt_rtr_id",
            "vrrp.prio",
            "vrrp.addr_count",
            "vrrp.ip_addr",
            "vrrp.checksum.status",
            adv_field,
            "vrrp.auth_type",
            "vrrp.auth_string",
        ],
    );
    let prios: Vec<&str> = rows.iter().map(|r| r[9].as_str()).collect();
    assert!(
        prios.len() >= 3 && prios.last() == Some(&"0"),
        "{what}: expected >= 2 adverts then a priority-0 one, got priorities {prios:?}\n{dump}"
    );
    assert!(
        prios[..prios.len() - 1].iter().all(|p| *p == "150"),
        "{what}: priorities {prios:?}: only the last advert may be priority 0"
    );
    for r in &rows {
        let ctx = format!("{what} advert {r:?}");
        assert_eq!(r[0], "192.0.2.10", "{ctx}: source");
        assert_eq!(r[1], dst, "{ctx}: destination");
        assert_eq!(r[2], "255", "{ctx}: TTL");
        // 1 = Good (0 = Bad, 2 = Unverified).
        assert_eq!(r[3], "1", "{ctx}: IPv4 header checksum status");
        // keepalived 2.2.7 sends adverts with DF clear and TOS 0xc0 (CS6).
        assert!(r[4] == "0" || r[4] == "False", "{ctx}: DF must be clear");
        assert_eq!(r[5], "48", "{ctx}: DSCP CS6 (TOS 0xc0)");
        assert_eq!(r[6], version.to_string(), "{ctx}: version");
        assert_eq!(r[7], "1", "{ctx}: type");
        assert_eq!(r[8], "42", "{ctx}: VRID");
        assert_eq!(r[10], "1", "{ctx}: address count");
        assert_eq!(r[11], VIP, "{ctx}: address");
        assert_eq!(r[12], "1", "{ctx}: VRRP checksum status (1 = good)");
        if version == 2 {
            assert_eq!(r[13], "1", "{ctx}: advert interval (s)");
            if auth {
                assert_eq!(r[14], "1", "{ctx}: auth type (simple text)");
                assert_eq!(r[15], "s3cret", "{ctx}: auth string");
            } else {
                assert_eq!(r[14], "0", "{ctx}: auth type (none)");
            }
        } else {
            assert_eq!(r[13], "100", "{ctx}: advert interval (cs)");
        }
    }

    let garps = tshark(
        &pcap,
        &format!("arp.src.proto_ipv4 == {VIP}"),
        &[
            "eth.dst",
            "eth.src",
            "arp.opcode",
            "arp.isgratuitous",
            "arp.dst.proto_ipv4",
            "arp.dst.hw_mac",
            "arp.src.hw_mac",
        ],
    );
    assert!(
        !garps.is_empty(),
        "{what}: no gratuitous ARP for {VIP}\n{dump}"
    );
    for r in &garps {
        let ctx = format!("{what} GARP {r:?}");
        assert_eq!(r[0], "ff:ff:ff:ff:ff:ff", "{ctx}: Ethernet broadcast");
        assert_eq!(r[2], "1", "{ctx}: ARP request");
        assert!(r[3] == "1" || r[3] == "True", "{ctx}: gratuitous");
        assert_eq!(r[4], VIP, "{ctx}: target protocol address");
        assert_eq!(r[5], "ff:ff:ff:ff:ff:ff", "{ctx}: target hardware address");
        assert_eq!(r[6], r[1], "{ctx}: sender hardware address = frame source");
    }
}

#[test]
fn wire_v2_noauth_multicast_priority0_and_garp() {
    wire_kinds(2, false, false);
}

#[test]
fn wire_v3_multicast_priority0_and_garp() {
    wire_kinds(3, false, false);
}

#[test]
fn wire_v2_pass_unicast_priority0_and_garp() {
    wire_kinds(2, true, true);
}

#[test]
fn wire_v3_unicast_priority0_and_garp() {
    wire_kinds(3, false, true);
}
