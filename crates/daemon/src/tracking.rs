//! Trackers in the daemon: builds every tracker source the configuration
//! uses (processes, interfaces, scripts, files), and records which instances
//! use which source with what weight. The effective priority and FAULT flag
//! of each instance come from [`crate::priority::PriorityState`] fed with the
//! sources' current inputs (keepalived's rules, reference §3.5).

use crate::priority::{TrackerInput, TrackerKind, TrackerSpec, Weight};
use keepalived_config::{Config, TrackKind, TrackProcess, TrackRef, VrrpInstance};
use track_process::tracker::{ParamMatch, Tracker, TrackerConfig};
use vrrp::Timestamp;

/// One tracker the daemon keeps the state of. Several instances may use it.
pub enum Source {
    /// `vrrp_track_process`: the sans-IO tracker and the deadline it has in
    /// the engine's timer queue.
    Process {
        tracker: Box<Tracker>,
        scheduled: Option<Timestamp>,
    },
    /// An interface (`track_interface`, an instance's own interface, the
    /// interface a virtual route names): up = administratively up with
    /// carrier, and present.
    Interface { name: String, up: bool },
    /// `vrrp_script`, by index into `config.scripts`. `ok` is `None` until
    /// the first result.
    Script {
        index: usize,
        name: String,
        ok: Option<bool>,
    },
    /// `track_file`, by index into `config.track_files`.
    File {
        index: usize,
        name: String,
        value: i64,
    },
}

impl Source {
    pub fn name(&self) -> &str {
        match self {
            Source::Process { tracker, .. } => tracker.name(),
            Source::Interface { name, .. }
            | Source::Script { name, .. }
            | Source::File { name, .. } => name,
        }
    }

    /// The word keepalived's logs use for this kind of tracker.
    pub fn kind_word(&self) -> &'static str {
        match self {
            Source::Process { .. } => "track_process",
            Source::Interface { .. } => "track_interface",
            Source::Script { .. } => "track_script",
            Source::File { .. } => "track_file",
        }
    }

    /// The input this source currently gives a tracker used as `spec`.
    ///
    /// A script with no result yet gives a weighted tracker no contribution,
    /// and puts an instance that tracks it unweighted in FAULT (keepalived
    /// keeps such an instance out of MASTER until the first result).
    pub fn input_for(&self, spec: TrackerSpec) -> TrackerInput {
        match self {
            Source::Process { tracker, .. } => TrackerInput::Up(tracker.is_up()),
            Source::Interface { up, .. } => TrackerInput::Up(*up),
            Source::Script { ok: Some(ok), .. } => TrackerInput::Up(*ok),
            Source::Script { ok: None, .. } => {
                let w = spec.weight.get();
                // W > 0 contributes while up, W < 0 while down: pick the side
                // that contributes nothing. W = 0 faults while down (while up
                // with reverse): pick that side.
                TrackerInput::Up(if w == 0 { spec.reverse } else { w < 0 })
            }
            Source::File { value, .. } => TrackerInput::Value(*value),
        }
    }
}

/// One instance's use of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackUse {
    pub source: usize,
    pub spec: TrackerSpec,
}

/// Every source, and each instance's uses (in `config.instances` order).
pub struct Plan {
    pub sources: Vec<Source>,
    pub uses: Vec<Vec<TrackUse>>,
}

impl Plan {
    /// Whether any process tracker exists (the proc connector is needed).
    pub fn has_processes(&self) -> bool {
        self.sources
            .iter()
            .any(|s| matches!(s, Source::Process { .. }))
    }

    pub fn process_trackers(&self) -> impl Iterator<Item = &Tracker> {
        self.sources.iter().filter_map(|s| match s {
            Source::Process { tracker, .. } => Some(&**tracker),
            _ => None,
        })
    }
}

fn tracker_config(t: &TrackProcess) -> TrackerConfig {
    let mut c = TrackerConfig::new(t.name.clone(), t.process.clone());
    c.params = t.params.clone();
    c.param_match = match t.param_match {
        keepalived_config::ParamMatch::Unset => None,
        keepalived_config::ParamMatch::Exact => Some(ParamMatch::Exact),
        keepalived_config::ParamMatch::Initial => Some(ParamMatch::Initial),
        keepalived_config::ParamMatch::Partial => Some(ParamMatch::Partial),
    };
    c.full_command = t.full_command;
    c.quorum = t.quorum;
    c.quorum_max = t.quorum_max;
    c.delay_us = t.delay_us;
    c.fork_delay_us = t.fork_delay_us;
    c.terminate_delay_us = t.terminate_delay_us;
    c
}

/// Finds or creates the sources an instance's tracker entries name.
struct Builder<'a> {
    config: &'a Config,
    sources: Vec<Source>,
}

impl Builder<'_> {
    fn find(&self, pred: impl Fn(&Source) -> bool) -> Option<usize> {
        self.sources.iter().position(pred)
    }

    /// The index of the source `pred` picks, adding `make()` if none does.
    fn find_or_add(
        &mut self,
        pred: impl Fn(&Source) -> bool,
        make: impl FnOnce() -> Source,
    ) -> usize {
        if let Some(i) = self.find(pred) {
            return i;
        }
        self.sources.push(make());
        self.sources.len() - 1
    }

    fn interface(&mut self, name: &str) -> usize {
        self.find_or_add(
            |s| matches!(s, Source::Interface { name: n, .. } if n == name),
            || Source::Interface {
                name: name.to_string(),
                // Set from the kernel's view before the instances start.
                up: true,
            },
        )
    }

    /// The source and its default (weight, reverse) for a tracker entry;
    /// `None` when the entry names nothing usable (reported by the
    /// configuration checks) or a kind the daemon does not track (BFD).
    fn entry(&mut self, r: &TrackRef) -> Result<Option<(usize, TrackerKind, i32, bool)>, String> {
        let config = self.config;
        match r.kind {
            TrackKind::Interface => Ok(Some((
                self.interface(&r.name),
                TrackerKind::Interface,
                0,
                false,
            ))),
            TrackKind::Process => {
                let Some(t) = config.track_processes.iter().find(|t| t.name == r.name) else {
                    return Ok(None);
                };
                let found = self.find(
                    |s| matches!(s, Source::Process { tracker, .. } if tracker.name() == t.name),
                );
                let slot = match found {
                    Some(i) => i,
                    None => {
                        let tracker = Tracker::new(tracker_config(t)).map_err(|e| {
                            format!("{}: vrrp_track_process '{}': {e}", t.location, t.name)
                        })?;
                        self.sources.push(Source::Process {
                            tracker: Box::new(tracker),
                            scheduled: None,
                        });
                        self.sources.len() - 1
                    }
                };
                Ok(Some((
                    slot,
                    TrackerKind::Process,
                    t.weight,
                    t.weight_reverse,
                )))
            }
            TrackKind::Script => {
                let Some(index) = config.scripts.iter().position(|s| s.name == r.name) else {
                    return Ok(None);
                };
                let s = &config.scripts[index];
                let slot = self.find_or_add(
                    |src| matches!(src, Source::Script { index: i, .. } if *i == index),
                    || Source::Script {
                        index,
                        name: s.name.clone(),
                        ok: None,
                    },
                );
                Ok(Some((
                    slot,
                    TrackerKind::Script,
                    s.weight,
                    s.weight_reverse,
                )))
            }
            TrackKind::File => {
                let Some(index) = config.track_files.iter().position(|f| f.name == r.name) else {
                    return Ok(None);
                };
                let f = &config.track_files[index];
                let slot = self.find_or_add(
                    |src| matches!(src, Source::File { index: i, .. } if *i == index),
                    || Source::File {
                        index,
                        name: f.name.clone(),
                        value: 0,
                    },
                );
                Ok(Some((slot, TrackerKind::File, f.weight, f.weight_reverse)))
            }
            TrackKind::Bfd => Ok(None),
        }
    }
}

/// Every tracker source the instances use and each instance's uses.
///
/// keepalived's rules applied here:
/// - an instance tracks its own interface unweighted (FAULT while it is
///   down) unless `dont_track_primary`; a `track_interface` entry naming it
///   is ignored;
/// - virtual routes and rules that name an interface track it unweighted,
///   unless `no_track`;
/// - in a sync group, a member's own trackers only cause FAULT (their
///   weights are zeroed) unless the group says `sync_group_tracking_weight`,
///   and the group's trackers apply to every member.
pub fn build(config: &Config) -> Result<Plan, String> {
    let mut b = Builder {
        config,
        sources: Vec::new(),
    };
    let mut uses = Vec::with_capacity(config.instances.len());
    for inst in &config.instances {
        uses.push(instance_uses(&mut b, config, inst)?);
    }
    Ok(Plan {
        sources: b.sources,
        uses,
    })
}

fn instance_uses(
    b: &mut Builder<'_>,
    config: &Config,
    inst: &VrrpInstance,
) -> Result<Vec<TrackUse>, String> {
    let mut mine: Vec<TrackUse> = Vec::new();
    let push = |mine: &mut Vec<TrackUse>, u: TrackUse| {
        // Duplicates are ignored, as keepalived does.
        if !mine.iter().any(|m| m.source == u.source) {
            mine.push(u);
        }
    };
    let own_if = inst.interface.as_deref();
    if let Some(name) = own_if {
        if !inst.opts.dont_track_primary {
            let source = b.interface(name);
            push(
                &mut mine,
                TrackUse {
                    source,
                    spec: TrackerSpec::new(TrackerKind::Interface, Weight::ZERO, false),
                },
            );
        }
    }
    let group = config
        .sync_groups
        .iter()
        .find(|g| g.members.contains(&inst.name));
    let zero_own = group.is_some_and(|g| !g.tracking_weight);
    let own = inst.track.iter().map(|r| (r, zero_own));
    let from_group = group
        .into_iter()
        .flat_map(|g| g.track.iter())
        .map(|r| (r, false));
    for (r, zero) in own.chain(from_group) {
        if r.kind == TrackKind::Interface && Some(r.name.as_str()) == own_if {
            continue;
        }
        let Some((source, kind, default_weight, default_reverse)) = b.entry(r)? else {
            continue;
        };
        let weight = if zero {
            0
        } else {
            r.weight.unwrap_or(default_weight)
        };
        let reverse = r.reverse.unwrap_or(default_reverse);
        push(
            &mut mine,
            TrackUse {
                source,
                spec: TrackerSpec::new(kind, Weight::saturating(i64::from(weight)), reverse),
            },
        );
    }
    let route_devs = inst
        .opts
        .virtual_routes
        .iter()
        .filter(|r| !r.no_track)
        .filter_map(|r| r.dev.as_deref());
    let rule_devs = inst
        .opts
        .virtual_rules
        .iter()
        .filter(|r| !r.no_track)
        .flat_map(|r| [r.iif.as_deref(), r.oif.as_deref()])
        .flatten();
    for dev in route_devs.chain(rule_devs) {
        if Some(dev) == own_if {
            continue;
        }
        let source = b.interface(dev);
        push(
            &mut mine,
            TrackUse {
                source,
                spec: TrackerSpec::new(TrackerKind::Interface, Weight::ZERO, false),
            },
        );
    }
    Ok(mine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::priority::PriorityState;

    fn plan(text: &str) -> Plan {
        let loaded = keepalived_config::parse_str(
            text,
            std::path::Path::new("t.conf"),
            &keepalived_config::LoadOptions::default(),
        );
        build(&loaded.config).expect("trackers build")
    }

    fn weights(p: &Plan, i: usize) -> Vec<(String, i16, bool)> {
        p.uses[i]
            .iter()
            .map(|u| {
                (
                    p.sources[u.source].name().to_string(),
                    u.spec.weight.get(),
                    u.spec.reverse,
                )
            })
            .collect()
    }

    #[test]
    fn sync_group_members_track_for_fault_only_and_get_group_trackers() {
        let p = plan(
            "vrrp_track_process own {\n process own\n weight -50\n}\n\
            vrrp_track_process grp {\n process grp\n weight -20\n}\n\
            vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 192.0.2.1 }\n\
             track_process {\n  own\n }\n}\n\
            vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress { 192.0.2.2 }\n\
             track_process {\n  own weight -30\n }\n}\n\
            vrrp_sync_group G {\n group {\n  A\n }\n track_process {\n  grp\n }\n}\n",
        );
        assert_eq!(p.process_trackers().count(), 2);
        // A is in G: its own tracker is fault-only, G's applies with its weight.
        assert_eq!(
            weights(&p, 0),
            [
                ("eth0".to_string(), 0, false),
                ("own".to_string(), 0, false),
                ("grp".to_string(), -20, false)
            ]
        );
        // B is in no group: its own weight (overridden to -30) applies.
        assert_eq!(
            weights(&p, 1),
            [
                ("eth0".to_string(), 0, false),
                ("own".to_string(), -30, false)
            ]
        );
    }

    #[test]
    fn interfaces_scripts_and_files_are_shared_sources() {
        let p = plan(
            "vrrp_script chk {\n script /bin/true\n weight -10\n}\n\
            track_file tf {\n file /tmp/x\n}\n\
            vrrp_instance A {\n interface eth0\n dont_track_primary\n virtual_router_id 1\n\
             virtual_ipaddress { 192.0.2.1 }\n\
             track_interface {\n  eth1 weight 5\n  eth0\n }\n track_script {\n  chk\n }\n\
             track_file {\n  tf weight 3 reverse\n }\n}\n\
            vrrp_instance B {\n interface eth1\n virtual_router_id 2\n virtual_ipaddress { 192.0.2.2 }\n\
             track_script {\n  chk weight 7\n }\n\
             virtual_routes {\n  198.51.100.0/24 via 192.0.2.254 dev eth2\n  203.0.113.0/24 dev eth3 no_track\n }\n}\n",
        );
        // A: no own interface (dont_track_primary; its track_interface entry
        // for eth0 is ignored), eth1 weighted, the script's and file's
        // weights as written.
        assert_eq!(
            weights(&p, 0),
            [
                ("eth1".to_string(), 5, false),
                ("chk".to_string(), -10, false),
                ("tf".to_string(), 3, true)
            ]
        );
        // B: its own interface eth1 (the same source as A's track_interface
        // entry), the script with the weight overridden, eth2 from a route
        // (eth3's route says no_track).
        assert_eq!(
            weights(&p, 1),
            [
                ("eth1".to_string(), 0, false),
                ("chk".to_string(), 7, false),
                ("eth2".to_string(), 0, false)
            ]
        );
        assert_eq!(p.uses[0][0].source, p.uses[1][0].source);
        assert_eq!(p.uses[0][1].source, p.uses[1][1].source);
        assert!(!p.has_processes());
    }

    #[test]
    fn a_script_without_a_result_neither_adds_nor_removes_but_faults_unweighted() {
        let src = Source::Script {
            index: 0,
            name: "s".into(),
            ok: None,
        };
        for (w, reverse) in [(10, false), (-10, false), (10, true), (-10, true)] {
            let spec = TrackerSpec::new(TrackerKind::Script, Weight::saturating(w), reverse);
            let mut st = PriorityState::new(100);
            st.add_tracker(spec, src.input_for(spec));
            assert_eq!(st.effective(), 100, "weight {w} reverse {reverse}");
            assert!(!st.faulted());
        }
        for reverse in [false, true] {
            let spec = TrackerSpec::new(TrackerKind::Script, Weight::ZERO, reverse);
            let mut st = PriorityState::new(100);
            st.add_tracker(spec, src.input_for(spec));
            assert!(st.faulted(), "reverse {reverse}");
        }
    }
}
