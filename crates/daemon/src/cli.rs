//! Command line: keepalived's flags, so existing unit files and scripts keep working.
//! Flags that only matter to keepalived's other subsystems (checker, BFD, SNMP) are
//! accepted and ignored.

use clap::{ArgAction, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keepalived-rs",
    about = "VRRP daemon that runs keepalived.conf unchanged",
    disable_version_flag = true
)]
pub struct Args {
    /// Use the specified configuration file.
    #[arg(
        short = 'f',
        long = "use-file",
        global = true,
        default_value = "/etc/keepalived/keepalived.conf"
    )]
    pub use_file: PathBuf,
    /// Only run the VRRP subsystem (the only one keepalived-rs has).
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp: bool,
    /// Only run the checker subsystem (not supported: LVS is out of scope).
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Don't run the BFD subsystem (accepted; there is none).
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// Log to the console (stderr) as well.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Detailed log messages (repeat for more).
    #[arg(short = 'D', long = "log-detail", action = ArgAction::Count)]
    pub log_detail: u8,
    /// Syslog facility: 0-7 (= local0-7), local0-7, user or daemon (default).
    #[arg(short = 'S', long = "log-facility")]
    pub log_facility: Option<String>,
    /// Also log to FILE (default $TMPDIR/keepalived.log; `_vrrp` is inserted
    /// before the last '.', as keepalived's VRRP process does).
    #[arg(short = 'g', long = "log-file", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub log_file: Option<String>,
    /// Flush the log file after every line (accepted; lines are unbuffered).
    #[arg(long = "flush-log-file")]
    pub flush_log_file: bool,
    /// Don't log via syslog.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// Remove VIPs on exit even if not believed set (accepted).
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// Don't remove VRRP VIPs, routes and rules on exit.
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// Don't remove IPVS topology on exit (accepted; no LVS).
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// Don't respawn child processes (accepted; there are none).
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// Don't fork the daemon process.
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Dump the configuration data.
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// Pid file (default /run/keepalived.pid, or under /run/keepalived/
    /// with `instance`, `net_namespace` or `use_pid_dir`).
    #[arg(short = 'p', long = "pid")]
    pub pid: Option<PathBuf>,
    /// VRRP pid file (default /run/vrrp.pid; holds our pid too, as
    /// keepalived-rs is one process).
    #[arg(short = 'r', long = "vrrp_pid")]
    pub vrrp_pid: Option<PathBuf>,
    /// Checker child pid file (accepted and ignored).
    #[arg(short = 'c', long = "checkers_pid")]
    pub checkers_pid: Option<PathBuf>,
    /// BFD child pid file (accepted and ignored).
    #[arg(short = 'b', long = "bfd_pid")]
    pub bfd_pid: Option<PathBuf>,
    /// Run in this network namespace (as `net_namespace NAME`; process
    /// tracking stays in the initial one).
    #[arg(short = 's', long = "namespace", global = true)]
    pub namespace: Option<String>,
    /// All include checks on (accepted).
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// Config id for `@ID` lines (default: host name up to the first '.').
    #[arg(short = 'i', long = "config-id", global = true)]
    pub config_id: Option<String>,
    /// File creation mask (accepted).
    #[arg(short = 'u', long = "umask")]
    pub umask: Option<String>,
    /// Enable core dumps (accepted).
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// Check the configuration and exit (0 ok, 4 cannot run, 5 errors, 6 no file).
    #[arg(short = 't', long = "config-test", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub config_test: Option<String>,
    /// With -t: validate off-box; interfaces missing on this host are warnings.
    #[arg(long = "offline")]
    pub offline: bool,
    /// Print the fully resolved configuration (includes, definitions and
    /// conditionals expanded, defaults filled) in keepalived syntax and exit.
    #[arg(long = "dump-config")]
    pub dump_config: bool,
    /// Print the number of the signal for STOP, RELOAD, DATA, STATS,
    /// STATS_CLEAR or JSON and exit.
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,
    /// Print the version and exit.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// Control socket (default: under /run/keepalived-rs/, named after
    /// the network namespace and the instance name, like keepalived's pid
    /// files).
    #[arg(long = "control-socket", global = true, value_name = "PATH")]
    pub control_socket: Option<PathBuf>,
    /// Serve Prometheus metrics over HTTP on ADDR:PORT (off by default;
    /// overrides `metrics_listen` in global_defs).
    #[arg(long = "metrics-listen", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Print a shell completion script (bash or zsh) and exit. Hidden: the
    /// packages install the output, users never need to type it, and a
    /// long-only flag cannot collide with keepalived's short flags.
    #[arg(long = "completions", value_name = "SHELL", hide = true)]
    pub completions: Option<clap_complete::Shell>,
    /// Talk to a running daemon instead of running one.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Requests to a running daemon over its control socket.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every instance: state, priorities, master, since when, trackers.
    Status {
        /// Print the daemon's JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Ask the daemon to reload its configuration (as SIGHUP does).
    Reload,
    /// Send a gratuitous ARP / unsolicited NA burst for a MASTER instance.
    Garp {
        /// The vrrp_instance name.
        instance: String,
    },
}

/// Writes the completion script for `shell` (the hidden `--completions`
/// flag; packaging/build.sh stores its output for the packages).
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut cmd = <Args as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "keepalived-rs", out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_cover_flags_and_subcommands() {
        for shell in [clap_complete::Shell::Bash, clap_complete::Shell::Zsh] {
            let mut out = Vec::new();
            write_completions(shell, &mut out);
            let text = String::from_utf8(out).expect("utf-8 script");
            for word in ["--use-file", "--config-test", "status", "reload", "garp"] {
                assert!(text.contains(word), "{shell} completion lacks {word}");
            }
        }
        let a = Args::try_parse_from(["keepalived-rs", "--completions", "zsh"])
            .expect("--completions parses");
        assert_eq!(a.completions, Some(clap_complete::Shell::Zsh));
        assert!(Args::try_parse_from(["keepalived-rs", "--completions", "tcsh"]).is_err());
    }

    #[test]
    fn keepalived_flags_still_run_the_daemon() {
        let a = Args::try_parse_from(["keepalived-rs", "-f", "x.conf", "-n", "-l", "-D"])
            .expect("keepalived's flags parse");
        assert!(a.command.is_none());
        assert_eq!(a.use_file, PathBuf::from("x.conf"));
        assert!(a.dont_fork && a.log_console);
        assert_eq!(a.log_detail, 1);
        assert_eq!(a.metrics_listen, None);
    }

    #[test]
    fn subcommands_take_the_socket_flags_after_them() {
        let a = Args::try_parse_from([
            "keepalived-rs",
            "status",
            "--json",
            "-s",
            "blue",
            "--control-socket",
            "/tmp/c.sock",
        ])
        .expect("status parses");
        assert!(matches!(a.command, Some(Command::Status { json: true })));
        assert_eq!(a.namespace.as_deref(), Some("blue"));
        assert_eq!(a.control_socket, Some(PathBuf::from("/tmp/c.sock")));
        let g = Args::try_parse_from(["keepalived-rs", "-i", "lb1", "garp", "VI_1"])
            .expect("garp parses");
        assert!(matches!(g.command, Some(Command::Garp { ref instance }) if instance == "VI_1"));
        assert_eq!(g.config_id.as_deref(), Some("lb1"));
        assert!(Args::try_parse_from(["keepalived-rs", "garp"]).is_err());
        assert!(Args::try_parse_from(["keepalived-rs", "stray"]).is_err());
        let m = Args::try_parse_from(["keepalived-rs", "--metrics-listen", "[::1]:9650"])
            .expect("metrics flag parses");
        assert_eq!(
            m.metrics_listen,
            Some("[::1]:9650".parse().expect("address"))
        );
    }
}
