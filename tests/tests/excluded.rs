//! `virtual_ipaddress_excluded`: installed with the VIPs on the MASTER only
//! (IPv4 and IPv6), moved on failover, never needed in adverts.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{master_down, under_test, wait_sole_holder, wait_until, Lab, VrrpConf, VIP};

const EXCL4: &str = "198.51.100.7";
const EXCL6: &str = "2001:db8::7";

fn conf(priority: u8) -> String {
    let base = VrrpConf::prio(priority).render();
    let end = base.rfind('}').expect("instance block closes");
    format!(
        "{}    virtual_ipaddress_excluded {{\n        {EXCL4}/32\n        {EXCL6}/128\n    }}\n}}\n",
        &base[..end]
    )
}

#[test]
fn excluded_addresses_live_on_the_master_only() {
    let imp = under_test();
    let lab = Lab::new(2);
    let a = lab.node(0).spawn_impl(imp, &conf(150));
    let _b = lab.node(1).spawn_impl(imp, &conf(100));
    let first = master_down(1.0, 150, 2) + Duration::from_secs(3);
    wait_sole_holder(&lab, 2, 0, VIP, first, "initial election");
    assert!(
        wait_until(Duration::from_secs(2), || lab.node(0).has_addr(EXCL4)
            && lab.node(0).has_addr(EXCL6)),
        "the master does not hold the excluded addresses"
    );
    assert!(
        !lab.node(1).has_addr(EXCL4) && !lab.node(1).has_addr(EXCL6),
        "the backup holds an excluded address"
    );

    a.sigterm();
    let takeover = master_down(1.0, 100, 2) + Duration::from_secs(2);
    assert!(
        wait_until(takeover, || lab.node(1).has_addr(EXCL4)
            && lab.node(1).has_addr(EXCL6)),
        "the new master did not install the excluded addresses"
    );
    assert!(
        wait_until(Duration::from_secs(3), || !lab.node(0).has_addr(EXCL4)
            && !lab.node(0).has_addr(EXCL6)),
        "the old master kept an excluded address"
    );
}

/// `static_ipaddress`: installed at start on every node whatever its VRRP
/// state, removed on exit.
#[test]
fn static_addresses_live_on_every_node() {
    let imp = under_test();
    let lab = Lab::new(2);
    let with_static = |priority: u8, addr: &str| {
        format!(
            "static_ipaddress {{\n    {addr}/32 dev eth0\n}}\n{}",
            VrrpConf::prio(priority).render()
        )
    };
    let a = lab
        .node(0)
        .spawn_impl(imp, &with_static(150, "203.0.113.5"));
    let _b = lab
        .node(1)
        .spawn_impl(imp, &with_static(100, "203.0.113.6"));
    let first = master_down(1.0, 150, 2) + Duration::from_secs(3);
    wait_sole_holder(&lab, 2, 0, VIP, first, "initial election");
    assert!(
        lab.node(0).has_addr("203.0.113.5"),
        "static address missing on the master"
    );
    assert!(
        lab.node(1).has_addr("203.0.113.6"),
        "static address missing on the backup"
    );
    a.sigterm();
    assert!(
        wait_until(Duration::from_secs(5), || !lab
            .node(0)
            .has_addr("203.0.113.5")),
        "static address left behind after exit"
    );
}
