//! keepalived-rs: the daemon binary. Parses keepalived's command line, loads
//! keepalived.conf, and runs the VRRP engine until SIGTERM/SIGINT.
#![deny(unsafe_code)]

mod cli;
mod control;
mod dump;
mod engine;
mod firewall;
mod garp;
mod logging;
mod metrics;
mod netlink;
mod notify;
mod pidfile;
mod priority;
mod reload;
mod routes;
mod run;
mod script;
mod sdnotify;
mod socket;
mod status;
mod sys;
mod timer;
mod trackfile;
mod tracking;
mod unicast;
mod vmac;

use clap::Parser;
use keepalived_config::{LoadOptions, Loaded, Severity};
use std::io::Write;
use std::process::ExitCode;
use tracing::{error, info, warn};

/// keepalived's exit codes (reference §7.4).
const EXIT_FATAL: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_NO_CONFIG: u8 = 6;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if args.version {
        println!("keepalived-rs {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if let Some(shell) = args.completions {
        cli::write_completions(shell, &mut std::io::stdout().lock());
        return ExitCode::SUCCESS;
    }
    if let Some(name) = &args.signum {
        // keepalived's wording and exit codes (observed with 2.2.7).
        return match dump::signum(name) {
            Some(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("Unknown sigfunc {name}");
                ExitCode::from(EXIT_FATAL)
            }
        };
    }
    if let Some(cmd) = &args.command {
        return ExitCode::from(control::run_client(cmd, &client_socket_path(&args)));
    }
    if let Some(out) = &args.config_test {
        return config_test(&args, out);
    }
    if args.dump_config {
        return dump_config(&args);
    }
    if let Err(e) = logging::init(&logging::LogOptions {
        detail: args.log_detail,
        console: args.log_console,
        facility: args.log_facility.clone(),
        no_syslog: args.no_syslog,
        log_file: args.log_file.clone(),
    }) {
        eprintln!("{e}");
        return ExitCode::from(EXIT_FATAL);
    }
    if args.check {
        error!("-C/--check: the LVS checker is not part of keepalived-rs");
        return ExitCode::from(EXIT_FATAL);
    }
    if let Some(ns) = &args.namespace {
        error!(
            "-s/--namespace {ns}: not supported yet; start keepalived-rs with `ip netns exec {ns}`"
        );
        return ExitCode::from(EXIT_FATAL);
    }
    let loaded = match load(&args) {
        Ok(l) => l,
        Err(code) => return code,
    };
    for d in &loaded.diagnostics {
        match d.severity {
            Severity::Warning => warn!("{d}"),
            Severity::Error | Severity::Security | Severity::Fatal => error!("{d}"),
        }
    }
    if loaded.has_fatal() {
        error!("configuration cannot run; exiting");
        return ExitCode::from(EXIT_CONFIG);
    }
    // SIGHUP reads the same file again, after daemon() moved us to /.
    let conf_path = std::path::absolute(&args.use_file).unwrap_or_else(|_| args.use_file.clone());
    if args.dump_conf {
        info!("configuration: {:#?}", loaded.config);
    }
    let pid_paths = pidfile::PidPaths::resolve(
        args.pid.as_deref(),
        args.vrrp_pid.as_deref(),
        args.namespace
            .as_deref()
            .or(loaded.config.root.net_namespace.as_deref()),
        loaded.config.root.instance.as_deref(),
        loaded.config.root.use_pid_dir,
        std::path::Path::new(pidfile::RUN_DIR),
    );
    if let Err(e) = pid_paths.check() {
        return already_running(&args, &e);
    }
    if !args.dont_fork {
        if let Err(e) = nix::unistd::daemon(false, args.log_console) {
            error!("cannot daemonise: {e}");
            return ExitCode::from(EXIT_FATAL);
        }
    }
    let _pidfiles = match pid_paths.create() {
        Ok(p) => p,
        Err(e @ pidfile::PidFileError::AlreadyRunning { .. }) => {
            return already_running(&args, &e);
        }
        Err(e) => {
            error!("{e}");
            return ExitCode::from(EXIT_FATAL);
        }
    };
    let opts = run::RunOptions {
        keep_vips_on_exit: args.dont_release_vrrp,
        namespace: args.namespace.clone(),
        reload: Some(reload::ReloadSource {
            path: conf_path,
            options: load_options(&args),
        }),
        management: management_options(&args, &loaded.config),
    };
    match run::run(loaded.config, opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            if e.downcast_ref::<run::RuntimeConfigError>().is_some() {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::from(EXIT_FATAL)
            }
        }
    }
}

/// keepalived exits 0 when its pid file names a live process (observed
/// with 2.2.7): starting an already running service is not a failure. The
/// message also goes to stderr when the log does not, so whoever started
/// us sees why nothing happened.
fn already_running(args: &cli::Args, e: &pidfile::PidFileError) -> ExitCode {
    error!("{e}");
    if !args.log_console {
        eprintln!("keepalived-rs: {e}");
    }
    ExitCode::SUCCESS
}

/// The daemon's control socket and metrics address: flags first, then
/// the configuration (`net_namespace`, `instance`, `metrics_listen`).
fn management_options(
    args: &cli::Args,
    config: &keepalived_config::Config,
) -> control::ManagementOptions {
    let namespace = args
        .namespace
        .as_deref()
        .or(config.root.net_namespace.as_deref());
    let instance = config
        .root
        .instance
        .as_deref()
        .or(args.config_id.as_deref());
    control::ManagementOptions {
        control_socket: Some(control::resolve_socket_path(
            args.control_socket.as_deref(),
            namespace,
            instance,
        )),
        metrics_listen: args.metrics_listen.or(config.global.metrics_listen),
    }
}

/// The socket a client subcommand talks to: derived as the daemon derives
/// it, reading `net_namespace` and `instance` from the configuration file
/// when it can be read (diagnostics are not shown: the daemon has them).
fn client_socket_path(args: &cli::Args) -> std::path::PathBuf {
    if let Some(p) = &args.control_socket {
        return p.clone();
    }
    let root = keepalived_config::load_file(&args.use_file, &load_options(args))
        .map(|l| l.config.root)
        .unwrap_or_default();
    let namespace = args.namespace.as_deref().or(root.net_namespace.as_deref());
    let instance = root.instance.as_deref().or(args.config_id.as_deref());
    control::resolve_socket_path(None, namespace, instance)
}

fn load_options(args: &cli::Args) -> LoadOptions {
    LoadOptions {
        config_id: args.config_id.clone(),
        all_config: args.all_config,
        ..LoadOptions::default()
    }
}

fn load(args: &cli::Args) -> Result<Loaded, ExitCode> {
    match keepalived_config::load_file(&args.use_file, &load_options(args)) {
        Ok(l) => Ok(l),
        Err(e) => {
            error!("{e}");
            Err(ExitCode::from(EXIT_NO_CONFIG))
        }
    }
}

/// `-t[=FILE]`: report every diagnostic and exit 0 (clean), 4 (cannot run),
/// 5 (errors) or 6 (no configuration file). Unlike keepalived, the worst problem
/// decides (keepalived keeps the numerically larger class, so fatal configs often
/// exit 5), and a missing file is 6 rather than 0.
fn config_test(args: &cli::Args, out: &str) -> ExitCode {
    // Buffered: a big config can produce thousands of diagnostic lines.
    let mut sink: Box<dyn Write> = if out.is_empty() {
        Box::new(std::io::BufWriter::new(std::io::stderr()))
    } else {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
        {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("cannot open {out}: {e}");
                return ExitCode::from(EXIT_FATAL);
            }
        }
    };
    let loaded = match keepalived_config::load_file(&args.use_file, &load_options(args)) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(sink, "{e}");
            return ExitCode::from(EXIT_NO_CONFIG);
        }
    };
    let mut worst = loaded.worst();
    for d in &loaded.diagnostics {
        let _ = writeln!(sink, "{}", loaded.render(d));
    }
    // With net_namespace (or -s), the interfaces live in that namespace.
    let namespace = args
        .namespace
        .clone()
        .or_else(|| loaded.config.root.net_namespace.clone());
    let mut check_interfaces = true;
    if let Some(ns) = &namespace {
        if let Err(e) = run::enter_netns(ns) {
            let (word, severity) = if args.offline {
                ("warning", Severity::Warning)
            } else {
                ("error", Severity::Fatal)
            };
            let _ = writeln!(sink, "{word}: {e:#}; interfaces not checked");
            worst = worst.max(Some(severity));
            check_interfaces = false;
        }
    }
    // Like keepalived -t, check the interfaces against the live system;
    // each name is looked up once (if_nametoindex costs a socket per call).
    // A missing instance interface stops keepalived (fatal); a missing
    // interface for an address, route or tracker is reported and dropped.
    let mut exists: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    let named = if check_interfaces {
        interfaces_named(&loaded.config)
    } else {
        Vec::new()
    };
    for (loc, what, name, fatal) in named {
        let found = *exists
            .entry(name)
            .or_insert_with(|| nix::net::if_::if_nametoindex(name).is_ok());
        if found {
            continue;
        }
        if args.offline {
            let _ = writeln!(
                sink,
                "{loc}: warning: interface '{name}' for {what} does not exist on this host (--offline)"
            );
            worst = worst.max(Some(Severity::Warning));
        } else {
            let _ = writeln!(
                sink,
                "{loc}: error: interface '{name}' for {what} does not exist (use --offline to validate off-box)"
            );
            worst = worst.max(Some(if fatal {
                Severity::Fatal
            } else {
                Severity::Error
            }));
        }
    }
    let code = test_exit_code(worst);
    if code == 0 {
        let _ = writeln!(
            sink,
            "configuration OK: {} VRRP instance(s)",
            loaded.config.instances.len()
        );
    }
    let _ = sink.flush();
    ExitCode::from(code)
}

/// Every interface the configuration needs, with where it is named, what
/// needs it, and whether its absence stops keepalived (an instance's own
/// interface does; an address's, route's or tracker's is reported).
fn interfaces_named(
    config: &keepalived_config::Config,
) -> Vec<(&keepalived_config::Location, String, &str, bool)> {
    let mut out = Vec::new();
    for inst in &config.instances {
        if let Some(ifname) = &inst.interface {
            let loc = inst.interface_location.as_ref().unwrap_or(&inst.location);
            out.push((
                loc,
                format!("vrrp_instance {}", inst.name),
                ifname.as_str(),
                true,
            ));
        }
        for v in inst
            .virtual_ipaddress
            .iter()
            .chain(&inst.opts.virtual_ipaddress_excluded)
        {
            if let Some(dev) = &v.dev {
                out.push((
                    &v.location,
                    format!("address {}", v.addr),
                    dev.as_str(),
                    false,
                ));
            }
        }
        for t in &inst.track {
            if t.kind == keepalived_config::TrackKind::Interface {
                out.push((
                    &t.location,
                    format!("({}) tracking", inst.name),
                    t.name.as_str(),
                    false,
                ));
            }
        }
        for r in &inst.opts.virtual_routes {
            let devs = r
                .dev
                .iter()
                .chain(r.nexthops.iter().filter_map(|n| n.dev.as_ref()));
            for dev in devs {
                out.push((
                    &r.location,
                    "virtual route".to_string(),
                    dev.as_str(),
                    false,
                ));
            }
        }
    }
    for v in &config.static_ipaddress {
        if let Some(dev) = &v.dev {
            out.push((
                &v.location,
                format!("address {}", v.addr),
                dev.as_str(),
                false,
            ));
        }
    }
    out
}

/// `--dump-config`: the resolved configuration on stdout, diagnostics on
/// stderr; exits like `-t` would for the same diagnostics.
fn dump_config(args: &cli::Args) -> ExitCode {
    let loaded = match keepalived_config::load_file(&args.use_file, &load_options(args)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_NO_CONFIG);
        }
    };
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    print!("{}", keepalived_config::dump(&loaded.config));
    ExitCode::from(test_exit_code(loaded.worst()))
}

/// `-t` exit codes for the worst diagnostic (reference §1.9, worst class first).
fn test_exit_code(worst: Option<Severity>) -> u8 {
    match worst {
        None | Some(Severity::Warning) => 0,
        Some(Severity::Error) => 5,
        Some(Severity::Security) => 6,
        Some(Severity::Fatal) => 4,
    }
}
