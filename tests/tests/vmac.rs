//! `use_vmac` against Debian's keepalived: the MASTER holds the VIP on a
//! macvlan `vrrp.51` with the virtual MAC 00:00:5e:00:01:33 (IPv4) or
//! 00:00:5e:00:02:33 (IPv6), adverts leave from that MAC, and the backup
//! takes over on kill.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{
    assert_stable_holder, master_down, under_test, wait_sole_holder, wait_until, Impl, Lab,
    VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);
const VMAC: &str = "00:00:5e:00:01:33";
/// The IPv6 virtual MAC of VRID 51.
const VMAC6: &str = "00:00:5e:00:02:33";
/// The IPv6 VIP (documentation prefix).
const VIP6: &str = "2001:db8::100";

fn vmac_conf(priority: u8) -> String {
    let text = VrrpConf::prio(priority).version(3).render();
    // VIPs without `dev` go on the VMAC.
    let text = text.replace(&format!("{VIP}/24 dev eth0"), &format!("{VIP}/24"));
    let end = text.rfind('}').expect("instance block closes");
    format!("{}    use_vmac\n}}\n", &text[..end])
}

/// The IPv6 instance (VRRPv3, VRID 51) with `use_vmac`, its VIP on the VMAC.
fn vmac6_conf(priority: u8) -> String {
    let mut c = VrrpConf::prio(priority).version(3);
    c.name = "VI_6".into();
    c.vips = vec![format!("{VIP6}/64")];
    let text = c.render().replace(" dev eth0", "");
    let end = text.rfind('}').expect("instance block closes");
    format!("{}    use_vmac\n}}\n", &text[..end])
}

/// The node's VMAC `vrrp.51`: (MAC, holds the VIP).
fn vmac_state(lab: &Lab, i: usize) -> Option<(String, bool)> {
    vmac_state_of(lab, i, VIP)
}

/// The node's VMAC `vrrp.51`: (MAC, holds `vip`).
fn vmac_state_of(lab: &Lab, i: usize, vip: &str) -> Option<(String, bool)> {
    let out = lab.node(i).exec("ip -o link show vrrp.51");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mac = text
        .split("link/ether ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("")
        .to_string();
    let addrs = lab.node(i).exec("ip -o addr show dev vrrp.51");
    let has_vip = String::from_utf8_lossy(&addrs.stdout).contains(&format!(" {vip}/"));
    Some((mac, has_vip))
}

fn interop(master: Impl, backup: Impl) {
    let lab = Lab::new(2);
    let what = format!("use_vmac: {master:?} MASTER / {backup:?} BACKUP");
    let mut cap = lab.capture("ip proto 112");
    let mut m = lab.node(0).spawn_impl(master, &vmac_conf(150));
    let _b = lab.node(1).spawn_impl(backup, &vmac_conf(100));
    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 150, 3) + 3 * SEC, &what);
    assert_eq!(
        vmac_state(&lab, 0),
        Some((VMAC.to_string(), true)),
        "{what}: the master's VIP must be on vrrp.51 with the virtual MAC"
    );
    m.sigkill();
    lab.set_link(0, false);
    assert!(
        wait_until(master_down(1.0, 100, 3) + 2 * SEC, || {
            vmac_state(&lab, 1) == Some((VMAC.to_string(), true))
        }),
        "{what}: the backup did not take the VIP over on its VMAC: {:?}",
        vmac_state(&lab, 1)
    );
    // Two more adverts of the new master reach the capture.
    std::thread::sleep(Duration::from_millis(2500));
    let rows = cap.fields("vrrp", &["ip.src", "eth.src"]);
    for src in ["192.0.2.10", "192.0.2.11"] {
        assert!(
            rows.iter().any(|r| r[0] == src && r[1] == VMAC),
            "{what}: no advert from {src} with source MAC {VMAC}: {rows:?}"
        );
    }
}

#[test]
fn vmac_v4_rs_master_keepalived_backup() {
    interop(Impl::Rs, Impl::Keepalived);
}

#[test]
fn vmac_v4_keepalived_master_rs_backup() {
    interop(Impl::Keepalived, Impl::Rs);
}

#[test]
fn vmac_is_removed_on_exit() {
    let lab = Lab::new(1);
    let mut d = lab.node(0).spawn_impl(Impl::Rs, &vmac_conf(150));
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP,
        master_down(1.0, 150, 3) + 3 * SEC,
        "single node",
    );
    d.sigterm();
    assert!(d.wait_exit(5 * SEC).is_some(), "daemon did not exit");
    assert_eq!(vmac_state(&lab, 0), None, "vrrp.51 left behind");
}

/// The link-local address of node `i`'s eth0, waited for (bounded; the lab
/// turns DAD off on eth0, so it appears as the link comes up).
fn eth0_link_local(lab: &Lab, i: usize) -> String {
    let mut ll = String::new();
    let ok = wait_until(5 * SEC, || {
        let out = lab
            .node(i)
            .exec("ip -6 -o addr show dev eth0 scope link | awk '{print $4}'");
        ll = String::from_utf8_lossy(&out.stdout)
            .trim()
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        ll.starts_with("fe80::")
    });
    assert!(ok, "node{i} has no IPv6 link-local address on eth0");
    ll
}

/// Node `i`'s IPv6 link-local addresses on `vrrp.51`, with `ip -o`'s flags.
fn vmac6_link_locals(lab: &Lab, i: usize) -> Vec<String> {
    let out = lab
        .node(i)
        .exec("ip -6 -o addr show dev vrrp.51 scope link");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().skip(3).collect::<Vec<_>>().join(" "))
        .collect()
}

/// IPv6 `use_vmac`, `master` at priority 150 and `backup` at 100. As with
/// keepalived 2.2.7: the VIP sits on `vrrp.51` (MAC 00:00:5e:00:02:33),
/// adverts leave with that source MAC and the *parent's* link-local as the
/// source address, NAs carry the virtual MAC (Ethernet source and target
/// link-layer option), the backup hears the adverts through its own VMAC,
/// and it takes over on SIGKILL + link down.
fn interop6(master: Impl, backup: Impl) {
    let lab = Lab::new(2);
    let what = format!("IPv6 use_vmac: {master:?} MASTER / {backup:?} BACKUP");
    let ll: Vec<String> = (0..2).map(|i| eth0_link_local(&lab, i)).collect();
    let mut cap = lab.capture("ip6");
    let mut m = lab.node(0).spawn_impl(master, &vmac6_conf(150));
    let _b = lab.node(1).spawn_impl(backup, &vmac6_conf(100));
    wait_sole_holder(&lab, 2, 0, VIP6, master_down(1.0, 150, 3) + 3 * SEC, &what);
    // The backup keeps hearing the master through its VMAC (else it would
    // take over after its own Master_Down_Interval, ~3.6 s).
    assert_stable_holder(&lab, 2, 0, VIP6, 3 * SEC, &what);
    assert_eq!(
        vmac_state_of(&lab, 0, VIP6),
        Some((VMAC6.to_string(), true)),
        "{what}: the master's VIP must be on vrrp.51 with the IPv6 virtual MAC"
    );
    for (i, own) in ll.iter().enumerate() {
        let lls = vmac6_link_locals(&lab, i);
        assert!(
            lls.len() == 1 && lls[0].starts_with(&format!("{own}/64 ")),
            "{what}: node{i}'s vrrp.51 must carry exactly eth0's link-local {own}: {lls:?}"
        );
    }

    m.sigkill();
    lab.set_link(0, false);
    assert!(
        wait_until(master_down(1.0, 100, 3) + 2 * SEC, || {
            vmac_state_of(&lab, 1, VIP6) == Some((VMAC6.to_string(), true))
        }),
        "{what}: the backup did not take the VIP over on its VMAC: {:?}",
        vmac_state_of(&lab, 1, VIP6)
    );
    // Two more adverts of the new master reach the capture.
    std::thread::sleep(Duration::from_millis(2500));
    let rows = cap.fields("vrrp", &["ipv6.src", "eth.src", "vrrp.prio"]);
    for (i, (src, prio)) in ll.iter().zip(["150", "100"]).enumerate() {
        let from: Vec<_> = rows.iter().filter(|r| r[2] == prio).collect();
        assert!(
            !from.is_empty() && from.iter().all(|r| &r[0] == src && r[1] == VMAC6),
            "{what}: node{i}'s adverts must come from {src} (eth0's link-local) with source MAC {VMAC6}: {rows:?}"
        );
    }
    let nas = cap.fields(
        &format!("icmpv6.type == 136 && icmpv6.nd.na.target_address == {VIP6}"),
        &["eth.src", "icmpv6.opt.linkaddr"],
    );
    // Both masters announced the VIP, each with the virtual MAC.
    assert!(nas.len() >= 2, "{what}: expected NAs for {VIP6}: {nas:?}");
    for r in &nas {
        assert_eq!(r[0], VMAC6, "{what}: NA Ethernet source {r:?}");
        assert_eq!(r[1], VMAC6, "{what}: NA target link-layer address {r:?}");
    }
}

#[test]
fn vmac_v6_two_nodes_under_test() {
    interop6(under_test(), under_test());
}

#[test]
fn vmac_v6_rs_master_keepalived_backup() {
    interop6(under_test(), Impl::Keepalived);
}

#[test]
fn vmac_v6_keepalived_master_rs_backup() {
    interop6(Impl::Keepalived, under_test());
}

/// The IPv6 VMAC goes with the daemon, and the parent keeps its own
/// link-local (the VMAC only had a copy).
#[test]
fn vmac_v6_is_removed_on_exit() {
    let lab = Lab::new(1);
    let ll = eth0_link_local(&lab, 0);
    let mut d = lab.node(0).spawn_impl(under_test(), &vmac6_conf(150));
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP6,
        master_down(1.0, 150, 3) + 3 * SEC,
        "single IPv6 node",
    );
    assert_eq!(
        vmac_state_of(&lab, 0, VIP6),
        Some((VMAC6.to_string(), true))
    );
    d.sigterm();
    assert!(d.wait_exit(5 * SEC).is_some(), "daemon did not exit");
    assert_eq!(vmac_state_of(&lab, 0, VIP6), None, "vrrp.51 left behind");
    assert!(!lab.node(0).has_addr(VIP6), "{VIP6} left behind");
    assert_eq!(eth0_link_local(&lab, 0), ll, "eth0 lost its link-local");
}

/// `use_vmac` + `vmac_xmit_base`: the VIP still goes on `vrrp.51` with the
/// virtual MAC, but adverts leave from the base interface, with its own MAC.
fn xmit_base_conf(priority: u8) -> String {
    vmac_conf(priority).replace("    use_vmac\n", "    use_vmac\n    vmac_xmit_base\n")
}

/// The MAC of node `i`'s eth0.
fn eth0_mac(lab: &Lab, i: usize) -> String {
    lab.node(i)
        .exec_ok("cat /sys/class/net/eth0/address")
        .trim()
        .to_string()
}

fn xmit_base(master: Impl, backup: Impl) {
    let lab = Lab::new(2);
    let what = format!("use_vmac + vmac_xmit_base: {master:?} MASTER / {backup:?} BACKUP");
    let macs: Vec<String> = (0..2).map(|i| eth0_mac(&lab, i)).collect();
    let mut cap = lab.capture("ip proto 112");
    let mut m = lab.node(0).spawn_impl(master, &xmit_base_conf(150));
    let _b = lab.node(1).spawn_impl(backup, &xmit_base_conf(100));
    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 150, 3) + 3 * SEC, &what);
    // The backup hears the adverts sent from the master's base interface.
    assert_stable_holder(&lab, 2, 0, VIP, 3 * SEC, &what);
    assert_eq!(
        vmac_state(&lab, 0),
        Some((VMAC.to_string(), true)),
        "{what}: the master's VIP must be on vrrp.51 with the virtual MAC"
    );
    m.sigkill();
    lab.set_link(0, false);
    assert!(
        wait_until(master_down(1.0, 100, 3) + 2 * SEC, || {
            vmac_state(&lab, 1) == Some((VMAC.to_string(), true))
        }),
        "{what}: the backup did not take the VIP over on its VMAC: {:?}",
        vmac_state(&lab, 1)
    );
    // Two more adverts of the new master reach the capture.
    std::thread::sleep(Duration::from_millis(2500));
    let rows = cap.fields("vrrp", &["ip.src", "eth.src"]);
    for (i, src) in ["192.0.2.10", "192.0.2.11"].into_iter().enumerate() {
        let from: Vec<_> = rows.iter().filter(|r| r[0] == src).collect();
        assert!(
            !from.is_empty() && from.iter().all(|r| r[1] == macs[i]),
            "{what}: adverts from {src} must carry eth0's MAC {}, not the VMAC: {rows:?}",
            macs[i]
        );
    }
}

#[test]
fn vmac_xmit_base_two_nodes_under_test() {
    xmit_base(under_test(), under_test());
}

#[test]
fn vmac_xmit_base_rs_master_keepalived_backup() {
    xmit_base(under_test(), Impl::Keepalived);
}

#[test]
fn vmac_xmit_base_keepalived_master_rs_backup() {
    xmit_base(Impl::Keepalived, under_test());
}
