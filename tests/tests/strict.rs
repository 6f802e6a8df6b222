//! `vrrp_strict` and `no_accept`: a non-owner MASTER drops traffic to its
//! VIPs through keepalived's nftables table (`ip keepalived`, set `vips`),
//! the BACKUP has no element, and the table goes when the daemon stops.
//! Needs `nft` (package nftables).
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{master_down, under_test, wait_sole_holder, wait_until, Lab, VrrpConf, VIP};

const SEC: Duration = Duration::from_secs(1);

fn strict(priority: u8) -> String {
    VrrpConf::prio(priority).version(3).render().replacen(
        "global_defs {\n",
        "global_defs {\n    vrrp_strict\n",
        1,
    )
}

fn blocked(lab: &Lab, i: usize) -> bool {
    let out = lab.node(i).exec("nft list set ip keepalived vips");
    String::from_utf8_lossy(&out.stdout).contains(VIP)
}

fn table_exists(lab: &Lab, i: usize) -> bool {
    let out = lab.node(i).exec("nft list tables");
    String::from_utf8_lossy(&out.stdout).contains("table ip keepalived")
}

#[test]
fn strict_non_owner_master_drops_traffic_to_its_vip() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut a = lab.node(0).spawn_impl(imp, &strict(150));
    let _b = lab.node(1).spawn_impl(imp, &strict(100));
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, 3) + 3 * SEC,
        "strict election",
    );
    assert!(
        wait_until(3 * SEC, || blocked(&lab, 0)),
        "the master's VIP is not in the drop set"
    );
    assert!(!blocked(&lab, 1), "the backup blocks the VIP");
    // The master's own address answers a ping (so ping works here), the VIP
    // does not.
    let own = lab
        .node(1)
        .exec(&format!("ping -c 1 -W 1 {}", lab.node(0).addr));
    assert!(
        own.status.success(),
        "ping to the master's own address failed: {own:?}"
    );
    let ping = lab.node(1).exec(&format!("ping -c 1 -W 1 {VIP}"));
    assert!(
        !ping.status.success(),
        "the non-owner master answered a ping to its VIP"
    );

    a.sigterm();
    assert!(a.wait_exit(5 * SEC).is_some(), "master did not exit");
    wait_sole_holder(
        &lab,
        2,
        1,
        VIP,
        master_down(1.0, 100, 3) + 2 * SEC,
        "takeover",
    );
    assert!(
        wait_until(3 * SEC, || blocked(&lab, 1)),
        "the new master's VIP is not in the drop set"
    );
    assert!(
        !table_exists(&lab, 0),
        "the stopped daemon left its firewall table behind"
    );
}

#[test]
fn accept_installs_no_drop_rule() {
    let imp = under_test();
    let lab = Lab::new(1);
    let conf = VrrpConf::prio(150).version(3).render();
    let _a = lab.node(0).spawn_impl(imp, &conf);
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP,
        master_down(1.0, 150, 3) + 3 * SEC,
        "election",
    );
    std::thread::sleep(SEC);
    assert!(
        !blocked(&lab, 0),
        "accept mode (the default outside strict mode) blocked the VIP"
    );
}

#[test]
fn a_vmac_gets_keepalived_igmp_rule_until_exit() {
    let imp = under_test();
    let lab = Lab::new(1);
    let text = VrrpConf::prio(150).version(3).render();
    let end = text.rfind('}').expect("instance block closes");
    let conf = format!("{}    use_vmac\n}}\n", &text[..end]);
    let mut d = lab.node(0).spawn_impl(imp, &conf);
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP,
        master_down(1.0, 150, 3) + 3 * SEC,
        "election",
    );
    let ruleset =
        || String::from_utf8_lossy(&lab.node(0).exec("nft list ruleset").stdout).to_string();
    assert!(
        wait_until(3 * SEC, || ruleset().contains("\"vrrp.51\" : \"eth0\"")),
        "no vmac_map element: {}",
        ruleset()
    );
    assert!(
        ruleset().contains("ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop"),
        "IGMP rule: {}",
        ruleset()
    );
    d.sigterm();
    assert!(d.wait_exit(5 * SEC).is_some(), "daemon did not exit");
    assert!(!table_exists(&lab, 0), "table left behind: {}", ruleset());
}
