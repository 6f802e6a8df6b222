//! The delay and quorum-state rules of the sans-IO tracker (issue #4), on a
//! virtual clock in microseconds. Nothing sleeps.

use track_process::event::{Appearance, Observation, Pid, ProcessInfo};
use track_process::tracker::{ConfigError, StatusChange, Tracker, TrackerConfig};

const MS: u64 = 1_000;
const S: u64 = 1_000_000;
/// An arbitrary start time, so that "at +2 s" is not confused with "at 2 s".
const T0: u64 = 1_000 * S;

fn info(pid: Pid, comm: &str, cmdline: &[&str]) -> ProcessInfo {
    ProcessInfo {
        pid,
        comm: comm.to_owned(),
        cmdline: cmdline.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn named(pid: Pid, comm: &str) -> ProcessInfo {
    info(pid, comm, &[comm])
}

fn fork(pid: Pid, comm: &str) -> Observation {
    Observation::Appeared {
        info: named(pid, comm),
        how: Appearance::Fork,
    }
}

fn exec(pid: Pid, comm: &str) -> Observation {
    Observation::Appeared {
        info: named(pid, comm),
        how: Appearance::Exec,
    }
}

fn rename(pid: Pid, comm: &str, argv0: &str) -> Observation {
    Observation::Appeared {
        info: info(pid, comm, &[argv0]),
        how: Appearance::Comm,
    }
}

fn exit(pid: Pid) -> Observation {
    Observation::Exited { pid }
}

fn rescan(procs: &[(Pid, &str)]) -> Observation {
    Observation::Rescan {
        processes: procs.iter().map(|(pid, comm)| named(*pid, comm)).collect(),
    }
}

fn config(fork_delay: Option<u64>, terminate_delay: Option<u64>) -> TrackerConfig {
    let mut config = TrackerConfig::new("svc", "haproxy");
    config.fork_delay_us = fork_delay;
    config.terminate_delay_us = terminate_delay;
    config
}

fn tracker(config: TrackerConfig) -> Tracker {
    Tracker::new(config).expect("valid config")
}

fn drain(t: &mut Tracker) -> Vec<StatusChange> {
    std::iter::from_fn(|| t.poll_event()).collect()
}

fn change(up: bool, count: usize, at: u64) -> StatusChange {
    StatusChange { up, count, at }
}

/// A started tracker: the initial scan at `T0` with `procs`, its initial
/// report taken and checked.
fn started(config: TrackerConfig, procs: &[(Pid, &str)]) -> Tracker {
    let mut t = tracker(config);
    t.handle(T0, &rescan(procs));
    let initial = drain(&mut t);
    assert_eq!(initial.len(), 1, "the initial scan reports the status once");
    assert_eq!(t.poll_timeout(), None, "the initial scan is never delayed");
    t
}

/// Call `on_timeout` every `step` from `from` to `to` (inclusive) and collect
/// every change reported on the way, as an impatient event loop would.
fn tick(t: &mut Tracker, from: u64, to: u64, step: u64) -> Vec<StatusChange> {
    let mut seen = Vec::new();
    let mut now = from;
    while now <= to {
        t.on_timeout(now);
        seen.extend(drain(t));
        if let Some(deadline) = t.poll_timeout() {
            assert!(deadline > now, "poll_timeout in the past after on_timeout");
        }
        now += step;
    }
    seen
}

// --- regressions named in the issue -----------------------------------------

/// keepalived before 3df29478 armed the gain timer with terminate_delay *and*
/// updated at once, so the gain was applied at +0 s and again at +1 s.
#[test]
fn rescan_regain_changes_status_once_after_fork_delay() {
    let mut t = started(config(Some(2 * S), Some(S)), &[]);
    assert!(!t.is_up());

    t.handle(T0 + 10 * S, &rescan(&[(10, "haproxy"), (11, "bash")]));
    assert_eq!(drain(&mut t), vec![], "not at +0 s");
    assert!(!t.is_up());
    assert_eq!(t.poll_timeout(), Some(T0 + 12 * S));

    let early = tick(&mut t, T0 + 10 * S, T0 + 12 * S - 1, 10 * MS);
    assert_eq!(early, vec![], "not at +1 s, nor anywhere before +2 s");
    let seen = tick(&mut t, T0 + 12 * S, T0 + 20 * S, 10 * MS);
    assert_eq!(
        seen,
        vec![change(true, 1, T0 + 12 * S)],
        "exactly once, at +2 s"
    );
    assert!(t.is_up());
    assert_eq!(t.poll_timeout(), None);
}

/// Same, with an event loop that only wakes at `poll_timeout()`.
#[test]
fn rescan_regain_with_a_lazy_event_loop() {
    let mut t = started(config(Some(2 * S), Some(S)), &[]);
    t.handle(T0 + 10 * S, &rescan(&[(10, "haproxy")]));
    let mut seen = Vec::new();
    while let Some(deadline) = t.poll_timeout() {
        t.on_timeout(deadline);
        seen.extend(drain(&mut t));
    }
    assert_eq!(seen, vec![change(true, 1, T0 + 12 * S)]);
}

/// keepalived HEAD updates the status but not `have_quorum` on the rescan
/// path, so the next crossing looks like "no change" and is dropped.
#[test]
fn after_rescan_gain_without_delay_the_next_loss_is_reported() {
    let mut t = started(config(None, None), &[]);
    t.handle(T0 + S, &rescan(&[(10, "haproxy")]));
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + S)]);
    t.handle(T0 + 2 * S, &exit(10));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + 2 * S)]);
    assert!(!t.is_up());
}

#[test]
fn after_rescan_loss_without_delay_the_next_gain_is_reported() {
    let mut t = started(config(None, None), &[(10, "haproxy")]);
    assert!(t.is_up());
    t.handle(T0 + S, &rescan(&[]));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + S)]);
    t.handle(T0 + 2 * S, &fork(11, "haproxy"));
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + 2 * S)]);
}

#[test]
fn fork_inside_terminate_delay_cancels_the_pending_loss() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    t.handle(T0, &exit(10));
    assert_eq!(t.poll_timeout(), Some(T0 + S));
    t.handle(T0 + 500 * MS, &fork(11, "haproxy"));
    assert_eq!(t.poll_timeout(), None, "the loss timer is cancelled");
    assert_eq!(tick(&mut t, T0, T0 + 10 * S, 50 * MS), vec![]);
    assert!(t.is_up());
    assert_eq!(t.count(), 1);
}

/// A service manager restarts a daemon by forking (the child is still
/// "systemd") and exec-ing the binary. keepalived applies no delay to exec;
/// we apply fork_delay to every appearance.
#[test]
fn restart_by_fork_then_exec_regains_only_after_fork_delay() {
    let mut t = started(
        config(Some(2 * S), Some(S)),
        &[(1, "systemd"), (10, "haproxy")],
    );
    t.handle(T0, &exit(10));
    assert_eq!(
        tick(&mut t, T0, T0 + 3 * S, 10 * MS),
        vec![change(false, 0, T0 + S)],
        "the loss waits terminate_delay"
    );

    let restart = T0 + 3 * S;
    t.handle(restart, &fork(20, "systemd"));
    t.handle(restart + MS, &exec(20, "haproxy"));
    assert_eq!(drain(&mut t), vec![], "no gain at the exec");
    assert_eq!(t.count(), 1);
    assert_eq!(
        tick(&mut t, restart, restart + MS + 2 * S - 1, 10 * MS),
        vec![]
    );
    assert_eq!(
        tick(&mut t, restart + MS + 2 * S, restart + 10 * S, 10 * MS),
        vec![change(true, 1, restart + MS + 2 * S)]
    );
}

#[test]
fn restart_by_fork_then_exec_inside_terminate_delay_changes_nothing() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    t.handle(T0, &exit(10));
    t.handle(T0 + 200 * MS, &fork(20, "systemd"));
    assert_eq!(
        t.poll_timeout(),
        Some(T0 + S),
        "a non-matching fork is no cancel"
    );
    t.handle(T0 + 300 * MS, &exec(20, "haproxy"));
    assert_eq!(t.poll_timeout(), None);
    assert_eq!(tick(&mut t, T0, T0 + 10 * S, 10 * MS), vec![]);
    assert!(t.is_up());
}

// --- the rules ----------------------------------------------------------------

#[test]
fn without_delays_changes_are_immediate() {
    let mut t = started(config(None, None), &[]);
    t.handle(T0 + S, &fork(10, "haproxy"));
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + S)]);
    t.handle(T0 + 2 * S, &exit(10));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + 2 * S)]);
    assert_eq!(t.poll_timeout(), None);
}

#[test]
fn fork_gain_waits_fork_delay_and_loss_without_terminate_delay_is_immediate() {
    let mut t = started(config(Some(2 * S), None), &[]);
    t.handle(T0, &fork(10, "haproxy"));
    assert_eq!(t.poll_timeout(), Some(T0 + 2 * S));
    assert_eq!(
        tick(&mut t, T0, T0 + 5 * S, 100 * MS),
        vec![change(true, 1, T0 + 2 * S)]
    );
    t.handle(T0 + 6 * S, &exit(10));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + 6 * S)]);
}

#[test]
fn exit_loss_waits_terminate_delay_and_gain_without_fork_delay_is_immediate() {
    let mut t = started(config(None, Some(S)), &[(10, "haproxy")]);
    t.handle(T0, &exit(10));
    assert_eq!(drain(&mut t), vec![]);
    assert_eq!(
        tick(&mut t, T0, T0 + 3 * S, 100 * MS),
        vec![change(false, 0, T0 + S)]
    );
    t.handle(T0 + 4 * S, &fork(11, "haproxy"));
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + 4 * S)]);
}

#[test]
fn exit_inside_fork_delay_cancels_the_pending_gain() {
    let mut t = started(config(Some(2 * S), Some(S)), &[]);
    t.handle(T0, &fork(10, "haproxy"));
    t.handle(T0 + S, &exit(10));
    assert_eq!(t.poll_timeout(), None);
    assert_eq!(tick(&mut t, T0, T0 + 10 * S, 100 * MS), vec![]);
    assert!(!t.is_up());
}

#[test]
fn delay_sets_both_and_explicit_delays_win() {
    let mut c = config(None, None);
    c.delay_us = Some(3 * S);
    let mut t = started(c.clone(), &[]);
    t.handle(T0, &fork(10, "haproxy"));
    assert_eq!(t.poll_timeout(), Some(T0 + 3 * S));
    t.on_timeout(T0 + 3 * S);
    t.handle(T0 + 4 * S, &exit(10));
    assert_eq!(t.poll_timeout(), Some(T0 + 7 * S));

    c.fork_delay_us = Some(S);
    let mut t = started(c, &[]);
    t.handle(T0, &fork(10, "haproxy"));
    assert_eq!(t.poll_timeout(), Some(T0 + S), "fork_delay overrides delay");
    t.on_timeout(T0 + S);
    t.handle(T0 + 2 * S, &exit(10));
    assert_eq!(
        t.poll_timeout(),
        Some(T0 + 5 * S),
        "terminate_delay from delay"
    );
}

#[test]
fn exec_that_stops_matching_waits_terminate_delay() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    t.handle(T0, &exec(10, "sleep"));
    assert_eq!(t.count(), 0);
    assert_eq!(t.poll_timeout(), Some(T0 + S));
    assert_eq!(
        tick(&mut t, T0, T0 + 3 * S, 100 * MS),
        vec![change(false, 0, T0 + S)]
    );
}

#[test]
fn rename_into_and_out_of_the_name_uses_fork_and_terminate_delay() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "worker")]);
    t.handle(T0, &rename(10, "haproxy", "worker"));
    assert_eq!(t.poll_timeout(), Some(T0 + 2 * S), "a rename that matches");
    t.on_timeout(T0 + 2 * S);
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + 2 * S)]);
    t.handle(T0 + 3 * S, &rename(10, "other", "worker"));
    assert_eq!(
        t.poll_timeout(),
        Some(T0 + 4 * S),
        "a rename that stops matching"
    );
    t.on_timeout(T0 + 4 * S);
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + 4 * S)]);
}

#[test]
fn rename_is_ignored_in_full_command_mode() {
    let mut c = config(None, None);
    c.full_command = true;
    let mut t = started(c, &[]);
    // argv[0] would match, but full-command trackers only look at fork, exec
    // and scans.
    t.handle(T0, &rename(10, "haproxy", "haproxy"));
    assert_eq!(t.count(), 0);
    t.handle(T0, &exec(10, "haproxy"));
    assert_eq!(drain(&mut t), vec![change(true, 1, T0)]);
}

#[test]
fn a_timer_fires_on_the_current_count() {
    let mut c = config(Some(2 * S), Some(S));
    c.quorum = 2;
    let mut t = started(c, &[(10, "haproxy")]);
    t.handle(T0, &fork(11, "haproxy"));
    assert_eq!(t.poll_timeout(), Some(T0 + 2 * S));
    // Moves inside the quorum range keep the timer and its deadline.
    t.handle(T0 + 500 * MS, &fork(12, "haproxy"));
    t.handle(T0 + 600 * MS, &exit(10));
    assert_eq!(t.poll_timeout(), Some(T0 + 2 * S));
    assert_eq!(
        tick(&mut t, T0, T0 + 5 * S, 100 * MS),
        vec![change(true, 2, T0 + 2 * S)]
    );
}

#[test]
fn a_late_on_timeout_reports_the_deadline() {
    let mut t = started(config(Some(2 * S), Some(S)), &[]);
    t.handle(T0, &fork(10, "haproxy"));
    t.on_timeout(T0 + 30 * S);
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + 2 * S)]);
}

/// An observation that arrives after a deadline the caller has not yet
/// served must not cancel the change that was already due.
#[test]
fn an_expired_timer_fires_before_the_next_observation() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    t.handle(T0, &exit(10));
    t.handle(T0 + 1500 * MS, &fork(11, "haproxy"));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + S)]);
    assert_eq!(t.poll_timeout(), Some(T0 + 3500 * MS));
    t.on_timeout(T0 + 3500 * MS);
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + 3500 * MS)]);
}

#[test]
fn rescan_loss_waits_terminate_delay() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    t.handle(T0 + 5 * S, &rescan(&[(11, "bash")]));
    assert_eq!(drain(&mut t), vec![]);
    assert_eq!(
        tick(&mut t, T0 + 5 * S, T0 + 9 * S, 10 * MS),
        vec![change(false, 0, T0 + 6 * S)]
    );
}

#[test]
fn rescan_without_a_crossing_reports_nothing() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    // A different pid (restarted while events were lost): the count is the
    // same, so is the status.
    t.handle(T0 + 5 * S, &rescan(&[(11, "haproxy")]));
    assert_eq!(drain(&mut t), vec![]);
    assert_eq!(t.poll_timeout(), None);
    assert_eq!(t.pids().collect::<Vec<_>>(), vec![11]);
}

/// Periodic rescans (the /proc polling fallback) must not postpone a pending
/// change for ever: a rescan that agrees with it keeps its deadline.
#[test]
fn rescan_keeps_a_pending_change_in_the_same_direction() {
    let mut t = started(config(Some(2 * S), Some(S)), &[]);
    t.handle(T0, &fork(10, "haproxy"));
    t.handle(T0 + S, &rescan(&[(10, "haproxy")]));
    t.handle(T0 + 1900 * MS, &rescan(&[(10, "haproxy")]));
    assert_eq!(t.poll_timeout(), Some(T0 + 2 * S));
    t.on_timeout(T0 + 2 * S);
    assert_eq!(drain(&mut t), vec![change(true, 1, T0 + 2 * S)]);
}

#[test]
fn rescan_that_moves_the_count_back_cancels_the_pending_change() {
    let mut t = started(config(Some(2 * S), Some(S)), &[(10, "haproxy")]);
    t.handle(T0, &exit(10));
    t.handle(T0 + 500 * MS, &rescan(&[(12, "haproxy")]));
    assert_eq!(t.poll_timeout(), None);
    assert_eq!(tick(&mut t, T0, T0 + 5 * S, 100 * MS), vec![]);
    assert!(t.is_up());
}

#[test]
fn initial_scan_sets_the_status_at_once_and_reports_it() {
    for (procs, up) in [(&[(10, "haproxy")][..], true), (&[][..], false)] {
        let mut t = tracker(config(Some(2 * S), Some(S)));
        assert!(!t.is_initialised());
        t.handle(T0, &rescan(procs));
        assert!(t.is_initialised());
        assert_eq!(t.is_up(), up);
        assert_eq!(drain(&mut t), vec![change(up, procs.len(), T0)]);
        assert_eq!(t.poll_timeout(), None);
    }
}

#[test]
fn events_before_the_initial_scan_report_nothing() {
    let mut t = tracker(config(None, None));
    t.handle(T0, &fork(10, "haproxy"));
    t.handle(T0, &fork(11, "haproxy"));
    t.handle(T0, &exit(10));
    assert_eq!(drain(&mut t), vec![]);
    assert!(!t.is_up());
    assert_eq!(t.poll_timeout(), None);
    // The scan is the truth.
    t.handle(T0 + S, &rescan(&[]));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0 + S)]);
    assert_eq!(t.count(), 0);
}

#[test]
fn unknown_exits_and_repeated_forks_do_not_move_the_count() {
    let mut t = started(config(None, None), &[(10, "haproxy")]);
    t.handle(T0, &exit(99));
    t.handle(T0, &fork(10, "haproxy"));
    t.handle(T0, &exec(10, "haproxy"));
    assert_eq!(t.count(), 1);
    assert_eq!(drain(&mut t), vec![]);
    t.handle(T0, &exit(10));
    t.handle(T0, &exit(10));
    assert_eq!(drain(&mut t), vec![change(false, 0, T0)]);
}

/// Above quorum_max is "down"; the cause picks the delay, as in keepalived.
#[test]
fn exceeding_quorum_max_waits_fork_delay_and_dropping_back_waits_terminate_delay() {
    let mut c = config(Some(2 * S), Some(S));
    c.quorum = 1;
    c.quorum_max = Some(2);
    let mut t = started(c, &[(10, "haproxy"), (11, "haproxy")]);
    assert!(t.is_up());
    t.handle(T0, &fork(12, "haproxy"));
    assert_eq!(t.poll_timeout(), Some(T0 + 2 * S));
    t.on_timeout(T0 + 2 * S);
    assert_eq!(drain(&mut t), vec![change(false, 3, T0 + 2 * S)]);
    t.handle(T0 + 3 * S, &exit(12));
    assert_eq!(t.poll_timeout(), Some(T0 + 4 * S));
    t.on_timeout(T0 + 4 * S);
    assert_eq!(drain(&mut t), vec![change(true, 2, T0 + 4 * S)]);
}

#[test]
fn quorum_and_quorum_max_with_several_processes() {
    let mut c = config(None, None);
    c.quorum = 2;
    c.quorum_max = Some(3);
    let mut t = started(c, &[]);
    let mut ups = Vec::new();
    for pid in 1..=5 {
        t.handle(T0 + u64::from(pid), &fork(pid, "haproxy"));
        ups.push(t.is_up());
    }
    assert_eq!(ups, vec![false, true, true, false, false]);
    for pid in 1..=5 {
        t.handle(T0 + 10 + u64::from(pid), &exit(pid));
        ups.push(t.is_up());
    }
    assert_eq!(
        ups[5..],
        [false, true, true, false, false],
        "counts 4, 3, 2, 1, 0"
    );
    let changes: Vec<_> = drain(&mut t).iter().map(|c| (c.up, c.count)).collect();
    assert_eq!(changes, vec![(true, 2), (false, 4), (true, 3), (false, 1)]);
}

#[test]
fn quorum_max_zero_means_must_not_run() {
    let mut c = config(None, None);
    c.quorum_max = Some(0);
    let mut t = started(c, &[]);
    assert!(t.is_up());
    t.handle(T0, &fork(10, "haproxy"));
    assert_eq!(drain(&mut t), vec![change(false, 1, T0)]);
}

#[test]
fn time_running_backwards_does_not_move_deadlines_into_the_past() {
    let mut t = started(config(Some(2 * S), Some(S)), &[]);
    t.handle(T0 + 10 * S, &fork(10, "haproxy"));
    t.on_timeout(T0);
    assert_eq!(t.poll_timeout(), Some(T0 + 12 * S));
    t.handle(T0, &fork(11, "haproxy"));
    assert_eq!(t.poll_timeout(), Some(T0 + 12 * S));
}

#[test]
fn invalid_configs_are_refused() {
    let base = config(None, None);
    let with = |f: &dyn Fn(&mut TrackerConfig)| {
        let mut c = base.clone();
        f(&mut c);
        Tracker::new(c).err()
    };
    assert!(matches!(
        with(&|c| c.process.clear()),
        Some(ConfigError::NoProcess { .. })
    ));
    assert!(matches!(
        with(&|c| c.quorum = 0),
        Some(ConfigError::Quorum { quorum: 0, .. })
    ));
    assert!(matches!(
        with(&|c| c.quorum = 65_536),
        Some(ConfigError::Quorum { .. })
    ));
    assert!(matches!(
        with(&|c| c.quorum_max = Some(65_536)),
        Some(ConfigError::QuorumMax { .. })
    ));
    assert!(matches!(
        with(&|c| {
            c.quorum = 3;
            c.quorum_max = Some(2);
        }),
        Some(ConfigError::QuorumAboveMax { .. })
    ));
    assert!(matches!(
        with(&|c| c.fork_delay_us = Some(0)),
        Some(ConfigError::Delay {
            keyword: "fork_delay",
            ..
        })
    ));
    assert!(matches!(
        with(&|c| c.delay_us = Some(3_600 * S + 1)),
        Some(ConfigError::Delay {
            keyword: "delay",
            ..
        })
    ));
    assert_eq!(with(&|c| c.terminate_delay_us = Some(3_600 * S)), None);
    assert_eq!(
        with(&|c| {
            c.quorum = 5;
            c.quorum_max = Some(0);
        }),
        None,
        "quorum_max 0 forces quorum 0"
    );
}
