//! tshark decodes keepalived-rs adverts as valid VRRP (v2 and v3).
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
