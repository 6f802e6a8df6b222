//! Harness self-test against Debian's keepalived (the reference
//! implementation): validates the lab, config generator and capture.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{holders, Lab, VrrpConf, VIP};

#[test]
fn reference_keepalived_two_node_election() {
    let lab = Lab::new(2);
    assert!(lab.node(0).has_addr("192.0.2.10") && lab.node(1).has_addr("192.0.2.11"));
    let mut cap = lab.capture("ip proto 112");
    let _m = lab.node(0).spawn_keepalived(&VrrpConf::prio(150).render());
    let _b = lab.node(1).spawn_keepalived(&VrrpConf::prio(100).render());
    assert!(
        netns_tests::wait_until(Duration::from_secs(8), || lab.node(0).has_addr(VIP)),
        "reference keepalived prio 150 did not become MASTER"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(holders(&lab, 2, VIP), vec![0]);
    let rows = cap.fields("vrrp", &["ip.src", "vrrp.version", "vrrp.prio"]);
    assert!(
        rows.iter()
            .any(|r| r[0] == "192.0.2.10" && r[1] == "2" && r[2] == "150"),
        "no VRRPv2 prio 150 advert from node0 captured: {rows:?}"
    );
}
