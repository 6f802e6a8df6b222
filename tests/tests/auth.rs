//! VRRPv2 authentication interop with Debian's keepalived: `auth_type PASS`
//! and `auth_type AH`, each implementation as MASTER in turn, failover on
//! SIGKILL and preemption back after a restart (which, with AH, only works
//! if the restarted node adopts the survivor's sequence number), and a wrong
//! password on one side making both nodes MASTER.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{
    assert_stable_holder, holders, master_down, under_test, wait_sole_holder, wait_until, Impl,
    Lab, VrrpConf, VIP,
};

const SEC: Duration = Duration::from_secs(1);

/// The harness's v2 config with the authentication block swapped.
fn conf(prio: u8, auth_type: &str, pass: &str) -> String {
    let text = VrrpConf::prio(prio).version(2).render();
    assert!(text.contains("auth_type PASS") && text.contains("auth_pass s3cret"));
    text.replace("auth_type PASS", &format!("auth_type {auth_type}"))
        .replace("auth_pass s3cret", &format!("auth_pass {pass}"))
}

fn interop(auth_type: &str, master_impl: Impl, backup_impl: Impl) {
    let lab = Lab::new(2);
    let mut cap = lab.capture(if auth_type == "AH" {
        "ip proto 51"
    } else {
        "ip proto 112"
    });
    let c0 = conf(150, auth_type, "s3cret");
    let c1 = conf(100, auth_type, "s3cret");
    let mut m = lab.node(0).spawn_impl(master_impl, &c0);
    let b = lab.node(1).spawn_impl(backup_impl, &c1);
    let what = format!("{auth_type} {master_impl:?} MASTER / {backup_impl:?} BACKUP");

    wait_sole_holder(&lab, 2, 0, VIP, master_down(1.0, 150, 2) + 3 * SEC, &what);
    assert_stable_holder(&lab, 2, 0, VIP, Duration::from_millis(2500), &what);

    // SIGKILL: no priority-0 advert, the backup waits Master_Down_Interval.
    // The killed daemon cannot remove its VIP, so only node 1 is looked at.
    m.sigkill();
    drop(m);
    let node1 = lab.node(1);
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || node1.has_addr(VIP)),
        "{what}: no failover after SIGKILL\n{}",
        b.log()
    );
    std::thread::sleep(2 * SEC);
    assert!(
        node1.has_addr(VIP),
        "{what}: node1 lost the VIP after failover"
    );

    // The master comes back and preempts: its adverts must be accepted.
    let _m2 = lab.node(0).spawn_impl(master_impl, &c0);
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, 2) + 3 * SEC,
        &format!("{what}: preempt back after restart\n{}", b.log()),
    );
    assert_stable_holder(
        &lab,
        2,
        0,
        VIP,
        Duration::from_millis(2500),
        &format!("{what}: after preempt"),
    );

    // tshark decodes every advert cleanly, ours and keepalived's.
    let rows = cap.fields(
        "vrrp",
        &[
            "ip.src",
            "vrrp.auth_type",
            "vrrp.checksum.status",
            "ah.spi",
            "ah.sequence",
            "_ws.malformed",
            "_ws.expert.severity",
        ],
    );
    assert!(rows.len() >= 8, "{what}: few adverts captured: {rows:?}");
    let mut last_seq: Option<u64> = None;
    for r in &rows {
        let ctx = format!("{what}: advert {r:?}");
        assert_eq!(r[5], "", "{ctx}: tshark says malformed");
        assert_eq!(r[6], "", "{ctx}: tshark expert info");
        assert_eq!(r[2], "1", "{ctx}: VRRP checksum");
        if auth_type == "AH" {
            assert_eq!(r[1], "2", "{ctx}: auth type IP AH");
            let spi = match r[0].as_str() {
                "192.0.2.10" => "0xc000020a",
                "192.0.2.11" => "0xc000020b",
                other => panic!("{ctx}: unexpected source {other}"),
            };
            assert_eq!(r[3], spi, "{ctx}: SPI is the source address");
            // One counter handed from node to node: strictly increasing
            // across the whole capture, except after a restart that has not
            // heard anyone yet (never the case here: both restart as BACKUP).
            let seq: u64 = r[4].parse().expect("sequence number");
            if let Some(prev) = last_seq {
                assert!(seq > prev, "{ctx}: sequence {seq} after {prev}");
            }
            last_seq = Some(seq);
        } else {
            assert_eq!(r[1], "1", "{ctx}: auth type simple text");
        }
    }
}

#[test]
fn pass_rs_master_keepalived_backup() {
    interop("PASS", under_test(), Impl::Keepalived);
}

#[test]
fn pass_keepalived_master_rs_backup() {
    interop("PASS", Impl::Keepalived, under_test());
}

#[test]
fn ah_rs_master_keepalived_backup() {
    interop("AH", under_test(), Impl::Keepalived);
}

#[test]
fn ah_keepalived_master_rs_backup() {
    interop("AH", Impl::Keepalived, under_test());
}

/// A wrong password on one side: each rejects the other's adverts, so both
/// become MASTER, and keepalived says why.
fn wrong_password(auth_type: &str, keepalived_says: &str) {
    let lab = Lab::new(2);
    let ours = lab
        .node(0)
        .spawn_impl(under_test(), &conf(150, auth_type, "s3cret"));
    let ka = lab
        .node(1)
        .spawn_impl(Impl::Keepalived, &conf(100, auth_type, "0ther"));
    let what = format!("{auth_type} with different passwords");
    let both = wait_until(master_down(1.0, 100, 2) + 4 * SEC, || {
        holders(&lab, 2, VIP) == vec![0, 1]
    });
    assert!(
        both,
        "{what}: expected both nodes to hold {VIP}, holders {:?}\nkeepalived:\n{}\nours:\n{}",
        holders(&lab, 2, VIP),
        ka.log(),
        ours.log()
    );
    // And it stays that way (neither accepts the other's adverts).
    for _ in 0..20 {
        assert_eq!(holders(&lab, 2, VIP), vec![0, 1], "{what}: dual MASTER");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        ka.wait_log(keepalived_says, 3 * SEC),
        "{what}: keepalived did not log {keepalived_says:?}:\n{}",
        ka.log()
    );
}

#[test]
fn pass_wrong_password_both_master() {
    wrong_password("PASS", "received an invalid passwd");
}

#[test]
fn ah_wrong_password_both_master() {
    wrong_password("AH", "invalid IPSEC HMAC-MD5 value");
}
