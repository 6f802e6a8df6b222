//! Management interfaces of keepalived-rs in network namespaces: the control
//! socket (`keepalived-rs status|garp|reload`), the Prometheus exporter, and
//! that neither delays the protocol (adverts keep their interval while slow
//! clients hold the sockets and a notify script sleeps). keepalived-rs only:
//! keepalived has no such interfaces.
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use netns_tests::{
    keepalived_rs_bin, master_down, wait_sole_holder, wait_until, Lab, Node, VrrpConf, VIP,
};

const METRICS: &str = "127.0.0.1:9650";

/// `conf` with `root` inserted before the instance block and `inside`
/// appended inside it.
fn extend(conf: &str, root: &str, inside: &str) -> String {
    let at = conf.find("vrrp_instance").expect("an instance block");
    let end = conf.rfind('}').expect("instance block closes");
    format!("{}{root}\n{}{inside}}}\n", &conf[..at], &conf[at..end])
}

fn settle() -> Duration {
    master_down(1.0, 100, 2) + Duration::from_secs(3)
}

/// `keepalived-rs ARGS` run inside the node's namespace.
fn client(node: &Node, args: &str) -> Output {
    node.exec(&format!("{} {args}", keepalived_rs_bin().display()))
}

fn status_json(node: &Node, socket: Option<&Path>) -> serde_json::Value {
    let flag = socket.map_or(String::new(), |p| {
        format!(" --control-socket {}", p.display())
    });
    let out = client(node, &format!("status --json{flag}"));
    assert!(
        out.status.success(),
        "status --json failed in {}: {}",
        node.ns,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs `f` on a thread that has entered the node's network namespace
/// (setns applies to the calling thread only).
fn in_netns<T: Send + 'static>(node: &Node, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = Path::new("/run/netns").join(&node.ns);
    std::thread::spawn(move || {
        let ns = std::fs::File::open(&path).expect("open the node's netns");
        nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        f()
    })
    .join()
    .expect("namespace thread")
}

/// GET /metrics from inside the node; returns (status line, body).
fn scrape(node: &Node) -> (String, String) {
    in_netns(node, || {
        let mut s = TcpStream::connect(METRICS).expect("connect to the metrics port");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send request");
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read response");
        let (head, body) = resp.split_once("\r\n\r\n").expect("HTTP head");
        (
            head.lines().next().unwrap_or("").to_string(),
            body.to_string(),
        )
    })
}

/// The value of the sample `name{labels}` in the exposition text (labels
/// given as `k="v"` pairs that must all be present).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, ""));
        if n != name {
            return None;
        }
        let all = labels
            .iter()
            .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        if all {
            value.parse().ok()
        } else {
            None
        }
    })
}

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod script");
}

#[test]
fn status_and_metrics_after_an_election() {
    let lab = Lab::new(2);
    let (n0, n1) = (lab.node(0), lab.node(1));
    let check = n0.dir.join("ok.sh");
    write_exec(&check, "#!/bin/sh\nexit 0\n");
    let root = format!(
        "vrrp_script chk_ok {{\n    script \"{}\"\n    interval 1\n    weight 5\n}}\n",
        check.display()
    );
    let conf0 = extend(
        &VrrpConf::prio(150).render(),
        &root,
        "    track_script {\n        chk_ok\n    }\n    track_interface {\n        eth0\n    }\n",
    );
    let sock0: PathBuf = n0.dir.join("ctl.sock");
    let s0 = sock0.display().to_string();
    let _a = n0.spawn_keepalived_rs_args(
        &conf0,
        &["--control-socket", &s0, "--metrics-listen", METRICS],
    );
    // Node 1 uses the default socket (named after its namespace) and the
    // metrics address from global_defs: both namespaces use the same port.
    let conf1 = VrrpConf::prio(100).render().replace(
        "global_defs {\n",
        &format!("global_defs {{\n    metrics_listen {METRICS}\n"),
    );
    let _b = n1.spawn_keepalived_rs(&conf1);
    wait_sole_holder(&lab, 2, 0, VIP, settle(), "initial election");
    // The script's first result arrives within its interval.
    assert!(
        wait_until(Duration::from_secs(5), || {
            status_json(n0, Some(&sock0))["instances"][0]["effective_priority"] == 155
        }),
        "node0 effective priority never became 155: {}",
        status_json(n0, Some(&sock0))
    );

    let mode = std::fs::metadata(&sock0)
        .expect("control socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "control socket mode {mode:o}");
    let default1 = PathBuf::from(format!(
        "/run/keepalived-rs/keepalived_{}/control.sock",
        n1.ns
    ));
    assert!(default1.exists(), "{} missing", default1.display());

    let st0 = status_json(n0, Some(&sock0));
    let i0 = &st0["instances"][0];
    assert_eq!(i0["name"], "VI_1");
    assert_eq!(i0["interface"], "eth0");
    assert_eq!(i0["vrid"], 51);
    assert_eq!(i0["family"], "inet");
    assert_eq!(i0["state"], "MASTER");
    assert_eq!(i0["base_priority"], 150);
    assert_eq!(i0["effective_priority"], 155);
    assert_eq!(i0["master"], n0.addr.as_str());
    assert!(i0["since_secs"].as_u64().is_some(), "{i0}");
    assert!(i0["counters"]["adverts_sent"].as_u64() > Some(0), "{i0}");
    let trackers: Vec<(String, String)> = i0["trackers"]
        .as_array()
        .expect("trackers")
        .iter()
        .map(|t| {
            (
                format!(
                    "{} {}",
                    t["kind"].as_str().unwrap_or(""),
                    t["name"].as_str().unwrap_or("")
                ),
                t["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        trackers.contains(&("track_script chk_ok".into(), "up".into())),
        "{trackers:?}"
    );
    assert!(
        trackers.contains(&("track_interface eth0".into(), "up".into())),
        "{trackers:?}"
    );
    assert_eq!(
        st0["pid"].as_u64(),
        Some(u64::from(_a.pid().unsigned_abs()))
    );

    // Node 1, found without any flag (namespace-derived default path).
    let st1 = status_json(n1, None);
    let i1 = &st1["instances"][0];
    assert_eq!(i1["state"], "BACKUP");
    assert_eq!(i1["effective_priority"], 100);
    assert_eq!(i1["master"], n0.addr.as_str());
    assert_eq!(i1["master_priority"], 155);
    assert!(
        i1["counters"]["adverts_received"].as_u64() > Some(0),
        "{i1}"
    );

    // The human table.
    let out = client(n1, "status");
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    let row = table
        .lines()
        .find(|l| l.starts_with("VI_1"))
        .unwrap_or_else(|| panic!("no VI_1 row in:\n{table}"));
    for want in ["eth0", "51", "BACKUP", "100/100", "192.0.2.10 (155)"] {
        assert!(row.contains(want), "{want:?} missing from {row:?}");
    }
    assert!(
        row.ends_with(" ago") || row.ends_with("just now"),
        "{row:?}"
    );

    // Not root: refused (the socket is 0600; the daemon checks SO_PEERCRED too).
    let out = n0.exec(&format!(
        "setpriv --reuid=65534 --regid=65534 --clear-groups {} status --control-socket {s0}",
        keepalived_rs_bin().display()
    ));
    assert!(!out.status.success(), "a non-root client got an answer");

    // garp: a burst for the MASTER, refused for a BACKUP.
    std::thread::sleep(Duration::from_secs(6)); // past the MASTER's own delayed burst
    let mut cap = lab.capture("arp");
    let out = client(n0, &format!("garp VI_1 --control-socket {s0}"));
    assert!(
        out.status.success(),
        "garp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = client(n1, "garp VI_1");
    assert!(!out.status.success(), "garp on a BACKUP succeeded");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not MASTER"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = client(n0, &format!("garp VI_9 --control-socket {s0}"));
    assert!(
        !out.status.success(),
        "garp for an unknown instance succeeded"
    );
    std::thread::sleep(Duration::from_secs(1));
    let garps = cap.fields("arp.src.proto_ipv4 == 192.0.2.100", &["frame.number"]);
    assert_eq!(garps.len(), 5, "one burst of garp_master_repeat (5) GARPs");

    // reload: answered (an error until configuration reload exists).
    let out = client(n0, &format!("reload --control-socket {s0}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("reload"), "reload answer: {text}");

    // Metrics from inside each namespace.
    let (line, body) = scrape(n0);
    assert!(line.contains("200"), "{line}");
    let vi = [("instance", "VI_1"), ("vrid", "51")];
    let with = |extra: (&'static str, &'static str)| {
        let mut l = vi.to_vec();
        l.push(extra);
        l
    };
    assert_eq!(
        sample(
            &body,
            "keepalived_rs_instance_state",
            &with(("state", "MASTER"))
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            "keepalived_rs_instance_state",
            &with(("state", "BACKUP"))
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(&body, "keepalived_rs_instance_priority", &vi),
        Some(150.0)
    );
    assert_eq!(
        sample(&body, "keepalived_rs_instance_effective_priority", &vi),
        Some(155.0)
    );
    assert!(sample(&body, "keepalived_rs_instance_adverts_sent_total", &vi) > Some(0.0));
    assert!(sample(&body, "keepalived_rs_instance_transitions_total", &vi) >= Some(2.0));
    assert_eq!(
        sample(
            &body,
            "keepalived_rs_tracker_up",
            &[("kind", "track_script"), ("tracker", "chk_ok")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            "keepalived_rs_instance_rx_errors_total",
            &with(("reason", "auth"))
        ),
        Some(0.0)
    );
    let (_, body1) = scrape(n1);
    assert_eq!(
        sample(
            &body1,
            "keepalived_rs_instance_state",
            &with(("state", "BACKUP"))
        ),
        Some(1.0),
        "{body1}"
    );
    assert!(sample(&body1, "keepalived_rs_instance_adverts_received_total", &vi) > Some(0.0));
}

#[test]
fn adverts_keep_their_interval_under_slow_management_clients() {
    let lab = Lab::new(1);
    let n0 = lab.node(0);
    let sleeper = n0.dir.join("sleep.sh");
    write_exec(&sleeper, "#!/bin/sh\nsleep 30\n");
    let conf = extend(
        &VrrpConf::prio(150).render(),
        "",
        &format!(
            "    notify_master \"{0}\"\n    notify \"{0}\"\n",
            sleeper.display()
        ),
    );
    let sock = n0.dir.join("ctl.sock");
    let s = sock.display().to_string();
    let _a = n0.spawn_keepalived_rs_args(
        &conf,
        &["--control-socket", &s, "--metrics-listen", METRICS],
    );
    wait_sole_holder(&lab, 1, 0, VIP, settle(), "sole node becomes MASTER");

    let mut cap = lab.capture("ip proto 112");
    let t0 = Instant::now();
    let hold = Duration::from_secs(8);
    // A scraper that reads one byte a second, one that sends its request
    // one byte a second, a control client that never sends its request, and
    // ordinary scrapes and status queries alongside.
    let slow_reader = {
        let node_ns = n0.ns.clone();
        std::thread::spawn(move || {
            let path = Path::new("/run/netns").join(node_ns);
            let ns = std::fs::File::open(path).expect("open netns");
            nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                .expect("socket");
            sock.set_recv_buffer_size(1).expect("small receive buffer");
            let addr: std::net::SocketAddr = METRICS.parse().expect("address");
            sock.connect(&addr.into()).expect("connect");
            let mut s: TcpStream = sock.into();
            s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n")
                .expect("request");
            let mut got = 0;
            let mut byte = [0u8; 1];
            let start = Instant::now();
            while start.elapsed() < hold {
                if matches!(s.read(&mut byte), Ok(1)) {
                    got += 1;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
            got
        })
    };
    let slow_writer = {
        let node_ns = n0.ns.clone();
        std::thread::spawn(move || {
            let path = Path::new("/run/netns").join(node_ns);
            let ns = std::fs::File::open(path).expect("open netns");
            nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let mut s = TcpStream::connect(METRICS).expect("connect");
            let start = Instant::now();
            for b in b"GET /metrics HTTP/1.1\r\n\r\n" {
                if start.elapsed() >= hold || s.write_all(&[*b]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    let idle_control = std::os::unix::net::UnixStream::connect(&sock).expect("control socket");
    let mut scrapes = 0;
    let mut queries = 0;
    while t0.elapsed() < hold {
        let (line, body) = scrape(n0);
        assert!(line.contains("200"), "{line}");
        assert!(body.contains("keepalived_rs_instance_state"));
        scrapes += 1;
        if scrapes % 4 == 0 {
            let st = status_json(n0, Some(&sock));
            assert_eq!(st["instances"][0]["state"], "MASTER");
            queries += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        slow_reader.join().expect("slow reader") > 0,
        "the slow reader got no byte"
    );
    slow_writer.join().expect("slow writer");
    drop(idle_control);
    assert!(
        scrapes > 10 && queries > 2,
        "{scrapes} scrapes, {queries} queries"
    );

    let stamps: Vec<f64> = cap
        .fields("vrrp", &["frame.time_epoch"])
        .iter()
        .filter_map(|r| r.first()?.parse().ok())
        .collect();
    assert!(
        stamps.len() >= 7,
        "only {} adverts in {hold:?}",
        stamps.len()
    );
    let gaps: Vec<f64> = stamps.windows(2).map(|w| w[1] - w[0]).collect();
    for g in &gaps {
        assert!(
            (0.85..=1.15).contains(g),
            "advert interval {g:.3}s (want 1 s ± 0.15): {gaps:?}"
        );
    }
}

#[test]
fn stats_clear_signal_zeroes_the_counters() {
    let lab = Lab::new(1);
    let node = lab.node(0);
    let d = node.spawn_keepalived_rs(&VrrpConf::prio(150).render());
    wait_sole_holder(&lab, 1, 0, VIP, settle(), "single node");
    let sent = |v: &serde_json::Value| v["instances"][0]["counters"]["adverts_sent"].as_u64();
    assert!(
        wait_until(Duration::from_secs(5), || sent(&status_json(node, None))
            .is_some_and(|n| n >= 3)),
        "adverts_sent never reached 3"
    );
    // keepalived's STATS_CLEAR signal (`keepalived-rs --signum=STATS_CLEAR`).
    let out = client(node, "--signum=STATS_CLEAR");
    let signum: i32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("--signum=STATS_CLEAR prints a number");
    // A real-time signal (not in nix's enum): sent with kill(1).
    let status = std::process::Command::new("kill")
        .args([format!("-{signum}"), d.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signum} failed");
    assert!(
        wait_until(Duration::from_secs(2), || sent(&status_json(node, None))
            .is_some_and(|n| n <= 1)),
        "counters not cleared: {:?}",
        sent(&status_json(node, None))
    );
}
