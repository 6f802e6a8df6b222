//! Multi-node network-namespace test harness for keepalived-rs.
//!
//! A [`Lab`] is a hub namespace holding a bridge (`br0`) plus N node
//! namespaces, each with an `eth0` veth whose peer (`p<i>`) is enslaved to the
//! bridge. Node `i` gets `192.0.2.(10+i)/24`. Everything is created inside
//! namespaces owned by the lab (the root namespace is never touched) and torn
//! down on drop, including on panic. Every process the harness starts is
//! killed by PID.
//!
//! The tests need root and `ip netns`; without them they panic loudly.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The virtual IP used by the generated configs.
pub const VIP: &str = "192.0.2.100";

/// Poll interval used by [`wait_until`].
pub const POLL: Duration = Duration::from_millis(20);

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Poll `cond` every 20 ms until it returns true or `timeout` elapses.
/// Returns whether the condition became true.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    // Bounded in time by `deadline` and in count by `max_iter`.
    let max_iter = timeout.as_millis() / POLL.as_millis() + 2;
    for _ in 0..max_iter {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(POLL);
    }
    cond()
}

/// Panic unless we are root and `ip netns` works.
pub fn require_root_and_netns() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "netns-tests must run as root (they create network namespaces); \
         run `sudo -E cargo test --workspace` or run as root in CI"
    );
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("cannot run `ip` (install iproute2): netns-tests need `ip netns`");
    assert!(
        out.status.success(),
        "`ip netns list` failed ({}): netns-tests need working network namespaces: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Run a command and panic with its output if it fails.
fn run_ok(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(
        out.status.success(),
        "command {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run_quiet(args: &[&str]) -> Option<Output> {
    Command::new(args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .output()
        .ok()
}

/// Kill every process inside a namespace (they were all started by us).
fn kill_ns_pids(ns: &str) {
    // Bounded: a few rounds in case a parent respawns children.
    for _ in 0..5 {
        let Some(out) = run_quiet(&["ip", "netns", "pids", ns]) else {
            return;
        };
        let pids: Vec<i32> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.is_empty() {
            return;
        }
        for p in pids {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Locate the keepalived-rs binary: `$KEEPALIVED_RS_BIN`, else the newest of
/// `$CARGO_TARGET_DIR/{debug,release}/keepalived-rs` and
/// `<workspace>/target/{debug,release}/keepalived-rs`.
pub fn keepalived_rs_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KEEPALIVED_RS_BIN") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "KEEPALIVED_RS_BIN={} does not exist",
            p.display()
        );
        return p;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf();
    let mut dirs = vec![workspace.join("target")];
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        let t = PathBuf::from(t);
        dirs.insert(
            0,
            if t.is_absolute() {
                t
            } else {
                workspace.join(t)
            },
        );
    }
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for d in &dirs {
        for profile in ["debug", "release"] {
            let p = d.join(profile).join("keepalived-rs");
            if let Ok(m) = fs::metadata(&p) {
                let t = m.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if best.as_ref().is_none_or(|(bt, _)| t > *bt) {
                    best = Some((t, p));
                }
            }
        }
    }
    match best {
        Some((_, p)) => p,
        None => panic!(
            "keepalived-rs binary not found (looked in {dirs:?}/{{debug,release}}); \
             run `cargo build --workspace` first or set KEEPALIVED_RS_BIN"
        ),
    }
}

/// A lab of N nodes on one bridge.
pub struct Lab {
    prefix: String,
    hub: String,
    nodes: Vec<Node>,
    dir: PathBuf,
}

/// One node namespace.
pub struct Node {
    /// Namespace name.
    pub ns: String,
    /// Index in the lab.
    pub index: usize,
    /// Primary address of eth0 (without prefix length).
    pub addr: String,
    /// Per-node scratch directory (configs, logs, pid files).
    pub dir: PathBuf,
    spawned: AtomicU32,
}

impl Lab {
    /// Build a hub namespace with a bridge and `n` node namespaces.
    pub fn new(n: usize) -> Lab {
        require_root_and_netns();
        assert!((1..=9).contains(&n), "Lab supports 1..=9 nodes");
        let c = COUNTER.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("kt{}x{}", std::process::id(), c);
        let dir = std::env::temp_dir().join(format!("netns-tests-{prefix}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create lab temp dir");
        let hub = format!("{prefix}h");
        let mut lab = Lab {
            prefix: prefix.clone(),
            hub: hub.clone(),
            nodes: Vec::new(),
            dir: dir.clone(),
        };
        // From here on, Drop cleans up whatever was created.
        run_ok(&["ip", "netns", "add", &hub]);
        lab.hub_exec_ok("ip link set lo up");
        lab.hub_exec_ok(
            "ip link add br0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0 && ip link set br0 up",
        );
        for i in 0..n {
            let ns = format!("{prefix}n{i}");
            let ndir = dir.join(format!("node{i}"));
            fs::create_dir_all(&ndir).expect("create node dir");
            run_ok(&["ip", "netns", "add", &ns]);
            lab.nodes.push(Node {
                ns: ns.clone(),
                index: i,
                addr: format!("192.0.2.{}", 10 + i),
                dir: ndir,
                spawned: AtomicU32::new(0),
            });
            // Created from inside the hub namespace; the node end goes straight
            // into the node namespace as eth0.
            lab.hub_exec_ok(&format!(
                "ip link add p{i} type veth peer name eth0 netns {ns} && \
                 ip link set p{i} master br0 && ip link set p{i} up"
            ));
            let node = &lab.nodes[i];
            node.exec_ok(&format!(
                "ip link set lo up && \
                 sysctl -qw net.ipv6.conf.eth0.accept_dad=0 && \
                 ip addr add {}/24 dev eth0 && ip link set eth0 up",
                node.addr
            ));
        }
        // A veth gets its carrier a moment after `up`: a daemon started
        // before that would see eth0 down and begin in FAULT.
        for node in &lab.nodes {
            let carrier = wait_until(Duration::from_secs(5), || {
                String::from_utf8_lossy(&node.exec("ip -o link show eth0").stdout)
                    .contains("LOWER_UP")
            });
            assert!(carrier, "eth0 of {} has no carrier after 5 s", node.ns);
        }
        lab
    }

    /// Unique prefix of this lab's namespaces.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Hub namespace name.
    pub fn hub(&self) -> &str {
        &self.hub
    }

    /// Lab scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Node `i`.
    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    fn hub_exec_ok(&self, cmd: &str) -> Output {
        run_ok(&["ip", "netns", "exec", &self.hub, "sh", "-c", cmd])
    }

    /// Set the bridge port of node `i` up or down (a cable pull: the node's
    /// eth0 loses carrier and no longer reaches the bridge).
    pub fn set_link(&self, i: usize, up: bool) {
        let st = if up { "up" } else { "down" };
        self.hub_exec_ok(&format!("ip link set p{i} {st}"));
    }

    /// Start a packet capture on the bridge (hub namespace) with a tcpdump
    /// filter. Blocks until tcpdump is listening. The bridge device sees
    /// broadcast and multicast frames; use [`Lab::capture_port`] for unicast.
    pub fn capture(&self, filter: &str) -> Capture {
        self.capture_on("br0", filter)
    }

    /// Capture on node `i`'s bridge port (`p<i>` in the hub): every frame
    /// to and from that node, unicast included.
    pub fn capture_port(&self, i: usize, filter: &str) -> Capture {
        self.capture_on(&format!("p{i}"), filter)
    }

    fn capture_on(&self, iface: &str, filter: &str) -> Capture {
        let c = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pcap = self.dir.join(format!("cap{c}.pcap"));
        let errf = self.dir.join(format!("cap{c}.err"));
        let err = fs::File::create(&errf).expect("create capture stderr file");
        let mut args = vec![
            "netns".to_string(),
            "exec".into(),
            self.hub.clone(),
            "tcpdump".into(),
            "-i".into(),
            iface.to_string(),
            "-n".into(),
            "-U".into(),
            "-s".into(),
            "256".into(),
            "-w".into(),
            pcap.display().to_string(),
        ];
        args.extend(filter.split_whitespace().map(String::from));
        let child = Command::new("ip")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("cannot start tcpdump (install tcpdump)");
        let mut cap = Capture {
            child: Some(child),
            pcap,
            errf: errf.clone(),
        };
        let ok = wait_until(Duration::from_secs(10), || {
            fs::read_to_string(&errf)
                .map(|s| s.contains("listening on"))
                .unwrap_or(false)
                || cap.exited()
        });
        let errtxt = fs::read_to_string(&errf).unwrap_or_default();
        assert!(
            ok && errtxt.contains("listening on"),
            "tcpdump did not start in {}: {errtxt}",
            self.hub
        );
        cap
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for n in &self.nodes {
            kill_ns_pids(&n.ns);
        }
        kill_ns_pids(&self.hub);
        for n in &self.nodes {
            let _ = run_quiet(&["ip", "netns", "del", &n.ns]);
        }
        let _ = run_quiet(&["ip", "netns", "del", &self.hub]);
        // keepalived with `net_namespace NAME` leaves an empty
        // /run/keepalived/NAME behind when killed (remove_dir: empty only).
        for n in &self.nodes {
            let _ = fs::remove_dir(Path::new("/run/keepalived").join(&n.ns));
            // keepalived-rs's default control socket for a daemon started
            // with `ip netns exec` (left behind by SIGKILL).
            let d = Path::new("/run/keepalived-rs").join(format!("keepalived_{}", n.ns));
            let _ = fs::remove_file(d.join("control.sock"));
            let _ = fs::remove_dir(d);
        }
        if std::thread::panicking() {
            eprintln!("lab {}: logs kept in {}", self.prefix, self.dir.display());
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Node {
    /// Run a shell command inside the node namespace.
    pub fn exec(&self, cmd: &str) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns, "sh", "-c", cmd])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{cmd}` in {}: {e}", self.ns))
    }

    /// Run a shell command inside the node namespace; panic if it fails.
    pub fn exec_ok(&self, cmd: &str) -> String {
        let out = self.exec(cmd);
        assert!(
            out.status.success(),
            "`{cmd}` failed in {} ({}): {}{}",
            self.ns,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether `ip` (no prefix length) is configured on any interface.
    pub fn has_addr(&self, ip: &str) -> bool {
        let out = self.exec("ip -o addr show");
        let want = format!(" {ip}/");
        String::from_utf8_lossy(&out.stdout).contains(&want)
    }

    fn next_dir(&self, kind: &str) -> PathBuf {
        let c = self.spawned.fetch_add(1, Ordering::SeqCst);
        let d = self.dir.join(format!("{kind}{c}"));
        fs::create_dir_all(&d).expect("create daemon dir");
        d
    }

    fn spawn(&self, kind: DaemonKind, dir: PathBuf, argv: Vec<String>) -> Daemon {
        self.spawn_in(kind, dir, argv, true)
    }

    /// Spawn `argv` inside the node namespace (`in_netns`, through
    /// `ip netns exec`) or directly in the test's own (initial) namespace.
    fn spawn_in(
        &self,
        kind: DaemonKind,
        dir: PathBuf,
        argv: Vec<String>,
        in_netns: bool,
    ) -> Daemon {
        let logf = dir.join("log");
        let out = fs::File::create(&logf).expect("create daemon log");
        let err = out.try_clone().expect("dup daemon log");
        let mut cmd = if in_netns {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &self.ns]).args(&argv);
            c
        } else {
            let mut c = Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        };
        cmd.env("TMPDIR", &dir)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {argv:?} in {}: {e}", self.ns));
        Daemon {
            kind,
            child,
            dir,
            logf,
            ns: self.ns.clone(),
            status: None,
            started: Instant::now(),
        }
    }

    /// Start keepalived-rs in this node with the given config text.
    pub fn spawn_keepalived_rs(&self, conf: &str) -> Daemon {
        let (dir, argv) = self.keepalived_rs_argv(conf);
        self.spawn(DaemonKind::KeepalivedRs, dir, argv)
    }

    /// Start keepalived-rs with extra command-line arguments (after the
    /// usual `-f CONF -n -l -D -p PIDFILE`).
    pub fn spawn_keepalived_rs_args(&self, conf: &str, extra: &[&str]) -> Daemon {
        let (dir, mut argv) = self.keepalived_rs_argv(conf);
        argv.extend(extra.iter().map(|a| (*a).to_string()));
        self.spawn(DaemonKind::KeepalivedRs, dir, argv)
    }

    fn keepalived_rs_argv(&self, conf: &str) -> (PathBuf, Vec<String>) {
        let bin = keepalived_rs_bin();
        let dir = self.next_dir("krs");
        let conf_path = dir.join("keepalived.conf");
        fs::write(&conf_path, conf).expect("write config");
        let argv = vec![
            bin.display().to_string(),
            "-f".into(),
            conf_path.display().to_string(),
            "-n".into(),
            "-l".into(),
            "-D".into(),
            "-p".into(),
            dir.join("keepalived.pid").display().to_string(),
        ];
        (dir, argv)
    }

    /// Start Debian's keepalived (VRRP only, foreground, no syslog) with its
    /// own pid files.
    pub fn spawn_keepalived(&self, conf: &str) -> Daemon {
        let (dir, argv) = self.keepalived_argv(conf);
        self.spawn(DaemonKind::Keepalived, dir, argv)
    }

    fn keepalived_argv(&self, conf: &str) -> (PathBuf, Vec<String>) {
        let dir = self.next_dir("ka");
        let conf_path = dir.join("keepalived.conf");
        fs::write(&conf_path, conf).expect("write config");
        let p = |n: &str| dir.join(n).display().to_string();
        let argv = vec![
            "keepalived".to_string(),
            "-n".into(),
            "-l".into(),
            "-D".into(),
            "-G".into(),
            "-P".into(),
            "-f".into(),
            conf_path.display().to_string(),
            "-p".into(),
            p("keepalived.pid"),
            "-r".into(),
            p("vrrp.pid"),
            "-c".into(),
            p("checkers.pid"),
            "-b".into(),
            p("bfd.pid"),
        ];
        (dir, argv)
    }

    /// Start either implementation.
    pub fn spawn_impl(&self, which: Impl, conf: &str) -> Daemon {
        match which {
            Impl::Rs => self.spawn_keepalived_rs(conf),
            Impl::Keepalived => self.spawn_keepalived(conf),
        }
    }

    /// Start either implementation in the test's own (initial) network
    /// namespace, *not* through `ip netns exec`: for configs whose top-level
    /// `net_namespace` names this node's namespace, so that the daemon can
    /// open the proc connector (initial namespace only) before entering it.
    pub fn spawn_impl_root_ns(&self, which: Impl, conf: &str) -> Daemon {
        match which {
            Impl::Rs => {
                let (dir, argv) = self.keepalived_rs_argv(conf);
                self.spawn_in(DaemonKind::KeepalivedRs, dir, argv, false)
            }
            Impl::Keepalived => {
                let (dir, argv) = self.keepalived_argv(conf);
                self.spawn_in(DaemonKind::Keepalived, dir, argv, false)
            }
        }
    }

    /// Copy `/bin/sleep` into this node's directory as `name` (at most 15
    /// bytes, the kernel comm limit, so that track_process can match it by
    /// name). Returns the copy's path. Every namespace shares one PID space,
    /// so `name` must be unique on the host.
    pub fn tracked_binary(&self, name: &str) -> PathBuf {
        assert!(
            !name.is_empty() && name.len() <= 15 && !name.contains('/'),
            "tracked process name {name:?} must be 1..=15 bytes without '/'"
        );
        let p = self.dir.join(name);
        fs::copy("/bin/sleep", &p).expect("copy /bin/sleep for a tracked process");
        p
    }
}

/// A helper process started by a test in the test's own namespace (for
/// example a tracked copy of `sleep`). Killed by PID and reaped on drop.
pub struct Proc {
    child: Option<Child>,
    what: String,
}

impl Proc {
    /// Start `argv` (stdio to /dev/null).
    pub fn spawn(argv: &[&str]) -> Proc {
        let child = Command::new(argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {argv:?}: {e}"));
        Proc {
            child: Some(child),
            what: format!("{argv:?}"),
        }
    }

    /// Start `path args…` the way a service manager restarts a service: a
    /// shell is forked, then execs the binary (`sh -c 'exec PATH ARGS'`), so
    /// the process first appears under another name and becomes `path` by
    /// exec. The returned PID is that of the final process.
    pub fn spawn_fork_exec(path: &Path, args: &str) -> Proc {
        let script = format!("exec '{}' {args}", path.display());
        Proc::spawn(&["sh", "-c", &script])
    }

    /// PID of the process.
    pub fn pid(&self) -> i32 {
        let c = self.child.as_ref().expect("process already killed");
        i32::try_from(c.id()).expect("pid fits in i32")
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The command name the kernel reports (`/proc/PID/comm`), if running.
    pub fn comm(&self) -> Option<String> {
        let c = self.child.as_ref()?;
        fs::read_to_string(format!("/proc/{}/comm", c.id()))
            .ok()
            .map(|s| s.trim_end().to_string())
    }

    /// SIGKILL the process by PID and reap it (bounded wait); panics if it
    /// does not go away.
    pub fn kill(&mut self) {
        assert!(self.kill_quiet(), "{} did not die on SIGKILL", self.what);
    }

    fn kill_quiet(&mut self) -> bool {
        let Some(mut c) = self.child.take() else {
            return true;
        };
        let pid = Pid::from_raw(i32::try_from(c.id()).expect("pid fits in i32"));
        let _ = kill(pid, Signal::SIGKILL);
        wait_until(Duration::from_secs(5), || !matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.kill_quiet() {
            eprintln!("{} did not die on SIGKILL", self.what);
        }
    }
}

/// Which VRRP implementation to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// keepalived-rs (this project).
    Rs,
    /// Debian's keepalived (reference).
    Keepalived,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DaemonKind {
    KeepalivedRs,
    Keepalived,
}

/// A daemon running in a node namespace. Killed (SIGKILL, by PID) on drop.
pub struct Daemon {
    kind: DaemonKind,
    child: Child,
    dir: PathBuf,
    logf: PathBuf,
    ns: String,
    status: Option<ExitStatus>,
    started: Instant,
}

impl Daemon {
    /// PID of the main process.
    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits in i32")
    }

    /// When the daemon was spawned.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Everything the daemon wrote to stdout/stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.logf).unwrap_or_default()
    }

    /// The daemon's scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn signal(&self, sig: Signal) {
        if self.status.is_none() {
            let _ = kill(Pid::from_raw(self.pid()), sig);
        }
    }

    /// Send SIGTERM (graceful stop).
    pub fn sigterm(&self) {
        self.signal(Signal::SIGTERM);
    }

    /// SIGKILL the daemon (and, for keepalived, its VRRP child first so that
    /// nothing gets to send a priority-0 advert).
    pub fn sigkill(&mut self) {
        for pidfile in ["vrrp.pid", "checkers.pid", "bfd.pid"] {
            if self.kind != DaemonKind::Keepalived {
                break;
            }
            if let Ok(s) = fs::read_to_string(self.dir.join(pidfile)) {
                if let Ok(p) = s.trim().parse::<i32>() {
                    if p > 1 && (self.pid_in_our_ns(p) || parent_pid(p) == Some(self.pid())) {
                        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
                    }
                }
            }
        }
        self.signal(Signal::SIGKILL);
        let _ = self.wait_exit(Duration::from_secs(5));
    }

    fn pid_in_our_ns(&self, pid: i32) -> bool {
        run_quiet(&["ip", "netns", "pids", &self.ns])
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .any(|p| p == pid.to_string())
            })
            .unwrap_or(false)
    }

    /// Whether the daemon has exited (reaps it if so).
    pub fn exited(&mut self) -> bool {
        if self.status.is_some() {
            return true;
        }
        if let Ok(Some(st)) = self.child.try_wait() {
            self.status = Some(st);
            return true;
        }
        false
    }

    /// Wait up to `timeout` for the daemon to exit; returns its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, || self.exited());
        self.status
    }

    /// Wait until the log contains `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(needle))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if !self.exited() {
            self.sigkill();
        }
        if std::thread::panicking() {
            let log = self.log();
            let tail: String = log
                .lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            eprintln!(
                "---- {:?} in {} (log {}), last lines:\n{tail}\n----",
                self.kind,
                self.ns,
                self.logf.display()
            );
        }
    }
}

/// Parent PID of `pid` from `/proc/PID/stat`, if it exists.
fn parent_pid(pid: i32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The comm field may contain spaces and parentheses: skip past the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// A running tcpdump capture on the lab bridge.
pub struct Capture {
    child: Option<Child>,
    pcap: PathBuf,
    errf: PathBuf,
}

impl Capture {
    fn exited(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(Some(_))),
            None => true,
        }
    }

    /// Stop tcpdump (SIGINT, it flushes) and wait for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = Pid::from_raw(i32::try_from(c.id()).expect("pid fits in i32"));
            let _ = kill(pid, Signal::SIGINT);
            let done = wait_until(Duration::from_secs(5), || {
                matches!(c.try_wait(), Ok(Some(_)))
            });
            if !done {
                let _ = kill(pid, Signal::SIGKILL);
                let _ = c.wait();
            }
        }
    }

    /// Path of the pcap file.
    pub fn pcap(&self) -> &Path {
        &self.pcap
    }

    /// Decode the capture with tshark: one row per packet matching the
    /// display filter, with the requested fields (multi-valued fields are
    /// comma separated). `prefs` are extra `-o` preferences.
    pub fn fields(&mut self, display_filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
        self.stop();
        let mut cmd = Command::new("tshark");
        cmd.arg("-n").arg("-r").arg(&self.pcap).args([
            "-Y",
            display_filter,
            "-T",
            "fields",
            "-E",
            "separator=|",
        ]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        let out = cmd.output().expect("cannot run tshark (install tshark)");
        assert!(
            out.status.success(),
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split('|').map(String::from).collect())
            .collect()
    }

    /// Full text (`-V`) decode of the capture, for diagnostics.
    pub fn verbose(&mut self, display_filter: &str) -> String {
        self.stop();
        let out = Command::new("tshark")
            .arg("-n")
            .arg("-r")
            .arg(&self.pcap)
            .args(["-Y", display_filter, "-V"])
            .output()
            .expect("cannot run tshark");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// tcpdump's stderr.
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.errf).unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Parameters of the single VRRP instance used by the two-node scenarios.
#[derive(Clone, Debug)]
pub struct VrrpConf {
    /// Instance name.
    pub name: String,
    /// `state` keyword (MASTER/BACKUP), or none.
    pub state: Option<&'static str>,
    /// `priority`.
    pub priority: u8,
    /// `virtual_router_id`.
    pub vrid: u8,
    /// VRRP version (2 or 3).
    pub version: u8,
    /// `advert_int` as written in the config.
    pub advert_int: String,
    /// `nopreempt`.
    pub nopreempt: bool,
    /// `preempt_delay` seconds.
    pub preempt_delay: Option<u32>,
    /// Virtual addresses (with prefix length).
    pub vips: Vec<String>,
    /// Unicast peers (empty = multicast).
    pub unicast_peers: Vec<String>,
}

impl Default for VrrpConf {
    fn default() -> Self {
        VrrpConf {
            name: "VI_1".into(),
            state: None,
            priority: 100,
            vrid: 51,
            version: 2,
            advert_int: "1".into(),
            nopreempt: false,
            preempt_delay: None,
            vips: vec![format!("{VIP}/24")],
            unicast_peers: Vec::new(),
        }
    }
}

impl VrrpConf {
    /// Default instance with the given priority.
    pub fn prio(priority: u8) -> Self {
        VrrpConf {
            priority,
            ..Default::default()
        }
    }

    /// Builder: VRRP version.
    pub fn version(mut self, v: u8) -> Self {
        self.version = v;
        self
    }

    /// Builder: VRID.
    pub fn vrid(mut self, v: u8) -> Self {
        self.vrid = v;
        self
    }

    /// Builder: `advert_int`.
    pub fn advert_int(mut self, s: &str) -> Self {
        self.advert_int = s.into();
        self
    }

    /// Builder: `nopreempt`.
    pub fn nopreempt(mut self) -> Self {
        self.nopreempt = true;
        self
    }

    /// Builder: `preempt_delay`.
    pub fn preempt_delay(mut self, secs: u32) -> Self {
        self.preempt_delay = Some(secs);
        self
    }

    /// Builder: `state`.
    pub fn state(mut self, s: &'static str) -> Self {
        self.state = Some(s);
        self
    }

    /// Render a complete keepalived.conf (accepted unchanged by Debian's
    /// keepalived 2.2.7).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "! generated by netns-tests");
        let _ = writeln!(s, "global_defs {{");
        let _ = writeln!(s, "    router_id {}", self.name);
        let _ = writeln!(s, "}}\n");
        let _ = writeln!(s, "vrrp_instance {} {{", self.name);
        if let Some(st) = self.state {
            let _ = writeln!(s, "    state {st}");
        }
        let _ = writeln!(s, "    interface eth0");
        let _ = writeln!(s, "    version {}", self.version);
        let _ = writeln!(s, "    virtual_router_id {}", self.vrid);
        let _ = writeln!(s, "    priority {}", self.priority);
        let _ = writeln!(s, "    advert_int {}", self.advert_int);
        if self.nopreempt {
            let _ = writeln!(s, "    nopreempt");
        }
        if let Some(d) = self.preempt_delay {
            let _ = writeln!(s, "    preempt_delay {d}");
        }
        if self.version == 2 {
            let _ = writeln!(s, "    authentication {{");
            let _ = writeln!(s, "        auth_type PASS");
            let _ = writeln!(s, "        auth_pass s3cret");
            let _ = writeln!(s, "    }}");
        }
        if !self.unicast_peers.is_empty() {
            let _ = writeln!(s, "    unicast_peer {{");
            for p in &self.unicast_peers {
                let _ = writeln!(s, "        {p}");
            }
            let _ = writeln!(s, "    }}");
        }
        let _ = writeln!(s, "    virtual_ipaddress {{");
        for v in &self.vips {
            let _ = writeln!(s, "        {v} dev eth0");
        }
        let _ = writeln!(s, "    }}");
        let _ = writeln!(s, "}}");
        s
    }
}

/// Master_Down_Interval for `advert_int` seconds and `prio` (RFC 3768/5798).
pub fn master_down(advert_int: f64, prio: u8, version: u8) -> Duration {
    Duration::from_secs_f64(3.0 * advert_int + skew(advert_int, prio, version).as_secs_f64())
}

/// Skew_Time.
pub fn skew(advert_int: f64, prio: u8, version: u8) -> Duration {
    let f = (256.0 - f64::from(prio)) / 256.0;
    Duration::from_secs_f64(if version == 2 { f } else { f * advert_int })
}

/// Which nodes of `lab` (among the first `n`) hold `ip`.
pub fn holders(lab: &Lab, n: usize, ip: &str) -> Vec<usize> {
    (0..n).filter(|&i| lab.node(i).has_addr(ip)).collect()
}

/// The implementation the "keepalived-rs" scenarios run: keepalived-rs by
/// default; `NETNS_TESTS_IMPL=keepalived` runs them against Debian's
/// keepalived instead (used to validate the scenarios themselves).
pub fn under_test() -> Impl {
    match std::env::var("NETNS_TESTS_IMPL").as_deref() {
        Ok("keepalived") => Impl::Keepalived,
        Ok("keepalived-rs") | Ok("rs") | Err(_) => Impl::Rs,
        Ok(other) => panic!("NETNS_TESTS_IMPL={other}: expected keepalived or keepalived-rs"),
    }
}

/// Wait until exactly node `i` (of `n`) holds `ip`; returns the elapsed
/// time, or panics with `what` after `timeout`.
pub fn wait_sole_holder(
    lab: &Lab,
    n: usize,
    i: usize,
    ip: &str,
    timeout: Duration,
    what: &str,
) -> Duration {
    let t0 = Instant::now();
    let ok = wait_until(timeout, || holders(lab, n, ip) == vec![i]);
    assert!(
        ok,
        "{what}: expected only node{i} to hold {ip} within {timeout:?}, holders now {:?}",
        holders(lab, n, ip)
    );
    t0.elapsed()
}

/// Assert that for `dur` the holders of `ip` stay exactly `[i]`.
pub fn assert_stable_holder(lab: &Lab, n: usize, i: usize, ip: &str, dur: Duration, what: &str) {
    let t0 = Instant::now();
    let max_iter = dur.as_millis() / 100 + 2;
    for _ in 0..max_iter {
        let h = holders(lab, n, ip);
        assert_eq!(
            h,
            vec![i],
            "{what}: after {:?} holders of {ip} are {h:?}, expected only node{i}",
            t0.elapsed()
        );
        if t0.elapsed() >= dur {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
