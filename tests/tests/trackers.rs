//! Trackers, sync groups, virtual routes and the notify FIFO in real network
//! namespaces (issue 5's acceptance scenarios). Every scenario also runs
//! against Debian's keepalived with `NETNS_TESTS_IMPL=keepalived`, which is
//! how the scenarios themselves were checked.
#![forbid(unsafe_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use netns_tests::{
    master_down, under_test, wait_sole_holder, wait_until, Impl, Lab, Proc, VrrpConf, VIP,
};

/// The second VIP, for the sync-group scenario.
const VIP2: &str = "192.0.2.101";

/// `conf` with `root` inserted before the first `vrrp_instance` block and
/// `inside` appended inside the (single) instance block.
fn extend(conf: &str, root: &str, inside: &str) -> String {
    let at = conf.find("vrrp_instance").expect("an instance block");
    let end = conf.rfind('}').expect("instance block closes");
    format!("{}{root}\n{}{inside}}}\n", &conf[..at], &conf[at..end])
}

/// Time for a two-node election to settle (priority 100 as the slowest).
fn settle() -> Duration {
    master_down(1.0, 100, 2) + Duration::from_secs(3)
}

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
}

#[test]
fn link_down_on_the_master_fails_over_and_link_up_preempts_back() {
    let imp = under_test();
    let lab = Lab::new(2);
    let _a = lab.node(0).spawn_impl(imp, &VrrpConf::prio(150).render());
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");

    // The master's own interface goes down: it enters FAULT (its VIP goes)
    // and, hearing no more adverts, the backup takes over.
    lab.node(0).exec_ok("ip link set eth0 down");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "takeover after link down");

    // Link up: the higher-priority node leaves FAULT and preempts.
    lab.node(0).exec_ok("ip link set eth0 up");
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "preemption after link up");
}

#[test]
fn track_interface_weight_moves_priority_and_unweighted_faults() {
    let imp = under_test();
    let lab = Lab::new(2);
    // A second interface pair inside node 0: ext0 is tracked with a weight,
    // ext2 without (FAULT while down).
    lab.node(0).exec_ok(
        "ip link add ext0 type veth peer name ext1 && ip link set ext0 up && ip link set ext1 up && \
         ip link add ext2 type veth peer name ext3 && ip link set ext2 up && ip link set ext3 up",
    );
    let conf_a = extend(
        &VrrpConf::prio(150).render(),
        "",
        "    track_interface {\n        ext0 weight -60\n        ext2\n    }\n",
    );
    let _a = lab.node(0).spawn_impl(imp, &conf_a);
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");

    // ext0 down: 150 - 60 = 90 < 100, the backup preempts.
    lab.node(0).exec_ok("ip link set ext0 down");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "weighted interface down");
    lab.node(0).exec_ok("ip link set ext0 up");
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "weighted interface up");

    // ext2 down: FAULT.
    lab.node(0).exec_ok("ip link set ext2 down");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "unweighted interface down");
    lab.node(0).exec_ok("ip link set ext2 up");
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "unweighted interface up");
}

#[test]
fn an_interface_that_vanishes_and_returns_recovers_without_restart() {
    let imp = under_test();
    let lab = Lab::new(2);
    // Node 0's instance tracks ext0, which is deleted and re-created.
    lab.node(0).exec_ok(
        "ip link add ext0 type veth peer name ext1 && ip link set ext0 up && ip link set ext1 up",
    );
    let conf_a = extend(
        &VrrpConf::prio(150).render(),
        "",
        "    track_interface {\n        ext0\n    }\n",
    );
    let _a = lab.node(0).spawn_impl(imp, &conf_a);
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");

    lab.node(0).exec_ok("ip link del ext0");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "tracked interface deleted");
    lab.node(0).exec_ok(
        "ip link add ext0 type veth peer name ext1 && ip link set ext0 up && ip link set ext1 up",
    );
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "tracked interface re-created");
}

#[test]
fn a_track_script_failing_fall_times_fails_over_and_rise_restores() {
    let imp = under_test();
    let lab = Lab::new(2);
    let dir = &lab.node(0).dir;
    let status = dir.join("status");
    let count = dir.join("count");
    std::fs::write(&status, "0\n").expect("write status");
    let check = dir.join("check.sh");
    // Exits with the code in `status`, and counts its runs.
    write_exec(
        &check,
        &format!(
            "#!/bin/sh\necho x >> {}\nexit $(cat {})\n",
            count.display(),
            status.display()
        ),
    );
    let root = format!(
        "vrrp_script chk {{\n    script \"{}\"\n    interval 1\n    weight -60\n    fall 2\n    rise 2\n}}\n",
        check.display()
    );
    let conf_a = extend(
        &VrrpConf::prio(150).render(),
        &root,
        "    track_script {\n        chk\n    }\n",
    );
    let _a = lab.node(0).spawn_impl(imp, &conf_a);
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");
    let runs = || {
        std::fs::read_to_string(&count)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    assert!(runs() >= 1, "the track script never ran");

    // Failing: after `fall` (2) failures the priority drops to 90 and the
    // backup (100) preempts; not after the first failure.
    std::fs::write(&status, "1\n").expect("write status");
    let before = runs();
    assert!(
        wait_until(Duration::from_secs(5), || runs() > before),
        "the track script is not run every interval"
    );
    assert!(
        lab.node(0).has_addr(VIP),
        "one failure (fall 2) must not move the VIP yet"
    );
    wait_sole_holder(
        &lab,
        2,
        1,
        VIP,
        Duration::from_secs(8),
        "takeover after the script failed fall times",
    );

    // Succeeding again: `rise` (2) successes restore 150 and node 0 preempts.
    std::fs::write(&status, "0\n").expect("write status");
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        Duration::from_secs(10),
        "preemption after the script rose",
    );
}

#[test]
fn a_track_file_value_moves_priority_and_vip() {
    let imp = under_test();
    let lab = Lab::new(2);
    let file = lab.node(0).dir.join("prio");
    std::fs::write(&file, "50\n").expect("write track file");
    // 100 + 50 × 1 = 150 > 120.
    let root = format!(
        "track_file tf {{\n    file {}\n    weight 1\n}}\n",
        file.display()
    );
    let conf_a = extend(
        &VrrpConf::prio(100).render(),
        &root,
        "    track_file {\n        tf\n    }\n",
    );
    let _a = lab.node(0).spawn_impl(imp, &conf_a);
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(120).render());
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election (150 vs 120)");

    // 0: back to 100 < 120, node 1 preempts. Written by rename, as tools do.
    let tmp = lab.node(0).dir.join("prio.tmp");
    std::fs::write(&tmp, "0\n").expect("write track file");
    std::fs::rename(&tmp, &file).expect("rename track file");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "value 0");

    // In place, 0x32 = 50 (strtol base 0): node 0 preempts again.
    std::fs::write(&file, "0x32\n").expect("write track file");
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "value 0x32");

    // -254 × 1 ≤ -254: FAULT.
    std::fs::write(&file, "-254\n").expect("write track file");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "value -254 (FAULT)");
}

/// Two instances (VIP and VIP2) in one sync group; the second tracks ext0.
fn sync_conf(priority: u8, fifo: &Path) -> String {
    let one = VrrpConf::prio(priority).render();
    let two = VrrpConf {
        name: "VI_2".into(),
        vrid: 52,
        vips: vec![format!("{VIP2}/24")],
        ..VrrpConf::prio(priority)
    }
    .render();
    let two_block = &two[two.find("vrrp_instance").expect("instance")..];
    let two_block = two_block.replacen(
        "    interface eth0\n",
        "    interface eth0\n    track_interface {\n        ext0\n    }\n",
        1,
    );
    let globals = format!(
        "global_defs {{\n    router_id n{priority}\n    notify_fifo {}\n}}\n",
        fifo.display()
    );
    let start = one.find("vrrp_instance").expect("instance");
    format!(
        "{globals}\n{}\n{two_block}\nvrrp_sync_group G1 {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n",
        &one[start..]
    )
}

/// A FIFO reader that keeps the FIFO open read-write (so it never sees EOF
/// between daemon runs) and appends what it reads to `out`.
fn fifo_reader(fifo: &Path, out: &Path) -> Proc {
    let status = std::process::Command::new("mkfifo")
        .arg(fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", fifo.display());
    let script = format!("exec cat 0<>'{}' >> '{}'", fifo.display(), out.display());
    Proc::spawn(&["sh", "-c", &script])
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_sync_group_fails_over_together_when_one_members_interface_goes_down() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut outs: Vec<PathBuf> = Vec::new();
    let mut readers = Vec::new();
    let mut daemons = Vec::new();
    for (i, prio) in [(0, 150u8), (1, 100u8)] {
        let node = lab.node(i);
        node.exec_ok(
            "ip link add ext0 type veth peer name ext1 && ip link set ext0 up && ip link set ext1 up",
        );
        let fifo = node.dir.join("fifo");
        let out = node.dir.join("fifo.out");
        readers.push(fifo_reader(&fifo, &out));
        outs.push(out);
        daemons.push(node.spawn_impl(imp, &sync_conf(prio, &fifo)));
    }
    let settle = settle();
    wait_sole_holder(&lab, 2, 0, VIP, settle, "initial election, VI_1");
    wait_sole_holder(&lab, 2, 0, VIP2, settle, "initial election, VI_2");

    // VI_2's tracked interface goes down on node 0: VI_2 enters FAULT, and
    // with it the whole group: node 1 takes both addresses.
    lab.node(0).exec_ok("ip link set ext0 down");
    wait_sole_holder(&lab, 2, 1, VIP2, settle, "VI_2 after ext0 down");
    wait_sole_holder(&lab, 2, 1, VIP, settle, "VI_1 follows its group");

    lab.node(0).exec_ok("ip link set ext0 up");
    wait_sole_holder(&lab, 2, 0, VIP, settle, "VI_1 back");
    wait_sole_holder(&lab, 2, 0, VIP2, settle, "VI_2 back");

    // The group's notifications reach the FIFO (keepalived's line format),
    // with the group's FAULT between its two MASTER periods on node 0.
    let want = [
        "GROUP \"G1\" MASTER 0",
        "GROUP \"G1\" FAULT 0",
        "GROUP \"G1\" MASTER 0",
    ];
    let groups = |i: usize| -> Vec<String> {
        lines(&outs[i])
            .into_iter()
            .filter(|l| l.starts_with("GROUP"))
            .filter(|l| !l.contains(" BACKUP "))
            .collect()
    };
    wait_until(Duration::from_secs(3), || groups(0).len() >= want.len());
    assert_eq!(
        groups(0),
        want,
        "node 0's group lines: {:?}",
        lines(&outs[0])
    );
    assert!(
        lines(&outs[0]).contains(&"INSTANCE \"VI_2\" FAULT 150".to_string()),
        "node 0 reports VI_2 FAULT: {:?}",
        lines(&outs[0])
    );
    drop(daemons);
    drop(readers);
}

#[test]
fn virtual_routes_and_rules_exist_only_on_the_master() {
    let imp = under_test();
    let lab = Lab::new(2);
    let extra = "    virtual_routes {\n        198.51.100.0/24 via 192.0.2.1 dev eth0\n        \
                 blackhole 203.0.113.0/24 table 100\n    }\n    virtual_rules {\n        \
                 from 203.0.113.0/24 table 100 priority 100\n    }\n";
    let mut a = lab
        .node(0)
        .spawn_impl(imp, &extend(&VrrpConf::prio(150).render(), "", extra));
    let _b = lab
        .node(1)
        .spawn_impl(imp, &extend(&VrrpConf::prio(100).render(), "", extra));
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");
    let has_route = |i: usize| {
        lab.node(i)
            .exec_ok("ip route show 198.51.100.0/24")
            .contains("via 192.0.2.1")
    };
    // `ip route show table 100` fails while the table does not exist.
    let has_blackhole = |i: usize| {
        String::from_utf8_lossy(&lab.node(i).exec("ip route show table 100").stdout)
            .contains("blackhole 203.0.113.0/24")
    };
    let has_rule = |i: usize| {
        lab.node(i)
            .exec_ok("ip rule show")
            .contains("from 203.0.113.0/24 lookup 100")
    };
    assert!(
        wait_until(Duration::from_secs(3), || has_route(0)
            && has_blackhole(0)
            && has_rule(0)),
        "master lacks its virtual routes/rules"
    );
    assert!(
        !has_route(1) && !has_blackhole(1) && !has_rule(1),
        "backup has virtual routes/rules"
    );

    a.sigterm();
    assert!(
        a.wait_exit(Duration::from_secs(5)).is_some(),
        "master did not exit"
    );
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "takeover");
    assert!(
        wait_until(Duration::from_secs(3), || has_route(1)
            && has_blackhole(1)
            && has_rule(1)),
        "new master lacks the virtual routes/rules"
    );
    assert!(
        !has_route(0) && !has_blackhole(0) && !has_rule(0),
        "the stopped master left its virtual routes/rules behind"
    );
}

#[test]
fn notify_fifo_receives_the_lines_in_order_across_a_failover() {
    let imp = under_test();
    let lab = Lab::new(2);
    let mut outs = Vec::new();
    let mut readers = Vec::new();
    let mut confs = Vec::new();
    for (i, prio) in [(0, 150u8), (1, 100u8)] {
        let fifo = lab.node(i).dir.join("fifo");
        let out = lab.node(i).dir.join("fifo.out");
        readers.push(fifo_reader(&fifo, &out));
        outs.push(out);
        let base = VrrpConf::prio(prio).render();
        confs.push(base.replacen(
            "global_defs {\n",
            &format!("global_defs {{\n    notify_fifo {}\n", fifo.display()),
            1,
        ));
    }
    let mut a = lab.node(0).spawn_impl(imp, &confs[0]);
    let _b = lab.node(1).spawn_impl(imp, &confs[1]);
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");
    a.sigterm();
    assert!(
        a.wait_exit(Duration::from_secs(5)).is_some(),
        "master did not exit"
    );
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "takeover");
    // Node 0 comes back and preempts.
    let _a2 = lab.node(0).spawn_impl(imp, &confs[0]);
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "preemption");

    let want_a = [
        "INSTANCE \"VI_1\" BACKUP 150",
        "INSTANCE \"VI_1\" MASTER 150",
        "INSTANCE \"VI_1\" STOP 150",
        "INSTANCE \"VI_1\" BACKUP 150",
        "INSTANCE \"VI_1\" MASTER 150",
    ];
    let want_b = [
        "INSTANCE \"VI_1\" BACKUP 100",
        "INSTANCE \"VI_1\" MASTER 100",
        "INSTANCE \"VI_1\" BACKUP 100",
    ];
    wait_until(Duration::from_secs(3), || {
        lines(&outs[0]).len() >= want_a.len() && lines(&outs[1]).len() >= want_b.len()
    });
    assert_eq!(lines(&outs[0]), want_a, "node 0's FIFO lines");
    assert_eq!(lines(&outs[1]), want_b, "node 1's FIFO lines");
    drop(readers);
}

#[test]
fn the_instances_own_interface_deleted_and_re_created_recovers_without_restart() {
    let imp = under_test();
    let lab = Lab::new(2);
    let _a = lab.node(0).spawn_impl(imp, &VrrpConf::prio(150).render());
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");

    // Node 0's eth0 is deleted (its bridge port with it): FAULT there, and
    // node 1 takes over.
    lab.node(0).exec_ok("ip link del eth0");
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "takeover after eth0 deleted");

    // The cable comes back as a new interface (new index) with the same name
    // and address: node 0 must receive and send on it again, and preempt.
    recreate_eth0(&lab, 0);
    wait_sole_holder(
        &lab,
        2,
        0,
        VIP,
        settle(),
        "preemption on the re-created eth0",
    );
}

#[test]
fn notify_fifo_script_reads_every_line_until_the_daemon_stops() {
    let imp = under_test();
    let lab = Lab::new(1);
    let dir = &lab.node(0).dir;
    let fifo = dir.join("fifo");
    let out = dir.join("script.out");
    let reader = dir.join("reader.sh");
    // Started by the daemon with the FIFO path as its last argument.
    write_exec(
        &reader,
        &format!(
            "#!/bin/sh\nwhile read -r line; do echo \"$line\" >> {}; done < \"$1\"\n",
            out.display()
        ),
    );
    let conf = VrrpConf::prio(100).render().replacen(
        "global_defs {\n",
        &format!(
            "global_defs {{\n    notify_fifo {}\n    notify_fifo_script {}\n",
            fifo.display(),
            reader.display()
        ),
        1,
    );
    let mut d = lab.node(0).spawn_impl(imp, &conf);
    wait_sole_holder(&lab, 1, 0, VIP, settle(), "single node becomes MASTER");
    d.sigterm();
    assert!(
        d.wait_exit(Duration::from_secs(5)).is_some(),
        "daemon did not exit"
    );
    let mut want = vec![
        "INSTANCE \"VI_1\" BACKUP 100",
        "INSTANCE \"VI_1\" MASTER 100",
    ];
    // keepalived-rs lets the script read the STOP line before it ends it;
    // keepalived 2.2.7 terminates the script first (a documented difference).
    if imp == Impl::Rs {
        want.push("INSTANCE \"VI_1\" STOP 100");
    }
    wait_until(Duration::from_secs(3), || lines(&out).len() >= want.len());
    assert_eq!(lines(&out), want, "lines the FIFO script read");
}

/// Re-creates node `i`'s cable to the bridge: a new veth pair (new index),
/// named and addressed as before (the link comes up before its address).
fn recreate_eth0(lab: &Lab, i: usize) {
    let ns = &lab.node(i).ns;
    let status = std::process::Command::new("ip")
        .args(["netns", "exec", lab.hub(), "sh", "-c"])
        .arg(format!(
            "ip link add p{i} type veth peer name eth0 netns {ns} && \
             ip link set p{i} master br0 && ip link set p{i} up"
        ))
        .status()
        .expect("run ip in the hub");
    assert!(status.success(), "re-creating node {i}'s cable");
    lab.node(i).exec_ok(&format!(
        "sysctl -qw net.ipv6.conf.eth0.accept_dad=0 && ip link set eth0 up && ip addr add {}/24 dev eth0",
        lab.node(i).addr
    ));
}

#[test]
fn with_dynamic_interfaces_an_instance_waits_for_its_interface_to_appear() {
    let imp = under_test();
    let lab = Lab::new(2);
    // Node 0 starts without eth0 at all.
    lab.node(0).exec_ok("ip link del eth0");
    let conf_a = VrrpConf::prio(150).render().replacen(
        "global_defs {\n",
        "global_defs {\n    dynamic_interfaces\n",
        1,
    );
    let _a = lab.node(0).spawn_impl(imp, &conf_a);
    let _b = lab.node(1).spawn_impl(imp, &VrrpConf::prio(100).render());
    wait_sole_holder(&lab, 2, 1, VIP, settle(), "node 1 alone");

    // eth0 appears (link first, then its address): node 0 leaves FAULT and
    // preempts.
    recreate_eth0(&lab, 0);
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "preemption once eth0 exists");
}

/// Sends one VRRPv2 advert for VRID 51 (the scenarios' auth and VIP) with
/// `priority`, from inside namespace `ns` out of its eth0 with source `src`,
/// as a lower-priority router would.
fn inject_advert(ns: &str, src: std::net::Ipv4Addr, priority: u8) {
    let ns = ns.to_string();
    std::thread::spawn(move || {
        // setns moves only this thread into the namespace.
        let f = std::fs::File::open(format!("/run/netns/{ns}")).expect("open namespace");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("enter namespace");
        let mut pass = [0u8; 8];
        pass[..6].copy_from_slice(b"s3cret");
        let dst = std::net::Ipv4Addr::new(224, 0, 0, 18);
        let mut buf = Vec::new();
        vrrp::packet::encode_ipv4(
            &mut buf,
            src,
            dst,
            255,
            2,
            51,
            priority,
            100,
            &vrrp::AuthData::Pass(pass),
            &[VIP.parse::<std::net::Ipv4Addr>().expect("VIP")],
        )
        .expect("encode advert");
        // IPPROTO_RAW: the datagram carries its own IP header.
        let sock = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::RAW,
            Some(socket2::Protocol::from(255)),
        )
        .expect("raw socket");
        sock.bind_device(Some(b"eth0")).expect("bind to eth0");
        sock.set_multicast_if_v4(&src).expect("multicast interface");
        let to = std::net::SocketAddrV4::new(dst, 0);
        sock.send_to(&buf, &to.into()).expect("send advert");
    })
    .join()
    .expect("advert sender");
}

#[test]
fn a_master_hearing_a_lower_priority_master_runs_notify_master_rx_lower_pri() {
    let imp = under_test();
    let lab = Lab::new(2);
    let dir = &lab.node(0).dir;
    let log = dir.join("rx_lower.log");
    let script = dir.join("rx_lower.sh");
    write_exec(
        &script,
        &format!("#!/bin/sh\necho \"$*\" >> {}\n", log.display()),
    );
    let fifo = dir.join("fifo");
    let out = dir.join("fifo.out");
    let _reader = fifo_reader(&fifo, &out);
    let conf_a = extend(
        &VrrpConf::prio(150).render().replacen(
            "global_defs {\n",
            &format!("global_defs {{\n    notify_fifo {}\n", fifo.display()),
            1,
        ),
        "",
        &format!(
            "    notify_master_rx_lower_pri \"{} rx_lower\"\n",
            script.display()
        ),
    );
    let _a = lab.node(0).spawn_impl(imp, &conf_a);
    wait_sole_holder(&lab, 1, 0, VIP, settle(), "node 0 alone");
    assert!(
        !log.exists(),
        "no lower-priority master was heard yet, but the script ran"
    );

    // A lower-priority router (priority 100, from node 1's address) announces
    // itself as MASTER.
    inject_advert(
        &lab.node(1).ns,
        lab.node(1).addr.parse().expect("addr"),
        100,
    );
    assert!(
        wait_until(Duration::from_secs(3), || std::fs::read_to_string(&log)
            .is_ok_and(|t| t.lines().any(|l| l == "rx_lower"))),
        "notify_master_rx_lower_pri did not run with its arguments"
    );
    assert!(
        wait_until(Duration::from_secs(3), || lines(&out)
            .contains(&"INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150".to_string())),
        "FIFO lines: {:?}",
        lines(&out)
    );
}
