//! The sans-IO core of `vrrp_track_process`: one [`Tracker`] per block.
//!
//! The tracker does no I/O and reads no clock. The caller feeds it
//! [`Observation`]s with the current time (`now`, microseconds on any
//! monotonic clock), asks [`Tracker::poll_timeout`] when to call
//! [`Tracker::on_timeout`], and drains [`StatusChange`]s with
//! [`Tracker::poll_event`].
//!
//! # One authoritative state
//!
//! keepalived keeps a `have_quorum` flag but one of its paths (the rescan
//! after lost netlink events) changes the reported status without updating
//! it, and older releases reported the same gain twice (reference §4.4). Here
//! the reported status ([`Tracker::is_up`]) is the only quorum state, it
//! changes only in one function, and every change is queued as exactly one
//! [`StatusChange`]. The invariants, checked by the tests:
//!
//! * with no timer pending, `is_up() == quorum_ok(count())`;
//! * a timer is pending only while `is_up() != quorum_ok(count())`, and it
//!   always aims at `!is_up()`; when the count moves back, it is cancelled
//!   without a report;
//! * consecutive reports alternate between up and down.
//!
//! # Delays
//!
//! A change caused by a process appearing (a fork, or an exec or rename that
//! makes a process match) waits `fork_delay`; one caused by a process going
//! away (an exit, or an exec or rename that makes it stop matching) waits
//! `terminate_delay`. The cause decides, not the direction: going above
//! `quorum_max` because of a fork waits `fork_delay`, as in keepalived. After
//! a [`Observation::Rescan`] the cause is unknown (events were lost), so the
//! direction decides: regaining quorum waits `fork_delay`, losing it
//! `terminate_delay`. Without the relevant delay the change is immediate.
//!
//! Unlike keepalived, exec and rename events are delayed too: a service
//! manager restarts a daemon by forking and then exec-ing the binary, so the
//! process only starts to match at the exec, and keepalived would restore
//! the priority at once, which is what `fork_delay` is meant to prevent.

mod config;

use std::collections::{BTreeSet, VecDeque};

use crate::event::{Appearance, Observation, Pid, ProcessInfo};

pub use config::{
    ConfigError, ParamMatch, TrackerConfig, COMM_MAX_LEN, MAX_DELAY_US, QUORUM_MAX_VALUE,
};

/// A reported change of the quorum status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// The new status: true when quorum is achieved
    /// (`quorum <= count <= quorum_max`).
    pub up: bool,
    /// The number of matching processes when the change took effect.
    pub count: usize,
    /// When the change took effect (µs, the caller's clock): the timer's
    /// deadline for a delayed change, even if `on_timeout` was called late,
    /// otherwise the `now` of the call that caused it.
    pub at: u64,
}

/// Why the count changed, which decides the delay (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// A process started to match.
    Appeared,
    /// A process stopped matching or exited.
    Vanished,
    /// A full rescan: events may have been lost, the direction decides.
    Rescan,
}

/// A status change that waits for its delay. Its target is always
/// `!Tracker::up`, so only the deadline is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    deadline: u64,
}

/// One `vrrp_track_process` block's state machine.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    /// Pids of the processes that currently match.
    pids: BTreeSet<Pid>,
    /// The reported quorum status; meaningful once `initialised`.
    up: bool,
    /// Set by the first rescan, which establishes the initial status.
    initialised: bool,
    pending: Option<Pending>,
    /// The latest `now` seen; time never runs backwards inside the tracker,
    /// even if the caller's clock does.
    now: u64,
    events: VecDeque<StatusChange>,
}

impl Tracker {
    /// A tracker for `config`, which must hold keepalived's ranges.
    ///
    /// It knows no process until the first [`Observation::Rescan`] (the
    /// start-up scan of `/proc`); that scan sets the status at once, without
    /// delay, as keepalived initialises from its start-up scan, and is always
    /// reported, so the first [`StatusChange`] is the initial status.
    pub fn new(config: TrackerConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            config,
            pids: BTreeSet::new(),
            up: false,
            initialised: false,
            pending: None,
            now: 0,
            events: VecDeque::new(),
        })
    }

    /// The configuration this tracker was built from.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// The block's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Whether `info` is a process this tracker counts.
    pub fn matches(&self, info: &ProcessInfo) -> bool {
        self.config.matches(info)
    }

    /// The reported status: true while quorum is achieved. False until the
    /// first rescan.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Whether the start-up rescan has been seen.
    pub fn is_initialised(&self) -> bool {
        self.initialised
    }

    /// The number of matching processes known now (the pending status, if
    /// any, will be decided from this count when its timer fires).
    pub fn count(&self) -> usize {
        self.pids.len()
    }

    /// The matching pids, in ascending order.
    pub fn pids(&self) -> impl Iterator<Item = Pid> + '_ {
        self.pids.iter().copied()
    }

    /// Feed one observation, seen at `now`.
    ///
    /// A timer that expired at or before `now` fires first: the change it
    /// stands for happened before this observation, and an observation must
    /// not cancel a change that is already due.
    pub fn handle(&mut self, now: u64, observation: &Observation) {
        self.on_timeout(now);
        let now = self.now;
        match observation {
            Observation::Appeared { info, how } => {
                if *how == Appearance::Comm && self.config.full_command_mode() {
                    // A rename changes comm only; full-command trackers decide
                    // on argv at fork, exec and scan time, as keepalived does.
                    return;
                }
                let cause = if self.config.matches(info) {
                    self.pids.insert(info.pid).then_some(Cause::Appeared)
                } else {
                    self.pids.remove(&info.pid).then_some(Cause::Vanished)
                };
                if let Some(cause) = cause {
                    self.settle(now, cause);
                }
            }
            Observation::Exited { pid } => {
                if self.pids.remove(pid) {
                    self.settle(now, Cause::Vanished);
                }
            }
            Observation::Rescan { processes } => {
                self.pids = processes
                    .iter()
                    .filter(|info| self.config.matches(info))
                    .map(|info| info.pid)
                    .collect();
                if self.initialised {
                    self.settle(now, Cause::Rescan);
                } else {
                    self.initialised = true;
                    self.pending = None;
                    self.up = self.config.quorum_ok(self.pids.len());
                    self.report(now);
                }
            }
        }
    }

    /// When [`Tracker::on_timeout`] must be called next (µs, the caller's
    /// clock), or `None` when no change is pending.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.pending.map(|pending| pending.deadline)
    }

    /// Let time pass to `now`: a pending change whose deadline has come is
    /// decided again from the current count and reported at most once.
    /// Calling it early, late or repeatedly is harmless.
    pub fn on_timeout(&mut self, now: u64) {
        self.now = self.now.max(now);
        let Some(pending) = self.pending else {
            return;
        };
        if pending.deadline > self.now {
            return;
        }
        self.pending = None;
        // `settle` cancels the timer whenever the count moves back, so this
        // re-evaluation always confirms the change; it is kept so that the
        // reported status can only ever follow the count.
        if self.config.quorum_ok(self.pids.len()) != self.up {
            self.flip(pending.deadline);
        }
    }

    /// The next status change not yet taken, oldest first.
    pub fn poll_event(&mut self) -> Option<StatusChange> {
        self.events.pop_front()
    }

    /// Bring the status in line with the count after the count changed.
    fn settle(&mut self, now: u64, cause: Cause) {
        if !self.initialised {
            // Until the start-up scan the status is unknown; that scan
            // replaces whatever the events before it built.
            return;
        }
        let want = self.config.quorum_ok(self.pids.len());
        if want == self.up {
            // Back where the reported status is: any pending change is moot
            // and dropped without a report (restart damping).
            self.pending = None;
            return;
        }
        if self.pending.is_some() {
            // A change towards `want` is already waiting. Keep its deadline:
            // re-arming would let a stream of further events (or periodic
            // rescans) postpone it for ever.
            return;
        }
        let delay = match cause {
            Cause::Appeared => self.config.effective_fork_delay_us(),
            Cause::Vanished => self.config.effective_terminate_delay_us(),
            Cause::Rescan if want => self.config.effective_fork_delay_us(),
            Cause::Rescan => self.config.effective_terminate_delay_us(),
        };
        match delay {
            Some(delay) => {
                let deadline = now.saturating_add(delay);
                tracing::debug!(
                    tracker = %self.config.name,
                    count = self.pids.len(),
                    up = want,
                    deadline,
                    "track_process: status change pending"
                );
                self.pending = Some(Pending { deadline });
            }
            None => self.flip(now),
        }
    }

    /// The one place the status changes: flip it and report the change.
    fn flip(&mut self, at: u64) {
        self.up = !self.up;
        self.report(at);
    }

    fn report(&mut self, at: u64) {
        let change = StatusChange {
            up: self.up,
            count: self.pids.len(),
            at,
        };
        tracing::debug!(
            tracker = %self.config.name,
            up = change.up,
            count = change.count,
            "track_process: status"
        );
        self.events.push_back(change);
    }
}
