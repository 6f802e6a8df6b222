//! Interoperability with Debian's keepalived: the same config text on both
//! nodes (only the priority differs), VRRPv2 and VRRPv3, each
//! implementation as MASTER in turn, failover both ways.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use netns_tests::{
    assert_stable_holder, master_down, under_test, wait_sole_holder, Impl, Lab, VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);

fn interop(version: u8, master_impl: Impl, backup_impl: Impl) {
    let lab = Lab::new(2);
    let c0 = VrrpConf::prio(150).version(version);
    let c1 = VrrpConf::prio(100).version(version);
    let mut m = lab.node(0).spawn_impl(master_impl, &c0.render());
    let _b = lab.node(1).spawn_impl(backup_impl, &c1.render());
    let what = format!("v{version} {master_impl:?} MASTER / {backup_impl:?} BACKUP");

    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, version) + 3 * SEC,
        &what,
    );
    assert_stable_holder(&lab, 2, 0, VIP, Duration::from_millis(2500), &what);

    // Master stops (priority-0 advert): backup takes over quickly.
    m.sigterm();
    let dt = wait_sole_holder(
        &lab,
        2,
        1,
        VIP,
        master_down(1.0, 100, version) + 2 * SEC,
        &format!("{what}: failover after SIGTERM"),
    );
    assert!(
        dt < Duration::from_millis(2500),
        "{what}: failover took {dt:?}, the priority-0 advert was not honoured"
    );
    let st = m.wait_exit(5 * SEC);
    assert!(
        st.is_some_and(|s| s.success()),
        "{what}: master exit {st:?}"
    );
    drop(m);
    assert_stable_holder(&lab, 2, 1, VIP, SEC, &format!("{what}: after failover"));

    // Master comes back and preempts.
    let t1 = Instant::now();
    let _m2 = lab.node(0).spawn_impl(master_impl, &c0.render());
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, version) + 3 * SEC,
        &format!("{what}: preempt back after restart"),
    );
    eprintln!("{what}: failover {dt:?}, preempt back {:?}", t1.elapsed());
    assert_stable_holder(
        &lab,
        2,
        0,
        VIP,
        Duration::from_millis(1500),
        &format!("{what}: after preempt"),
    );
}

#[test]
fn interop_v2_rs_master_keepalived_backup() {
    interop(2, under_test(), Impl::Keepalived);
}

#[test]
fn interop_v2_keepalived_master_rs_backup() {
    interop(2, Impl::Keepalived, under_test());
}

#[test]
fn interop_v3_rs_master_keepalived_backup() {
    interop(3, under_test(), Impl::Keepalived);
}

#[test]
fn interop_v3_keepalived_master_rs_backup() {
    interop(3, Impl::Keepalived, under_test());
}
