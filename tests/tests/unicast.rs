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

// old_unicast_checksum. keepalived 2.2.7 on the wire: the "old" checksum of
// a unicast VRRPv3 advert covers the pseudo-header with the IPv4 VRRP group
// (vrrp_mcast_group4, 224.0.0.18) as destination instead of the peer, so
// tshark, which checks the RFC checksum, reports it as bad. With the keyword
// keepalived sends only the old form and accepts only the old form.

const OLD: &str = "    old_unicast_checksum\n";

/// tshark's `vrrp.checksum.status` of each advert `src` sent in `cap`:
/// "1" good (RFC form), "0" bad (any other form).
fn checksum_status(cap: &mut netns_tests::Capture, src: &str) -> Vec<String> {
    cap.fields(
        &format!("vrrp && ip.src == {src}"),
        &["vrrp.checksum.status"],
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

fn old_checksum_interop(master: Impl, backup: Impl) {
    let lab = Lab::new(2);
    let what = format!("old_unicast_checksum: {master:?} MASTER / {backup:?} BACKUP");
    let mut cap = lab.capture_port(0, "ip proto 112");
    let _m = lab
        .node(0)
        .spawn_impl(master, &inside(&conf(150, 3, "192.0.2.11").render(), OLD));
    let _b = lab
        .node(1)
        .spawn_impl(backup, &inside(&conf(100, 3, "192.0.2.10").render(), OLD));
    // A backup that refused the master's checksum would take the VIP too.
    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 150, 3) + 3 * SEC, &what);
    assert_stable_holder(&lab, 2, 0, VIP, master_down(1.0, 100, 3) + SEC, &what);
    let st = checksum_status(&mut cap, "192.0.2.10");
    assert!(
        !st.is_empty() && st.iter().all(|s| s == "0"),
        "{what}: the master's adverts should carry the old (non-RFC) checksum: {st:?}"
    );
}

#[test]
fn old_unicast_checksum_rs_master_keepalived_backup() {
    old_checksum_interop(Impl::Rs, Impl::Keepalived);
}

#[test]
fn old_unicast_checksum_keepalived_master_rs_backup() {
    old_checksum_interop(Impl::Keepalived, Impl::Rs);
}

#[test]
fn old_unicast_checksum_peer_is_detected_then_only_the_old_form_accepted() {
    let imp = under_test();
    let lab = Lab::new(2);
    let what = "auto-detected old unicast checksum";
    let mut cap = lab.capture_port(1, "ip proto 112");
    // Node 1 (under test, no keyword) is MASTER alone first.
    let _sut = lab
        .node(1)
        .spawn_impl(imp, &conf(150, 3, "192.0.2.10").render());
    wait_sole_holder(&lab, 2, 1, VIP, master_down(1.0, 150, 3) + 3 * SEC, what);
    // A higher-priority keepalived with the old checksum: node 1 accepts
    // its adverts (detection) and yields.
    let c_old = inside(&conf(200, 3, "192.0.2.11").render(), OLD);
    let mut old = lab.node(0).spawn_impl(Impl::Keepalived, &c_old);
    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 200, 3) + 3 * SEC, what);
    // It leaves (priority 0, old form, accepted); node 1 takes over.
    old.sigterm();
    assert!(
        old.wait_exit(5 * SEC).is_some(),
        "{what}: keepalived did not exit"
    );
    wait_sole_holder(&lab, 2, 1, VIP, master_down(1.0, 150, 3) + 3 * SEC, what);
    // A higher-priority peer with the RFC checksum is now refused: node 1
    // has switched to the old form, so both end up MASTER.
    let _new = lab
        .node(0)
        .spawn_impl(Impl::Keepalived, &conf(200, 3, "192.0.2.11").render());
    assert!(
        wait_until(master_down(1.0, 200, 3) + 3 * SEC, || lab
            .node(0)
            .has_addr(VIP)),
        "{what}: the RFC-form peer did not become MASTER"
    );
    assert_stable_holder_both(&lab, 3 * SEC, what);
    // What node 1 sends never changed: the RFC form throughout.
    let st = checksum_status(&mut cap, "192.0.2.11");
    assert!(
        !st.is_empty() && st.iter().all(|s| s == "1"),
        "{what}: node 1 should keep sending the RFC checksum: {st:?}"
    );
}

/// Both nodes keep the VIP for `dur`.
fn assert_stable_holder_both(lab: &Lab, dur: Duration, what: &str) {
    let end = std::time::Instant::now() + dur;
    while std::time::Instant::now() < end {
        assert!(
            lab.node(0).has_addr(VIP) && lab.node(1).has_addr(VIP),
            "{what}: both nodes should stay MASTER"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn old_unicast_checksum_never_refuses_the_old_form() {
    let imp = under_test();
    let lab = Lab::new(2);
    let what = "old_unicast_checksum never";
    let c0 = inside(
        &conf(100, 3, "192.0.2.11").render(),
        "    old_unicast_checksum never\n",
    );
    let _sut = lab.node(0).spawn_impl(imp, &c0);
    let _old = lab.node(1).spawn_impl(
        Impl::Keepalived,
        &inside(&conf(150, 3, "192.0.2.10").render(), OLD),
    );
    // The higher-priority old-form peer is refused: node 0 becomes MASTER too.
    assert!(
        wait_until(master_down(1.0, 100, 3) + 3 * SEC, || lab
            .node(0)
            .has_addr(VIP)
            && lab.node(1).has_addr(VIP)),
        "{what}: node 0 should refuse the old checksum and become MASTER"
    );
    assert_stable_holder_both(&lab, 2 * SEC, what);
}
