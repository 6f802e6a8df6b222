//! Sub-second VRRPv3: advert_int in centiseconds end to end, against
//! Debian's keepalived at 0.1 s and between two keepalived-rs nodes at
//! 0.05 s (SIGKILL + link down, bounded by Master_Down_Interval + 1 s).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use netns_tests::{
    assert_stable_holder, master_down, wait_sole_holder, wait_until, Impl, Lab, VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);

fn v3(priority: u8, advert_int: &str) -> VrrpConf {
    VrrpConf::prio(priority).version(3).advert_int(advert_int)
}

fn interop_fast(master: Impl, backup: Impl) {
    let lab = Lab::new(2);
    let what = format!("v3 advert_int 0.1: {master:?} MASTER / {backup:?} BACKUP");
    let mut cap = lab.capture("ip proto 112");
    let mut m = lab.node(0).spawn_impl(master, &v3(150, "0.1").render());
    let _b = lab.node(1).spawn_impl(backup, &v3(100, "0.1").render());
    wait_sole_holder(&lab, 2, 0, VIP, master_down(0.1, 150, 3) + 3 * SEC, &what);
    assert_stable_holder(&lab, 2, 0, VIP, 2 * SEC, &what);
    m.sigkill();
    lab.set_link(0, false);
    let t0 = Instant::now();
    let bound = master_down(0.1, 100, 3) + SEC;
    assert!(
        wait_until(bound, || lab.node(1).has_addr(VIP)),
        "{what}: no takeover within {bound:?} of SIGKILL + link down"
    );
    let dt = t0.elapsed();
    // Let the new master's first adverts reach the capture.
    std::thread::sleep(Duration::from_millis(500));
    // Both sides advertise 10 cs (tshark shows the v3 interval in cs).
    let rows = cap.fields("vrrp", &["ip.src", "vrrp.short_adver_int"]);
    for src in ["192.0.2.10", "192.0.2.11"] {
        let ints: Vec<&str> = rows
            .iter()
            .filter(|r| r[0] == src)
            .map(|r| r[1].as_str())
            .collect();
        assert!(
            !ints.is_empty() && ints.iter().all(|i| *i == "10"),
            "{what}: adverts from {src} should carry 10 cs: {ints:?} (failover {dt:?})"
        );
    }
}

#[test]
fn v3_centiseconds_rs_master_keepalived_backup() {
    interop_fast(Impl::Rs, Impl::Keepalived);
}

#[test]
fn v3_centiseconds_keepalived_master_rs_backup() {
    interop_fast(Impl::Keepalived, Impl::Rs);
}

#[test]
fn v3_at_50_ms_fails_over_within_master_down_plus_one_second() {
    let bound = master_down(0.05, 100, 3) + SEC;
    for run in 0..5 {
        let lab = Lab::new(2);
        let mut m = lab.node(0).spawn_impl(Impl::Rs, &v3(150, "0.05").render());
        let _b = lab.node(1).spawn_impl(Impl::Rs, &v3(100, "0.05").render());
        wait_sole_holder(
            &lab,
            2,
            0,
            VIP,
            master_down(0.05, 150, 3) + 3 * SEC,
            &format!("run {run}: election"),
        );
        assert_stable_holder(&lab, 2, 0, VIP, SEC, &format!("run {run}: stable"));
        m.sigkill();
        lab.set_link(0, false);
        assert!(
            wait_until(bound, || lab.node(1).has_addr(VIP)),
            "run {run}: no takeover within {bound:?}"
        );
    }
}

#[test]
fn a_v3_backup_adopts_the_masters_interval() {
    // The backup is configured with 1 s but hears a 0.1 s master: it must
    // use the master's interval for its down timer and take over in about
    // 3 × 0.1 s + skew, not 3 s.
    let lab = Lab::new(2);
    let mut m = lab.node(0).spawn_impl(Impl::Rs, &v3(150, "0.1").render());
    let _b = lab.node(1).spawn_impl(Impl::Rs, &v3(100, "1").render());
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, 3) + 3 * SEC,
        "election",
    );
    assert_stable_holder(&lab, 2, 0, VIP, 2 * SEC, "stable");
    m.sigkill();
    lab.set_link(0, false);
    let t0 = Instant::now();
    assert!(
        wait_until(3 * SEC, || lab.node(1).has_addr(VIP)),
        "no takeover"
    );
    let dt = t0.elapsed();
    assert!(
        dt < master_down(0.1, 100, 3) + Duration::from_millis(700),
        "takeover took {dt:?}: the backup did not adopt the master's 0.1 s interval"
    );
}
