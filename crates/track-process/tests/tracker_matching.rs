//! Which processes a `vrrp_track_process` block counts (reference §4.1).

use track_process::event::{Appearance, Observation, ProcessInfo};
use track_process::tracker::{ParamMatch, StatusChange, Tracker, TrackerConfig, COMM_MAX_LEN};

fn proc_(comm: &str, cmdline: &[&str]) -> ProcessInfo {
    ProcessInfo {
        pid: 42,
        comm: comm.to_owned(),
        cmdline: cmdline.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn cfg(process: &str) -> TrackerConfig {
    TrackerConfig::new("t", process)
}

fn with_params(process: &str, params: &[&str], mode: Option<ParamMatch>) -> TrackerConfig {
    let mut c = cfg(process);
    c.params = params.iter().map(|s| (*s).to_owned()).collect();
    c.param_match = mode;
    c
}

fn args_match(c: &TrackerConfig, args: &[&str]) -> bool {
    let mut cmdline = vec![c.process.as_str()];
    cmdline.extend_from_slice(args);
    c.matches(&proc_("whatever", &cmdline))
}

#[test]
fn comm_mode_is_exact_and_case_sensitive() {
    let c = cfg("sshd");
    assert!(!c.full_command_mode());
    assert!(c.matches(&proc_("sshd", &["/usr/sbin/sshd", "-D"])));
    assert!(
        !c.matches(&proc_("ssh", &["sshd"])),
        "cmdline is not looked at"
    );
    assert!(!c.matches(&proc_("SSHD", &[])));
    assert!(!c.matches(&proc_("sshd2", &[])));
    assert!(!cfg("ssh").matches(&proc_("sshd", &[])), "like pgrep -x");
    // A zombie or kernel thread has an empty cmdline but still a comm.
    assert!(c.matches(&proc_("sshd", &[])));
}

#[test]
fn comm_mode_names_longer_than_15_bytes_never_match() {
    let fifteen = "abcdefghijklmno";
    assert_eq!(fifteen.len(), COMM_MAX_LEN);
    assert!(cfg(fifteen).matches(&proc_(fifteen, &[])));

    let sixteen = "abcdefghijklmnop";
    let c = cfg(sixteen);
    // Not the kernel's truncated name …
    assert!(!c.matches(&proc_(fifteen, &[sixteen])));
    // … and not even a (impossible) full-length comm.
    assert!(!c.matches(&proc_(sixteen, &[sixteen])));
    // The limit is in bytes, as the kernel's: 8 two-byte characters.
    let wide = "éééééééé";
    assert_eq!(wide.len(), 16);
    assert!(!cfg(wide).matches(&proc_(wide, &[])));
}

#[test]
fn full_command_compares_argv0_exactly_without_basename() {
    let mut c = cfg("/usr/sbin/haproxy");
    c.full_command = true;
    assert!(c.full_command_mode());
    assert!(c.matches(&proc_("haproxy", &["/usr/sbin/haproxy", "-f", "x.cfg"])));
    assert!(
        c.matches(&proc_("renamed", &["/usr/sbin/haproxy"])),
        "comm is not looked at"
    );
    assert!(!c.matches(&proc_("haproxy", &["haproxy", "-f", "x.cfg"])));
    assert!(!c.matches(&proc_("haproxy", &["/usr/sbin/haproxy2"])));
    assert!(
        !c.matches(&proc_("haproxy", &[])),
        "empty cmdline never matches"
    );

    let mut short = cfg("haproxy");
    short.full_command = true;
    assert!(!short.matches(&proc_("haproxy", &["/usr/sbin/haproxy"])));
}

#[test]
fn full_command_without_parameters_accepts_any_arguments() {
    let mut c = cfg("/bin/app");
    c.full_command = true;
    assert!(args_match(&c, &[]));
    assert!(args_match(&c, &["-x", "y"]));
}

#[test]
fn parameters_or_param_match_imply_full_command() {
    assert!(with_params("app", &["a"], None).full_command_mode());
    assert!(with_params("app", &[], Some(ParamMatch::Partial)).full_command_mode());
    let c = with_params("app", &["a"], None);
    assert!(
        !c.matches(&proc_("app", &["/bin/app", "a"])),
        "argv[0] decides, not comm"
    );
    assert!(c.matches(&proc_("other", &["app", "a"])));
}

#[test]
fn param_match_exact() {
    for mode in [None, Some(ParamMatch::Exact)] {
        let c = with_params("app", &["-f", "conf"], mode);
        assert!(args_match(&c, &["-f", "conf"]));
        assert!(!args_match(&c, &["-f", "conf", "-d"]));
        assert!(!args_match(&c, &["-f"]));
        assert!(!args_match(&c, &["-f", "conf2"]));
        assert!(!args_match(&c, &["-f", "con"]));
        assert!(!args_match(&c, &[]));
    }
}

#[test]
fn param_match_exact_without_parameters_requires_no_arguments() {
    let c = with_params("app", &[], Some(ParamMatch::Exact));
    assert!(args_match(&c, &[]));
    assert!(!args_match(&c, &["x"]));
    assert!(!args_match(&c, &[""]));
}

#[test]
fn param_match_partial() {
    let c = with_params("app", &["-f", "conf"], Some(ParamMatch::Partial));
    assert!(args_match(&c, &["-f", "conf"]));
    assert!(args_match(&c, &["-f", "conf", "-d", "x"]));
    assert!(
        !args_match(&c, &["-f", "conf2"]),
        "the last one must be exact"
    );
    assert!(!args_match(&c, &["-f"]));
    assert!(!args_match(&c, &["conf", "-f"]));
    assert!(!args_match(&c, &["-d", "-f", "conf"]));
}

#[test]
fn param_match_initial() {
    let c = with_params("app", &["-f", "con"], Some(ParamMatch::Initial));
    assert!(args_match(&c, &["-f", "con"]));
    assert!(args_match(&c, &["-f", "conf"]));
    assert!(args_match(&c, &["-f", "config.cfg", "-d"]));
    assert!(!args_match(&c, &["-f", "co"]));
    assert!(
        !args_match(&c, &["-fx", "conf"]),
        "only the last one is a prefix"
    );
    assert!(!args_match(&c, &["-f"]));
    assert!(!args_match(&c, &["x", "-f", "conf"]));

    let one = with_params("app", &["--na"], Some(ParamMatch::Initial));
    assert!(args_match(&one, &["--name=x"]));
    assert!(!args_match(&one, &[]));
}

#[test]
fn partial_and_initial_without_parameters_accept_any_arguments() {
    for mode in [ParamMatch::Partial, ParamMatch::Initial] {
        let c = with_params("app", &[], Some(mode));
        assert!(args_match(&c, &[]));
        assert!(args_match(&c, &["x"]));
    }
}

/// Parameters are compared as whole words: a space inside a configured
/// parameter is not a separator.
#[test]
fn parameters_are_words_not_a_joined_string() {
    let c = with_params("app", &["-f conf"], None);
    assert!(!args_match(&c, &["-f", "conf"]));
    assert!(args_match(&c, &["-f conf"]));
}

/// A restart of a full-command service (fork, then exec with the right
/// argv) counts from the exec and waits fork_delay.
#[test]
fn full_command_restart_by_fork_then_exec_waits_fork_delay() {
    let mut c = with_params("/usr/sbin/haproxy", &["-f", "/etc/haproxy.cfg"], None);
    c.fork_delay_us = Some(2_000_000);
    let mut t = Tracker::new(c).expect("valid config");
    t.handle(0, &Observation::Rescan { processes: vec![] });
    assert!(t.poll_event().is_some());
    let mut child = proc_("systemd", &["/sbin/init"]);
    t.handle(
        10,
        &Observation::Appeared {
            info: child.clone(),
            how: Appearance::Fork,
        },
    );
    assert_eq!(t.count(), 0);
    child.comm = "haproxy".to_owned();
    child.cmdline = vec![
        "/usr/sbin/haproxy".to_owned(),
        "-f".to_owned(),
        "/etc/haproxy.cfg".to_owned(),
    ];
    t.handle(
        20,
        &Observation::Appeared {
            info: child,
            how: Appearance::Exec,
        },
    );
    assert_eq!(t.count(), 1);
    assert_eq!(t.poll_event(), None);
    assert_eq!(t.poll_timeout(), Some(2_000_020));
    t.on_timeout(2_000_020);
    assert_eq!(
        t.poll_event(),
        Some(StatusChange {
            up: true,
            count: 1,
            at: 2_000_020
        })
    );
}
