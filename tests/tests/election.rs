//! Two-node election, failover and preemption scenarios for keepalived-rs
//! (set `NETNS_TESTS_IMPL=keepalived` to run them against Debian's
//! keepalived instead).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use netns_tests::{
    assert_stable_holder, holders, master_down, skew, under_test, wait_sole_holder, wait_until,
    Lab, VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);

/// Generous bound for a fresh prio-150 node to become MASTER.
fn first_master_timeout() -> Duration {
    master_down(1.0, 150, 2) + 3 * SEC
}

#[test]
fn higher_priority_becomes_master() {
    let imp = under_test();
    let lab = Lab::new(2);
    let m = lab.node(0).spawn_impl(imp, &VrrpConf::prio(150).render());
    let b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, first_master_timeout(), "initial election");
    assert_stable_holder(&lab, 2, 0, VIP, 2 * SEC, "prio 150 stays MASTER");
    assert!(
        m.log().contains("MASTER"),
        "master log has no MASTER line:\n{}",
        m.log()
    );
    assert!(
        !b.log().contains("Entering MASTER") && !b.log().contains("-> MASTER"),
        "backup logged a MASTER transition:\n{}",
        b.log()
    );
}

#[test]
fn sigkill_and_link_down_backup_takes_over_with_garp() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut m = lab.node(0).spawn_impl(imp, &VrrpConf::prio(150).render());
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, first_master_timeout(), "initial election");
    std::thread::sleep(SEC);
    let mut cap = lab.capture("arp");
    let t0 = Instant::now();
    m.sigkill();
    lab.set_link(0, false);
    let limit = master_down(1.0, 100, 2) + 2 * SEC;
    assert!(
        wait_until(limit, || lab.node(1).has_addr(VIP)),
        "backup did not take {VIP} within {limit:?} after master was killed"
    );
    let dt = t0.elapsed();
    // No priority-0 advert: takeover needs (the rest of) Master_Down_Interval.
    assert!(
        dt > Duration::from_millis(2000),
        "takeover after SIGKILL took only {dt:?}, expected ~Master_Down_Interval"
    );
    let mac = lab
        .node(1)
        .exec_ok("cat /sys/class/net/eth0/address")
        .trim()
        .to_string();
    std::thread::sleep(Duration::from_millis(1500));
    let rows = cap.fields(
        &format!("arp.src.proto_ipv4 == {VIP} && arp.dst.proto_ipv4 == {VIP}"),
        &["arp.opcode", "arp.src.hw_mac", "eth.dst"],
    );
    assert!(
        !rows.is_empty(),
        "no gratuitous ARP for {VIP} captured on the bridge; all ARP:\n{}",
        cap.verbose("arp")
    );
    for r in &rows {
        assert_eq!(r[1], mac, "GARP sender MAC is not node1's eth0: {rows:?}");
        assert_eq!(r[2], "ff:ff:ff:ff:ff:ff", "GARP not broadcast: {rows:?}");
    }
}

#[test]
fn sigterm_backup_takes_over_after_skew_time() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut m = lab.node(0).spawn_impl(imp, &VrrpConf::prio(150).render());
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, first_master_timeout(), "initial election");
    std::thread::sleep(SEC);
    let t0 = Instant::now();
    m.sigterm();
    assert!(
        wait_until(master_down(1.0, 100, 2) + 2 * SEC, || lab
            .node(1)
            .has_addr(VIP)),
        "backup never took {VIP} after SIGTERM of master"
    );
    let dt = t0.elapsed();
    let skew = skew(1.0, 100, 2);
    assert!(
        dt < Duration::from_millis(2500),
        "takeover took {dt:?}: expected ~Skew_Time ({skew:?}) after the priority-0 advert, \
         not Master_Down_Interval ({:?})",
        master_down(1.0, 100, 2)
    );
    assert!(dt > Duration::ZERO);
    let st = m.wait_exit(5 * SEC);
    assert!(
        st.is_some_and(|s| s.success()),
        "master did not exit 0 within 5 s of SIGTERM: {st:?}"
    );
    assert!(
        !lab.node(0).has_addr(VIP),
        "stopped master left {VIP} configured"
    );
    assert_eq!(holders(&lab, 2, VIP), vec![1]);
}

/// Node1 (prio 100) is MASTER alone, then node0 (prio 150) starts with `c0`.
fn late_high_priority(c0: &VrrpConf, c1: &VrrpConf) -> (Lab, Instant, Vec<netns_tests::Daemon>) {
    let imp = under_test();
    let lab = Lab::new(2);
    let b = lab.node(1).spawn_impl(imp, &c1.render());
    wait_sole_holder(
        &lab,
        2,
        1,
        VIP,
        master_down(1.0, 100, 2) + 3 * SEC,
        "lone prio-100 node",
    );
    let t0 = Instant::now();
    let m = lab.node(0).spawn_impl(imp, &c0.render());
    (lab, t0, vec![b, m])
}

#[test]
fn returning_higher_priority_preempts() {
    let (lab, t0, _d) = late_high_priority(&VrrpConf::prio(150), &VrrpConf::prio(100));
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, 2) + 3 * SEC,
        "prio 150 preempting",
    );
    eprintln!("preempted after {:?}", t0.elapsed());
    assert_stable_holder(&lab, 2, 0, VIP, SEC, "after preemption");
}

#[test]
fn nopreempt_does_not_preempt() {
    let c0 = VrrpConf::prio(150).state("BACKUP").nopreempt();
    let c1 = VrrpConf::prio(100).state("BACKUP").nopreempt();
    let (lab, _t0, _d) = late_high_priority(&c0, &c1);
    assert_stable_holder(&lab, 2, 1, VIP, Duration::from_millis(5500), "nopreempt");
}

#[test]
fn preempt_delay_delays_preemption() {
    let c0 = VrrpConf::prio(150).state("BACKUP").preempt_delay(3);
    let c1 = VrrpConf::prio(100).state("BACKUP");
    let (lab, t0, _d) = late_high_priority(&c0, &c1);
    // Without the delay node0 would preempt at ~Master_Down_Interval (3.41 s).
    let not_before = Duration::from_millis(4000);
    let limit = Duration::from_secs(3) + SEC + master_down(1.0, 150, 2) + 2 * SEC;
    assert!(
        wait_until(limit, || lab.node(0).has_addr(VIP)),
        "prio 150 with preempt_delay 3 never became MASTER within {limit:?}"
    );
    let dt = t0.elapsed();
    assert!(
        dt >= not_before,
        "preempt_delay 3 ignored: MASTER after only {dt:?} (expected >= {not_before:?})"
    );
    eprintln!("preempted after {dt:?}");
    wait_sole_holder(&lab, 2, 0, VIP, 3 * SEC, "old master releases VIP");
}

#[test]
fn unicast_election_and_failover() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut c0 = VrrpConf::prio(150);
    c0.unicast_peers = vec!["192.0.2.11".into()];
    let mut c1 = VrrpConf::prio(100);
    c1.unicast_peers = vec!["192.0.2.10".into()];
    let mut cap = lab.capture_port(1, "ip proto 112");
    let mut m = lab.node(0).spawn_impl(imp, &c0.render());
    let _b = lab.node(1).spawn_impl(imp, &c1.render());
    wait_sole_holder(&lab, 2, 0, VIP, first_master_timeout(), "unicast election");
    assert_stable_holder(&lab, 2, 0, VIP, 2 * SEC, "unicast: prio 150 stays MASTER");
    m.sigterm();
    let dt = wait_sole_holder(
        &lab,
        2,
        1,
        VIP,
        master_down(1.0, 100, 2) + 2 * SEC,
        "unicast failover after SIGTERM",
    );
    assert!(
        dt < Duration::from_millis(2500),
        "unicast failover took {dt:?} (priority-0 advert not honoured?)"
    );
    let st = m.wait_exit(5 * SEC);
    assert!(
        st.is_some_and(|s| s.success()),
        "unicast master exit {st:?}"
    );
    let rows = cap.fields("vrrp", &["ip.src", "ip.dst", "vrrp.prio"]);
    assert!(
        rows.iter()
            .any(|r| r[0] == "192.0.2.10" && r[1] == "192.0.2.11" && r[2] == "150"),
        "no unicast advert 192.0.2.10 -> 192.0.2.11 captured: {rows:?}"
    );
    assert!(
        rows.iter().all(|r| r[1] != "224.0.0.18"),
        "multicast adverts seen in unicast mode: {rows:?}"
    );
}
