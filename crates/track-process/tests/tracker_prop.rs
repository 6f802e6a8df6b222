//! Random observation sequences on a virtual clock: the tracker never
//! panics, keeps its timer in the future, reports each change once, and its
//! reported status follows the count of matching processes.

use std::collections::BTreeSet;

use proptest::prelude::*;
use track_process::event::{Appearance, Observation, Pid, ProcessInfo};
use track_process::tracker::{StatusChange, Tracker, TrackerConfig};

const S: u64 = 1_000_000;
const NAMES: [&str; 2] = ["haproxy", "nginx"];

#[derive(Debug, Clone)]
enum Step {
    Observe(Observation),
    /// `on_timeout(now)` at an arbitrary time.
    Tick,
    /// `on_timeout` exactly at the deadline, as a lazy event loop would.
    TickAtDeadline,
}

fn info(pid: Pid, name: usize) -> ProcessInfo {
    let name = NAMES[name % NAMES.len()];
    ProcessInfo {
        pid,
        comm: name.to_owned(),
        cmdline: vec![name.to_owned()],
    }
}

fn observation() -> impl Strategy<Value = Observation> {
    let how = prop_oneof![
        Just(Appearance::Fork),
        Just(Appearance::Exec),
        Just(Appearance::Comm)
    ];
    prop_oneof![
        4 => (1..8u32, 0..2usize, how).prop_map(|(pid, name, how)| Observation::Appeared {
            info: info(pid, name),
            how,
        }),
        3 => (1..8u32).prop_map(|pid| Observation::Exited { pid }),
        1 => proptest::collection::vec((1..8u32, 0..2usize), 0..6).prop_map(|procs| {
            Observation::Rescan {
                processes: procs.into_iter().map(|(pid, name)| info(pid, name)).collect(),
            }
        }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => observation().prop_map(Step::Observe),
        2 => Just(Step::Tick),
        2 => Just(Step::TickAtDeadline),
    ]
}

fn delay() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (1..3 * S).prop_map(Some)]
}

fn config() -> impl Strategy<Value = TrackerConfig> {
    (
        1..4u32,
        prop::option::of(0..5u32),
        delay(),
        delay(),
        delay(),
    )
        .prop_filter("quorum <= quorum_max", |(q, max, ..)| {
            max.is_none_or(|m| m == 0 || *q <= m)
        })
        .prop_map(|(quorum, quorum_max, delay_us, fork, term)| {
            let mut c = TrackerConfig::new("p", "haproxy");
            c.quorum = quorum;
            c.quorum_max = quorum_max;
            c.delay_us = delay_us;
            c.fork_delay_us = fork;
            c.terminate_delay_us = term;
            c
        })
}

/// What the tracker must count: comm mode, so "haproxy" by comm.
#[derive(Default)]
struct Model {
    pids: BTreeSet<Pid>,
}

impl Model {
    fn apply(&mut self, obs: &Observation) {
        match obs {
            Observation::Appeared { info, .. } => {
                if info.comm == "haproxy" {
                    self.pids.insert(info.pid);
                } else {
                    self.pids.remove(&info.pid);
                }
            }
            Observation::Exited { pid } => {
                self.pids.remove(pid);
            }
            Observation::Rescan { processes } => {
                self.pids = processes
                    .iter()
                    .filter(|p| p.comm == "haproxy")
                    .map(|p| p.pid)
                    .collect();
            }
        }
    }
}

fn drain(t: &mut Tracker) -> Vec<StatusChange> {
    std::iter::from_fn(|| t.poll_event()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tracker_invariants(
        config in config(),
        start_with_scan in any::<bool>(),
        steps in proptest::collection::vec((0..2_500_000u64, step()), 0..60),
    ) {
        let both_delays = config.effective_fork_delay_us().is_some()
            && config.effective_terminate_delay_us().is_some();
        let mut t = Tracker::new(config.clone()).expect("generated configs are valid");
        let mut model = Model::default();
        let mut now = 5 * S;
        let mut last: Option<StatusChange> = None;
        let mut deadlines = BTreeSet::new();

        let mut steps = steps;
        if start_with_scan {
            steps.insert(0, (0, Step::Observe(Observation::Rescan { processes: vec![] })));
        }
        for (dt, step) in steps {
            now += dt;
            let was_initialised = t.is_initialised();
            let (changes, max_changes) = match &step {
                Step::Observe(obs) => {
                    t.handle(now, obs);
                    // Before the start-up scan, events are counted by the
                    // tracker but the scan replaces them; mirror that.
                    model.apply(obs);
                    // An expired timer, then an immediate change.
                    (drain(&mut t), 2)
                }
                Step::Tick => {
                    t.on_timeout(now);
                    (drain(&mut t), 1)
                }
                Step::TickAtDeadline => {
                    if let Some(deadline) = t.poll_timeout() {
                        now = now.max(deadline);
                    }
                    t.on_timeout(now);
                    (drain(&mut t), 1)
                }
            };

            prop_assert!(changes.len() <= max_changes, "{changes:?} after {step:?}");
            if !was_initialised && !t.is_initialised() {
                prop_assert!(changes.is_empty(), "a report before the start-up scan");
            }
            for (i, change) in changes.iter().enumerate() {
                prop_assert!(change.at <= now, "reported in the future: {change:?}");
                match last {
                    Some(prev) => {
                        prop_assert_ne!(prev.up, change.up, "the same change twice");
                        prop_assert!(prev.at <= change.at);
                        if both_delays {
                            prop_assert!(
                                deadlines.contains(&change.at),
                                "immediate change with both delays set: {change:?}"
                            );
                        }
                    }
                    // The initial report is the scan itself.
                    None => prop_assert!(i == 0 && !was_initialised),
                }
                last = Some(*change);
            }

            if let Some(deadline) = t.poll_timeout() {
                prop_assert!(deadline > now, "timer in the past: {deadline} <= {now}");
                deadlines.insert(deadline);
            }
            if t.is_initialised() {
                prop_assert_eq!(t.count(), model.pids.len());
                prop_assert_eq!(t.pids().collect::<BTreeSet<_>>(), model.pids.clone());
                let ok = config.quorum_ok(model.pids.len());
                match t.poll_timeout() {
                    None => prop_assert_eq!(t.is_up(), ok, "settled status != quorum"),
                    Some(_) => prop_assert_ne!(t.is_up(), ok, "a timer with nothing to do"),
                }
                prop_assert_eq!(last.map(|c| c.up), Some(t.is_up()));
            } else {
                prop_assert_eq!(t.poll_timeout(), None);
            }
        }

        // Let every timer run out: the status ends equal to the quorum
        // condition, with at most one more report.
        if let Some(deadline) = t.poll_timeout() {
            t.on_timeout(deadline);
            let changes = drain(&mut t);
            prop_assert_eq!(changes.len(), 1);
            prop_assert_eq!(t.poll_timeout(), None);
            t.on_timeout(deadline + 10 * S);
            prop_assert_eq!(drain(&mut t), vec![]);
        }
        if t.is_initialised() {
            prop_assert_eq!(t.is_up(), config.quorum_ok(model.pids.len()));
        }
    }
}
