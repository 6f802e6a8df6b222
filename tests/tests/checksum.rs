//! `v3_checksum_as_v2`: VRRPv3 over IPv4 with the checksum computed without
//! the pseudo-header (reference §3.14 check 11). keepalived-rs only: Debian's
//! keepalived 2.2.7 does not know the keyword (2.2.8+).
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{
    assert_stable_holder, master_down, wait_sole_holder, wait_until, Impl, Lab, VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);

/// A VRRPv3 multicast instance, with `v3_checksum_as_v2` if `as_v2`.
fn conf(priority: u8, as_v2: bool) -> String {
    let text = VrrpConf::prio(priority).version(3).render();
    if !as_v2 {
        return text;
    }
    let end = text.rfind('}').expect("instance block closes");
    format!("{}    v3_checksum_as_v2\n}}\n", &text[..end])
}

/// tshark's `vrrp.checksum.status` ("1" good, "0" bad: tshark checks the
/// RFC form) of the adverts from `src`.
fn status(cap: &mut netns_tests::Capture, src: &str) -> Vec<String> {
    cap.fields(
        &format!("vrrp && ip.src == {src}"),
        &["vrrp.checksum.status"],
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

#[test]
fn both_sides_as_v2_elect_one_master() {
    let lab = Lab::new(2);
    let what = "v3_checksum_as_v2 on both nodes";
    let mut cap = lab.capture("ip proto 112");
    let _a = lab.node(0).spawn_impl(Impl::Rs, &conf(150, true));
    let _b = lab.node(1).spawn_impl(Impl::Rs, &conf(100, true));
    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 150, 3) + 3 * SEC, what);
    assert_stable_holder(&lab, 2, 0, VIP, master_down(1.0, 100, 3) + SEC, what);
    let st = status(&mut cap, "192.0.2.10");
    assert!(
        !st.is_empty() && st.iter().all(|s| s == "0"),
        "{what}: adverts must not carry the RFC checksum: {st:?}"
    );
}

#[test]
fn as_v2_on_one_side_only_makes_two_masters() {
    let lab = Lab::new(2);
    let what = "v3_checksum_as_v2 on node 0 only";
    let mut cap = lab.capture("ip proto 112");
    let _a = lab.node(0).spawn_impl(Impl::Rs, &conf(150, true));
    let _b = lab.node(1).spawn_impl(Impl::Rs, &conf(100, false));
    // Each refuses the other's checksum, so both become MASTER.
    assert!(
        wait_until(master_down(1.0, 100, 3) + 3 * SEC, || lab
            .node(0)
            .has_addr(VIP)
            && lab.node(1).has_addr(VIP)),
        "{what}: both nodes should become MASTER"
    );
    std::thread::sleep(2 * SEC);
    assert!(
        lab.node(0).has_addr(VIP) && lab.node(1).has_addr(VIP),
        "{what}: both nodes should stay MASTER"
    );
    let st0 = status(&mut cap, "192.0.2.10");
    let st1 = status(&mut cap, "192.0.2.11");
    assert!(
        !st0.is_empty() && st0.iter().all(|s| s == "0"),
        "{what}: node 0's adverts should fail the RFC check: {st0:?}"
    );
    assert!(
        !st1.is_empty() && st1.iter().all(|s| s == "1"),
        "{what}: node 1's adverts should pass the RFC check: {st1:?}"
    );
}

#[test]
fn global_v3_checksum_as_v2_applies_to_instances() {
    let lab = Lab::new(2);
    let what = "global v3_checksum_as_v2 against the instance keyword";
    let global =
        conf(150, false).replace("global_defs {\n", "global_defs {\n    v3_checksum_as_v2\n");
    let _a = lab.node(0).spawn_impl(Impl::Rs, &global);
    let _b = lab.node(1).spawn_impl(Impl::Rs, &conf(100, true));
    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 150, 3) + 3 * SEC, what);
    assert_stable_holder(&lab, 2, 0, VIP, master_down(1.0, 100, 3) + SEC, what);
}
