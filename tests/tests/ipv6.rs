//! VRRPv3 over IPv6: keepalived-rs against itself and against Debian's
//! keepalived (both roles), failover on SIGKILL, and tshark's view of our
//! adverts and unsolicited neighbour advertisements.
#![forbid(unsafe_code)]

use std::time::Duration;

use netns_tests::{
    assert_stable_holder, master_down, under_test, wait_sole_holder, wait_until, Impl, Lab,
    VrrpConf,
};

const SEC: Duration = Duration::from_secs(1);
/// The IPv6 VIP (documentation prefix).
const VIP6: &str = "2001:db8::100";

fn conf6(priority: u8) -> VrrpConf {
    let mut c = VrrpConf::prio(priority).version(3).vrid(61);
    c.name = "VI_6".into();
    c.vips = vec![format!("{VIP6}/64")];
    c
}

/// Waits until every node's eth0 has its link-local address (they appear as
/// soon as the link is up; accept_dad is 0 in the lab).
fn wait_link_local(lab: &Lab, n: usize) {
    for i in 0..n {
        let ok = netns_tests::wait_until(5 * SEC, || {
            let out = lab.node(i).exec("ip -6 -o addr show dev eth0 scope link");
            String::from_utf8_lossy(&out.stdout).contains("fe80::")
        });
        assert!(ok, "node{i} has no IPv6 link-local address on eth0");
    }
}

/// Two nodes, `master_impl` at priority 150 and `backup_impl` at 100: one
/// master holds the VIP, and the backup takes over when it is SIGKILLed.
fn pair(master_impl: Impl, backup_impl: Impl) {
    let lab = Lab::new(2);
    wait_link_local(&lab, 2);
    let mut m = lab.node(0).spawn_impl(master_impl, &conf6(150).render());
    let _b = lab.node(1).spawn_impl(backup_impl, &conf6(100).render());
    let what = format!("IPv6 {master_impl:?} MASTER / {backup_impl:?} BACKUP");
    wait_sole_holder(&lab, 2, 0, VIP6, master_down(1.0, 150, 3) + 3 * SEC, &what);
    assert_stable_holder(&lab, 2, 0, VIP6, Duration::from_millis(2500), &what);

    // SIGKILL: no priority-0 advert, the backup waits Master_Down_Interval.
    // The killed daemon cannot remove its VIP: take it away by hand, as an
    // operator (or a reboot) would, so that only the new master holds it.
    m.sigkill();
    lab.node(0)
        .exec_ok(&format!("ip addr del {VIP6}/64 dev eth0"));
    let dt = wait_sole_holder(
        &lab,
        2,
        1,
        VIP6,
        master_down(1.0, 100, 3) + 3 * SEC,
        &format!("{what}: failover after SIGKILL"),
    );
    eprintln!("{what}: failover after SIGKILL in {dt:?}");
    assert!(
        dt >= master_down(1.0, 100, 3) - Duration::from_millis(1200),
        "{what}: the backup took over after {dt:?}, before Master_Down_Interval"
    );
    assert_stable_holder(&lab, 2, 1, VIP6, SEC, &format!("{what}: after failover"));
}

#[test]
fn ipv6_two_rs_nodes_elect_and_fail_over() {
    pair(under_test(), under_test());
}

#[test]
fn ipv6_interop_rs_master_keepalived_backup() {
    pair(under_test(), Impl::Keepalived);
}

#[test]
fn ipv6_interop_keepalived_master_rs_backup() {
    pair(Impl::Keepalived, under_test());
}

/// tshark decodes our IPv6 adverts and unsolicited NAs as well-formed, with
/// good checksums and the fields RFC 5798 / RFC 4861 require.
#[test]
fn ipv6_wire_format_decodes_in_tshark() {
    let lab = Lab::new(1);
    wait_link_local(&lab, 1);
    let ll = {
        let out = lab
            .node(0)
            .exec_ok("ip -6 -o addr show dev eth0 scope link | awk '{print $4}'");
        out.trim().split('/').next().unwrap_or_default().to_string()
    };
    assert!(ll.starts_with("fe80::"), "link-local address: {ll:?}");
    let mut cap = lab.capture("ip6 proto 112 or icmp6");
    let _d = lab.node(0).spawn_impl(under_test(), &conf6(150).render());
    wait_sole_holder(
        &lab,
        1,
        0,
        VIP6,
        master_down(1.0, 150, 3) + 3 * SEC,
        "lone node becoming MASTER",
    );
    std::thread::sleep(Duration::from_millis(3500));

    let rows = cap.fields(
        "vrrp",
        &[
            "ipv6.src",
            "ipv6.dst",
            "ipv6.hlim",
            "vrrp.version",
            "vrrp.type",
            "vrrp.virt_rtr_id",
            "vrrp.prio",
            "vrrp.addr_count",
            "vrrp.ipv6_addr",
            "vrrp.checksum.status",
            "vrrp.short_adver_int",
            "_ws.malformed",
            "_ws.expert",
            "ipv6.tclass",
        ],
    );
    assert!(rows.len() >= 3, "expected >= 3 IPv6 adverts, got {rows:?}");
    for r in &rows {
        let ctx = format!("IPv6 advert {r:?}");
        assert_eq!(r[0], ll, "{ctx}: source must be our link-local address");
        assert_eq!(r[1], "ff02::12", "{ctx}: destination");
        assert_eq!(r[2], "255", "{ctx}: hop limit");
        assert_eq!(r[3], "3", "{ctx}: version");
        assert_eq!(r[4], "1", "{ctx}: type");
        assert_eq!(r[5], "61", "{ctx}: VRID");
        assert_eq!(r[6], "150", "{ctx}: priority");
        assert_eq!(r[7], "1", "{ctx}: address count");
        assert_eq!(r[8], VIP6, "{ctx}: address");
        assert_eq!(r[9], "1", "{ctx}: checksum status (1 = good)");
        assert_eq!(r[10], "100", "{ctx}: advert interval (cs)");
        assert!(r[11].is_empty(), "{ctx}: tshark says malformed");
        assert!(r[12].is_empty(), "{ctx}: tshark expert info");
        assert_eq!(
            r[13], "0x000000c0",
            "{ctx}: traffic class CS6, as keepalived"
        );
    }

    let nas = cap.fields(
        "icmpv6.type == 136",
        &[
            "eth.dst",
            "ipv6.src",
            "ipv6.dst",
            "ipv6.hlim",
            "icmpv6.checksum.status",
            "icmpv6.nd.na.flag.s",
            "icmpv6.nd.na.flag.o",
            "icmpv6.nd.na.target_address",
            "icmpv6.opt.type",
            "icmpv6.opt.linkaddr",
            "eth.src",
            "_ws.malformed",
        ],
    );
    let ours: Vec<_> = nas.iter().filter(|r| r[7] == VIP6).collect();
    // garp_master_repeat defaults to 5.
    assert!(
        ours.len() >= 5,
        "expected >= 5 unsolicited NAs for {VIP6}, got {nas:?}"
    );
    for r in ours {
        let ctx = format!("NA {r:?}");
        assert_eq!(r[0], "33:33:00:00:00:01", "{ctx}: Ethernet destination");
        assert_eq!(r[2], "ff02::1", "{ctx}: IPv6 destination");
        assert_eq!(r[3], "255", "{ctx}: hop limit");
        assert_eq!(r[4], "1", "{ctx}: ICMPv6 checksum status (1 = good)");
        assert!(
            r[5] == "0" || r[5] == "False",
            "{ctx}: Solicited flag must be clear"
        );
        assert!(
            r[6] == "1" || r[6] == "True",
            "{ctx}: Override flag must be set"
        );
        assert_eq!(r[8], "2", "{ctx}: target link-layer address option");
        assert_eq!(r[9], r[10], "{ctx}: option carries our MAC");
        assert!(r[11].is_empty(), "{ctx}: tshark says malformed");
    }
}

/// The global address of node `i` for the unicast tests.
fn addr6(i: usize) -> String {
    format!("2001:db8::{}", 10 + i)
}

/// An IPv6 unicast instance on node `i` (of two), sending from its global
/// address to the other node's.
fn unicast_conf6(i: usize, priority: u8, extra: &str) -> String {
    let mut c = conf6(priority);
    c.unicast_peers = vec![addr6(1 - i)];
    let text = c.render();
    let end = text.rfind('}').expect("instance block closes");
    format!(
        "{}    unicast_src_ip {}\n{extra}}}\n",
        &text[..end],
        addr6(i)
    )
}

/// Two nodes with global addresses (nodad) besides their link-local ones.
fn unicast_lab() -> Lab {
    let lab = Lab::new(2);
    for i in 0..2 {
        lab.node(i)
            .exec_ok(&format!("ip -6 addr add {}/64 dev eth0 nodad", addr6(i)));
    }
    wait_link_local(&lab, 2);
    lab
}

/// IPv6 unicast: the master's adverts go to the peer's global address
/// (never to ff02::12), with the kernel's default hop limit as keepalived
/// sends them; the backup takes over when the master is SIGKILLed.
fn unicast_pair(master_impl: Impl, backup_impl: Impl) {
    let lab = unicast_lab();
    let what = format!("IPv6 unicast: {master_impl:?} MASTER / {backup_impl:?} BACKUP");
    let mut cap = lab.capture_port(1, "ip6 proto 112");
    let mut m = lab
        .node(0)
        .spawn_impl(master_impl, &unicast_conf6(0, 150, ""));
    let _b = lab
        .node(1)
        .spawn_impl(backup_impl, &unicast_conf6(1, 100, ""));
    wait_sole_holder(&lab, 2, 0, VIP6, master_down(1.0, 150, 3) + 3 * SEC, &what);
    assert_stable_holder(&lab, 2, 0, VIP6, Duration::from_millis(2500), &what);
    // A killed daemon leaves its VIP behind: what matters is the takeover.
    m.sigkill();
    assert!(
        wait_until(master_down(1.0, 100, 3) + 3 * SEC, || lab
            .node(1)
            .has_addr(VIP6)),
        "{what}: no takeover after SIGKILL"
    );
    // A few adverts of the new master, and time for the capture to flush.
    std::thread::sleep(2 * SEC);
    let rows = cap.fields("vrrp", &["ipv6.src", "ipv6.dst", "ipv6.hlim", "vrrp.prio"]);
    let from_master: Vec<_> = rows.iter().filter(|r| r[0] == addr6(0)).collect();
    assert!(
        !from_master.is_empty(),
        "{what}: no unicast advert from the master captured: {rows:?}"
    );
    for r in &from_master {
        assert_eq!(r[1], addr6(1), "{what}: destination {r:?}");
        assert_eq!(r[2], "64", "{what}: hop limit (kernel default) {r:?}");
    }
    assert!(
        rows.iter().all(|r| r[1] != "ff02::12"),
        "{what}: multicast adverts in unicast mode: {rows:?}"
    );
    // The new master advertises to the old one's address.
    assert!(
        rows.iter()
            .any(|r| r[0] == addr6(1) && r[1] == addr6(0) && r[3] == "100"),
        "{what}: no advert from the new master: {rows:?}"
    );
}

#[test]
fn ipv6_unicast_rs_master_keepalived_backup() {
    unicast_pair(under_test(), Impl::Keepalived);
}

#[test]
fn ipv6_unicast_keepalived_master_rs_backup() {
    unicast_pair(Impl::Keepalived, under_test());
}

/// `unicast_ttl` sets the hop limit of IPv6 unicast adverts, and
/// `check_unicast_src` with a peer hop-limit range refuses a peer outside
/// it (both nodes then become MASTER).
#[test]
fn ipv6_unicast_ttl_and_check_unicast_src() {
    let imp = under_test();
    let lab = unicast_lab();
    let mut cap = lab.capture_port(1, "ip6 proto 112");
    // Node 1 sends with hop limit 7; node 0 wants 250..254 from its peer.
    let c0 = unicast_conf6(0, 100, "    check_unicast_src\n").replace(
        &format!("        {}\n", addr6(1)),
        &format!("        {} min_ttl 250 max_ttl 254\n", addr6(1)),
    );
    let _a = lab.node(0).spawn_impl(imp, &c0);
    let _b = lab
        .node(1)
        .spawn_impl(imp, &unicast_conf6(1, 150, "    unicast_ttl 7\n"));
    assert!(
        wait_until(master_down(1.0, 100, 3) + 3 * SEC, || lab
            .node(0)
            .has_addr(VIP6)
            && lab.node(1).has_addr(VIP6)),
        "node 0 should refuse node 1's adverts (hop limit 7 outside 250..254) and become MASTER too"
    );
    std::thread::sleep(2 * SEC);
    let rows = cap.fields("vrrp", &["ipv6.src", "ipv6.hlim"]);
    let from1: Vec<_> = rows.iter().filter(|r| r[0] == addr6(1)).collect();
    assert!(
        !from1.is_empty() && from1.iter().all(|r| r[1] == "7"),
        "node 1's adverts should carry hop limit 7: {rows:?}"
    );
}
