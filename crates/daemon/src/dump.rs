//! keepalived's dump files, for the tools that read them:
//!
//! * SIGUSR1 → `keepalived.data` (human text; the VRRP sections),
//! * SIGUSR2 → `keepalived.stats` (per-instance counters),
//! * SIGRTMIN+2 ("JSON") → `keepalived.json` (what exporters decode).
//!
//! They go to `$TMPDIR` when that is an absolute path to an existing
//! directory, else `/tmp`, mode 0600, as keepalived 2.2.7 writes them
//! (observed). `data_use_instance` adds `.NAMESPACE_INSTANCE` before the
//! `.data` suffix; `state_dump_file` (keepalived 2.3.3+) names the data file.
//!
//! The protocol path is never held up: [`Snapshot::take`] copies what the
//! files need out of the engine (a borrow of microseconds), and
//! [`write_in_background`] formats and writes in a blocking task, through a
//! temporary file renamed into place so readers never see half a file.
//!
//! Field names and headings follow keepalived's files where we have the
//! data; docs/json-dump.md lists the JSON fields and what we fill in.

use crate::engine::Engine;
use crate::tracking::Source;
use keepalived_config::Config;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use vrrp::{AuthData, State};

/// Which file a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpKind {
    Data,
    Stats,
    Json,
}

/// keepalived's `--signum=NAME` table (2.2.7, observed): the signal that
/// asks for NAME. Names are case-sensitive, as keepalived's are.
pub fn signum(name: &str) -> Option<i32> {
    match name {
        "STOP" => Some(libc::SIGTERM),
        "RELOAD" => Some(libc::SIGHUP),
        "DATA" => Some(libc::SIGUSR1),
        "STATS" => Some(libc::SIGUSR2),
        "STATS_CLEAR" => Some(libc::SIGRTMAX() - 1),
        "JSON" => Some(json_signal()),
        _ => None,
    }
}

/// The JSON dump signal: SIGRTMIN+2 (36 with glibc, which keeps two
/// real-time signals for itself).
pub fn json_signal() -> i32 {
    libc::SIGRTMIN() + 2
}

/// keepalived's temporary directory: `$TMPDIR` if it is an absolute path
/// to an existing directory, else `/tmp`.
pub fn tmp_dir() -> PathBuf {
    tmp_dir_from(std::env::var_os("TMPDIR").as_deref().map(Path::new))
}

fn tmp_dir_from(env: Option<&Path>) -> PathBuf {
    match env {
        Some(p) if p.is_absolute() && p.is_dir() => p.to_path_buf(),
        _ => PathBuf::from("/tmp"),
    }
}

/// Where the three files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpPaths {
    pub data: PathBuf,
    pub stats: PathBuf,
    pub json: PathBuf,
}

impl DumpPaths {
    /// The paths for `config` under `tmp` (see [`tmp_dir`]). `namespace`
    /// is `-s` or `net_namespace`.
    pub fn new(config: &Config, namespace: Option<&str>, tmp: &Path) -> Self {
        let use_instance = config
            .global
            .other
            .iter()
            .any(|(kw, _, _)| kw == "data_use_instance");
        let ns = namespace.or(config.root.net_namespace.as_deref());
        let suffix = if use_instance {
            instance_suffix(ns, config.root.instance.as_deref())
        } else {
            String::new()
        };
        let data = match &config.global.state_dump_file {
            Some(p) if p.is_absolute() => p.clone(),
            Some(p) => tmp.join(p),
            None => tmp.join(format!("keepalived{suffix}.data")),
        };
        DumpPaths {
            data,
            stats: tmp.join("keepalived.stats"),
            json: tmp.join("keepalived.json"),
        }
    }

    pub fn for_kind(&self, kind: DumpKind) -> &Path {
        match kind {
            DumpKind::Data => &self.data,
            DumpKind::Stats => &self.stats,
            DumpKind::Json => &self.json,
        }
    }
}

/// `.NS_INSTANCE`, `.NS`, `.INSTANCE` or nothing (observed: `net_namespace
/// kaorc` gives `keepalived.kaorc.data`, `instance foo` gives
/// `keepalived.foo.data`).
fn instance_suffix(ns: Option<&str>, instance: Option<&str>) -> String {
    match (ns, instance) {
        (Some(n), Some(i)) => format!(".{n}_{i}"),
        (Some(x), None) | (None, Some(x)) => format!(".{x}"),
        (None, None) => String::new(),
    }
}

/// What the engine does not keep but the files show, taken from the
/// configuration once (and again after a reload).
#[derive(Debug, Clone, Default)]
pub struct ConfigFacts {
    /// Per instance name: its `virtual_ipaddress_excluded` addresses (the
    /// engine holds VIPs and excluded addresses in one list).
    pub excluded: HashMap<String, Vec<IpAddr>>,
    /// `router_id`.
    pub router_id: Option<String>,
    /// Per `vrrp_script` name: the command as written (keepalived's JSON
    /// lists tracked scripts by command, quoted).
    pub script_cmd: HashMap<String, String>,
}

impl ConfigFacts {
    pub fn new(config: &Config) -> Self {
        ConfigFacts {
            excluded: config
                .instances
                .iter()
                .map(|i| {
                    (
                        i.name.clone(),
                        i.opts
                            .virtual_ipaddress_excluded
                            .iter()
                            .map(|v| v.addr)
                            .collect(),
                    )
                })
                .collect(),
            router_id: config.global.router_id.clone(),
            script_cmd: config
                .scripts
                .iter()
                .map(|s| (s.name.clone(), s.script.raw.clone()))
                .collect(),
        }
    }
}

/// An address as keepalived prints it: `192.0.2.100/24 dev eth0 scope
/// global` (+ ` set` while installed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrSnap {
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub dev: String,
}

impl AddrSnap {
    fn render(&self, set: bool) -> String {
        let scope = match self.addr {
            IpAddr::V6(a) if (a.segments()[0] & 0xffc0) == 0xfe80 => "link",
            IpAddr::V4(a) if a.is_loopback() => "host",
            _ => "global",
        };
        format!(
            "{}/{} dev {} scope {scope}{}",
            self.addr,
            self.prefix_len,
            self.dev,
            if set { " set" } else { "" }
        )
    }
}

/// One tracker an instance follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSnap {
    pub kind: &'static str,
    pub name: String,
    pub weight: i16,
}

/// Counters, named as keepalived's JSON names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatsSnap {
    pub advert_rcvd: u64,
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
}

/// One instance, copied out of the engine.
#[derive(Debug, Clone)]
pub struct InstanceSnap {
    pub name: String,
    pub vrid: u8,
    pub version: u8,
    pub state: State,
    pub wantstate: State,
    pub base_priority: u8,
    pub effective_priority: u8,
    pub ifname: String,
    pub src: IpAddr,
    pub unicast_peers: Vec<IpAddr>,
    pub mcast_group: Option<IpAddr>,
    pub adver_int_us: u64,
    pub master_adver_int_us: u64,
    pub master_down_us: u64,
    pub preempt: bool,
    pub preempt_delay_us: u64,
    pub accept: bool,
    pub auth_type: u8,
    pub auth_pass: Option<String>,
    pub garp_delay_s: u64,
    pub garp_rep: u32,
    pub down_timer_adverts: u32,
    pub master: Option<(IpAddr, u8)>,
    pub vips: Vec<AddrSnap>,
    pub evips: Vec<AddrSnap>,
    pub tracks: Vec<TrackSnap>,
    pub stats: StatsSnap,
}

/// One interface.
#[derive(Debug, Clone)]
pub struct IfaceSnap {
    pub name: String,
    pub index: u32,
    pub mac: [u8; 6],
}

/// Everything the three files show, owned, so formatting and writing need
/// no access to the engine.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub router_id: Option<String>,
    pub instances: Vec<InstanceSnap>,
    pub ifaces: Vec<IfaceSnap>,
}

impl Snapshot {
    /// Copy what the dumps need; cheap enough to run in the event loop.
    pub fn take(engine: &Engine, facts: &ConfigFacts) -> Snapshot {
        let ifname = |i: usize| {
            engine
                .ifaces
                .get(i)
                .map(|f| f.name.clone())
                .unwrap_or_default()
        };
        let instances = engine
            .instances
            .iter()
            .map(|rt| {
                let v = &rt.vrrp;
                let cfg = v.config();
                let s = v.stats();
                let excluded = facts.excluded.get(&cfg.name);
                let (mut vips, mut evips) = (Vec::new(), Vec::new());
                for vip in &rt.vips {
                    let a = AddrSnap {
                        addr: vip.spec.addr,
                        prefix_len: vip.spec.prefix_len,
                        dev: ifname(vip.iface),
                    };
                    if excluded.is_some_and(|e| e.contains(&a.addr)) {
                        evips.push(a);
                    } else {
                        vips.push(a);
                    }
                }
                let own_if = ifname(rt.iface);
                let tracks = rt
                    .tracks
                    .iter()
                    .filter_map(|t| {
                        let src = engine.sources.get(t.source)?;
                        let (kind, name) = match src {
                            // The instance's own interface is tracked
                            // implicitly; keepalived does not list it.
                            Source::Interface { name, .. } if *name == own_if => return None,
                            Source::Interface { name, .. } => ("interface", name.clone()),
                            Source::Script { name, .. } => ("script", name.clone()),
                            Source::Process { .. } => ("process", src.name().to_string()),
                            Source::File { name, .. } => ("file", name.clone()),
                        };
                        Some(TrackSnap {
                            kind,
                            name,
                            weight: t.spec.weight.get(),
                        })
                    })
                    .collect();
                let (auth_type, auth_pass) = match &cfg.auth {
                    AuthData::None => (0, None),
                    AuthData::Pass(p) => (
                        1,
                        Some(
                            String::from_utf8_lossy(p)
                                .trim_end_matches('\0')
                                .to_string(),
                        ),
                    ),
                    _ => (2, None),
                };
                let unicast_peers: Vec<IpAddr> = rt.unicast.peers.iter().map(|p| p.addr).collect();
                let mcast_group = if unicast_peers.is_empty() {
                    rt.dsts.first().copied()
                } else {
                    None
                };
                // keepalived's wantstate: where the instance is heading; a
                // backup that has decided to take over wants MASTER.
                let wantstate = if v.state() == State::Backup && v.wants_master() {
                    State::Master
                } else {
                    v.state()
                };
                InstanceSnap {
                    name: cfg.name.clone(),
                    vrid: cfg.vrid,
                    version: cfg.version,
                    state: v.state(),
                    wantstate,
                    base_priority: cfg.priority,
                    effective_priority: v.priority(),
                    ifname: own_if,
                    src: rt.src,
                    unicast_peers,
                    mcast_group,
                    adver_int_us: cfg.advert_int_us,
                    master_adver_int_us: v.master_adver_int_us(),
                    master_down_us: v.master_down_interval_us(),
                    preempt: cfg.preempt,
                    preempt_delay_us: cfg.preempt_delay_us,
                    accept: !rt.no_accept,
                    auth_type,
                    auth_pass,
                    garp_delay_s: cfg.garp_master_delay_us / 1_000_000,
                    garp_rep: cfg.garp_master_repeat,
                    down_timer_adverts: cfg.down_timer_adverts,
                    master: v.current_master(),
                    vips,
                    evips,
                    tracks,
                    stats: StatsSnap {
                        advert_rcvd: s.adverts_received,
                        advert_sent: s.adverts_sent,
                        become_master: s.became_master,
                        release_master: s.released_master,
                        packet_len_err: 0,
                        advert_interval_err: s.dropped_interval,
                        ip_ttl_err: s.dropped_ttl,
                        invalid_type_rcvd: 0,
                        addr_list_err: s.address_list_mismatch,
                        invalid_authtype: 0,
                        authtype_mismatch: 0,
                        auth_failure: s.dropped_auth,
                        pri_zero_rcvd: s.priority_zero_received,
                        pri_zero_sent: s.priority_zero_sent,
                    },
                }
            })
            .collect();
        let ifaces = engine
            .ifaces
            .iter()
            .map(|f| IfaceSnap {
                name: f.name.clone(),
                index: f.index,
                mac: f.mac,
            })
            .collect();
        Snapshot {
            router_id: facts.router_id.clone(),
            instances,
            ifaces,
        }
    }
}

fn secs_text(us: u64) -> String {
    if us % 1_000_000 == 0 {
        format!("{} sec", us / 1_000_000)
    } else {
        format!("{} milli-sec", us / 1_000)
    }
}

fn enabled(b: bool) -> &'static str {
    if b {
        "enabled"
    } else {
        "disabled"
    }
}

/// `keepalived.data`: keepalived's headings (`------< ... >------`) and
/// `Label = value` lines for the VRRP parts we have.
pub fn format_data(s: &Snapshot) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "------< Global definitions >------");
    let _ = writeln!(
        o,
        " Router ID = {}",
        s.router_id.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(o, "------< VRRP Topology >------");
    for i in &s.instances {
        let _ = writeln!(o, " VRRP Instance = {}", i.name);
        let _ = writeln!(o, "   VRRP Version = {}", i.version);
        let _ = writeln!(o, "   State = {}", i.state);
        if i.state == State::Backup {
            if let Some((addr, prio)) = i.master {
                let _ = writeln!(o, "   Master router = {addr}");
                let _ = writeln!(o, "   Master priority = {prio}");
            }
        }
        if i.unicast_peers.is_empty() {
            let _ = writeln!(o, "   Flags: none");
        } else {
            let _ = writeln!(o, "   Flags:\n     Using unicast");
        }
        let _ = writeln!(o, "   Wantstate = {}", i.wantstate);
        let _ = writeln!(o, "   Master down timer = {} usecs", i.master_down_us);
        let _ = writeln!(o, "   Interface = {}", i.ifname);
        let _ = writeln!(o, "   Using src_ip = {}", i.src);
        if let Some(g) = i.mcast_group {
            let _ = writeln!(o, "   Multicast address {g}");
        }
        let _ = writeln!(o, "   Gratuitous ARP delay = {}", i.garp_delay_s);
        let _ = writeln!(o, "   Gratuitous ARP repeat = {}", i.garp_rep);
        let _ = writeln!(o, "   Down timer adverts = {}", i.down_timer_adverts);
        let _ = writeln!(o, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(o, "   Priority = {}", i.base_priority);
        let _ = writeln!(o, "   Effective priority = {}", i.effective_priority);
        let _ = writeln!(o, "   Advert interval = {}", secs_text(i.adver_int_us));
        let _ = writeln!(o, "   Accept = {}", enabled(i.accept));
        let _ = writeln!(o, "   Preempt = {}", enabled(i.preempt));
        if i.preempt_delay_us > 0 {
            let _ = writeln!(
                o,
                "   Preempt delay = {} secs",
                i.preempt_delay_us / 1_000_000
            );
        }
        let auth = match i.auth_type {
            0 => "none",
            1 => "SIMPLE_PASSWORD",
            _ => "IPSEC_AH",
        };
        let _ = writeln!(o, "   Authentication type = {auth}");
        if let Some(p) = &i.auth_pass {
            let _ = writeln!(o, "   Password = {p}");
        }
        let set = i.state == State::Master;
        if !i.vips.is_empty() {
            let _ = writeln!(o, "   Virtual IP ({}):", i.vips.len());
            for v in &i.vips {
                let _ = writeln!(o, "     {}", v.render(set));
            }
        }
        if !i.evips.is_empty() {
            let _ = writeln!(o, "   Virtual IP Excluded :");
            for v in &i.evips {
                let _ = writeln!(o, "     {}", v.render(set));
            }
        }
        if !i.unicast_peers.is_empty() {
            let _ = writeln!(o, "   Unicast Peer :");
            for p in &i.unicast_peers {
                let _ = writeln!(o, "     {p}");
            }
        }
        for (kind, heading) in [
            ("interface", "Tracked interfaces"),
            ("script", "Tracked scripts"),
            ("process", "Tracked processes"),
            ("file", "Tracked files"),
        ] {
            let mut list = i.tracks.iter().filter(|t| t.kind == kind).peekable();
            if list.peek().is_some() {
                let _ = writeln!(o, "   {heading} :");
                for t in list {
                    let _ = writeln!(o, "     {} weight {}", t.name, t.weight);
                }
            }
        }
    }
    let _ = writeln!(o, "------< Interfaces >------");
    for f in &s.ifaces {
        let _ = writeln!(o, " Name = {}", f.name);
        let _ = writeln!(o, "   index = {}", f.index);
        let m = f.mac;
        let _ = writeln!(
            o,
            "   MAC = {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        );
        let tracking: Vec<&str> = s
            .instances
            .iter()
            .filter(|i| i.ifname == f.name)
            .map(|i| i.name.as_str())
            .collect();
        if !tracking.is_empty() {
            let _ = writeln!(o, "   Tracking VRRP instances :");
            for n in tracking {
                let _ = writeln!(o, "     {n}, weight 0");
            }
        }
    }
    o
}

/// `keepalived.stats`: keepalived's exact layout (tools grep these labels).
pub fn format_stats(s: &Snapshot) -> String {
    let mut o = String::new();
    for i in &s.instances {
        let c = &i.stats;
        let _ = writeln!(o, "VRRP Instance: {}", i.name);
        let _ = writeln!(o, "  Advertisements:");
        let _ = writeln!(o, "    Received: {}", c.advert_rcvd);
        let _ = writeln!(o, "    Sent: {}", c.advert_sent);
        let _ = writeln!(o, "  Became master: {}", c.become_master);
        let _ = writeln!(o, "  Released master: {}", c.release_master);
        let _ = writeln!(o, "  Packet Errors:");
        let _ = writeln!(o, "    Length: {}", c.packet_len_err);
        let _ = writeln!(o, "    TTL: {}", c.ip_ttl_err);
        let _ = writeln!(o, "    Invalid Type: {}", c.invalid_type_rcvd);
        let _ = writeln!(o, "    Advertisement Interval: {}", c.advert_interval_err);
        let _ = writeln!(o, "    Address List: {}", c.addr_list_err);
        let _ = writeln!(o, "  Authentication Errors:");
        let _ = writeln!(o, "    Invalid Type: {}", c.invalid_authtype);
        let _ = writeln!(o, "    Type Mismatch: {}", c.authtype_mismatch);
        let _ = writeln!(o, "    Failure: {}", c.auth_failure);
        let _ = writeln!(o, "  Priority Zero:");
        let _ = writeln!(o, "    Received: {}", c.pri_zero_rcvd);
        let _ = writeln!(o, "    Sent: {}", c.pri_zero_sent);
    }
    o
}

/// A JSON object with keys in the given order (keepalived's order, easier
/// to compare by eye than serde_json's sorted maps).
fn object(fields: Vec<(&str, Value)>) -> String {
    let mut o = String::from("{");
    for (n, (k, v)) in fields.into_iter().enumerate() {
        if n > 0 {
            o.push(',');
        }
        o.push_str(&Value::from(k).to_string());
        o.push(':');
        o.push_str(&v.to_string());
    }
    o.push('}');
    o
}

/// `keepalived.json`: an array of `{"data":{...},"stats":{...}}`, one per
/// instance, with keepalived's field names (docs/json-dump.md).
pub fn format_json(s: &Snapshot, facts: &ConfigFacts) -> String {
    let secs = |us: u64| Value::from(us as f64 / 1_000_000.0);
    let items: Vec<String> = s
        .instances
        .iter()
        .map(|i| {
            let set = i.state == State::Master;
            let mut data = vec![
                ("iname", Value::from(i.name.clone())),
                ("ifp_ifname", Value::from(i.ifname.clone())),
                (
                    "master_priority",
                    Value::from(i.master.map_or(0, |(_, p)| p)),
                ),
                ("garp_delay", Value::from(i.garp_delay_s)),
                ("garp_rep", Value::from(i.garp_rep)),
                ("vrid", Value::from(i.vrid)),
                ("base_priority", Value::from(i.base_priority)),
                ("effective_priority", Value::from(i.effective_priority)),
                ("vipset", Value::from(set)),
                ("adver_int", secs(i.adver_int_us)),
                ("master_adver_int", secs(i.master_adver_int_us)),
                ("accept", Value::from(u8::from(i.accept))),
                ("nopreempt", Value::from(!i.preempt)),
                ("preempt_delay", Value::from(i.preempt_delay_us / 1_000_000)),
                ("state", Value::from(i.state.keepalived_number())),
                ("wantstate", Value::from(i.wantstate.keepalived_number())),
                ("version", Value::from(i.version)),
                (
                    "vips",
                    Value::from(i.vips.iter().map(|v| v.render(set)).collect::<Vec<_>>()),
                ),
            ];
            if !i.evips.is_empty() {
                data.push((
                    "evips",
                    Value::from(i.evips.iter().map(|v| v.render(set)).collect::<Vec<_>>()),
                ));
            }
            for (kind, field) in [("interface", "track_ifp"), ("script", "track_script")] {
                let names: Vec<String> = i
                    .tracks
                    .iter()
                    .filter(|t| t.kind == kind)
                    .map(|t| match facts.script_cmd.get(&t.name) {
                        Some(cmd) if kind == "script" => format!("'{cmd}'"),
                        _ => t.name.clone(),
                    })
                    .collect();
                if !names.is_empty() {
                    data.push((field, Value::from(names)));
                }
            }
            data.push(("auth_type", Value::from(i.auth_type)));
            if let Some(p) = &i.auth_pass {
                data.push(("auth_data", Value::from(p.clone())));
            }
            let c = &i.stats;
            let stats = vec![
                ("advert_rcvd", Value::from(c.advert_rcvd)),
                ("advert_sent", Value::from(c.advert_sent)),
                ("become_master", Value::from(c.become_master)),
                ("release_master", Value::from(c.release_master)),
                ("packet_len_err", Value::from(c.packet_len_err)),
                ("advert_interval_err", Value::from(c.advert_interval_err)),
                ("ip_ttl_err", Value::from(c.ip_ttl_err)),
                ("invalid_type_rcvd", Value::from(c.invalid_type_rcvd)),
                ("addr_list_err", Value::from(c.addr_list_err)),
                ("invalid_authtype", Value::from(c.invalid_authtype)),
                ("authtype_mismatch", Value::from(c.authtype_mismatch)),
                ("auth_failure", Value::from(c.auth_failure)),
                ("pri_zero_rcvd", Value::from(c.pri_zero_rcvd)),
                ("pri_zero_sent", Value::from(c.pri_zero_sent)),
            ];
            format!("{{\"data\":{},\"stats\":{}}}", object(data), object(stats))
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// Write `text` to `path` (mode 0600) through a temporary file in the same
/// directory, renamed into place.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let res = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.flush()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Format and write one dump off the event loop. Must be called from
/// within a tokio runtime.
pub fn write_in_background(
    kind: DumpKind,
    snapshot: Snapshot,
    facts: &ConfigFacts,
    paths: &DumpPaths,
) -> tokio::task::JoinHandle<()> {
    let path = paths.for_kind(kind).to_path_buf();
    let facts = facts.clone();
    tokio::task::spawn_blocking(move || {
        let text = match kind {
            DumpKind::Data => format_data(&snapshot),
            DumpKind::Stats => format_stats(&snapshot),
            DumpKind::Json => format_json(&snapshot, &facts),
        };
        match write_atomic(&path, &text) {
            Ok(()) => tracing::info!("{kind:?} dump written to {}", path.display()),
            Err(e) => tracing::error!("cannot write {}: {e}", path.display()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn sample() -> Snapshot {
        Snapshot {
            router_id: Some("r1".into()),
            instances: vec![InstanceSnap {
                name: "VI_1".into(),
                vrid: 51,
                version: 2,
                state: State::Master,
                wantstate: State::Master,
                base_priority: 100,
                effective_priority: 90,
                ifname: "eth0".into(),
                src: v4("192.0.2.10"),
                unicast_peers: vec![],
                mcast_group: Some(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))),
                adver_int_us: 1_000_000,
                master_adver_int_us: 1_000_000,
                master_down_us: 3_609_375,
                preempt: true,
                preempt_delay_us: 0,
                accept: true,
                auth_type: 1,
                auth_pass: Some("s3cret".into()),
                garp_delay_s: 5,
                garp_rep: 5,
                down_timer_adverts: 3,
                master: None,
                vips: vec![AddrSnap {
                    addr: v4("192.0.2.100"),
                    prefix_len: 24,
                    dev: "eth0".into(),
                }],
                evips: vec![AddrSnap {
                    addr: v4("192.0.2.101"),
                    prefix_len: 24,
                    dev: "eth0".into(),
                }],
                tracks: vec![
                    TrackSnap {
                        kind: "interface",
                        name: "eth1".into(),
                        weight: -10,
                    },
                    TrackSnap {
                        kind: "script",
                        name: "chk".into(),
                        weight: 0,
                    },
                ],
                stats: StatsSnap {
                    advert_rcvd: 7,
                    advert_sent: 3,
                    become_master: 1,
                    ip_ttl_err: 2,
                    pri_zero_sent: 4,
                    ..StatsSnap::default()
                },
            }],
            ifaces: vec![IfaceSnap {
                name: "eth0".into(),
                index: 3,
                mac: [0x9e, 0xc3, 0x99, 0xaf, 0xef, 0x6d],
            }],
        }
    }

    #[test]
    fn signal_numbers_match_keepalived_2_2_7() {
        assert_eq!(signum("STOP"), Some(15));
        assert_eq!(signum("RELOAD"), Some(1));
        assert_eq!(signum("DATA"), Some(10));
        assert_eq!(signum("STATS"), Some(12));
        assert_eq!(signum("STATS_CLEAR"), Some(63));
        assert_eq!(signum("JSON"), Some(36));
        assert_eq!(signum("json"), None);
        assert_eq!(signum("TDUMP"), None);
        assert_eq!(signum("TDATA"), None);
    }

    #[test]
    fn tmp_dir_rule() {
        let d = std::env::temp_dir();
        assert_eq!(tmp_dir_from(Some(&d)), d);
        assert_eq!(tmp_dir_from(None), PathBuf::from("/tmp"));
        assert_eq!(
            tmp_dir_from(Some(Path::new("relative"))),
            PathBuf::from("/tmp")
        );
        assert_eq!(
            tmp_dir_from(Some(Path::new("/nonexistent/krs"))),
            PathBuf::from("/tmp")
        );
    }

    fn paths_for(text: &str, ns: Option<&str>) -> DumpPaths {
        let loaded = keepalived_config::parse_str(
            text,
            Path::new("/t/keepalived.conf"),
            &keepalived_config::LoadOptions::default(),
        );
        DumpPaths::new(&loaded.config, ns, Path::new("/t"))
    }

    const BASE: &str = "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n";

    #[test]
    fn file_names() {
        let p = paths_for(BASE, None);
        assert_eq!(p.data, PathBuf::from("/t/keepalived.data"));
        assert_eq!(p.stats, PathBuf::from("/t/keepalived.stats"));
        assert_eq!(p.json, PathBuf::from("/t/keepalived.json"));
        // Without data_use_instance the instance changes nothing.
        let p = paths_for(&format!("instance foo\n{BASE}"), None);
        assert_eq!(p.data, PathBuf::from("/t/keepalived.data"));
        let with = |pre: &str| format!("{pre}global_defs {{\n data_use_instance\n}}\n{BASE}");
        assert_eq!(
            paths_for(&with("instance foo\n"), None).data,
            PathBuf::from("/t/keepalived.foo.data")
        );
        assert_eq!(
            paths_for(&with(""), Some("ns1")).data,
            PathBuf::from("/t/keepalived.ns1.data")
        );
        assert_eq!(
            paths_for(&with("instance foo\n"), Some("ns1")).data,
            PathBuf::from("/t/keepalived.ns1_foo.data")
        );
        // The stats and JSON names never change.
        assert_eq!(
            paths_for(&with("instance foo\n"), Some("ns1")).json,
            PathBuf::from("/t/keepalived.json")
        );
    }

    #[test]
    fn stats_layout() {
        let t = format_stats(&sample());
        let expected = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 7\n    Sent: 3\n  Became master: 1\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 2\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 0\n  Priority Zero:\n    Received: 0\n    Sent: 4\n";
        assert_eq!(t, expected);
    }

    #[test]
    fn data_layout() {
        let t = format_data(&sample());
        for line in [
            "------< Global definitions >------",
            " Router ID = r1",
            "------< VRRP Topology >------",
            " VRRP Instance = VI_1",
            "   State = MASTER",
            "   Wantstate = MASTER",
            "   Interface = eth0",
            "   Using src_ip = 192.0.2.10",
            "   Multicast address 224.0.0.18",
            "   Gratuitous ARP delay = 5",
            "   Virtual Router ID = 51",
            "   Priority = 100",
            "   Effective priority = 90",
            "   Advert interval = 1 sec",
            "   Authentication type = SIMPLE_PASSWORD",
            "   Virtual IP (1):",
            "     192.0.2.100/24 dev eth0 scope global set",
            "   Virtual IP Excluded :",
            "     192.0.2.101/24 dev eth0 scope global set",
            "   Tracked interfaces :",
            "     eth1 weight -10",
            "   Tracked scripts :",
            "     chk weight 0",
            "------< Interfaces >------",
            " Name = eth0",
            "   MAC = 9e:c3:99:af:ef:6d",
            "     VI_1, weight 0",
        ] {
            assert!(t.lines().any(|l| l == line), "missing {line:?} in\n{t}");
        }
    }

    #[test]
    fn json_fields() {
        let mut facts = ConfigFacts::default();
        facts
            .script_cmd
            .insert("chk".into(), "/usr/bin/true".into());
        let t = format_json(&sample(), &facts);
        let v: Value = serde_json::from_str(&t).expect("valid JSON");
        let arr = v.as_array().expect("array");
        assert_eq!(arr.len(), 1);
        let d = &arr[0]["data"];
        assert_eq!(d["iname"], "VI_1");
        assert_eq!(d["ifp_ifname"], "eth0");
        assert_eq!(d["vrid"], 51);
        assert_eq!(d["state"], 2);
        assert_eq!(d["wantstate"], 2);
        assert_eq!(d["base_priority"], 100);
        assert_eq!(d["effective_priority"], 90);
        assert_eq!(d["vipset"], true);
        assert_eq!(d["adver_int"], 1.0);
        assert_eq!(d["nopreempt"], false);
        assert_eq!(d["garp_delay"], 5);
        assert_eq!(d["auth_type"], 1);
        assert_eq!(d["auth_data"], "s3cret");
        assert_eq!(d["vips"][0], "192.0.2.100/24 dev eth0 scope global set");
        assert_eq!(d["evips"][0], "192.0.2.101/24 dev eth0 scope global set");
        assert_eq!(d["track_ifp"][0], "eth1");
        assert_eq!(d["track_script"][0], "'/usr/bin/true'");
        let s = &arr[0]["stats"];
        assert_eq!(s["advert_rcvd"], 7);
        assert_eq!(s["advert_sent"], 3);
        assert_eq!(s["become_master"], 1);
        assert_eq!(s["ip_ttl_err"], 2);
        assert_eq!(s["pri_zero_sent"], 4);
        for k in [
            "release_master",
            "packet_len_err",
            "advert_interval_err",
            "invalid_type_rcvd",
            "addr_list_err",
            "invalid_authtype",
            "authtype_mismatch",
            "auth_failure",
            "pri_zero_rcvd",
        ] {
            assert_eq!(s[k], 0, "{k}");
        }
        // Keys keep keepalived's order.
        assert!(t.starts_with("[{\"data\":{\"iname\":\"VI_1\",\"ifp_ifname\""));
        // Empty engine: an empty array, as keepalived writes with no instances.
        let mut empty = sample();
        empty.instances.clear();
        assert_eq!(format_json(&empty, &facts), "[]");
    }

    #[test]
    fn atomic_write_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("krs-dump-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("keepalived.stats");
        std::fs::write(&p, "old").expect("old");
        write_atomic(&p, "new").expect("write");
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "new");
        let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_dir(&dir).expect("ls").count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
