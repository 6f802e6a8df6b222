//! `vrrp_track_process` in the daemon: builds the sans-IO trackers from the
//! configuration, records which instances use which tracker with what weight,
//! and turns tracker states into each instance's effective priority and
//! FAULT flag (keepalived's rules, reference §3.5).

use crate::priority::{PriorityState, TrackerInput, TrackerKind, TrackerSpec, Weight};
use keepalived_config::{Config, TrackKind, TrackProcess};
use track_process::tracker::{ParamMatch, Tracker, TrackerConfig};

/// One instance's use of one tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackUse {
    pub tracker: usize,
    pub weight: i32,
    pub reverse: bool,
}

/// What the trackers say about one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub fault: bool,
    pub priority: u8,
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

/// The trackers every instance uses (by index into `config.track_processes`
/// order, only those referenced), and each instance's uses, in
/// `config.instances` order.
pub fn build(config: &Config) -> Result<(Vec<Tracker>, Vec<Vec<TrackUse>>), String> {
    let mut trackers: Vec<Tracker> = Vec::new();
    let mut index: Vec<Option<usize>> = vec![None; config.track_processes.len()];
    let mut slot_for = |name: &str| -> Result<Option<(usize, &TrackProcess)>, String> {
        let Some(pos) = config.track_processes.iter().position(|t| t.name == name) else {
            return Ok(None); // reported by the configuration checks
        };
        let t = &config.track_processes[pos];
        if let Some(i) = index[pos] {
            return Ok(Some((i, t)));
        }
        let tracker = Tracker::new(tracker_config(t))
            .map_err(|e| format!("{}: vrrp_track_process '{}': {e}", t.location, t.name))?;
        trackers.push(tracker);
        index[pos] = Some(trackers.len() - 1);
        Ok(Some((trackers.len() - 1, t)))
    };
    let mut uses = Vec::with_capacity(config.instances.len());
    for inst in &config.instances {
        // keepalived: in a sync group, a member's own trackers only cause
        // FAULT (their weights are zeroed) unless the group says
        // `sync_group_tracking_weight`; the group's own trackers apply to
        // every member.
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
        let mut mine = Vec::new();
        for (r, zero) in own.chain(from_group) {
            if r.kind != TrackKind::Process {
                continue;
            }
            let Some((slot, t)) = slot_for(&r.name)? else {
                continue;
            };
            mine.push(TrackUse {
                tracker: slot,
                weight: if zero {
                    0
                } else {
                    r.weight.unwrap_or(t.weight)
                },
                reverse: r.reverse.unwrap_or(t.weight_reverse),
            });
        }
        uses.push(mine);
    }
    Ok((trackers, uses))
}

/// keepalived's effective priority: the base priority plus each weighted
/// tracker's contribution, clamped to 1..=254 (an owner, 255, never moves);
/// an unweighted tracker that is down (up, with `reverse`) means FAULT.
/// `is_up(i)` tells whether tracker `i` has its quorum.
pub fn verdict(base: u8, uses: &[TrackUse], is_up: impl Fn(usize) -> bool) -> Verdict {
    let mut state = PriorityState::new(base);
    for u in uses {
        state.add_tracker(
            TrackerSpec::new(
                TrackerKind::Process,
                Weight::saturating(i64::from(u.weight)),
                u.reverse,
            ),
            TrackerInput::Up(is_up(u.tracker)),
        );
    }
    Verdict {
        fault: state.faulted(),
        priority: state.effective(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use track_process::event::{Observation, ProcessInfo};

    fn verdict(base: u8, uses: &[TrackUse], trackers: &[Tracker]) -> Verdict {
        super::verdict(base, uses, |i| trackers.get(i).is_some_and(Tracker::is_up))
    }

    fn tracker(up: bool) -> Tracker {
        let mut t = Tracker::new(TrackerConfig::new("t", "svc")).expect("valid config");
        let processes = if up {
            vec![ProcessInfo {
                pid: 10,
                comm: "svc".into(),
                cmdline: vec!["svc".into()],
            }]
        } else {
            Vec::new()
        };
        t.handle(0, &Observation::Rescan { processes });
        while t.poll_event().is_some() {}
        t
    }

    fn use_(weight: i32, reverse: bool) -> TrackUse {
        TrackUse {
            tracker: 0,
            weight,
            reverse,
        }
    }

    #[test]
    fn weights_follow_keepalived() {
        let up = [tracker(true)];
        let down = [tracker(false)];
        // Positive weight: added while up.
        assert_eq!(verdict(100, &[use_(20, false)], &up).priority, 120);
        assert_eq!(verdict(100, &[use_(20, false)], &down).priority, 100);
        // Negative weight: applied while down.
        assert_eq!(verdict(150, &[use_(-60, false)], &up).priority, 150);
        assert_eq!(verdict(150, &[use_(-60, false)], &down).priority, 90);
        // Reverse flips the sign.
        assert_eq!(verdict(100, &[use_(20, true)], &up).priority, 80);
        assert_eq!(verdict(100, &[use_(-20, true)], &down).priority, 120);
        // Clamped to 1..=254; an owner never moves.
        assert_eq!(verdict(250, &[use_(50, false)], &up).priority, 254);
        assert_eq!(verdict(10, &[use_(-50, false)], &down).priority, 1);
        assert_eq!(verdict(255, &[use_(-50, false)], &down).priority, 255);
    }

    #[test]
    fn sync_group_members_track_for_fault_only_and_get_group_trackers() {
        let text = "vrrp_track_process own {\n process own\n weight -50\n}\n\
            vrrp_track_process grp {\n process grp\n weight -20\n}\n\
            vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress { 192.0.2.1 }\n\
             track_process {\n  own\n }\n}\n\
            vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress { 192.0.2.2 }\n\
             track_process {\n  own weight -30\n }\n}\n\
            vrrp_sync_group G {\n group {\n  A\n }\n track_process {\n  grp\n }\n}\n";
        let loaded = keepalived_config::parse_str(
            text,
            std::path::Path::new("t.conf"),
            &keepalived_config::LoadOptions::default(),
        );
        let (trackers, uses) = build(&loaded.config).expect("trackers build");
        assert_eq!(trackers.len(), 2);
        // A is in G: its own tracker is fault-only, G's applies with its weight.
        assert_eq!(
            uses[0].iter().map(|u| u.weight).collect::<Vec<_>>(),
            [0, -20]
        );
        // B is in no group: its own weight (overridden to -30) applies.
        assert_eq!(uses[1].iter().map(|u| u.weight).collect::<Vec<_>>(), [-30]);
    }

    #[test]
    fn unweighted_tracker_down_is_fault() {
        let up = [tracker(true)];
        let down = [tracker(false)];
        assert!(!verdict(100, &[use_(0, false)], &up).fault);
        assert!(verdict(100, &[use_(0, false)], &down).fault);
        assert!(verdict(100, &[use_(0, true)], &up).fault);
        assert!(!verdict(100, &[use_(0, true)], &down).fault);
    }
}
