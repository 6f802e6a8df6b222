//! Unicast VRRP against Debian's keepalived (v2 and v3, each side as
//! MASTER), `unicast_ttl` on the wire, `check_unicast_src` with a peer TTL
//! range, and `unicast_fault_no_peer`.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{
    assert_stable_holder, master_down, under_test, wait_sole_holder, wait_until, Impl, Lab,
    VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);

fn conf(priority: u8, version: u8, peer: &str) -> VrrpConf {
    let mut c = VrrpConf::prio(priority).version(version);
    c.unicast_peers = vec![peer.into()];
    c
}

/// `text` with `extra` appended inside the (single) instance block.
fn inside(text: &str, extra: &str) -> String {
    let end = text.rfind('}').expect("instance block closes");
    format!("{}{extra}}}\n", &text[..end])
}

fn interop(version: u8, master: Impl, backup: Impl) {
    let lab = Lab::new(2);
    let what = format!("unicast v{version}: {master:?} MASTER / {backup:?} BACKUP");
    let mut cap = lab.capture_port(1, "ip proto 112");
    let mut m = lab
        .node(0)
        .spawn_impl(master, &conf(150, version, "192.0.2.11").render());
    let _b = lab
        .node(1)
        .spawn_impl(backup, &conf(100, version, "192.0.2.10").render());
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, version) + 3 * SEC,
        &what,
    );
    assert_stable_holder(&lab, 2, 0, VIP, 2 * SEC, &what);
    // A killed daemon leaves its VIP behind: what matters is the takeover.
    m.sigkill();
    assert!(
        wait_until(master_down(1.0, 100, version) + 2 * SEC, || lab
            .node(1)
            .has_addr(VIP)),
        "{what}: no takeover after SIGKILL"
    );
    let rows = cap.fields("vrrp", &["ip.src", "ip.dst"]);
    assert!(
        rows.iter()
            .any(|r| r[0] == "192.0.2.10" && r[1] == "192.0.2.11"),
        "{what}: no unicast advert captured: {rows:?}"
    );
    assert!(
        rows.iter().all(|r| r[1] != "224.0.0.18"),
        "{what}: multicast adverts in unicast mode: {rows:?}"
    );
}

#[test]
fn unicast_v2_rs_master_keepalived_backup() {
    interop(2, Impl::Rs, Impl::Keepalived);
}

#[test]
fn unicast_v2_keepalived_master_rs_backup() {
    interop(2, Impl::Keepalived, Impl::Rs);
}

#[test]
fn unicast_v3_rs_master_keepalived_backup() {
    interop(3, Impl::Rs, Impl::Keepalived);
}

#[test]
fn unicast_v3_keepalived_master_rs_backup() {
    interop(3, Impl::Keepalived, Impl::Rs);
}

#[test]
fn unicast_ttl_is_the_ttl_of_our_adverts() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut cap = lab.capture_port(1, "ip proto 112");
    let c0 = inside(&conf(150, 2, "192.0.2.11").render(), "    unicast_ttl 7\n");
    let _a = lab.node(0).spawn_impl(imp, &c0);
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP,
        master_down(1.0, 150, 2) + 3 * SEC,
        "single unicast node",
    );
    std::thread::sleep(2 * SEC);
    let rows = cap.fields("vrrp", &["ip.src", "ip.ttl"]);
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r[0] == "192.0.2.10" && r[1] == "7"),
        "adverts should carry TTL 7: {rows:?}"
    );
}

#[test]
fn check_unicast_src_refuses_a_peer_outside_its_ttl_range() {
    let imp = under_test();
    let lab = Lab::new(2);
    // Node 1's adverts arrive with TTL 255; node 0 accepts its peer only
    // with TTL 250..254, so it never hears node 1 and both end up MASTER.
    let c0 = conf(100, 2, "192.0.2.11").render().replace(
        "        192.0.2.11\n",
        "        192.0.2.11 min_ttl 250 max_ttl 254\n",
    );
    let c0 = inside(&c0, "    check_unicast_src\n");
    let _a = lab.node(0).spawn_impl(imp, &c0);
    let _b = lab
        .node(1)
        .spawn_impl(imp, &conf(150, 2, "192.0.2.10").render());
    let settle = master_down(1.0, 100, 2) + 3 * SEC;
    assert!(
        wait_until(settle, || lab.node(0).has_addr(VIP)
            && lab.node(1).has_addr(VIP)),
        "node 0 should refuse node 1's adverts (TTL 255 outside 250..254) and become MASTER too"
    );
}

#[test]
fn check_unicast_src_accepts_a_peer_inside_its_ttl_range() {
    let imp = under_test();
    let lab = Lab::new(2);
    let c0 = conf(100, 2, "192.0.2.11")
        .render()
        .replace("        192.0.2.11\n", "        192.0.2.11 min_ttl 250\n");
    let c0 = inside(&c0, "    check_unicast_src\n");
    let _a = lab.node(0).spawn_impl(imp, &c0);
    let _b = lab
        .node(1)
        .spawn_impl(imp, &conf(150, 2, "192.0.2.10").render());
    wait_sole_holder(
        &lab,
        2,
        1,
        VIP,
        master_down(1.0, 100, 2) + 3 * SEC,
        "peer inside its TTL range",
    );
    assert_stable_holder(&lab, 2, 1, VIP, 3 * SEC, "peer inside its TTL range");
}

#[test]
fn unicast_fault_no_peer_keeps_an_instance_without_peers_in_fault() {
    let imp = under_test();
    let lab = Lab::new(1);
    let c = inside(&VrrpConf::prio(150).render(), "    unicast_fault_no_peer\n");
    let d = lab.node(0).spawn_impl(imp, &c);
    std::thread::sleep(master_down(1.0, 150, 2) + 2 * SEC);
    assert!(
        !lab.node(0).has_addr(VIP),
        "an instance with unicast_fault_no_peer and no peers must not become MASTER; log:\n{}",
        d.log()
    );
}
