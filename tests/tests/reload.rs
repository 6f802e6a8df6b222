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

/// A config of `instances` with `extra` top-level blocks (static entries,
/// global_defs lines).
fn config(global: &str, extra: &str, instances: &[String]) -> String {
    format!(
        "global_defs {{\n    router_id r\n{global}}}\n{extra}{}",
        instances.concat()
    )
}

/// Writes `conf` and reloads; with keepalived-rs, waits for the log line
/// (`n` reloads done so far, this one included); keepalived logs
/// "Reload complete" too.
fn reload_to(d: &Daemon, conf: &str, n: usize) {
    std::fs::write(conf_path(d), conf).expect("write config");
    sighup(d);
    let done = || {
        let log = d.log();
        log.matches("reload complete").count() + log.matches("Reload complete").count() >= n
    };
    assert!(
        wait_until(5 * SEC, done),
        "reload {n} not done:\n{}",
        d.log()
    );
    // keepalived logs before the last changes are applied.
    std::thread::sleep(Duration::from_millis(500));
}

#[test]
fn reload_applies_static_changes_without_flapping_the_kept_ones() {
    let imp = under_test();
    let lab = Lab::new(1);
    let node = lab.node(0);
    let statics = |addrs: &[&str], routes: &[&str], rules: &[&str]| {
        let block = |kw: &str, items: &[&str]| {
            let mut s = format!("{kw} {{\n");
            for i in items {
                s.push_str(&format!("    {i}\n"));
            }
            s.push_str("}\n");
            s
        };
        format!(
            "{}{}{}",
            block("static_ipaddress", addrs),
            block("static_routes", routes),
            block("static_rules", rules)
        )
    };
    let before = config(
        "",
        &statics(
            &["198.51.100.1/32 dev eth0", "198.51.100.2/32 dev eth0"],
            &[
                "203.0.113.0/25 via 192.0.2.1 dev eth0",
                "203.0.113.128/25 via 192.0.2.1 dev eth0",
            ],
            &["from 198.51.100.1 table 100", "from 198.51.100.2 table 101"],
        ),
        &[instance("VI_1", 51, 100, &[VIP])],
    );
    let d = node.spawn_impl(imp, &before);
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || node.has_addr(VIP)),
        "no MASTER:\n{}",
        d.log()
    );
    let show = || {
        (
            node.exec_ok("ip -o addr show dev eth0"),
            node.exec_ok("ip route show"),
            node.exec_ok("ip rule show"),
        )
    };
    let (addrs, routes, rules) = show();
    for (what, text, want) in [
        ("address", &addrs, "198.51.100.2/32"),
        ("route", &routes, "203.0.113.128/25 via 192.0.2.1"),
        ("rule", &rules, "from 198.51.100.2 lookup 101"),
    ] {
        assert!(text.contains(want), "static {what} {want} missing:\n{text}");
    }
    // Every address, route and rule change from here on, in order.
    let events = lab.dir().join("monitor.log");
    let _monitor = netns_tests::Proc::spawn(&[
        "ip",
        "netns",
        "exec",
        &node.ns,
        "sh",
        "-c",
        &format!(
            "exec timeout 30 ip -o monitor address route rule > {}",
            events.display()
        ),
    ]);
    std::thread::sleep(Duration::from_millis(300));
    let after = config(
        "",
        &statics(
            &["198.51.100.1/32 dev eth0", "198.51.100.3/32 dev eth0"],
            &[
                "203.0.113.0/25 via 192.0.2.1 dev eth0",
                "198.51.100.128/25 via 192.0.2.1 dev eth0",
            ],
            &["from 198.51.100.1 table 100", "from 198.51.100.3 table 102"],
        ),
        &[instance("VI_1", 51, 100, &[VIP])],
    );
    reload_to(&d, &after, 1);
    let (addrs, routes, rules) = show();
    for (what, text, want, gone) in [
        ("address", &addrs, "198.51.100.3/32", "198.51.100.2/32"),
        (
            "route",
            &routes,
            "198.51.100.128/25 via 192.0.2.1",
            "203.0.113.128/25",
        ),
        (
            "rule",
            &rules,
            "from 198.51.100.3 lookup 102",
            "from 198.51.100.2 ",
        ),
    ] {
        assert!(
            text.contains(want),
            "static {what} {want} not added by the reload:\n{text}\n{}",
            d.log()
        );
        assert!(
            !text.contains(gone),
            "static {what} {gone} not removed by the reload:\n{text}\n{}",
            d.log()
        );
    }
    for (what, text, kept) in [
        ("address", &addrs, "198.51.100.1/32"),
        ("route", &routes, "203.0.113.0/25 via 192.0.2.1"),
        ("rule", &rules, "from 198.51.100.1 lookup 100"),
    ] {
        assert!(text.contains(kept), "static {what} {kept} lost:\n{text}");
    }
    assert!(node.has_addr(VIP), "the VIP went with the reload");
    let log = std::fs::read_to_string(&events).expect("monitor log");
    assert!(
        log.lines()
            .any(|l| !l.starts_with("Deleted") && l.contains("198.51.100.3/32")),
        "the monitor saw no change (is it working?):\n{log}"
    );
    // The kept entries were not removed and added again.
    for kept in [
        "198.51.100.1/32",
        "203.0.113.0/25",
        "from 198.51.100.1 lookup 100",
        VIP,
    ] {
        let flaps: Vec<&str> = log.lines().filter(|l| l.contains(kept)).collect();
        assert!(flaps.is_empty(), "{kept} flapped on reload: {flaps:?}");
    }
}

/// `nft list ruleset` in the node.
fn ruleset(node: &Node) -> String {
    node.exec_ok("nft list ruleset")
}

/// The elements line of set `vips` in table `ip keepalived` (empty when
/// the set does not exist).
fn vips_set(node: &Node) -> String {
    String::from_utf8_lossy(&node.exec("nft list set ip keepalived vips").stdout).into_owned()
}

fn with_opts(inst: String, opts: &str) -> String {
    inst.replacen(
        "    advert_int 1\n",
        &format!("    advert_int 1\n{opts}"),
        1,
    )
}

#[test]
fn reload_rebuilds_the_firewall_and_keeps_the_drop_set() {
    const B: &str = "192.0.2.101";
    let imp = under_test();
    let lab = Lab::new(1);
    let node = lab.node(0);
    let plain = instance("VI_1", 51, 100, &[VIP]);
    let d = node.spawn_impl(imp, &config("", "", std::slice::from_ref(&plain)));
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || node.has_addr(VIP)),
        "no MASTER:\n{}",
        d.log()
    );
    assert!(
        !vips_set(node).contains(VIP),
        "{VIP} blocked without no_accept:\n{}",
        ruleset(node)
    );
    // no_accept added: the first no_accept instance of the family, so the
    // set and its rules are created, with the MASTER's VIP in it.
    let no_accept = with_opts(plain.clone(), "    no_accept\n");
    reload_to(&d, &config("", "", std::slice::from_ref(&no_accept)), 1);
    assert!(
        wait_until(2 * SEC, || vips_set(node).contains(VIP)),
        "{VIP} not in the drop set after the reload:\n{}\n{}",
        ruleset(node),
        d.log()
    );
    assert!(ruleset(node).contains("daddr @vips drop"));
    // A VMAC instance added: the tables change (vmac_map), the drop set
    // keeps the MASTER's VIP.
    let vmac = with_opts(instance("VI_2", 52, 100, &[B]), "    use_vmac\n");
    reload_to(&d, &config("", "", &[no_accept.clone(), vmac]), 2);
    assert!(
        wait_until(2 * SEC, || ruleset(node).contains("vmac_map")),
        "no vmac_map after adding a VMAC:\n{}\n{}",
        ruleset(node),
        d.log()
    );
    assert!(
        vips_set(node).contains(VIP),
        "{VIP} lost from the drop set when the tables were rebuilt:\n{}\n{}",
        ruleset(node),
        d.log()
    );
    assert!(node.has_addr(VIP), "the VIP went with the reload");
    if imp == Impl::Rs {
        // Back to accept and no VMAC: nothing left to drop, no tables
        // (keepalived 2.2.7 leaves its tables and the element behind).
        reload_to(&d, &config("", "", std::slice::from_ref(&plain)), 3);
        assert!(
            wait_until(2 * SEC, || !ruleset(node).contains("keepalived")),
            "tables left after the last no_accept/VMAC instance went:\n{}\n{}",
            ruleset(node),
            d.log()
        );
        assert!(node.has_addr(VIP), "the VIP went with the reload");
    }
}

/// The interface index of `name` in the node, if it exists.
fn ifindex(node: &Node, name: &str) -> Option<String> {
    let out = node.exec(&format!("cat /sys/class/net/{name}/ifindex"));
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn reload_deletes_the_vmac_of_a_removed_instance() {
    let imp = under_test();
    let lab = Lab::new(1);
    let node = lab.node(0);
    let vi2 = with_opts(
        instance("VI_2", 52, 100, &["192.0.2.101"]),
        "    use_vmac\n",
    );
    let vi3 = with_opts(
        instance("VI_3", 53, 100, &["192.0.2.102"]),
        "    use_vmac\n",
    );
    let d = node.spawn_impl(imp, &config("", "", &[vi2.clone(), vi3]));
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || {
            node.has_addr("192.0.2.101") && node.has_addr("192.0.2.102")
        }),
        "no MASTERs:\n{}",
        d.log()
    );
    let kept = ifindex(node, "vrrp.52").expect("vrrp.52 exists");
    assert!(ifindex(node, "vrrp.53").is_some(), "no vrrp.53");
    reload_to(&d, &config("", "", std::slice::from_ref(&vi2)), 1);
    assert!(
        wait_until(3 * SEC, || ifindex(node, "vrrp.53").is_none()),
        "vrrp.53 left after its instance was removed:\n{}",
        d.log()
    );
    assert_eq!(
        ifindex(node, "vrrp.52"),
        Some(kept),
        "vrrp.52 (still used) was re-created or removed"
    );
    assert!(node.has_addr("192.0.2.101"), "VI_2 lost its VIP");
}

#[test]
fn reload_writes_the_states_to_the_fifo() {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let imp = under_test();
    let lab = Lab::new(1);
    let node = lab.node(0);
    let fifo = node.dir.join("notify.fifo");
    let global = format!(
        "    vrrp_notify_fifo {}\n    fifo_write_vrrp_states_on_reload\n",
        fifo.display()
    );
    let group = "vrrp_sync_group G1 {\n    group {\n        VI_1\n        VI_2\n    }\n}\n";
    let insts = [
        instance("VI_1", 51, 100, &[VIP]),
        instance("VI_2", 52, 110, &["192.0.2.101"]),
        instance("VI_3", 53, 90, &["192.0.2.102"]),
    ];
    let conf = config(&global, group, &insts);
    let d = node.spawn_impl(imp, &conf);
    assert!(
        wait_until(5 * SEC, || fifo.exists()),
        "no FIFO:\n{}",
        d.log()
    );
    // Read from the test: the FIFO is a file, not a namespace resource.
    // Non-blocking; at end-of-file (keepalived closes its end on reload,
    // and replaces the FIFO) it is opened again by path.
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(&fifo)
            .ok()
    };
    let mut f = open();
    let mut text = String::new();
    let mut pump = |text: &mut String| {
        let mut buf = [0u8; 4096];
        for _ in 0..100 {
            let Some(file) = f.as_mut() else {
                f = open();
                return;
            };
            match file.read(&mut buf) {
                Ok(0) => {
                    f = open();
                    return;
                }
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => return,
            }
        }
    };
    assert!(
        wait_until(master_down(1.0, 90, 2) + 3 * SEC, || {
            pump(&mut text);
            text.contains("GROUP \"G1\" MASTER 0") && text.contains("INSTANCE \"VI_3\" MASTER 90")
        }),
        "start lines missing: {text:?}\n{}",
        d.log()
    );
    std::thread::sleep(SEC);
    pump(&mut text);
    let seen = text.len();
    reload_to(&d, &conf, 1);
    wait_until(2 * SEC, || {
        pump(&mut text);
        false
    });
    let new = text.get(seen..).unwrap_or_default().to_string();
    assert!(
        new.contains("GROUP \"G1\" MASTER 0\n"),
        "no group state after the reload: {new:?}\n{}",
        d.log()
    );
    if imp == Impl::Rs {
        // keepalived 2.2.7 writes only the sync groups' states (observed);
        // the reference (§6.2) says every state is re-emitted.
        for line in [
            "INSTANCE \"VI_1\" MASTER 100\n",
            "INSTANCE \"VI_2\" MASTER 110\n",
            "INSTANCE \"VI_3\" MASTER 90\n",
        ] {
            assert!(new.contains(line), "no {line:?} after the reload: {new:?}");
        }
        assert_eq!(new.lines().count(), 4, "lines after the reload: {new:?}");
    }
    // Not re-emitted without the option.
    let plain = conf.replace("    fifo_write_vrrp_states_on_reload\n", "");
    pump(&mut text);
    let seen = text.len();
    reload_to(&d, &plain, 2);
    wait_until(2 * SEC, || {
        pump(&mut text);
        false
    });
    let new = text.get(seen..).unwrap_or_default();
    assert!(new.is_empty(), "lines after a plain reload: {new:?}");
}

#[test]
fn reload_reopens_the_notify_fifo_at_its_new_path() {
    // keepalived-rs only: keepalived 2.2.7 writes only group lines on
    // reload, and this checks an instance line at the new path.
    let lab = Lab::new(1);
    let node = lab.node(0);
    let old = node.dir.join("old.fifo");
    let new = node.dir.join("new.fifo");
    let mut readers = Vec::new();
    let mut outs = Vec::new();
    for (fifo, out) in [(&old, "old.out"), (&new, "new.out")] {
        let status = std::process::Command::new("mkfifo")
            .arg(fifo)
            .status()
            .expect("run mkfifo");
        assert!(status.success(), "mkfifo {}", fifo.display());
        let out = node.dir.join(out);
        let script = format!("exec cat 0<>'{}' >> '{}'", fifo.display(), out.display());
        readers.push(netns_tests::Proc::spawn(&["sh", "-c", &script]));
        outs.push(out);
    }
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    let insts = [instance("VI_1", 51, 100, &[VIP])];
    let conf = |fifo: &std::path::Path| {
        config(
            &format!(
                "    notify_fifo {}\n    fifo_write_vrrp_states_on_reload\n",
                fifo.display()
            ),
            "",
            &insts,
        )
    };
    let d = node.spawn_keepalived_rs(&conf(&old));
    assert!(
        wait_until(master_down(1.0, 100, 2) + 3 * SEC, || lines(&outs[0])
            .contains("INSTANCE \"VI_1\" MASTER 100")),
        "no MASTER line in the old FIFO:\n{}",
        d.log()
    );
    reload_to(&d, &conf(&new), 1);
    assert!(
        wait_until(3 * SEC, || lines(&outs[1])
            .contains("INSTANCE \"VI_1\" MASTER 100")),
        "the state line did not reach the new FIFO: {:?}\n{}",
        lines(&outs[1]),
        d.log()
    );
    drop(readers);
}
