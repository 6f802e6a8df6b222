//! A point-in-time copy of what the engine knows, for `keepalived-rs status`,
//! the control socket and the metrics exporter.
//!
//! Building a [`Status`] only reads the engine and copies small values, so the
//! borrow is short; everything slow (JSON, rendering, network I/O) happens on
//! the copy after the borrow is released. The same type is deserialised by
//! the client, so the wire format and the table come from one definition.

use crate::engine::Engine;
use crate::tracking::Source;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;
use vrrp::{State, Timestamp};

/// Everything `status` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Process id of the daemon.
    pub pid: u32,
    /// Seconds since the daemon started running instances.
    pub uptime_secs: u64,
    pub instances: Vec<InstanceStatus>,
    pub groups: Vec<GroupStatus>,
    /// Every tracker source, shared by the instances that use it.
    pub trackers: Vec<TrackerStatus>,
    /// Packets dropped before an instance saw them.
    pub dispatch: DispatchCounters,
    /// `vrrp_script` runs and failures since start (absent from the JSON
    /// of an older daemon: empty).
    #[serde(default)]
    pub scripts: Vec<ScriptStatus>,
}

/// The run counters of one `vrrp_script`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScriptStatus {
    pub name: String,
    /// Completed runs.
    pub runs: u64,
    /// Runs that failed (non-zero exit, killed, timed out).
    pub failures: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceStatus {
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    /// `inet` or `inet6`.
    pub family: String,
    /// VRRP version, 2 or 3.
    pub version: u8,
    /// keepalived's spelling: INIT, BACKUP, MASTER, FAULT.
    pub state: String,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority after trackers: what adverts carry.
    pub effective_priority: u8,
    /// The current master: ourselves while MASTER, else the source of the
    /// last accepted advert (none heard yet: `None`).
    pub master: Option<IpAddr>,
    /// The master's advertised priority, when known.
    pub master_priority: Option<u8>,
    /// Seconds since the last state change (`None`: no change yet).
    pub since_secs: Option<u64>,
    /// Sync group this instance is a member of.
    pub group: Option<String>,
    pub trackers: Vec<TrackerUse>,
    /// Number of state changes since start.
    pub transitions: u64,
    pub counters: InstanceCounters,
}

/// One instance's use of one tracker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerUse {
    /// `track_interface`, `track_script`, `track_file`, `track_process`.
    pub kind: String,
    pub name: String,
    /// `up`, `down`, `unknown` (script without a result yet) or the value
    /// of a track_file.
    pub state: String,
    pub weight: i16,
    pub reverse: bool,
}

/// A tracker source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerStatus {
    pub kind: String,
    pub name: String,
    pub state: String,
    /// `Some(true/false)` for up/down trackers; `None` for files and
    /// scripts without a result yet.
    pub up: Option<bool>,
    /// The value of a track_file.
    pub value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStatus {
    pub name: String,
    pub members: Vec<String>,
    /// The members' common state, or `MIXED` while they differ.
    pub state: String,
}

/// The instance's protocol counters (`vrrp::Stats`) under stable names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceCounters {
    pub adverts_received: u64,
    pub adverts_sent: u64,
    pub became_master: u64,
    pub released_master: u64,
    pub priority_zero_received: u64,
    pub priority_zero_sent: u64,
    pub dropped_ttl: u64,
    pub dropped_version: u64,
    pub dropped_auth: u64,
    pub dropped_interval: u64,
    pub address_list_mismatch: u64,
    pub dropped_vrid: u64,
    pub dropped_not_running: u64,
    pub interval_mismatch: u64,
    pub ignored_lower_priority: u64,
    pub master_rx_lower_priority: u64,
    pub own_address_ignored: u64,
    pub owner_ignored: u64,
}

impl InstanceCounters {
    fn from_stats(s: &vrrp::Stats) -> Self {
        InstanceCounters {
            adverts_received: s.adverts_received,
            adverts_sent: s.adverts_sent,
            became_master: s.became_master,
            released_master: s.released_master,
            priority_zero_received: s.priority_zero_received,
            priority_zero_sent: s.priority_zero_sent,
            dropped_ttl: s.dropped_ttl,
            dropped_version: s.dropped_version,
            dropped_auth: s.dropped_auth,
            dropped_interval: s.dropped_interval,
            address_list_mismatch: s.address_list_mismatch,
            dropped_vrid: s.dropped_vrid,
            dropped_not_running: s.dropped_not_running,
            interval_mismatch: s.interval_mismatch,
            ignored_lower_priority: s.ignored_lower_priority,
            master_rx_lower_priority: s.master_rx_lower_priority,
            own_address_ignored: s.own_address_ignored,
            owner_ignored: s.owner_ignored,
        }
    }

    /// Adverts an instance refused, by reason (the metrics' `reason` label).
    pub fn rx_errors(&self) -> [(&'static str, u64); 7] {
        [
            ("ttl", self.dropped_ttl),
            ("version", self.dropped_version),
            ("auth", self.dropped_auth),
            ("interval", self.dropped_interval),
            ("vrid", self.dropped_vrid),
            ("not_running", self.dropped_not_running),
            ("owner_ignored", self.owner_ignored),
        ]
    }

    /// Adverts accepted but noteworthy, by kind.
    pub fn rx_events(&self) -> [(&'static str, u64); 5] {
        [
            ("address_list_mismatch", self.address_list_mismatch),
            ("interval_mismatch", self.interval_mismatch),
            ("ignored_lower_priority", self.ignored_lower_priority),
            ("master_rx_lower_priority", self.master_rx_lower_priority),
            ("own_address_ignored", self.own_address_ignored),
        ]
    }
}

/// `DispatchStats` as plain data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DispatchCounters {
    pub malformed: u64,
    pub truncated: u64,
    pub unknown_vrid: u64,
    pub send_errors: u64,
    pub ah_rejected: u64,
    /// Malformed datagrams by decode error.
    pub malformed_by_reason: Vec<(String, u64)>,
    /// Adverts refused by the unicast checks, by reason.
    pub refused: Vec<(String, u64)>,
}

impl Status {
    /// Copies the engine's state. `now` is the engine's clock (the same one
    /// state changes are stamped with); `uptime` the daemon's.
    pub fn build(engine: &Engine, now: Timestamp, uptime: Duration) -> Status {
        let instances = engine
            .instances
            .iter()
            .enumerate()
            .map(|(i, inst)| {
                let v = &inst.vrrp;
                let cfg = v.config();
                let state = v.state();
                let (master, master_priority) = match (state, v.current_master()) {
                    (State::Master, _) => (Some(inst.src), Some(v.priority())),
                    (_, Some((a, p))) => (Some(a), Some(p)),
                    (_, None) => (None, None),
                };
                let group = engine
                    .groups
                    .iter()
                    .find(|g| g.members.contains(&i))
                    .map(|g| g.config.name.clone());
                let trackers = inst
                    .tracks
                    .iter()
                    .filter_map(|u| {
                        let src = engine.sources.get(u.source)?;
                        Some(TrackerUse {
                            kind: src.kind_word().to_string(),
                            name: src.name().to_string(),
                            state: source_state(src).0,
                            weight: u.spec.weight.get(),
                            reverse: u.spec.reverse,
                        })
                    })
                    .collect();
                InstanceStatus {
                    name: cfg.name.clone(),
                    interface: engine
                        .ifaces
                        .get(inst.iface)
                        .map(|f| f.name.clone())
                        .unwrap_or_default(),
                    vrid: cfg.vrid,
                    family: if cfg.is_ipv6() { "inet6" } else { "inet" }.to_string(),
                    version: cfg.version,
                    state: state.to_string(),
                    base_priority: cfg.priority,
                    effective_priority: v.priority(),
                    master,
                    master_priority,
                    since_secs: inst.last_change.map(|t| now.micros_since(t) / 1_000_000),
                    group,
                    trackers,
                    transitions: inst.transitions,
                    counters: InstanceCounters::from_stats(v.stats()),
                }
            })
            .collect::<Vec<_>>();
        let groups = engine
            .groups
            .iter()
            .map(|g| {
                let states: Vec<State> = g
                    .members
                    .iter()
                    .filter_map(|&m| engine.instances.get(m).map(|i| i.vrrp.state()))
                    .collect();
                let state = match states.first() {
                    Some(first) if states.iter().all(|s| s == first) => first.to_string(),
                    Some(_) => "MIXED".to_string(),
                    None => "INIT".to_string(),
                };
                GroupStatus {
                    name: g.config.name.clone(),
                    members: g
                        .members
                        .iter()
                        .filter_map(|&m| engine.instances.get(m))
                        .map(|i| i.vrrp.config().name.clone())
                        .collect(),
                    state,
                }
            })
            .collect();
        let trackers = engine
            .sources
            .iter()
            .map(|src| {
                let (state, up, value) = source_state(src);
                TrackerStatus {
                    kind: src.kind_word().to_string(),
                    name: src.name().to_string(),
                    state,
                    up,
                    value,
                }
            })
            .collect();
        let d = &engine.stats;
        let owned = |l: &[(&'static str, u64)]| {
            l.iter()
                .map(|(r, n)| ((*r).to_string(), *n))
                .collect::<Vec<_>>()
        };
        Status {
            pid: std::process::id(),
            uptime_secs: uptime.as_secs(),
            instances,
            groups,
            trackers,
            dispatch: DispatchCounters {
                malformed: d.malformed,
                truncated: d.truncated,
                unknown_vrid: d.unknown_vrid,
                send_errors: d.send_errors,
                ah_rejected: d.ah_rejected,
                malformed_by_reason: owned(&d.malformed_by_reason),
                refused: owned(&d.refused),
            },
            scripts: engine
                .script_runs
                .iter()
                .map(|s| ScriptStatus {
                    name: s.name.clone(),
                    runs: s.runs,
                    failures: s.failures,
                })
                .collect(),
        }
    }
}

/// A source's state word, up/down flag and value.
fn source_state(src: &Source) -> (String, Option<bool>, Option<i64>) {
    let updown = |up: bool| (if up { "up" } else { "down" }.to_string(), Some(up), None);
    match src {
        Source::Process { tracker, .. } => updown(tracker.is_up()),
        Source::Interface { up, .. } => updown(*up),
        Source::Script { ok: Some(ok), .. } => updown(*ok),
        Source::Script { ok: None, .. } => ("unknown".to_string(), None, None),
        Source::File { value, .. } => (format!("value {value}"), None, Some(*value)),
    }
}

/// "3m 12s ago" (whole seconds; "just now" under a second).
pub fn ago(secs: u64) -> String {
    if secs == 0 {
        return "just now".to_string();
    }
    format!(
        "{} ago",
        humantime::format_duration(Duration::from_secs(secs))
    )
}

/// The human table `keepalived-rs status` prints: one row per instance,
/// its trackers indented below it, then sync groups and dispatch drops.
pub fn render_table(s: &Status) -> String {
    let header = [
        "INSTANCE",
        "INTERFACE",
        "VRID",
        "STATE",
        "PRIORITY",
        "MASTER",
        "SINCE",
    ];
    let rows: Vec<[String; 7]> = s
        .instances
        .iter()
        .map(|i| {
            let master = match (i.master, i.master_priority) {
                (Some(a), Some(p)) => format!("{a} ({p})"),
                (Some(a), None) => a.to_string(),
                (None, _) => "-".to_string(),
            };
            [
                i.name.clone(),
                i.interface.clone(),
                i.vrid.to_string(),
                i.state.clone(),
                format!("{}/{}", i.base_priority, i.effective_priority),
                master,
                i.since_secs.map_or_else(|| "-".to_string(), ago),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        let mut l = String::new();
        for (k, (c, w)) in cells.iter().zip(widths).enumerate() {
            if k + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{c:<w$}  ");
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    let _ = writeln!(
        out,
        "keepalived-rs pid {}, up {}",
        s.pid,
        humantime::format_duration(Duration::from_secs(s.uptime_secs))
    );
    line(&mut out, &header);
    for (r, inst) in rows.iter().zip(&s.instances) {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        line(&mut out, &cells);
        for t in &inst.trackers {
            let mut extra = String::new();
            if t.weight != 0 {
                let _ = write!(extra, " weight {}", t.weight);
            }
            if t.reverse {
                extra.push_str(" reverse");
            }
            let _ = writeln!(out, "  {} {}: {}{extra}", t.kind, t.name, t.state);
        }
    }
    if !s.groups.is_empty() {
        out.push('\n');
        for g in &s.groups {
            let _ = writeln!(
                out,
                "sync group {}: {} ({})",
                g.name,
                g.state,
                g.members.join(", ")
            );
        }
    }
    let d = &s.dispatch;
    let dropped = d.malformed + d.truncated + d.unknown_vrid + d.ah_rejected;
    let refused: u64 = d.refused.iter().map(|(_, n)| n).sum();
    if dropped + refused + d.send_errors > 0 {
        let _ = writeln!(
            out,
            "\ndropped: {} malformed, {} truncated, {} unknown VRID, {} AH rejected, {refused} refused; {} send errors",
            d.malformed, d.truncated, d.unknown_vrid, d.ah_rejected, d.send_errors
        );
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A status with one instance of each interesting shape.
    pub(crate) fn sample() -> Status {
        let counters = InstanceCounters {
            adverts_received: 12,
            adverts_sent: 340,
            became_master: 1,
            dropped_ttl: 2,
            ..InstanceCounters::default()
        };
        Status {
            pid: 4242,
            uptime_secs: 3725,
            instances: vec![
                InstanceStatus {
                    name: "VI_1".into(),
                    interface: "eth0".into(),
                    vrid: 51,
                    family: "inet".into(),
                    version: 2,
                    state: "MASTER".into(),
                    base_priority: 150,
                    effective_priority: 140,
                    master: Some("192.0.2.10".parse().expect("address")),
                    master_priority: Some(140),
                    since_secs: Some(192),
                    group: Some("G1".into()),
                    trackers: vec![
                        TrackerUse {
                            kind: "track_interface".into(),
                            name: "eth1".into(),
                            state: "up".into(),
                            weight: 0,
                            reverse: false,
                        },
                        TrackerUse {
                            kind: "track_script".into(),
                            name: "chk_web".into(),
                            state: "down".into(),
                            weight: -10,
                            reverse: false,
                        },
                    ],
                    transitions: 2,
                    counters: counters.clone(),
                },
                InstanceStatus {
                    name: "VI_6".into(),
                    interface: "eth0".into(),
                    vrid: 52,
                    family: "inet6".into(),
                    version: 3,
                    state: "BACKUP".into(),
                    base_priority: 100,
                    effective_priority: 100,
                    master: Some("fe80::1".parse().expect("address")),
                    master_priority: Some(200),
                    since_secs: Some(0),
                    group: None,
                    trackers: vec![TrackerUse {
                        kind: "track_file".into(),
                        name: "weightfile".into(),
                        state: "value 5".into(),
                        weight: 2,
                        reverse: true,
                    }],
                    transitions: 1,
                    counters: InstanceCounters::default(),
                },
                InstanceStatus {
                    name: "VI_fault".into(),
                    interface: "eth9".into(),
                    vrid: 7,
                    family: "inet".into(),
                    version: 2,
                    state: "FAULT".into(),
                    base_priority: 90,
                    effective_priority: 90,
                    master: None,
                    master_priority: None,
                    since_secs: None,
                    group: Some("G1".into()),
                    trackers: vec![],
                    transitions: 0,
                    counters: InstanceCounters::default(),
                },
            ],
            groups: vec![GroupStatus {
                name: "G1".into(),
                members: vec!["VI_1".into(), "VI_fault".into()],
                state: "MIXED".into(),
            }],
            trackers: vec![TrackerStatus {
                kind: "track_interface".into(),
                name: "eth1".into(),
                state: "up".into(),
                up: Some(true),
                value: None,
            }],
            dispatch: DispatchCounters {
                malformed: 3,
                unknown_vrid: 1,
                malformed_by_reason: vec![("bad checksum".into(), 3)],
                refused: vec![("ttl".into(), 4)],
                ..DispatchCounters::default()
            },
            scripts: vec![ScriptStatus {
                name: "chk_web".into(),
                runs: 17,
                failures: 5,
            }],
        }
    }

    #[test]
    fn table_snapshot() {
        insta::assert_snapshot!(render_table(&sample()));
    }

    #[test]
    fn json_round_trips() {
        let s = sample();
        let text = serde_json::to_string(&s).expect("serialise");
        let back: Status = serde_json::from_str(&text).expect("deserialise");
        assert_eq!(back, s);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["instances"][0]["effective_priority"], 140);
        assert_eq!(v["instances"][1]["master"], "fe80::1");
    }

    /// An engine with an address owner (MASTER at start) and an instance
    /// whose unweighted interface tracker is down (FAULT).
    fn engine() -> (
        Engine,
        tokio::sync::mpsc::UnboundedReceiver<crate::engine::NetlinkOp>,
    ) {
        use crate::engine::{Iface, InstanceRt, Vip};
        use crate::priority::{TrackerKind, TrackerSpec, Weight};
        use crate::tracking::TrackUse;
        use std::net::Ipv4Addr;
        let src = Ipv4Addr::new(192, 0, 2, 10);
        let vip = Ipv4Addr::new(192, 0, 2, 100);
        let mut owner = vrrp::InstanceConfig::with_defaults("VI_owner", 1, src, vec![vip]);
        owner.priority = 255;
        owner.start_as_master = true;
        let backup = vrrp::InstanceConfig::with_defaults("VI_fault", 2, src, Vec::<IpAddr>::new());
        let spec = crate::netlink::AddrSpec {
            ifindex: 1,
            addr: IpAddr::V4(vip),
            prefix_len: 32,
            label: None,
            nodad: false,
            preferred_lft: None,
        };
        let instances = vec![
            InstanceRt::new(
                vrrp::Instance::new(owner),
                0,
                src.into(),
                vec![IpAddr::V4(vrrp::VRRP_MCAST_V4)],
                vec![Vip { spec, iface: 0 }],
                vec![],
                Default::default(),
            ),
            InstanceRt::new(
                vrrp::Instance::new(backup),
                0,
                src.into(),
                vec![IpAddr::V4(vrrp::VRRP_MCAST_V4)],
                vec![],
                vec![TrackUse {
                    source: 0,
                    spec: TrackerSpec::new(
                        TrackerKind::Interface,
                        Weight::new(0).expect("weight"),
                        false,
                    ),
                }],
                Default::default(),
            ),
        ];
        let sources = vec![Source::Interface {
            name: "eth1".into(),
            up: false,
        }];
        let ifaces = vec![Iface::new("eth0".into(), 1, [2, 0, 0, 0, 0, 1], None, None)];
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut e = Engine::new(ifaces, instances, sources, vec![], tx, false);
        e.start(Timestamp::from_micros(1_000_000));
        (e, rx)
    }

    #[test]
    fn built_from_an_engine() {
        let (mut e, _rx) = engine();
        let s = Status::build(
            &e,
            Timestamp::from_micros(5_500_000),
            Duration::from_secs(7),
        );
        assert_eq!(s.uptime_secs, 7);
        assert_eq!(s.pid, std::process::id());
        let [owner, fault] = &s.instances[..] else {
            panic!("two instances expected: {s:?}");
        };
        assert_eq!(owner.state, "MASTER");
        assert_eq!((owner.base_priority, owner.effective_priority), (255, 255));
        assert_eq!(owner.master, Some("192.0.2.10".parse().expect("address")));
        assert_eq!(owner.since_secs, Some(4));
        assert_eq!(owner.interface, "eth0");
        assert_eq!(owner.family, "inet");
        assert!(owner.transitions >= 1);
        assert_eq!(fault.state, "FAULT");
        assert_eq!(fault.master, None);
        assert_eq!(fault.trackers.len(), 1);
        assert_eq!(fault.trackers[0].kind, "track_interface");
        assert_eq!(fault.trackers[0].state, "down");
        assert_eq!(s.trackers[0].up, Some(false));

        // `garp`: only a MASTER announces; unknown names are reported.
        let now = Timestamp::from_micros(6_000_000);
        assert_eq!(e.announce("VI_owner", now).expect("MASTER announces"), 1);
        assert!(matches!(
            e.announce("VI_fault", now),
            Err(crate::engine::AnnounceError::NotMaster(
                _,
                vrrp::State::Fault
            ))
        ));
        assert!(matches!(
            e.announce("nope", now),
            Err(crate::engine::AnnounceError::NoInstance(_))
        ));
    }

    #[test]
    fn ago_words() {
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(192), "3m 12s ago");
        assert_eq!(ago(90_061), "1day 1h 1m 1s ago");
    }
}
