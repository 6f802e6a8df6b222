//! SIGHUP reloads (reference §7.5): matched instances keep their state
//! (no state change, no priority-0 advert, no GARP burst), a broken
//! configuration leaves the running one in place, and added, removed and
//! changed instances are applied as such. `NETNS_TESTS_IMPL=keepalived`
//! runs `repeated_reloads_change_nothing` against Debian's keepalived.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use netns_tests::{
    holders, master_down, under_test, wait_sole_holder, wait_until, Daemon, Impl, Lab, Node,
    VrrpConf, VIP,
};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const SEC: Duration = Duration::from_secs(1);

fn sighup(d: &Daemon) {
    kill(Pid::from_raw(d.pid()), Signal::SIGHUP).expect("send SIGHUP");
}

fn conf_path(d: &Daemon) -> std::path::PathBuf {
    d.dir().join("keepalived.conf")
}

/// How often `needle` occurs in the daemon log.
fn count(d: &Daemon, needle: &str) -> usize {
    d.log().matches(needle).count()
}

#[test]
fn repeated_reloads_change_nothing() {
    let imp = under_test();
    let lab = Lab::new(2);
    let m = lab.node(0).spawn_impl(imp, &VrrpConf::prio(150).render());
    let b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, 2) + 3 * SEC,
        "initial election",
    );
    // Past the master's delayed second GARP burst (garp_master_delay 5 s).
    std::thread::sleep(6 * SEC);
    let mac0 = lab
        .node(0)
        .exec_ok("cat /sys/class/net/eth0/address")
        .trim()
        .to_string();
    let mac1 = lab
        .node(1)
        .exec_ok("cat /sys/class/net/eth0/address")
        .trim()
        .to_string();
    let mut cap = lab.capture("vrrp or arp");
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    for k in 0..20 {
        sighup(&m);
        sighup(&b);
        let until = t0 + Duration::from_millis(250 * (k + 1));
        while Instant::now() < until {
            assert_eq!(
                holders(&lab, 2, VIP),
                vec![0],
                "{VIP} moved during the reloads ({:?} in)",
                t0.elapsed()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    // Adverts go on after the last reload; the backup stays quiet.
    std::thread::sleep(3 * SEC);
    assert_eq!(
        holders(&lab, 2, VIP),
        vec![0],
        "{VIP} moved after the reloads"
    );
    cap.stop();
    let prio0 = cap.fields("vrrp.prio == 0", &["ip.src"]);
    assert!(
        prio0.is_empty(),
        "priority-0 adverts during reloads: {prio0:?}"
    );
    let from_backup = cap.fields("vrrp && ip.src == 192.0.2.11", &["vrrp.prio"]);
    assert!(
        from_backup.is_empty(),
        "the backup advertised during reloads: {from_backup:?}"
    );
    let adverts = cap.fields("vrrp && ip.src == 192.0.2.10", &["vrrp.prio"]);
    assert!(
        adverts.len() >= 7 && adverts.iter().all(|r| r[0] == "150"),
        "the master did not keep advertising at priority 150: {adverts:?}"
    );
    let mut garp = |mac: &str| {
        cap.fields(
            &format!("arp.src.proto_ipv4 == {VIP} && arp.src.hw_mac == {mac}"),
            &["frame.time_relative"],
        )
    };
    let g1 = garp(&mac1);
    assert!(g1.is_empty(), "GARP from the backup: {g1:?}");
    let g0 = garp(&mac0);
    assert!(
        g0.is_empty(),
        "GARP burst from the master on reload: {g0:?}"
    );
    if imp == Impl::Rs {
        assert_eq!(count(&m, "reload complete"), 20, "master log:\n{}", m.log());
        assert_eq!(count(&b, "reload complete"), 20, "backup log:\n{}", b.log());
        assert_eq!(count(&m, "Entering MASTER"), 1, "master log:\n{}", m.log());
        assert_eq!(count(&b, "Entering MASTER"), 0, "backup log:\n{}", b.log());
        assert_eq!(count(&b, "Entering BACKUP"), 1, "backup log:\n{}", b.log());
    }
}

#[test]
fn broken_config_keeps_the_running_one() {
    let lab = Lab::new(2);
    let m = lab
        .node(0)
        .spawn_keepalived_rs(&VrrpConf::prio(150).render());
    let _b = lab
        .node(1)
        .spawn_keepalived_rs(&VrrpConf::prio(100).render());
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        master_down(1.0, 150, 2) + 3 * SEC,
        "initial election",
    );
    let good = VrrpConf::prio(150).render();
    // An unknown keyword, then plain garbage.
    for (i, broken) in [
        good.replace("priority 150", "priority 150\n    no_such_keyword 7"),
        "vrrp_instance {{{ garbage\n".to_string(),
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(conf_path(&m), broken).expect("write broken config");
        let refusals = count(&m, "keeping the running configuration");
        let mut cap = lab.capture("vrrp");
        sighup(&m);
        assert!(
            wait_until(5 * SEC, || count(&m, "keeping the running configuration")
                > refusals),
            "reload {i} of a broken config not refused:\n{}",
            m.log()
        );
        std::thread::sleep(3 * SEC);
        assert_eq!(
            holders(&lab, 2, VIP),
            vec![0],
            "{VIP} moved after reload {i}"
        );
        cap.stop();
        let adverts = cap.fields("vrrp && ip.src == 192.0.2.10", &["vrrp.prio"]);
        assert!(
            adverts.len() >= 2 && adverts.iter().all(|r| r[0] == "150"),
            "adverts stopped after broken reload {i}: {adverts:?}"
        );
    }
    let log = m.log();
    assert!(
        log.contains("no_such_keyword"),
        "the unknown keyword is not in the log:\n{log}"
    );
    assert_eq!(count(&m, "reload complete"), 0, "log:\n{log}");
    // The file fixed again: the next reload goes through.
    std::fs::write(conf_path(&m), good).expect("write config");
    sighup(&m);
    assert!(m.wait_log("reload complete", 5 * SEC), "log:\n{}", m.log());
    assert_eq!(count(&m, "Entering MASTER"), 1, "log:\n{}", m.log());
}

/// One instance on eth0 with the given VIPs.
fn instance(name: &str, vrid: u8, priority: u8, vips: &[&str]) -> String {
    let mut s = format!(
        "vrrp_instance {name} {{\n    interface eth0\n    virtual_router_id {vrid}\n    priority {priority}\n    advert_int 1\n    virtual_ipaddress {{\n"
    );
    for v in vips {
        s.push_str(&format!("        {v}/24 dev eth0\n"));
    }
    s.push_str("    }\n}\n");
    s
}

/// What the node shows of the instances: the addresses it holds (`ip addr`).
struct Snapshot {
    addrs: Vec<&'static str>,
}

fn snapshot(node: &Node, candidates: &[&'static str]) -> Snapshot {
    Snapshot {
        addrs: candidates
            .iter()
            .copied()
            .filter(|a| node.has_addr(a))
            .collect(),
    }
}

/// `keepalived-rs status --json` in the node: (name, state, base priority,
/// transitions) of every instance, sorted by name.
fn status(node: &Node) -> Vec<(String, String, u64, u64)> {
    let out = node.exec(&format!(
        "{} status --json",
        netns_tests::keepalived_rs_bin().display()
    ));
    assert!(
        out.status.success(),
        "status --json failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let mut rows: Vec<(String, String, u64, u64)> = v["instances"]
        .as_array()
        .expect("instances array")
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap_or_default().to_string(),
                i["state"].as_str().unwrap_or_default().to_string(),
                i["base_priority"].as_u64().unwrap_or_default(),
                i["transitions"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn reload_adds_removes_and_changes_instances() {
    const A: &str = "192.0.2.100";
    const B: &str = "192.0.2.101";
    const C: &str = "192.0.2.102";
    const D: &str = "192.0.2.103";
    const E: &str = "192.0.2.104";
    let all = [A, B, C, D, E];
    let lab = Lab::new(1);
    let before = format!(
        "global_defs {{\n    router_id r\n}}\n{}{}",
        instance("VI_1", 51, 100, &[A, B]),
        instance("VI_2", 52, 100, &[D])
    );
    let m = lab.node(0).spawn_keepalived_rs(&before);
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || {
            snapshot(lab.node(0), &all).addrs == [A, B, D]
        }),
        "both instances did not become MASTER: {:?}\n{}",
        snapshot(lab.node(0), &all).addrs,
        m.log()
    );
    let status_before = status(lab.node(0));
    assert_eq!(
        status_before
            .iter()
            .map(|(n, s, p, _)| (n.as_str(), s.as_str(), *p))
            .collect::<Vec<_>>(),
        [("VI_1", "MASTER", 100), ("VI_2", "MASTER", 100)],
        "status before the reload"
    );
    let after = format!(
        "global_defs {{\n    router_id r\n}}\n{}{}",
        instance("VI_1", 51, 120, &[A, C]),
        instance("VI_3", 53, 100, &[E])
    );
    std::fs::write(conf_path(&m), after).expect("write config");
    let mut cap = lab.capture("vrrp or arp");
    sighup(&m);
    assert!(m.wait_log("reload complete", 5 * SEC), "log:\n{}", m.log());
    // VI_1 changes in place: A stays, B goes, C comes; VI_2's D goes.
    assert!(
        wait_until(2 * SEC, || snapshot(lab.node(0), &all).addrs == [A, C]),
        "after the reload: {:?}\n{}",
        snapshot(lab.node(0), &all).addrs,
        m.log()
    );
    // VI_3 starts from scratch: MASTER after Master_Down_Interval.
    let t0 = Instant::now();
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || {
            lab.node(0).has_addr(E)
        }),
        "VI_3 did not become MASTER:\n{}",
        m.log()
    );
    assert!(
        t0.elapsed() > 2 * SEC,
        "VI_3 took over too early ({:?})",
        t0.elapsed()
    );
    assert_eq!(snapshot(lab.node(0), &all).addrs, [A, C, E]);
    // status --json: VI_1 kept its state and its transition count (no
    // state change), with the new priority; VI_2 is gone; VI_3 is new.
    let status_after = status(lab.node(0));
    let vi1_before = status_before.iter().find(|r| r.0 == "VI_1").map(|r| r.3);
    assert_eq!(
        status_after
            .iter()
            .map(|(n, s, p, _)| (n.as_str(), s.as_str(), *p))
            .collect::<Vec<_>>(),
        [("VI_1", "MASTER", 120), ("VI_3", "MASTER", 100)],
        "status after the reload"
    );
    assert_eq!(
        status_after.iter().find(|r| r.0 == "VI_1").map(|r| r.3),
        vi1_before,
        "VI_1 changed state across the reload"
    );
    std::thread::sleep(SEC);
    cap.stop();
    let log = m.log();
    for needle in [
        "(VI_1) priority 100 -> 120 (reload)",
        "(VI_2) removed by the reload",
        "(VI_3) added by the reload",
        "(VI_3) Entering MASTER",
    ] {
        assert!(log.contains(needle), "no '{needle}' in the log:\n{log}");
    }
    assert_eq!(count(&m, "(VI_1) Entering MASTER"), 1, "log:\n{log}");
    // VI_2 resigned with a priority-0 advert; VI_1 advertises 120.
    let vi2 = cap.fields("vrrp.virt_rtr_id == 52", &["vrrp.prio"]);
    assert_eq!(vi2, vec![vec!["0".to_string()]], "VI_2 adverts: {vi2:?}");
    let vi1 = cap.fields("vrrp.virt_rtr_id == 51", &["vrrp.prio"]);
    assert!(
        !vi1.is_empty() && vi1.iter().all(|r| r[0] == "120"),
        "VI_1 adverts after the reload: {vi1:?}"
    );
    // GARPs for the new address only (C from VI_1, E from VI_3).
    let garps = cap.fields(
        "arp.src.proto_ipv4 == arp.dst.proto_ipv4",
        &["arp.src.proto_ipv4"],
    );
    assert!(
        garps.iter().any(|r| r[0] == C),
        "no GARP for {C}: {garps:?}"
    );
    assert!(
        !garps.iter().any(|r| r[0] == A),
        "GARP for the unchanged {A}: {garps:?}"
    );
}
