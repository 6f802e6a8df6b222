//! keepalived's operational files: the dump signals (USR1 → keepalived.data,
//! USR2 → keepalived.stats, SIGRTMIN+2 → keepalived.json) written into the
//! daemon's `$TMPDIR` (the harness sets it to the daemon's directory),
//! `--signum`, and the pid file: a second daemon with the same `-p` refuses
//! to start, and the file goes when the daemon stops.
//!
//! Run against keepalived with `NETNS_TESTS_IMPL=keepalived` to check the
//! expectations themselves (paths, headings, JSON field names).
#![forbid(unsafe_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use netns_tests::{keepalived_rs_bin, under_test, wait_until, Impl, Lab, VrrpConf, VIP};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn binary(which: Impl) -> String {
    match which {
        Impl::Rs => keepalived_rs_bin().display().to_string(),
        Impl::Keepalived => "keepalived".to_string(),
    }
}

/// Send `sig` (a raw number: the JSON signal is real-time) and wait for
/// `file` to appear (fresh: the caller removed any old one).
fn signal_for(pid: i32, sig: i32, file: &Path) -> String {
    let _ = std::fs::remove_file(file);
    let s = Signal::try_from(sig).ok();
    match s {
        Some(s) => kill(Pid::from_raw(pid), s).expect("kill"),
        // nix's Signal has no real-time signals: use kill(1).
        None => {
            let st = Command::new("kill")
                .args([format!("-{sig}"), pid.to_string()])
                .status()
                .expect("run kill");
            assert!(st.success(), "kill -{sig} {pid}");
        }
    }
    assert!(
        wait_until(Duration::from_secs(10), || file.exists()
            && std::fs::metadata(file)
                .map(|m| m.len() > 0)
                .unwrap_or(false)),
        "{} did not appear after signal {sig}",
        file.display()
    );
    // keepalived renames the JSON file into place; the others are written
    // in one go: give a slow writer a moment to finish.
    std::thread::sleep(Duration::from_millis(200));
    let mode = std::fs::metadata(file).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} mode {mode:o}", file.display());
    std::fs::read_to_string(file).expect("read dump")
}

fn signum(which: Impl, name: &str) -> (Option<i32>, String) {
    let out = Command::new(binary(which))
        .arg(format!("--signum={name}"))
        .output()
        .expect("run --signum");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

#[test]
fn signum_prints_keepalived_numbers() {
    let which = under_test();
    for (name, n) in [
        ("STOP", "15"),
        ("RELOAD", "1"),
        ("DATA", "10"),
        ("STATS", "12"),
        ("STATS_CLEAR", "63"),
        ("JSON", "36"),
    ] {
        assert_eq!(signum(which, name), (Some(0), n.to_string()), "{name}");
    }
    assert_eq!(signum(which, "NOSUCH").0, Some(1));
}

#[test]
fn dump_signals_write_keepalived_files() {
    let which = under_test();
    let lab = Lab::new(1);
    let node = lab.node(0);
    let conf = VrrpConf::prio(150).state("MASTER").render();
    let mut d = node.spawn_impl(which, &conf);
    assert!(
        wait_until(Duration::from_secs(15), || node.has_addr(VIP)),
        "no MASTER"
    );
    // Let a few adverts go out so the counters are not all zero.
    std::thread::sleep(Duration::from_millis(2500));
    let dir = d.dir().to_path_buf();
    let pid = d.pid();

    let data = signal_for(pid, libc_sig("DATA", which), &dir.join("keepalived.data"));
    for line in [
        "------< VRRP Topology >------",
        " VRRP Instance = VI_1",
        "   State = MASTER",
        "   Interface = eth0",
        "   Virtual Router ID = 51",
        "   Priority = 150",
        "   Effective priority = 150",
        "   Virtual IP (1):",
        "     192.0.2.100/24 dev eth0 scope global set",
    ] {
        assert!(
            data.lines().any(|l| l == line),
            "keepalived.data lacks {line:?}:\n{data}"
        );
    }

    let stats = signal_for(pid, libc_sig("STATS", which), &dir.join("keepalived.stats"));
    for line in [
        "VRRP Instance: VI_1",
        "  Advertisements:",
        "    Received: 0",
        "  Became master: 1",
        "  Released master: 0",
        "  Packet Errors:",
        "  Authentication Errors:",
        "  Priority Zero:",
    ] {
        assert!(
            stats.lines().any(|l| l == line),
            "keepalived.stats lacks {line:?}:\n{stats}"
        );
    }
    let sent: u64 = stats
        .lines()
        .find_map(|l| l.strip_prefix("    Sent: "))
        .and_then(|v| v.parse().ok())
        .expect("Sent: line");
    assert!(sent >= 2, "adverts sent {sent}");

    let json = signal_for(pid, libc_sig("JSON", which), &dir.join("keepalived.json"));
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let arr = v.as_array().expect("top-level array");
    assert_eq!(arr.len(), 1, "{json}");
    let data = &arr[0]["data"];
    assert_eq!(data["iname"], "VI_1");
    assert_eq!(data["ifp_ifname"], "eth0");
    assert_eq!(data["vrid"], 51);
    assert_eq!(data["state"], 2);
    assert_eq!(data["wantstate"], 2);
    assert_eq!(data["base_priority"], 150);
    assert_eq!(data["effective_priority"], 150);
    assert_eq!(data["version"], 2);
    assert_eq!(data["vipset"], true);
    assert_eq!(data["garp_delay"], 5);
    assert_eq!(data["nopreempt"], false);
    assert_eq!(data["auth_type"], 1);
    assert_eq!(data["vips"][0], "192.0.2.100/24 dev eth0 scope global set");
    let st = &arr[0]["stats"];
    for k in [
        "advert_rcvd",
        "advert_sent",
        "become_master",
        "release_master",
        "packet_len_err",
        "advert_interval_err",
        "ip_ttl_err",
        "invalid_type_rcvd",
        "addr_list_err",
        "invalid_authtype",
        "authtype_mismatch",
        "auth_failure",
        "pri_zero_rcvd",
        "pri_zero_sent",
    ] {
        assert!(st[k].is_u64(), "stats.{k} missing in {json}");
    }
    assert_eq!(st["become_master"], 1);
    assert!(st["advert_sent"].as_u64().unwrap_or(0) >= 2);

    // The dumps go to $TMPDIR, never to /tmp when TMPDIR is valid.
    d.sigterm();
    assert!(d.wait_exit(Duration::from_secs(15)).is_some(), "no exit");
}

/// The signal a name stands for, from the implementation itself.
fn libc_sig(name: &str, which: Impl) -> i32 {
    let (code, out) = signum(which, name);
    assert_eq!(code, Some(0), "--signum={name}");
    out.parse().expect("signal number")
}

#[test]
fn second_daemon_with_the_same_pid_file_refuses() {
    let which = under_test();
    let lab = Lab::new(1);
    let node = lab.node(0);
    let conf = VrrpConf::prio(150).render();
    let mut d = node.spawn_impl(which, &conf);
    let dir = d.dir().to_path_buf();
    let pidfile = dir.join("keepalived.pid");
    assert!(
        wait_until(Duration::from_secs(10), || std::fs::read_to_string(
            &pidfile
        )
        .map(|s| s.trim() == d.pid().to_string())
        .unwrap_or(false)),
        "pid file {} not written",
        pidfile.display()
    );
    let conf_path = dir.join("keepalived.conf");
    let extra = match which {
        Impl::Rs => String::new(),
        Impl::Keepalived => format!("-G -P -r {}", dir.join("vrrp.pid").display()),
    };
    let out = node.exec(&format!(
        "timeout 20 {} -n -l {extra} -f {} -p {}",
        binary(which),
        conf_path.display(),
        pidfile.display()
    ));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // keepalived 2.2.7 exits 0 ("daemon is already running"); timeout(1)
    // would exit 124 if the second daemon had kept running.
    assert_eq!(out.status.code(), Some(0), "second daemon: {text}");
    assert!(
        text.contains("daemon is already running"),
        "no clear message: {text}"
    );
    assert!(!d.exited(), "the first daemon died");
    assert_eq!(
        std::fs::read_to_string(&pidfile)
            .expect("pid file kept")
            .trim(),
        d.pid().to_string(),
        "the first daemon's pid file was replaced"
    );
    d.sigterm();
    assert!(d.wait_exit(Duration::from_secs(15)).is_some(), "no exit");
    assert!(
        wait_until(Duration::from_secs(5), || !pidfile.exists()),
        "pid file left behind after exit"
    );
}
