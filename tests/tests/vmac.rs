//! `use_vmac` against Debian's keepalived: the MASTER holds the VIP on a
//! macvlan `vrrp.51` with the virtual MAC 00:00:5e:00:01:33, adverts leave
//! from that MAC, and the backup takes over on kill.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{master_down, wait_sole_holder, wait_until, Impl, Lab, VrrpConf, VIP};

const SEC: Duration = Duration::from_secs(1);
const VMAC: &str = "00:00:5e:00:01:33";

fn vmac_conf(priority: u8) -> String {
    let text = VrrpConf::prio(priority).version(3).render();
    // VIPs without `dev` go on the VMAC.
    let text = text.replace(&format!("{VIP}/24 dev eth0"), &format!("{VIP}/24"));
    let end = text.rfind('}').expect("instance block closes");
    format!("{}    use_vmac\n}}\n", &text[..end])
}

/// The node's VMAC `vrrp.51`: (MAC, holds the VIP).
fn vmac_state(lab: &Lab, i: usize) -> Option<(String, bool)> {
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
    let has_vip = String::from_utf8_lossy(&addrs.stdout).contains(&format!(" {VIP}/"));
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
