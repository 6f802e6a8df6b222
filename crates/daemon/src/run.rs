//! The async shell around [`Engine`]: resolves interfaces, opens sockets, and runs
//! the readers, the timer loop, the netlink worker and signal handling on one
//! current-thread tokio runtime. No thread per instance: one task per interface
//! socket, one for the timers, one for netlink.

use crate::engine::{Engine, GroupRt, Iface, InstanceRt, NetlinkOp, Vip};
use crate::netlink::{AddrSpec, LinkEvent, LinkInfo, LinkMonitor, MonitorEvent, Netlink};
use crate::routes::{RouteSpec, RuleSpec};
use crate::socket::{PacketSocket, VrrpSocket};
use crate::timer::PreciseTimer;
use crate::tracking::{self, Plan, TrackUse};
use anyhow::{anyhow, Context};
use keepalived_config::{Authentication, Config, VrrpInstance};
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::rc::Rc;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};
use track_process::event::Observation;
use track_process::linux::{ReadOutcome, Source};
use vrrp::{AuthData, Instance, InstanceConfig, Timestamp};

/// How long shutdown waits for queued address removals.
const SHUTDOWN_NETLINK_TIMEOUT: Duration = Duration::from_secs(5);

/// Options from the command line that matter at run time.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `-V`: leave VIPs in place on exit.
    pub keep_vips_on_exit: bool,
    /// `-s NAME`: network namespace to run in (overrides `net_namespace`).
    pub namespace: Option<String>,
    /// Where SIGHUP re-reads the configuration from (`None`: no reload).
    pub reload: Option<crate::reload::ReloadSource>,
    /// Control socket and metrics exporter.
    pub management: crate::control::ManagementOptions,
}

/// A configuration problem only visible against the live system (a missing
/// interface, no source address): keepalived exits 2 for these.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RuntimeConfigError(pub String);

/// Maps tokio's monotonic clock onto the protocol core's integer [`Timestamp`].
#[derive(Clone, Copy)]
struct Clock {
    origin: Instant,
}

impl Clock {
    fn now(&self) -> Timestamp {
        let us = u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX);
        Timestamp::from_micros(us)
    }
}

pub fn run(config: Config, opts: RunOptions) -> anyhow::Result<()> {
    let plan = tracking::build(&config).map_err(RuntimeConfigError)?;
    // The proc connector only works in the initial network namespace: open it
    // before entering the configured one (sockets keep the namespace they
    // were created in).
    let source = if !plan.has_processes() {
        None
    } else {
        let mut s = Source::open(track_process::linux::DEFAULT_POLL_INTERVAL)
            .context("cannot open the process event source")?;
        // Reading command lines only when a tracker matches on them halves
        // the /proc reads per exec.
        s.set_need_cmdline(
            plan.process_trackers()
                .any(|t| t.config().full_command_mode()),
        );
        Some(s)
    };
    let namespace = opts
        .namespace
        .clone()
        .or_else(|| config.root.net_namespace.clone());
    if let Some(ns) = &namespace {
        enter_netns(ns)?;
        info!("running in network namespace {ns}");
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run_async(config, opts, plan, source))
}

/// keepalived's `net_namespace NAME` / `-s NAME`: everything but the process
/// event source runs in the namespace `ip netns` calls NAME. Done before the
/// runtime starts, while the process has one thread (setns applies to the
/// calling thread only).
pub fn enter_netns(name: &str) -> anyhow::Result<()> {
    let path = std::path::Path::new("/run/netns").join(name);
    let file = std::fs::File::open(&path).map_err(|e| {
        RuntimeConfigError(format!(
            "net_namespace {name}: cannot open {}: {e}",
            path.display()
        ))
    })?;
    nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| RuntimeConfigError(format!("net_namespace {name}: cannot enter it: {e}")))?;
    Ok(())
}

async fn run_async(
    mut config: Config,
    opts: RunOptions,
    plan: Plan,
    source: Option<Source>,
) -> anyhow::Result<()> {
    let clock = Clock {
        origin: Instant::now(),
    };
    let nl = Netlink::open()?;
    // Link events: the monitor is opened before the dump, so no change falls
    // between the two.
    let monitor = LinkMonitor::open(true).context("cannot watch interface changes")?;
    let all_links = nl.links().await.context("cannot list interfaces")?;

    // Every interface an instance or a VIP names, in first-use order.
    let mut names = interface_names(&config)?;
    let mut links: HashMap<String, (usize, LinkInfo)> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        links.insert(name.clone(), (i, lookup_link(&nl, &config, name).await?));
    }
    // use_vmac: the macvlans are created (or reused) now, before any socket
    // opens on them. Each instance gets the interface its adverts use (the
    // VMAC unless vmac_xmit_base) and the one its VIPs without `dev` go on.
    let mut sysctls = crate::vmac::SysctlGuard::new();
    let mut vmacs: Vec<crate::vmac::VmacLink> = Vec::new();
    let inst_ifs = setup_vmacs(
        &config,
        &nl,
        &mut links,
        &mut names,
        &mut sysctls,
        &mut vmacs,
    )
    .await?;
    let carries_instances: Vec<&str> = inst_ifs.iter().map(|(a, _)| a.as_str()).collect();
    let carries_v6: Vec<&str> = config
        .instances
        .iter()
        .zip(&inst_ifs)
        .filter(|(i, _)| instance_is_v6(i))
        .map(|(_, (adv, _))| adv.as_str())
        .collect();
    let mut ifaces = Vec::with_capacity(names.len());
    for name in &names {
        let Some((_, info)) = links.get(name) else {
            continue;
        };
        let carries = carries_instances.contains(&name.as_str());
        if info.index == 0 {
            // Missing (dynamic_interfaces): sockets are opened when it appears.
            let mut f = Iface::new(name.clone(), 0, info.mac, None, None);
            f.carries_instances = carries;
            ifaces.push(f);
            continue;
        }
        ifaces.push(open_iface(
            &config,
            name,
            info,
            carries,
            carries_v6.contains(&name.as_str()),
        )?);
    }

    let Plan {
        mut sources,
        mut uses,
    } = plan;
    // vrrp_script: resolved and security-checked now. A refused script is
    // removed from the instances that track it (keepalived: it then never
    // causes FAULT); an insecure one without enable_script_security runs
    // with a warning.
    let scripts = resolve_scripts(&config, &sources, &mut uses);
    // track_file: init_file values written, filesystems checked, and every
    // file's value read before any instance starts.
    let file_watcher = if config.track_files.is_empty() {
        None
    } else {
        let w = crate::trackfile::start(&config.track_files, true)
            .map_err(|e| RuntimeConfigError(format!("track_file: {e}")))?;
        for s in &mut sources {
            if let crate::tracking::Source::File { index, value, .. } = s {
                *value = w.value(*index).unwrap_or(0);
            }
        }
        Some(w)
    };
    // Routes and rules are converted once, against the interfaces, VRF
    // tables and rt_tables names of now; one that cannot be expressed stops
    // the start with its location rather than running without it.
    let sys_names = nl
        .system_names()
        .await
        .context("cannot read interfaces and routing tables")?;
    let instances = build_instances(&config, &links, uses, &inst_ifs, &sys_names)?;
    let wanted_statics = static_specs(&config, &links, &sys_names)?;

    // Like keepalived: addresses we manage that are already present (left over from
    // an unclean exit) are removed before anything starts.
    for inst in &instances {
        for r in &inst.rules {
            if let Err(e) = nl.del_rule(r).await {
                warn!(error = %e, "cannot remove stale virtual rule");
            }
        }
        for r in &inst.routes {
            if let Err(e) = nl.del_route(r).await {
                warn!(error = %e, "cannot remove stale virtual route");
            }
        }
        for vip in &inst.vips {
            if let Err(e) = nl.del_addr(&vip.spec).await {
                warn!(error = %e, "cannot remove stale virtual address");
            }
        }
    }
    // static_ipaddress, static_routes and static_rules are installed at
    // start, whatever the VRRP state, diffed on reload, and removed again
    // on exit (unless -V).
    let mut statics = Statics::default();
    statics.apply(&nl, wanted_statics).await;

    // Sync groups: members by index (the configuration checks removed
    // unknown names and double memberships).
    let groups = build_groups(&config);

    // Interface trackers start from the kernel's view: up with carrier, or
    // down (a missing interface is down).
    for src in &mut sources {
        if let crate::tracking::Source::Interface { name, up } = src {
            *up = all_links.iter().any(|l| &l.name == name && l.up);
            if !*up {
                warn!(interface = %name, "interface {name} is down or missing at start");
            }
        }
    }

    // Firewall (nftables): the no_accept drop sets and the VMAC multicast
    // rules, laid out before any instance can become MASTER.
    let mut fw_plan = firewall_plan(&config, &inst_ifs);
    if !fw_plan.is_empty() {
        if let Err(e) = crate::firewall::apply(&fw_plan.setup_script()).await {
            error!(error = %e, "cannot set up the firewall tables: VIPs of no_accept instances will accept traffic");
        }
    }

    let (tx, rx) = mpsc::unbounded_channel();
    let worker = tokio::task::spawn_local(netlink_worker(nl.clone(), rx));
    let engine = Rc::new(RefCell::new(Engine::new(
        ifaces,
        instances,
        sources,
        groups,
        tx,
        opts.keep_vips_on_exit,
    )));
    let wake = Rc::new(Notify::new());
    {
        let per_iface: Vec<(String, Option<u64>, Option<u64>)> = config
            .garp_groups
            .iter()
            .flat_map(|g| {
                g.interfaces
                    .iter()
                    .map(move |i| (i.clone(), g.garp_interval_us, g.gna_interval_us))
            })
            .collect();
        engine.borrow_mut().set_garp_intervals(
            config.global.garp_interval_us,
            config.global.gna_interval_us,
            &per_iface,
        );
    }
    // Notify FIFOs, each with its optional reader script (started once the
    // FIFO exists, with the FIFO's path as its last argument).
    let mut fifo_scripts = Vec::new();
    for (fifo, script) in [
        (
            &config.global.notify_fifo,
            &config.global.notify_fifo_script,
        ),
        (
            &config.global.vrrp_notify_fifo,
            &config.global.vrrp_notify_fifo_script,
        ),
    ] {
        let Some(fifo) = fifo else { continue };
        engine.borrow_mut().add_fifo(open_fifo(fifo));
        if let Some(script) = script {
            let argv = crate::notify::fifo_script_argv(script, &fifo.path);
            match crate::notify::spawn_script(
                &argv,
                script.user.as_deref(),
                script.group.as_deref(),
            ) {
                Ok(child) => fifo_scripts.push(child),
                Err(e) => error!(script = ?argv, error = %e, "cannot start the notify FIFO script"),
            }
        }
    }

    let sockets: Vec<(usize, Rc<AsyncFd<VrrpSocket>>)> = engine
        .borrow()
        .ifaces
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.vrrp.clone().map(|s| (i, s)))
        .collect();
    let sockets6: Vec<(usize, Rc<AsyncFd<VrrpSocket>>)> = engine
        .borrow()
        .ifaces
        .iter()
        .enumerate()
        .filter_map(|(i, f)| f.vrrp6.clone().map(|s| (i, s)))
        .collect();
    let mut readers = Vec::new();
    let iface_readers: IfaceReaders = Rc::new(RefCell::new(Vec::new()));
    for (idx, sock) in sockets {
        start_reader(&iface_readers, &engine, &wake, clock, idx, sock, false);
    }
    let iface_readers6: IfaceReaders = Rc::new(RefCell::new(Vec::new()));
    for (idx, sock) in sockets6 {
        start_reader(&iface_readers6, &engine, &wake, clock, idx, sock, true);
    }
    readers.push(tokio::task::spawn_local(link_events(
        engine.clone(),
        wake.clone(),
        monitor,
        nl.clone(),
        clock,
        (config.global.mcast_group4, config.global.mcast_group6),
        (iface_readers.clone(), iface_readers6.clone()),
    )));

    // Process tracking: the initial scan first (it sets every tracker's state
    // before any instance starts), then events as they come.
    let mut tasks = TrackerTasks::default();
    if let Some(mut source) = source {
        let scan = source.scan().context("cannot scan /proc")?;
        let now = clock.now();
        engine
            .borrow_mut()
            .on_observations(now, &[Observation::Rescan { processes: scan }]);
        tasks.process = Some(tokio::task::spawn_local(process_events(
            engine.clone(),
            wake.clone(),
            source,
            clock,
        )));
    }
    for (_, script) in scripts {
        let task = spawn_script(&engine, &wake, clock, script.clone());
        tasks.scripts.push((script, task));
    }
    if let Some(w) = file_watcher {
        tasks.file = Some(tokio::task::spawn_local(file_events(
            engine.clone(),
            wake.clone(),
            w,
            clock,
        )));
    }

    info!(
        instances = engine.borrow().instances.len(),
        "keepalived-rs started"
    );
    engine.borrow_mut().start(clock.now());
    // Control socket and metrics (reload: None until SIGHUP reload exists).
    let management = crate::control::Management::start(
        engine.clone(),
        wake.clone(),
        move || clock.now(),
        &opts.management,
        // `keepalived-rs reload` takes the same path as SIGHUP: the request
        // is queued to the main loop, and the outcome is in the log.
        opts.reload.as_ref().map(|_| -> crate::control::ReloadFn {
            Rc::new(|| {
                nix::sys::signal::raise(nix::sys::signal::Signal::SIGHUP)
                    .map(|()| "reload requested (see the daemon's log for the result)".to_string())
                    .map_err(|e| format!("cannot signal the reload: {e}"))
            })
        }),
    );

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    // Dump files (crate::dump): paths and config facts fixed at start, as
    // keepalived fixes its tmp dir; the reload path refreshes `dump_facts`.
    let mut json_sig = signal(SignalKind::from_raw(crate::dump::json_signal()))?;
    let mut stats_clear_sig = signal(SignalKind::from_raw(
        crate::dump::signum("STATS_CLEAR").unwrap_or(libc::SIGRTMAX() - 1),
    ))?;
    let dump_paths =
        crate::dump::DumpPaths::new(&config, opts.namespace.as_deref(), &crate::dump::tmp_dir());
    let dump_facts = RefCell::new(crate::dump::ConfigFacts::new(&config));
    let dump = |kind| {
        let facts = dump_facts.borrow();
        let snap = crate::dump::Snapshot::take(&engine.borrow(), &facts);
        crate::dump::write_in_background(kind, snap, &facts, &dump_paths);
    };
    crate::sdnotify::ready();
    let watchdog = crate::sdnotify::spawn_watchdog();
    let mut timer = PreciseTimer::new().context("cannot create the timer")?;
    let why = loop {
        let deadline = engine.borrow().next_deadline();
        timer
            .arm(deadline, clock.now())
            .context("cannot set the timer")?;
        tokio::select! {
            r = timer.expired() => {
                r.context("timer failed")?;
                engine.borrow_mut().on_timers(clock.now());
            }
            _ = wake.notified() => {}
            _ = term.recv() => break "SIGTERM",
            _ = int.recv() => break "SIGINT",
            _ = hup.recv() => match &opts.reload {
                Some(src) => {
                    crate::sdnotify::reloading();
                    let mut cx = ReloadCx {
                        engine: &engine,
                        wake: &wake,
                        clock,
                        nl: &nl,
                        tasks: &mut tasks,
                        readers: (&iface_readers, &iface_readers6),
                        sysctls: &mut sysctls,
                        vmacs: &mut vmacs,
                        config: &mut config,
                        statics: &mut statics,
                        fw_plan: &mut fw_plan,
                    };
                    reload(&mut cx, src).await;
                    *dump_facts.borrow_mut() = crate::dump::ConfigFacts::new(&config);
                    crate::sdnotify::ready();
                }
                None => warn!("SIGHUP: no configuration file to reload"),
            },
            _ = usr1.recv() => dump(crate::dump::DumpKind::Data),
            _ = usr2.recv() => dump(crate::dump::DumpKind::Stats),
            _ = json_sig.recv() => dump(crate::dump::DumpKind::Json),
            // keepalived's STATS_CLEAR: the stats file, then zeroed counters.
            _ = stats_clear_sig.recv() => {
                dump(crate::dump::DumpKind::Stats);
                engine.borrow_mut().clear_stats();
            }
        }
    };
    info!("{why} received: stopping");
    crate::sdnotify::stopping();
    if let Some(w) = watchdog {
        w.abort();
    }
    management.stop();
    for r in &readers {
        r.abort();
    }
    tasks.abort_all();
    for (_, r) in iface_readers.borrow().iter() {
        r.abort();
    }
    for (_, r) in iface_readers6.borrow().iter() {
        r.abort();
    }
    engine.borrow_mut().shutdown(clock.now());
    let stop_scripts = engine.borrow_mut().take_stop_scripts();
    finish_stop_scripts(stop_scripts).await;
    // The FIFO scripts see end-of-file once our FIFO ends close; they get a
    // second to finish reading, then their process group is terminated.
    engine.borrow_mut().close_fifos();
    finish_stop_scripts(
        fifo_scripts
            .into_iter()
            .map(|child| crate::engine::Running {
                child,
                kill_after: Some(Duration::from_secs(1)),
            })
            .collect(),
    )
    .await;
    // Drop the engine's last sender so the worker ends after draining.
    drop(engine);
    match tokio::time::timeout(SHUTDOWN_NETLINK_TIMEOUT, worker).await {
        Ok(_) => {}
        Err(_) => error!("timed out removing virtual addresses"),
    }
    // VMACs go with the daemon (unless -V keeps the VIPs on them), and the
    // sysctls we changed get their old values back.
    if !opts.keep_vips_on_exit {
        for v in &vmacs {
            if let Err(e) = nl.delete_link(v.index).await {
                warn!(vmac = %v.name, error = %e, "cannot remove VMAC");
            }
        }
    }
    if let Err(e) = sysctls.restore() {
        warn!(error = %e, "cannot restore sysctls");
    }
    // The firewall tables go with the daemon.
    if !fw_plan.is_empty() && !opts.keep_vips_on_exit {
        let script = crate::firewall::cleanup_script(&fw_plan.families());
        if let Err(e) = crate::firewall::apply(&script).await {
            warn!(error = %e, "cannot remove the firewall tables");
        }
    }
    if !opts.keep_vips_on_exit {
        statics.apply(&nl, StaticSpecs::default()).await;
    }
    info!("stopped");
    Ok(())
}

fn build_instance(
    inst: &VrrpInstance,
    config: &Config,
    links: &HashMap<String, (usize, LinkInfo)>,
    tracks: Vec<TrackUse>,
    adv_if: &str,
    vip_if: &str,
) -> anyhow::Result<InstanceRt> {
    let bad = |msg: String| {
        anyhow!(RuntimeConfigError(format!(
            "{}: ({}) {msg}",
            inst.location, inst.name
        )))
    };
    let ifname = adv_if;
    let (iface_idx, link) = links
        .get(ifname)
        .ok_or_else(|| bad(format!("interface '{ifname}' not found")))?;

    let mut vips = Vec::with_capacity(inst.virtual_ipaddress.len());
    let mut advert_addrs = Vec::with_capacity(inst.virtual_ipaddress.len());
    let place = |v: &keepalived_config::VirtualIp| -> anyhow::Result<Vip> {
        let dev = v.dev.as_deref().unwrap_or(vip_if);
        let (vi, vl) = links
            .get(dev)
            .ok_or_else(|| bad(format!("interface '{dev}' not found")))?;
        Ok(Vip {
            spec: addr_spec(v, vl.index),
            iface: *vi,
        })
    };
    let v6 = instance_is_v6(inst);
    for v in &inst.virtual_ipaddress {
        if v.addr.is_ipv6() != v6 {
            // The configuration check already dropped these with an error.
            return Err(bad(format!(
                "virtual address {} is not of the instance's address family",
                v.addr
            )));
        }
        vips.push(place(v)?);
        advert_addrs.push(v.addr);
    }
    // virtual_ipaddress_excluded: installed and removed with the VIPs (and
    // announced by GARP when IPv4) but never carried in adverts; any family.
    for v in &inst.opts.virtual_ipaddress_excluded {
        vips.push(place(v)?);
    }

    // `mcast_src_ip` is keepalived's other name for the advert source.
    let src: IpAddr = match inst.unicast_src_ip.or(inst.opts.mcast_src_ip) {
        Some(a) if a.is_ipv6() != v6 => {
            return Err(bad(format!(
                "source address {a} is not of the instance's address family"
            )))
        }
        Some(a) => a,
        // RFC 5798 §5.1.2.1: IPv6 adverts come from the link-local address
        // of the interface; until it has one the instance waits in FAULT.
        None if v6 => {
            let ll = link_local_v6(ifname);
            if ll.is_none() {
                warn!(instance = %inst.name, "({}) interface '{ifname}' has no IPv6 link-local address yet", inst.name);
            }
            ll.unwrap_or(Ipv6Addr::UNSPECIFIED).into()
        }
        None => link
            .ipv4
            .iter()
            .copied()
            .find(|a| !advert_addrs.contains(&IpAddr::V4(*a)))
            .or_else(|| {
                // dynamic_interfaces: wait (in FAULT) for an address.
                config
                    .global
                    .dynamic_interfaces
                    .then_some(std::net::Ipv4Addr::UNSPECIFIED)
            })
            .ok_or_else(|| {
                bad(format!(
                    "interface '{ifname}' has no IPv4 address to send adverts from"
                ))
            })?
            .into(),
    };
    // Each advert goes to each peer separately (reference §3.11).
    let mut dsts: Vec<IpAddr> = Vec::new();
    for p in &inst.unicast_peers {
        if p.is_ipv6() != v6 {
            return Err(bad(format!(
                "unicast_peer {p} is not of the instance's address family"
            )));
        }
        dsts.push(*p);
    }
    if dsts.is_empty() {
        let group = match inst.opts.mcast_dst_ip {
            Some(g) if g.is_ipv6() == v6 => g,
            _ if v6 => config.global.mcast_group6.into(),
            _ => config.global.mcast_group4.into(),
        };
        dsts.push(group);
    }
    let auth = match &inst.authentication {
        Some(Authentication::Pass(p)) if inst.version == 2 => AuthData::Pass(*p),
        Some(Authentication::Ah(p)) if inst.version == 2 => AuthData::Ah(*p),
        _ => AuthData::None,
    };
    let cfg = InstanceConfig {
        name: inst.name.clone(),
        vrid: inst.virtual_router_id,
        version: inst.version,
        priority: inst.priority,
        advert_int_us: inst.advert_int_us,
        preempt: !inst.nopreempt,
        preempt_delay_us: inst.preempt_delay_us,
        start_as_master: inst.state == keepalived_config::InitialState::Master,
        auth,
        vips: advert_addrs,
        local_addr: src,
        garp_master_delay_us: u64::from(inst.garp_master_delay_s) * 1_000_000,
        garp_master_repeat: inst.garp_master_repeat,
        down_timer_adverts: u32::from(inst.opts.down_timer_adverts),
    };
    let checksum = checksum_policy(inst, v6, !inst.unicast_peers.is_empty(), config);
    let tuning = vrrp::Tuning {
        lower_prio_no_advert: inst.opts.lower_prio_no_advert,
        higher_prio_send_advert: inst.opts.higher_prio_send_advert,
        garp_lower_prio_repeat: inst.opts.garp_lower_prio_repeat,
        garp_lower_prio_delay_us: u64::from(inst.opts.garp_lower_prio_delay_s) * 1_000_000,
        owner_ignore_adverts: inst.opts.owner_ignore_adverts,
        garp_master_refresh_us: u64::from(inst.opts.garp_master_refresh_s) * 1_000_000,
        garp_master_refresh_repeat: inst.opts.garp_master_refresh_repeat.max(1),
        sync_member: config
            .sync_groups
            .iter()
            .any(|g| g.members.contains(&inst.name)),
        checksum,
    };
    debug!(instance = %inst.name, iface = %ifname, %src, "instance configured");
    Ok(InstanceRt::new(
        Instance::with_tuning(cfg, tuning),
        *iface_idx,
        src,
        dsts,
        vips,
        tracks,
        inst.opts.notify.clone(),
    ))
}

/// The VRRPv3-over-IPv4 checksum rule of an instance (reference §3.14 check
/// 11). `v3_checksum_as_v2` (own or global) wins; `old_unicast_checksum`
/// matters only in unicast mode, where by default an old-form advert is
/// detected. The old form's pseudo-header destination is the global
/// `vrrp_mcast_group4`, as keepalived 2.2.7 computes it (`mcast_dst_ip` is
/// ignored in unicast mode). VRRPv2 and IPv6 are unaffected.
fn checksum_policy(
    inst: &VrrpInstance,
    v6: bool,
    unicast: bool,
    config: &Config,
) -> vrrp::packet::ChecksumPolicy {
    use keepalived_config::OldUnicastChecksum;
    use vrrp::packet::ChecksumPolicy;
    if v6 || inst.version != 3 {
        return ChecksumPolicy::Rfc;
    }
    if inst.opts.v3_checksum_as_v2 {
        return ChecksumPolicy::AsV2;
    }
    if !unicast {
        return ChecksumPolicy::Rfc;
    }
    let group = config.global.mcast_group4;
    match inst.opts.old_unicast_checksum {
        OldUnicastChecksum::Auto => ChecksumPolicy::DetectOldUnicast { group },
        OldUnicastChecksum::Always => ChecksumPolicy::OldUnicast { group },
        OldUnicastChecksum::Never => ChecksumPolicy::Rfc,
    }
}

/// The address family of an instance, decided as the configuration crate
/// does: by the first VIP, else by the configured source or peer address.
fn instance_is_v6(inst: &VrrpInstance) -> bool {
    inst.virtual_ipaddress
        .first()
        .map(|v| v.addr.is_ipv6())
        .or(inst.unicast_src_ip.map(|a| a.is_ipv6()))
        .or(inst.opts.mcast_src_ip.map(|a| a.is_ipv6()))
        .or(inst.unicast_peers.first().map(|a| a.is_ipv6()))
        .unwrap_or(false)
}

/// The first IPv6 link-local address of `ifname`, if it has one.
fn link_local_v6(ifname: &str) -> Option<Ipv6Addr> {
    nix::ifaddrs::getifaddrs()
        .ok()?
        .filter(|a| a.interface_name == ifname)
        .filter_map(|a| a.address?.as_sockaddr_in6().map(|s| s.ip()))
        .find(|a| a.is_unicast_link_local())
}

/// Opens and registers the IPv6 VRRP socket of an interface.
fn open_vrrp6(name: &str, index: u32, group: Ipv6Addr) -> anyhow::Result<Rc<AsyncFd<VrrpSocket>>> {
    let sock = VrrpSocket::open_v6(name, index, group)
        .with_context(|| format!("cannot open the IPv6 VRRP socket on {name}"))?;
    Ok(Rc::new(
        crate::sys::register_vrrp_socket(sock)
            .with_context(|| format!("cannot register the IPv6 VRRP socket of {name}"))?,
    ))
}

/// A configured address as netlink installs it on interface `ifindex`.
/// IPv6 addresses as keepalived 2.2.7 adds them (checked with `ip addr`):
/// `nodad` unless the entry says `-nodad`, and `preferred_lft` 0 (deprecated)
/// for a /128 unless configured (reference §2.8).
fn addr_spec(v: &keepalived_config::VirtualIp, ifindex: u32) -> AddrSpec {
    use keepalived_config::PreferredLft;
    let v6 = v.addr.is_ipv6();
    let preferred_lft = match v.preferred_lft {
        Some(PreferredLft::Seconds(s)) if v6 => Some(s),
        Some(PreferredLft::Forever) => None,
        None if v6 && v.prefix_len == 128 => Some(0),
        _ => None,
    };
    AddrSpec {
        ifindex,
        addr: v.addr,
        prefix_len: v.prefix_len,
        label: v.label.clone(),
        nodad: v6 && !v.nodad,
        preferred_lft,
    }
}

/// Runs `f` on the engine, and wakes the timer loop when `f` brought the
/// next deadline forward (the loop sleeps until the deadline it last saw).
fn drive<R>(engine: &RefCell<Engine>, wake: &Notify, f: impl FnOnce(&mut Engine) -> R) -> R {
    let mut eng = engine.borrow_mut();
    let before = eng.next_deadline();
    let r = f(&mut eng);
    let after = eng.next_deadline();
    if after.is_some() && (before.is_none() || after < before) {
        wake.notify_one();
    }
    r
}

/// Receives every datagram on one interface's VRRP socket (IPv4, or IPv6
/// with `v6`: messages without their IPv6 header, source, destination and
/// hop limit from ancillary data) and hands it to the engine. The buffer is
/// reused: no allocation per packet.
async fn reader(
    engine: Rc<RefCell<Engine>>,
    wake: Rc<Notify>,
    idx: usize,
    sock: Rc<AsyncFd<VrrpSocket>>,
    clock: Clock,
    v6: bool,
) {
    // Largest IPv4 VRRP datagram: 60 (IP) + 8 + 255*4 + 8 = 1096 bytes;
    // largest IPv6 VRRP message: 8 + 255 * 16 = 4088 bytes.
    let mut buf = vec![0u8; if v6 { 4096 } else { 2048 }];
    loop {
        let mut guard = match sock.readable().await {
            Ok(g) => g,
            Err(e) => {
                error!(error = %e, v6, "VRRP socket failed; receiving stopped on this interface");
                return;
            }
        };
        loop {
            let received = if v6 {
                sock.get_ref().recv6(&mut buf).map(|meta| {
                    let n = meta.len.min(buf.len());
                    drive(&engine, &wake, |eng| {
                        eng.on_packet6(idx, &buf[..n], &meta, clock.now())
                    });
                })
            } else {
                sock.get_ref().recv(&mut buf).map(|len| {
                    let n = len.min(buf.len());
                    drive(&engine, &wake, |eng| {
                        eng.on_packet(idx, &buf[..n], len, clock.now())
                    });
                })
            };
            match received {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    guard.clear_ready();
                    break;
                }
                Err(e) => {
                    debug!(error = %e, "receive error");
                    guard.clear_ready();
                    break;
                }
            }
        }
    }
}

/// Feeds process events to the trackers: from the proc connector when the
/// kernel allows it, else from a /proc scan every poll interval.
async fn process_events(
    engine: Rc<RefCell<Engine>>,
    wake: Rc<Notify>,
    mut source: Source,
    clock: Clock,
) {
    let mut batch: Vec<Observation> = Vec::with_capacity(64);
    let deliver = |batch: &mut Vec<Observation>| {
        if batch.is_empty() {
            return;
        }
        drive(&engine, &wake, |eng| {
            eng.on_observations(clock.now(), batch)
        });
        batch.clear();
    };
    if let Some(interval) = source.poll_interval() {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = source.poll(&mut batch) {
                warn!(error = %e, "scanning /proc failed");
            }
            deliver(&mut batch);
        }
    }
    // Declared after `source`, so dropped before it: the descriptor it
    // watches belongs to `source`.
    let fd = match source.fd().map(crate::sys::register_borrowed) {
        Some(Ok(fd)) => fd,
        Some(Err(e)) => {
            error!(error = %e, "cannot watch the process event socket; process tracking stopped");
            return;
        }
        None => return,
    };
    loop {
        let mut guard = match fd.readable().await {
            Ok(g) => g,
            Err(e) => {
                error!(error = %e, "process event socket failed; process tracking stopped");
                return;
            }
        };
        loop {
            match source.read_observations(&mut batch) {
                Ok(ReadOutcome::BatchLimit) => deliver(&mut batch),
                Ok(ReadOutcome::WouldBlock) => break,
                Err(e) => {
                    warn!(error = %e, "reading process events failed");
                    break;
                }
            }
        }
        deliver(&mut batch);
        guard.clear_ready();
    }
}

/// Waits for `notify_stop` (or FIFO) scripts, killing the process group of
/// any still running after its time (1 s, as keepalived for notify_stop).
async fn finish_stop_scripts(mut scripts: Vec<crate::engine::Running>) {
    let start = Instant::now();
    while !scripts.is_empty() {
        scripts.retain_mut(|r| match r.child.try_wait() {
            Ok(Some(_)) | Err(_) => false,
            Ok(None) => {
                if r.kill_after.is_some_and(|d| start.elapsed() >= d) {
                    let pid = i32::try_from(r.child.id()).unwrap_or(0);
                    if pid > 0 {
                        warn!(
                            pid,
                            "notify_stop script still running after 1 s: killing it"
                        );
                        // The script leads its own process group.
                        let _ = nix::sys::signal::killpg(
                            nix::unistd::Pid::from_raw(pid),
                            nix::sys::signal::Signal::SIGKILL,
                        );
                    }
                    let _ = r.child.wait();
                    false
                } else {
                    true
                }
            }
        });
        if !scripts.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The reader task of each interface's VRRP socket, by index into
/// `Engine::ifaces`.
type IfaceReaders = Rc<RefCell<Vec<(usize, tokio::task::JoinHandle<()>)>>>;

/// Starts the reader task of interface `idx`'s socket and records it in
/// `readers`, aborting the one it replaces (a re-created interface).
fn start_reader(
    readers: &IfaceReaders,
    engine: &Rc<RefCell<Engine>>,
    wake: &Rc<Notify>,
    clock: Clock,
    idx: usize,
    sock: Rc<AsyncFd<VrrpSocket>>,
    v6: bool,
) {
    let task = tokio::task::spawn_local(reader(engine.clone(), wake.clone(), idx, sock, clock, v6));
    let mut rs = readers.borrow_mut();
    for (i, old) in rs.iter() {
        if *i == idx {
            old.abort();
        }
    }
    rs.retain(|(i, _)| *i != idx);
    rs.push((idx, task));
}

/// Follows interface changes: tracked interfaces going up, down, away and
/// back (an instance waits in FAULT and recovers without a restart), and
/// interfaces re-created under the same name (new index: new sockets).
async fn link_events(
    engine: Rc<RefCell<Engine>>,
    wake: Rc<Notify>,
    mut monitor: LinkMonitor,
    nl: Netlink,
    clock: Clock,
    mcast: (std::net::Ipv4Addr, Ipv6Addr),
    // IPv4 and IPv6 socket readers.
    (readers, readers6): (IfaceReaders, IfaceReaders),
) {
    loop {
        let Some(ev) = monitor.next().await else {
            error!("interface monitor stopped; interface changes are no longer followed");
            return;
        };
        let links = match ev {
            MonitorEvent::Link(l) => vec![l],
            MonitorEvent::Addr(a) => {
                // Only an instance still without a source address cares.
                if !a.removed {
                    drive(&engine, &wake, |eng| {
                        let iface = eng.ifaces.iter().position(|f| f.index == a.index);
                        if let Some(i) = iface.filter(|&i| eng.needs_source_address(i)) {
                            eng.set_source_address(i, a.addr, clock.now());
                        }
                    });
                }
                continue;
            }
            MonitorEvent::Overrun => {
                warn!("interface events lost; re-reading every interface");
                match nl.links().await {
                    Ok(all) => {
                        // Tracked interfaces missing from the dump are gone.
                        let names: Vec<String> = engine
                            .borrow()
                            .sources
                            .iter()
                            .filter_map(|s| match s {
                                crate::tracking::Source::Interface { name, .. } => {
                                    Some(name.clone())
                                }
                                _ => None,
                            })
                            .collect();
                        let mut out = all.clone();
                        for n in names {
                            if !all.iter().any(|l| l.name == n) {
                                out.push(LinkEvent {
                                    index: 0,
                                    name: n,
                                    up: false,
                                    removed: true,
                                    mac: None,
                                    kind: crate::netlink::LinkEventKind::Del,
                                });
                            }
                        }
                        out
                    }
                    Err(e) => {
                        error!(error = %e, "cannot list interfaces");
                        continue;
                    }
                }
            }
        };
        for l in links {
            on_link(&engine, &wake, &l, clock, mcast, (&readers, &readers6));
            // An interface that (re)appeared may already have its address:
            // its address event can come before we knew the new index.
            let needs = {
                let eng = engine.borrow();
                eng.ifaces
                    .iter()
                    .position(|f| f.name == l.name && f.index == l.index)
                    .filter(|&i| eng.needs_source_address(i))
            };
            if let (Some(i), false) = (needs, l.removed) {
                if let Ok(info) = nl.link_info(&l.name).await {
                    if let Some(addr) = info.ipv4.first() {
                        let mut eng = engine.borrow_mut();
                        eng.set_source_address(i, (*addr).into(), clock.now());
                        wake.notify_one();
                    }
                }
                if let Some(addr) = link_local_v6(&l.name) {
                    let mut eng = engine.borrow_mut();
                    eng.set_source_address(i, addr.into(), clock.now());
                    wake.notify_one();
                }
            }
        }
    }
}

fn on_link(
    engine: &Rc<RefCell<Engine>>,
    wake: &Rc<Notify>,
    l: &LinkEvent,
    clock: Clock,
    mcast: (std::net::Ipv4Addr, Ipv6Addr),
    readers: (&IfaceReaders, &IfaceReaders),
) {
    let (readers, readers6) = readers;
    if l.name.is_empty() {
        return;
    }
    let recreated = {
        let eng = engine.borrow();
        eng.ifaces
            .iter()
            .position(|f| f.name == l.name)
            .filter(|&i| !l.removed && eng.ifaces.get(i).is_some_and(|f| f.index != l.index))
            .map(|i| {
                let f = eng.ifaces.get(i);
                (
                    i,
                    f.is_some_and(|f| f.carries_instances),
                    f.is_some_and(|f| f.vrrp6.is_some()),
                )
            })
    };
    if let Some((idx, carries_instances, carries_v6)) = recreated {
        let vrrp6 = if carries_v6 {
            match open_vrrp6(&l.name, l.index, mcast.1) {
                Ok(sock) => Some(sock),
                Err(e) => {
                    error!(iface = %l.name, error = %e, "cannot open the IPv6 VRRP socket on the re-created interface; will retry on its next change");
                    return;
                }
            }
        } else {
            None
        };
        let vrrp = if carries_instances {
            let proto = {
                let eng = engine.borrow();
                let mut on_iface = eng.instances.iter().filter(|i| i.iface == idx).peekable();
                if on_iface.peek().is_some()
                    && on_iface.all(|i| matches!(i.vrrp.config().auth, AuthData::Ah(_)))
                {
                    vrrp::packet::ah::AH_PROTO
                } else {
                    vrrp::VRRP_PROTO
                }
            };
            match VrrpSocket::open_proto(&l.name, l.index, mcast.0, proto)
                .and_then(crate::sys::register_vrrp_socket)
            {
                Ok(sock) => Some(Rc::new(sock)),
                Err(e) => {
                    error!(iface = %l.name, error = %e, "cannot open the VRRP socket on the re-created interface; will retry on its next change");
                    return;
                }
            }
        } else {
            None
        };
        let packet = match PacketSocket::open(l.index) {
            Ok(p) => Some(p),
            Err(e) => {
                warn!(iface = %l.name, error = %e, "cannot open packet socket: no gratuitous ARP on this interface");
                None
            }
        };
        if let Some(sock) = &vrrp {
            start_reader(readers, engine, wake, clock, idx, sock.clone(), false);
        }
        if let Some(sock) = &vrrp6 {
            start_reader(readers6, engine, wake, clock, idx, sock.clone(), true);
        }
        engine
            .borrow_mut()
            .replace_iface(idx, l.index, l.mac, vrrp, vrrp6, packet);
    }
    drive(engine, wake, |eng| {
        eng.set_interface_up(&l.name, l.up && !l.removed, clock.now())
    });
}

/// Feeds `track_file` value changes to the engine.
async fn file_events(
    engine: Rc<RefCell<Engine>>,
    wake: Rc<Notify>,
    mut watcher: crate::trackfile::FileWatcher,
    clock: Clock,
) {
    // Declared after `watcher`, so dropped before it: the descriptor it
    // watches belongs to `watcher`.
    let fd = match crate::sys::register_borrowed(watcher.fd()) {
        Ok(fd) => fd,
        Err(e) => {
            error!(error = %e, "cannot watch track_file changes; track_file values frozen");
            return;
        }
    };
    loop {
        let mut guard = match fd.readable().await {
            Ok(g) => g,
            Err(e) => {
                error!(error = %e, "track_file watch failed; track_file values frozen");
                return;
            }
        };
        let changes = watcher.read_changes();
        guard.clear_ready();
        if changes.is_empty() {
            continue;
        }
        drive(&engine, &wake, |eng| {
            let now = clock.now();
            for (index, value) in changes {
                if let Some(s) = eng.file_source(index) {
                    eng.set_file_value(s, value, now);
                }
            }
        });
    }
}

/// Applies address, route and rule changes strictly in the order the
/// instances asked for them.
async fn netlink_worker(nl: Netlink, mut rx: mpsc::UnboundedReceiver<NetlinkOp>) {
    while let Some(op) = rx.recv().await {
        let res = match &op {
            NetlinkOp::Add(spec) => nl.add_addr(spec).await,
            NetlinkOp::Del(spec) => nl.del_addr(spec).await,
            NetlinkOp::AddRoute(r) => nl.add_route(r).await,
            NetlinkOp::DelRoute(r) => nl.del_route(r).await,
            NetlinkOp::AddRule(r) => nl.add_rule(r).await,
            NetlinkOp::DelRule(r) => nl.del_rule(r).await,
            NetlinkOp::Firewall(f) => {
                if let Err(e) = crate::firewall::apply(&f.script()).await {
                    error!(error = %e, op = ?f, "firewall change failed");
                }
                continue;
            }
            NetlinkOp::FirewallScript(script) => {
                match crate::firewall::apply(script).await {
                    Ok(()) => info!("firewall tables rebuilt for the reloaded configuration"),
                    Err(e) => error!(error = %e, "cannot rebuild the firewall tables"),
                }
                continue;
            }
            NetlinkOp::DelLink { index, name } => {
                match nl.delete_link(*index).await {
                    Ok(()) => {
                        info!(vmac = %name, "VMAC {name} removed (no instance uses it any more)")
                    }
                    Err(e) => warn!(vmac = %name, error = %e, "cannot remove VMAC {name}"),
                }
                continue;
            }
        };
        match res {
            Ok(()) => debug!(?op, "netlink change applied"),
            Err(e) => error!(error = %e, "netlink change failed"),
        }
    }
}

/// The IP protocol of an interface's VRRP socket. keepalived's AH adverts
/// are protocol 51, so an interface whose instances all use `auth_type AH`
/// (VRRPv2) listens for 51 instead of 112. There is one VRRP socket per
/// interface: AH and non-AH instances on one interface cannot both receive,
/// which is warned about (the non-AH ones keep the interface).
fn ah_socket_proto(config: &Config, ifname: &str) -> u8 {
    let on_iface: Vec<bool> = config
        .instances
        .iter()
        .filter(|i| i.interface.as_deref() == Some(ifname))
        .map(|i| i.version == 2 && matches!(i.authentication, Some(Authentication::Ah(_))))
        .collect();
    let ah = on_iface.iter().filter(|&&a| a).count();
    if ah > 0 && ah == on_iface.len() {
        vrrp::packet::ah::AH_PROTO
    } else {
        if ah > 0 {
            warn!(interface = %ifname, "auth_type AH and other instances share {ifname}: the AH instances will not receive adverts");
        }
        vrrp::VRRP_PROTO
    }
}

/// use_vmac: the macvlans are created (or reused) before any socket opens on
/// them. Returns, per instance, the interface its adverts use (the VMAC
/// unless vmac_xmit_base) and the one its VIPs without `dev` go on; the
/// VMACs are added to `links` and `names`.
async fn setup_vmacs(
    config: &Config,
    nl: &Netlink,
    links: &mut HashMap<String, (usize, LinkInfo)>,
    names: &mut Vec<String>,
    sysctls: &mut crate::vmac::SysctlGuard,
    vmacs: &mut Vec<crate::vmac::VmacLink>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut inst_ifs: Vec<(String, String)> = Vec::with_capacity(config.instances.len());
    for inst in &config.instances {
        let base = inst.interface.clone().unwrap_or_default();
        let Some(v) = &inst.opts.use_vmac else {
            inst_ifs.push((base.clone(), base));
            continue;
        };
        let base_link = links
            .get(&base)
            .map(|(_, l)| l.clone())
            .filter(|l| l.index != 0)
            .ok_or_else(|| {
                RuntimeConfigError(format!(
                    "{}: ({}) use_vmac needs interface {base} to exist at start",
                    inst.location, inst.name
                ))
            })?;
        let family = if instance_is_v6(inst) {
            crate::vmac::Family::V6
        } else {
            crate::vmac::Family::V4
        };
        let spec = crate::vmac::VmacSpec::for_instance(
            config.global.vmac_prefix.as_deref(),
            &base,
            inst.virtual_router_id,
            family,
            v,
        );
        let link = nl
            .ensure_macvlan(&spec, base_link.index, sysctls)
            .await
            .map_err(|e| {
                RuntimeConfigError(format!("{}: ({}) use_vmac: {e}", inst.location, inst.name))
            })?;
        info!(instance = %inst.name, vmac = %link.name, "({}) VMAC {} ({})", inst.name, link.name, crate::vmac::mac_string(&link.mac));
        // Adverts from a VMAC still come from the base interface's address:
        // its IPv4 address, or (IPv6) its link-local, which ensure_macvlan
        // copied onto the VMAC so build_instance finds it there.
        links.insert(
            link.name.clone(),
            (
                names.len(),
                LinkInfo {
                    index: link.index,
                    mac: link.mac,
                    ipv4: base_link.ipv4.clone(),
                },
            ),
        );
        names.push(link.name.clone());
        let adv = if inst.opts.vmac_xmit_base {
            base
        } else {
            link.name.clone()
        };
        inst_ifs.push((adv, link.name.clone()));
        if !vmacs.iter().any(|v| v.name == link.name) {
            vmacs.push(link);
        }
    }
    Ok(inst_ifs)
}

/// Opens the sockets of an existing interface: VRRP (when it carries
/// instances; IPv6 too when it carries IPv6 ones) and the packet socket for
/// gratuitous ARP.
fn open_iface(
    config: &Config,
    name: &str,
    info: &LinkInfo,
    carries: bool,
    carries_v6: bool,
) -> anyhow::Result<Iface> {
    let vrrp_sock = if carries {
        Some(open_vrrp4(config, name, info.index)?)
    } else {
        None
    };
    let packet = match PacketSocket::open(info.index) {
        Ok(p) => Some(p),
        Err(e) => {
            warn!(iface = %name, error = %e, "cannot open packet socket: no gratuitous ARP on this interface");
            None
        }
    };
    let mut f = Iface::new(name.to_string(), info.index, info.mac, vrrp_sock, packet);
    if carries_v6 {
        f.vrrp6 = Some(open_vrrp6(name, info.index, config.global.mcast_group6)?);
    }
    Ok(f)
}

/// Opens and registers the IPv4 VRRP socket of an interface.
fn open_vrrp4(config: &Config, name: &str, index: u32) -> anyhow::Result<Rc<AsyncFd<VrrpSocket>>> {
    let proto = ah_socket_proto(config, name);
    let sock = VrrpSocket::open_proto(name, index, config.global.mcast_group4, proto)
        .with_context(|| format!("cannot open the VRRP socket on {name}"))?;
    Ok(Rc::new(
        crate::sys::register_vrrp_socket(sock)
            .with_context(|| format!("cannot register the VRRP socket of {name}"))?,
    ))
}

/// vrrp_script: resolved and security-checked. A refused script is removed
/// from the instances that track it (keepalived: it then never causes
/// FAULT); an insecure one without enable_script_security runs with a
/// warning. Returns each runnable script with its source index.
fn resolve_scripts(
    config: &Config,
    sources: &[crate::tracking::Source],
    uses: &mut [Vec<TrackUse>],
) -> Vec<(usize, crate::script::ResolvedScript)> {
    let mut scripts = Vec::new();
    let mut refused: Vec<usize> = Vec::new();
    for (si, src) in sources.iter().enumerate() {
        let crate::tracking::Source::Script { index, name, .. } = src else {
            continue;
        };
        let Some(def) = config.scripts.get(*index) else {
            continue;
        };
        match crate::script::resolve_script(
            def,
            config.global.script_user.as_ref(),
            config.global.enable_script_security,
        ) {
            Ok(r) => {
                if let Some(why) = &r.insecure {
                    warn!(script = %name, "vrrp_script '{name}': {why} (running it anyway: enable_script_security is off)");
                }
                scripts.push((si, r));
            }
            Err(e) => {
                error!(script = %name, "vrrp_script '{name}': {e}: removed from every instance that tracks it");
                refused.push(si);
            }
        }
    }
    for u in uses.iter_mut() {
        u.retain(|t| !refused.contains(&t.source));
    }
    scripts
}

/// Builds every instance of `config` (not started), with its reload key.
fn build_instances(
    config: &Config,
    links: &HashMap<String, (usize, LinkInfo)>,
    uses: Vec<Vec<TrackUse>>,
    inst_ifs: &[(String, String)],
    sys_names: &crate::routes::SystemNames,
) -> anyhow::Result<Vec<InstanceRt>> {
    let route = |r: &keepalived_config::Route| {
        RouteSpec::from_config(r, sys_names)
            .map_err(|e| anyhow!(RuntimeConfigError(format!("{}: route: {e}", r.location))))
    };
    let rule = |r: &keepalived_config::Rule| {
        RuleSpec::from_config(r, sys_names)
            .map_err(|e| anyhow!(RuntimeConfigError(format!("{}: rule: {e}", r.location))))
    };
    let mut instances = Vec::with_capacity(config.instances.len());
    for (rt_index, (inst, tracks)) in config.instances.iter().zip(uses).enumerate() {
        let (adv_if, vip_if) = inst_ifs.get(rt_index).cloned().unwrap_or_default();
        let mut rt = build_instance(inst, config, links, tracks, &adv_if, &vip_if)?;
        rt.unicast = crate::unicast::Unicast {
            peers: inst
                .opts
                .unicast_peer
                .iter()
                .map(|p| crate::unicast::Peer {
                    addr: p.addr,
                    min_ttl: p.min_ttl,
                    max_ttl: p.max_ttl,
                })
                .collect(),
            check_src: inst.opts.check_unicast_src,
            ttl: inst.opts.unicast_ttl,
        };
        // keepalived: unicast settings without peers fall back to multicast
        // (an error in the configuration test), except with
        // `unicast_fault_no_peer`, which keeps the instance in FAULT.
        rt.no_peer = inst.opts.unicast_fault_no_peer && inst.unicast_peers.is_empty();
        rt.no_accept = !inst.opts.accept && inst.priority != 255;
        if rt.no_peer {
            warn!(instance = %inst.name, "({}) unicast_fault_no_peer and no unicast_peer: staying in FAULT", inst.name);
        }
        rt.priority_changes = inst
            .opts
            .notify_priority_changes
            .or_else(|| {
                config
                    .sync_groups
                    .iter()
                    .find(|g| g.members.contains(&inst.name))
                    .and_then(|g| g.notify_priority_changes)
            })
            .unwrap_or(config.global.notify_priority_changes);
        rt.routes = inst
            .opts
            .virtual_routes
            .iter()
            .map(route)
            .collect::<Result<_, _>>()?;
        rt.rules = inst
            .opts
            .virtual_rules
            .iter()
            .map(rule)
            .collect::<Result<_, _>>()?;
        rt.key = crate::reload::InstanceKey::of(inst, instance_is_v6(inst));
        instances.push(rt);
    }
    Ok(instances)
}

/// Sync groups: members by index (the configuration checks removed unknown
/// names and double memberships).
fn build_groups(config: &Config) -> Vec<GroupRt> {
    config
        .sync_groups
        .iter()
        .map(|g| {
            let members = g
                .members
                .iter()
                .filter_map(|m| config.instances.iter().position(|i| &i.name == m))
                .collect();
            GroupRt::new(g.clone(), members)
        })
        .filter(|g| !g.members.is_empty())
        .collect()
}

/// Every interface an instance, a VIP or a static address names, in
/// first-use order.
fn interface_names(config: &Config) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    let mut add_name = |n: &str| {
        if !names.iter().any(|x| x == n) {
            names.push(n.to_string());
        }
    };
    for inst in &config.instances {
        let ifname = inst.interface.as_deref().ok_or_else(|| {
            RuntimeConfigError(format!(
                "{}: ({}) an interface is required (unicast without interface is not supported yet)",
                inst.location, inst.name
            ))
        })?;
        add_name(ifname);
        for vip in inst
            .virtual_ipaddress
            .iter()
            .chain(&inst.opts.virtual_ipaddress_excluded)
        {
            if let Some(dev) = &vip.dev {
                add_name(dev);
            }
        }
    }
    for v in &config.static_ipaddress {
        add_name(&static_dev(config, v));
    }
    Ok(names)
}

/// static_ipaddress: on its `dev`, else on `default_interface` (eth0).
fn static_dev(config: &Config, v: &keepalived_config::VirtualIp) -> String {
    v.dev
        .clone()
        .or_else(|| config.global.default_interface.clone())
        .unwrap_or_else(|| "eth0".to_string())
}

/// The kernel's view of interface `name`. With `dynamic_interfaces` a
/// missing one is reported down (index 0) and may appear later.
async fn lookup_link(nl: &Netlink, config: &Config, name: &str) -> anyhow::Result<LinkInfo> {
    match nl.link_info(name).await {
        Ok(info) => Ok(info),
        // `dynamic_interfaces`: the interface may appear later; until
        // then it is down, and its instances wait in FAULT.
        Err(crate::netlink::NetlinkError::NoSuchInterface(_))
            if config.global.dynamic_interfaces =>
        {
            warn!(interface = %name, "interface {name} does not exist yet (dynamic_interfaces)");
            Ok(LinkInfo {
                index: 0,
                mac: [0; 6],
                ipv4: Vec::new(),
            })
        }
        Err(e) => {
            Err(RuntimeConfigError(format!("non-existent interface in configuration: {e}")).into())
        }
    }
}

/// The tasks that feed tracker sources; they live across reloads.
#[derive(Default)]
struct TrackerTasks {
    /// Each running `vrrp_script` with its runner (which holds its
    /// rise/fall state).
    scripts: Vec<(crate::script::ResolvedScript, tokio::task::JoinHandle<()>)>,
    file: Option<tokio::task::JoinHandle<()>>,
    process: Option<tokio::task::JoinHandle<()>>,
}

impl TrackerTasks {
    fn abort_all(&self) {
        for (_, t) in &self.scripts {
            t.abort();
        }
        for t in self.file.iter().chain(&self.process) {
            t.abort();
        }
    }
}

/// Runs a `vrrp_script` and reports its state changes. The source is found
/// by name on each report, so the runner survives reloads that renumber
/// the sources.
fn spawn_script(
    engine: &Rc<RefCell<Engine>>,
    wake: &Rc<Notify>,
    clock: Clock,
    script: crate::script::ResolvedScript,
) -> tokio::task::JoinHandle<()> {
    let eng = engine.clone();
    let wake = wake.clone();
    let name = script.name.clone();
    tokio::task::spawn_local(crate::script::run_loop(script, move |rep| {
        eng.borrow_mut().count_script_run(&name, rep.success);
        if rep.changed.is_none() && !rep.first {
            return;
        }
        drive(&eng, &wake, |e| {
            if let Some(source) = e.script_source(&name) {
                e.set_script_ok(source, rep.ok, clock.now());
            }
        });
    }))
}

/// What a reload works on: the running shell's parts.
struct ReloadCx<'a> {
    engine: &'a Rc<RefCell<Engine>>,
    wake: &'a Rc<Notify>,
    clock: Clock,
    nl: &'a Netlink,
    tasks: &'a mut TrackerTasks,
    readers: (&'a IfaceReaders, &'a IfaceReaders),
    sysctls: &'a mut crate::vmac::SysctlGuard,
    vmacs: &'a mut Vec<crate::vmac::VmacLink>,
    config: &'a mut Config,
    statics: &'a mut Statics,
    fw_plan: &'a mut crate::firewall::FwPlan,
}

/// SIGHUP (reference §7.5): re-reads the configuration; a configuration
/// with errors, or one that cannot be set up on this system, leaves the
/// running one in place.
async fn reload(cx: &mut ReloadCx<'_>, src: &crate::reload::ReloadSource) {
    info!("SIGHUP: reloading the configuration");
    let Some(new) = src.load() else {
        return;
    };
    match reload_with(cx, new).await {
        Ok(()) => info!(
            instances = cx.engine.borrow().instances.len(),
            "reload complete"
        ),
        Err(e) => error!("reload failed: {e:#}; keeping the running configuration"),
    }
}

/// Sets up what the new configuration needs (interfaces, sockets,
/// instances, trackers): every fallible step comes before the engine is
/// touched, so an error leaves the old configuration running.
async fn reload_with(cx: &mut ReloadCx<'_>, new: Config) -> anyhow::Result<()> {
    if new.root.net_namespace != cx.config.root.net_namespace {
        warn!("net_namespace cannot change on reload: ignored");
    }
    let plan = tracking::build(&new).map_err(RuntimeConfigError)?;
    if plan.has_processes() && cx.tasks.process.is_none() {
        // No event source was opened at start (no process tracker then).
        debug!("process trackers added by the reload: /proc will be polled");
    }
    let mut names = interface_names(&new)?;
    let mut links: HashMap<String, (usize, LinkInfo)> = HashMap::new();
    for name in &names {
        links.insert(name.clone(), (0, lookup_link(cx.nl, &new, name).await?));
    }
    let inst_ifs = setup_vmacs(&new, cx.nl, &mut links, &mut names, cx.sysctls, cx.vmacs).await?;
    // Interfaces keep their index in the engine; new ones are appended.
    let existing: Vec<String> = cx
        .engine
        .borrow()
        .ifaces
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let mut added: Vec<String> = Vec::new();
    for name in &names {
        let idx = match existing.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                added.push(name.clone());
                existing.len() + added.len() - 1
            }
        };
        if let Some(entry) = links.get_mut(name) {
            entry.0 = idx;
        }
    }
    let carries_instances: Vec<&str> = inst_ifs.iter().map(|(a, _)| a.as_str()).collect();
    let carries_v6: Vec<&str> = new
        .instances
        .iter()
        .zip(&inst_ifs)
        .filter(|(i, _)| instance_is_v6(i))
        .map(|(_, (adv, _))| adv.as_str())
        .collect();
    let mut new_ifaces = Vec::new();
    for name in &added {
        let Some((_, info)) = links.get(name) else {
            continue;
        };
        let carries = carries_instances.contains(&name.as_str());
        if info.index == 0 {
            let mut f = Iface::new(name.clone(), 0, info.mac, None, None);
            f.carries_instances = carries;
            new_ifaces.push(f);
        } else {
            new_ifaces.push(open_iface(
                &new,
                name,
                info,
                carries,
                carries_v6.contains(&name.as_str()),
            )?);
        }
    }
    // Interfaces we had that now carry instances (or IPv6 ones) for the
    // first time get their VRRP sockets.
    let mut upgrades = Vec::new();
    for (idx, name) in existing.iter().enumerate() {
        let (has4, has6, index) = {
            let eng = cx.engine.borrow();
            let Some(f) = eng.ifaces.get(idx) else {
                continue;
            };
            (f.vrrp.is_some(), f.vrrp6.is_some(), f.index)
        };
        if index == 0 {
            continue;
        }
        let v4 = if !has4 && carries_instances.contains(&name.as_str()) {
            Some(open_vrrp4(&new, name, index)?)
        } else {
            None
        };
        let v6 = if !has6 && carries_v6.contains(&name.as_str()) {
            Some(open_vrrp6(name, index, new.global.mcast_group6)?)
        } else {
            None
        };
        if v4.is_some() || v6.is_some() {
            upgrades.push((idx, v4, v6));
        }
    }

    let Plan {
        mut sources,
        mut uses,
    } = plan;
    let scripts = resolve_scripts(&new, &sources, &mut uses);
    let file_watcher = if new.track_files.is_empty() {
        None
    } else {
        // init_file is applied at start only (reference §2.7).
        Some(
            crate::trackfile::start(&new.track_files, false)
                .map_err(|e| RuntimeConfigError(format!("track_file: {e}")))?,
        )
    };
    let up: Vec<String> = cx
        .nl
        .links()
        .await
        .context("cannot list interfaces")?
        .into_iter()
        .filter(|l| l.up)
        .map(|l| l.name)
        .collect();
    let sys_names = cx
        .nl
        .system_names()
        .await
        .context("cannot read interfaces and routing tables")?;
    let instances = build_instances(&new, &links, uses, &inst_ifs, &sys_names)?;
    let groups = build_groups(&new);
    let wanted_statics = static_specs(&new, &links, &sys_names)?;
    let new_fw_plan = firewall_plan(&new, &inst_ifs);

    // From here on nothing fails: the new configuration takes over.
    let unchanged: Vec<String> = scripts
        .iter()
        .filter(|(_, r)| cx.tasks.scripts.iter().any(|(old, _)| old == r))
        .map(|(_, r)| r.name.clone())
        .collect();
    let now = cx.clock.now();
    let fresh_processes = {
        let mut eng = cx.engine.borrow_mut();
        for f in new_ifaces {
            let idx = eng.add_iface(f);
            debug!(iface = idx, "interface added by the reload");
        }
        for (idx, v4, v6) in upgrades {
            if let Some(f) = eng.ifaces.get_mut(idx) {
                if v4.is_some() {
                    f.vrrp = v4;
                    f.carries_instances = true;
                }
                if v6.is_some() {
                    f.vrrp6 = v6;
                }
            }
        }
        carry_over(
            &mut eng.sources,
            &mut sources,
            cx.config,
            &new,
            &unchanged,
            &up,
            file_watcher.as_ref(),
        )
    };
    spawn_missing_readers(cx);
    drive(cx.engine, cx.wake, |eng| {
        eng.reload(instances, sources, groups, now)
    });

    // Trackers: new process trackers get their first scan; scripts whose
    // definition changed restart; the track_file watcher is rebuilt.
    if !fresh_processes.is_empty() {
        if cx.tasks.process.is_none() {
            match Source::open_poll(track_process::linux::DEFAULT_POLL_INTERVAL) {
                Ok(source) => {
                    cx.tasks.process = Some(tokio::task::spawn_local(process_events(
                        cx.engine.clone(),
                        cx.wake.clone(),
                        source,
                        cx.clock,
                    )));
                }
                Err(e) => {
                    error!(error = %e, "cannot watch processes: new process trackers stay down")
                }
            }
        }
        match Source::initial_scan() {
            Ok(processes) => drive(cx.engine, cx.wake, |eng| {
                eng.observe_with(
                    &fresh_processes,
                    cx.clock.now(),
                    &[Observation::Rescan { processes }],
                )
            }),
            Err(e) => error!(error = %e, "cannot scan /proc for the new process trackers"),
        }
    }
    let old_scripts = std::mem::take(&mut cx.tasks.scripts);
    let mut kept: Vec<bool> = vec![false; old_scripts.len()];
    for (_, r) in scripts {
        match old_scripts.iter().position(|(old, _)| *old == r) {
            Some(j) => {
                if let Some(k) = kept.get_mut(j) {
                    *k = true;
                }
            }
            None => {
                info!(script = %r.name, "vrrp_script '{}' (re)started by the reload", r.name);
                let task = spawn_script(cx.engine, cx.wake, cx.clock, r.clone());
                cx.tasks.scripts.push((r, task));
            }
        }
    }
    for ((r, task), keep) in old_scripts.into_iter().zip(kept) {
        if keep {
            cx.tasks.scripts.push((r, task));
        } else {
            task.abort();
        }
    }
    if let Some(t) = cx.tasks.file.take() {
        t.abort();
    }
    if let Some(w) = file_watcher {
        cx.tasks.file = Some(tokio::task::spawn_local(file_events(
            cx.engine.clone(),
            cx.wake.clone(),
            w,
            cx.clock,
        )));
    }
    let garp = |c: &Config| {
        (
            c.global.garp_interval_us,
            c.global.gna_interval_us,
            c.garp_groups.clone(),
        )
    };
    if garp(cx.config) != garp(&new) {
        let per_iface: Vec<(String, Option<u64>, Option<u64>)> = new
            .garp_groups
            .iter()
            .flat_map(|g| {
                g.interfaces
                    .iter()
                    .map(move |i| (i.clone(), g.garp_interval_us, g.gna_interval_us))
            })
            .collect();
        cx.engine.borrow_mut().set_garp_intervals(
            new.global.garp_interval_us,
            new.global.gna_interval_us,
            &per_iface,
        );
    }
    // Static addresses, routes and rules: what was dropped goes, what is
    // new comes, the rest is not touched (reference §7.5 item 7).
    cx.statics.apply(cx.nl, wanted_statics).await;
    // The firewall tables follow the new plan; the drop set is refilled
    // with the VIPs of the no_accept MASTERs of now. Queued behind the
    // drop-set changes the engine's reload made, so they apply first.
    if new_fw_plan != *cx.fw_plan {
        let eng = cx.engine.borrow();
        let script =
            crate::firewall::rebuild_script(cx.fw_plan, &new_fw_plan, &eng.blocked_addrs());
        eng.queue_op(NetlinkOp::FirewallScript(script));
        *cx.fw_plan = new_fw_plan;
    }
    // VMACs no instance uses any more are deleted, as keepalived does,
    // after the removal of the addresses on them (same queue).
    let in_use: Vec<&str> = new
        .instances
        .iter()
        .zip(&inst_ifs)
        .filter(|(i, _)| i.opts.use_vmac.is_some())
        .map(|(_, (_, vip_if))| vip_if.as_str())
        .collect();
    let (keep, gone): (Vec<_>, Vec<_>) = std::mem::take(cx.vmacs)
        .into_iter()
        .partition(|v| in_use.contains(&v.name.as_str()));
    *cx.vmacs = keep;
    for v in gone {
        cx.engine.borrow().queue_op(NetlinkOp::DelLink {
            index: v.index,
            name: v.name,
        });
    }
    // keepalived closes and reopens the notify FIFOs on reload (their paths
    // may have changed).
    {
        let fifos = [&new.global.notify_fifo, &new.global.vrrp_notify_fifo]
            .into_iter()
            .flatten()
            .map(open_fifo)
            .collect();
        cx.engine.borrow_mut().replace_fifos(fifos);
    }
    if new.global.fifo_write_vrrp_states_on_reload {
        let lines = cx.engine.borrow_mut().write_states_to_fifos();
        debug!(lines = lines.len(), "states written to the notify FIFOs");
    }
    *cx.config = new;
    Ok(())
}

/// A notify FIFO writer, opened now (created if missing); a failure to open
/// is logged and retried on the next line.
fn open_fifo(fifo: &keepalived_config::NotifyFifo) -> crate::notify::FifoWriter {
    let mut w =
        crate::notify::FifoWriter::new(fifo.path.clone(), crate::notify::FifoOpenMode::ReadWrite);
    if let Err(e) = w.open() {
        warn!(fifo = %fifo.path.display(), error = %e, "cannot open notify FIFO; will retry");
    }
    w
}

/// What static_ipaddress, static_routes and static_rules ask for, converted
/// against the interfaces and routing tables of now.
#[derive(Debug, Default)]
struct StaticSpecs {
    addrs: Vec<AddrSpec>,
    routes: Vec<RouteSpec>,
    rules: Vec<RuleSpec>,
}

/// The static addresses, routes and rules we installed (and so remove on
/// exit, or when a reload drops them).
#[derive(Debug, Default)]
struct Statics {
    installed: StaticSpecs,
}

impl Statics {
    /// Makes the installed set `want`: entries not wanted any more are
    /// removed (rules, routes, then addresses: the reverse of installation),
    /// then the missing ones are added (addresses, then the routes that may
    /// need them as source or gateway, then rules). An entry in both is left
    /// alone, so a reload does not flap it. An entry that cannot be added is
    /// logged and not recorded (the next reload tries again).
    async fn apply(&mut self, nl: &Netlink, want: StaticSpecs) {
        let have = &mut self.installed;
        let mut kept_rules = Vec::new();
        for r in std::mem::take(&mut have.rules) {
            if want.rules.contains(&r) {
                kept_rules.push(r);
            } else if let Err(e) = nl.del_rule(&r).await {
                warn!(error = %e, "cannot remove static rule");
            }
        }
        let mut kept_routes = Vec::new();
        for r in std::mem::take(&mut have.routes) {
            if want.routes.contains(&r) {
                kept_routes.push(r);
            } else if let Err(e) = nl.del_route(&r).await {
                warn!(error = %e, "cannot remove static route");
            }
        }
        let mut kept_addrs = Vec::new();
        for a in std::mem::take(&mut have.addrs) {
            if want.addrs.contains(&a) {
                kept_addrs.push(a);
            } else if let Err(e) = nl.del_addr(&a).await {
                warn!(error = %e, "cannot remove static address");
            }
        }
        for a in want.addrs {
            if kept_addrs.contains(&a) {
                continue;
            }
            match nl.add_addr(&a).await {
                Ok(()) => kept_addrs.push(a),
                Err(e) => error!(error = %e, addr = %a.addr, "cannot add static address"),
            }
        }
        for r in want.routes {
            if kept_routes.contains(&r) {
                continue;
            }
            match nl.add_route(&r).await {
                Ok(()) => kept_routes.push(r),
                Err(e) => error!(error = %e, "cannot add static route"),
            }
        }
        for r in want.rules {
            if kept_rules.contains(&r) {
                continue;
            }
            match nl.add_rule(&r).await {
                Ok(()) => kept_rules.push(r),
                Err(e) => error!(error = %e, "cannot add static rule"),
            }
        }
        *have = StaticSpecs {
            addrs: kept_addrs,
            routes: kept_routes,
            rules: kept_rules,
        };
    }
}

/// Converts the static entries of `config`. A route or rule that cannot be
/// expressed is an error with its location (at start: no start; on reload:
/// the running configuration stays). A static address whose interface is
/// missing (dynamic_interfaces) is skipped with a warning.
fn static_specs(
    config: &Config,
    links: &HashMap<String, (usize, LinkInfo)>,
    sys_names: &crate::routes::SystemNames,
) -> anyhow::Result<StaticSpecs> {
    let mut addrs = Vec::with_capacity(config.static_ipaddress.len());
    for v in &config.static_ipaddress {
        let dev = static_dev(config, v);
        match links.get(&dev) {
            Some((_, link)) if link.index != 0 => addrs.push(addr_spec(v, link.index)),
            _ => {
                warn!(addr = %v.addr, "static_ipaddress {}: interface {dev} does not exist", v.addr)
            }
        }
    }
    let routes = config
        .static_routes
        .iter()
        .map(|r| {
            RouteSpec::from_config(r, sys_names)
                .map_err(|e| anyhow!(RuntimeConfigError(format!("{}: route: {e}", r.location))))
        })
        .collect::<Result<_, _>>()?;
    let rules = config
        .static_rules
        .iter()
        .map(|r| {
            RuleSpec::from_config(r, sys_names)
                .map_err(|e| anyhow!(RuntimeConfigError(format!("{}: rule: {e}", r.location))))
        })
        .collect::<Result<_, _>>()?;
    Ok(StaticSpecs {
        addrs,
        routes,
        rules,
    })
}

/// What the firewall tables must hold for `config` (reference §3.10): the
/// `vips` drop set for each family with a non-owner `no_accept` instance,
/// and the VMAC maps. `inst_ifs` is [`setup_vmacs`]'s answer.
fn firewall_plan(config: &Config, inst_ifs: &[(String, String)]) -> crate::firewall::FwPlan {
    let mut p = crate::firewall::FwPlan::default();
    for inst in config
        .instances
        .iter()
        .filter(|i| !i.opts.accept && i.priority != 255)
    {
        for v in &inst.virtual_ipaddress {
            let fam = if v.addr.is_ipv4() { "ip" } else { "ip6" };
            if !p.vip_families.contains(&fam) {
                p.vip_families.push(fam);
            }
        }
    }
    for (inst, v) in config.instances.iter().zip(inst_ifs) {
        if inst.opts.use_vmac.is_none() {
            continue;
        }
        let parent = inst.interface.clone().unwrap_or_default();
        let pair = (v.1.clone(), parent);
        if instance_is_v6(inst) {
            p.vmacs6.push(pair);
        } else {
            p.vmacs4.push(pair);
        }
    }
    p
}

/// Starts a reader for every VRRP socket that has none (interfaces added
/// or given sockets by a reload).
fn spawn_missing_readers(cx: &ReloadCx<'_>) {
    type Socks = (
        usize,
        Option<Rc<AsyncFd<VrrpSocket>>>,
        Option<Rc<AsyncFd<VrrpSocket>>>,
    );
    let socks: Vec<Socks> = cx
        .engine
        .borrow()
        .ifaces
        .iter()
        .enumerate()
        .map(|(i, f)| (i, f.vrrp.clone(), f.vrrp6.clone()))
        .collect();
    let (readers, readers6) = cx.readers;
    for (idx, v4, v6) in socks {
        for (sock, readers, is_v6) in [(v4, readers, false), (v6, readers6, true)] {
            let Some(sock) = sock else { continue };
            if !readers.borrow().iter().any(|(i, _)| *i == idx) {
                start_reader(readers, cx.engine, cx.wake, cx.clock, idx, sock, is_v6);
            }
        }
    }
}

/// Carries tracker states from the running sources to the reloaded plan
/// (reference §7.5 item 7): interfaces keep their state (new ones take the
/// kernel's), unchanged scripts their result, files their value (re-read by
/// the new watcher), and process trackers whose definition is unchanged
/// their whole tracker. Returns the process trackers that start afresh.
fn carry_over(
    old: &mut [tracking::Source],
    new: &mut [tracking::Source],
    old_cfg: &Config,
    new_cfg: &Config,
    unchanged_scripts: &[String],
    up: &[String],
    files: Option<&crate::trackfile::FileWatcher>,
) -> Vec<usize> {
    use tracking::Source as S;
    let mut fresh = Vec::new();
    for (i, src) in new.iter_mut().enumerate() {
        match src {
            S::Interface { name, up: cur } => {
                *cur = old
                    .iter()
                    .find_map(|o| match o {
                        S::Interface { name: n, up } if n == name => Some(*up),
                        _ => None,
                    })
                    .unwrap_or_else(|| up.contains(name));
            }
            S::Script { name, ok, .. } => {
                if unchanged_scripts.contains(name) {
                    *ok = old.iter().find_map(|o| match o {
                        S::Script { name: n, ok, .. } if n == name => *ok,
                        _ => None,
                    });
                }
            }
            S::File { index, value, .. } => {
                *value = files.and_then(|w| w.value(*index)).unwrap_or(0);
            }
            S::Process { tracker, .. } => {
                let name = tracker.name().to_string();
                let def = |c: &Config| c.track_processes.iter().find(|t| t.name == name).cloned();
                let same = match (def(old_cfg), def(new_cfg)) {
                    (Some(a), Some(b)) => {
                        keepalived_config::TrackProcess {
                            location: a.location.clone(),
                            ..b
                        } == a
                    }
                    _ => false,
                };
                let prev = old
                    .iter_mut()
                    .find(|o| matches!(o, S::Process { tracker, .. } if tracker.name() == name));
                match prev {
                    Some(prev) if same => {
                        // The old source is dropped by the engine's reload.
                        std::mem::swap(src, prev);
                    }
                    _ => fresh.push(i),
                }
            }
        }
    }
    fresh
}
