//! One VRRP instance as a sans-IO state machine (RFC 5798 §6.4, with
//! keepalived's choices where it differs).
//!
//! The daemon owns sockets and clocks. It calls [`Instance::handle`] with the
//! current [`Timestamp`], executes every [`Action`] from
//! [`Instance::poll_action`] in order, and calls `handle(now, Input::Timeout)`
//! once [`Instance::poll_timeout`] is reached.

mod config;
mod io;
mod state;
mod stats;
pub mod timing;
mod tuning;

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use config::InstanceConfig;
pub use io::{Action, Input};
pub use state::{State, StateChangeReason};
pub use stats::Stats;
pub use tuning::Tuning;

use crate::packet::{self, AdvertView, EncodeError, VRRP_TTL};
use crate::time::Timestamp;

/// What armed the BACKUP down timer, so that its expiry reports the right
/// reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DownCause {
    /// Master_Down_Interval (or the shortened `state MASTER` start-up timer).
    MasterDown,
    /// Skew_Time after a priority-0 advert.
    PriorityZero,
}

/// A VRRP instance. See the module documentation for the driving protocol.
#[derive(Debug, Clone)]
pub struct Instance {
    cfg: InstanceConfig,
    state: State,
    /// Effective priority (base priority adjusted by the daemon's trackers).
    priority: u8,
    /// Master_Adver_Interval: ours while MASTER; for v3 a BACKUP adopts the
    /// interval the master advertises.
    master_adver_int_us: u64,
    /// BACKUP: when the master is declared down.
    down_at: Option<Timestamp>,
    down_cause: DownCause,
    /// BACKUP: a lower-priority advert was ignored since the timer was armed,
    /// so its expiry is a preemption.
    ignored_lower: bool,
    /// BACKUP with preempt_delay: when the delay started by the first
    /// lower-priority advert ends. Checked on receipt, never a wake-up.
    preempt_until: Option<Timestamp>,
    /// MASTER: next periodic advert.
    advert_at: Option<Timestamp>,
    /// MASTER: the delayed second GARP burst.
    garp_at: Option<Timestamp>,
    /// MASTER: the delayed GARP burst after hearing a losing advert.
    garp_lower_at: Option<Timestamp>,
    /// MASTER: the next periodic `garp_master_refresh` burst.
    garp_refresh_at: Option<Timestamp>,
    /// BACKUP sync-group member: it would be MASTER if it were on its own,
    /// and has told the daemon so ([`Action::WantMaster`]).
    wants_master: bool,
    tuning: Tuning,
    /// Source and priority of the last accepted advert from a master.
    master: Option<(IpAddr, u8)>,
    /// The daemon says a fault is active (also remembered in `Initialize`, so
    /// that start-up goes straight to FAULT, as keepalived's does).
    faulted: bool,
    actions: VecDeque<Action>,
    stats: Stats,
    /// The source last warned about, per recurring advert problem (v2
    /// interval, v3 interval, address list): one warning per source until
    /// an advert from it is fine again; the rest are debug lines.
    warned: [Option<IpAddr>; 3],
}

impl Instance {
    /// Creates an instance in `Initialize`. The configuration is normalised
    /// first ([`InstanceConfig::normalised`]); [`Instance::config`] returns the
    /// result, which is what adverts must carry.
    pub fn new(cfg: InstanceConfig) -> Self {
        let cfg = cfg.normalised();
        Instance {
            priority: cfg.priority,
            master_adver_int_us: cfg.advert_int_us,
            cfg,
            state: State::Initialize,
            down_at: None,
            down_cause: DownCause::MasterDown,
            ignored_lower: false,
            preempt_until: None,
            advert_at: None,
            garp_at: None,
            garp_lower_at: None,
            garp_refresh_at: None,
            wants_master: false,
            tuning: Tuning::default(),
            master: None,
            faulted: false,
            actions: VecDeque::with_capacity(8),
            stats: Stats::default(),
            warned: [None; 3],
        }
    }

    /// Creates an instance with keepalived's optional behaviours set.
    pub fn with_tuning(cfg: InstanceConfig, tuning: Tuning) -> Self {
        let mut inst = Instance::new(cfg);
        inst.tuning = tuning;
        inst
    }

    /// The optional keepalived behaviours in force.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// The normalised configuration: what adverts must carry.
    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }

    /// Current protocol state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Effective priority: what adverts carry and elections compare.
    pub fn priority(&self) -> u8 {
        self.priority
    }

    /// Master_Adver_Interval in µs (v3 BACKUP: the master's advertised one).
    pub fn master_adver_int_us(&self) -> u64 {
        self.master_adver_int_us
    }

    /// Master_Down_Interval in µs for the current priority and interval.
    pub fn master_down_interval_us(&self) -> u64 {
        timing::master_down_us(
            self.cfg.version,
            self.priority,
            self.master_adver_int_us,
            self.cfg.down_timer_adverts,
        )
    }

    /// Skew_Time in µs for the current priority and interval.
    pub fn skew_time_us(&self) -> u64 {
        timing::skew_us(self.cfg.version, self.priority, self.master_adver_int_us)
    }

    /// Counters since creation.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// keepalived's `wantstate == MASTER`, which a sync group checks on every
    /// member before moving the group to MASTER: true while MASTER, and while
    /// a BACKUP sync member's down timer has run out with no better or equal
    /// master heard since (see [`Action::WantMaster`]).
    pub fn wants_master(&self) -> bool {
        self.state == State::Master || self.wants_master
    }

    /// Source address and priority of the last accepted master advert.
    pub fn current_master(&self) -> Option<(IpAddr, u8)> {
        self.master
    }

    /// The configured interval as carried on the wire, in centiseconds.
    pub fn adver_int_cs(&self) -> u16 {
        timing::interval_cs(self.cfg.advert_int_us)
    }

    /// Encodes the advert for [`Action::SendAdvert`] as a full IPv4 datagram
    /// (for `IP_HDRINCL`) from our configured source address, with the
    /// checksum form of [`Tuning::checksum`].
    pub fn encode_advert_ipv4(
        &self,
        buf: &mut Vec<u8>,
        dst: Ipv4Addr,
        ttl: u8,
        priority: u8,
    ) -> Result<(), EncodeError> {
        let IpAddr::V4(src) = self.cfg.local_addr else {
            return Err(EncodeError::WrongFamily(self.cfg.local_addr));
        };
        packet::encode_ipv4_with(
            buf,
            self.tuning.checksum.send_form(),
            src,
            dst,
            ttl,
            self.cfg.version,
            self.cfg.vrid,
            priority,
            self.adver_int_cs(),
            &self.cfg.auth,
            &self.cfg.vips,
        )
    }

    /// Encodes the advert for [`Action::SendAdvert`] as the VRRP message for
    /// an IPv6 raw socket (the kernel adds the IPv6 header), from our
    /// configured (link-local) source address. An IPv4 instance gets
    /// [`EncodeError::WrongFamily`].
    pub fn encode_advert_v6(
        &self,
        buf: &mut Vec<u8>,
        dst: Ipv6Addr,
        priority: u8,
    ) -> Result<(), EncodeError> {
        let IpAddr::V6(src) = self.cfg.local_addr else {
            return Err(EncodeError::WrongFamily(self.cfg.local_addr));
        };
        packet::encode_vrrp_v6(
            buf,
            src,
            dst,
            self.cfg.version,
            self.cfg.vrid,
            priority,
            self.adver_int_cs(),
            &self.cfg.vips,
        )
    }

    /// Next pending action, oldest first.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The earliest armed timer. After `handle(now, Input::Timeout)` this is
    /// always strictly later than `now`, so a driver loop cannot spin.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        [
            self.down_at,
            self.advert_at,
            self.garp_at,
            self.garp_lower_at,
            self.garp_refresh_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Changes the effective priority (trackers). Owners (base 255) never
    /// change; others are clamped to 1..=254. A running BACKUP down timer is
    /// shifted by the change in Master_Down_Interval, as keepalived does.
    pub fn set_effective_priority(&mut self, prio: u8) {
        if self.cfg.priority == 255 {
            return;
        }
        let prio = prio.clamp(1, 254);
        let old_down = self.master_down_interval_us();
        self.priority = prio;
        let new_down = self.master_down_interval_us();
        if let (Some(at), DownCause::MasterDown) = (self.down_at, self.down_cause) {
            let shifted = if new_down >= old_down {
                at.add_micros(new_down - old_down)
            } else {
                Timestamp::from_micros(at.as_micros().saturating_sub(old_down - new_down))
            };
            self.down_at = Some(shifted);
        }
    }

    /// Applies a new configuration (a configuration reload) without touching
    /// the protocol state: a MASTER stays MASTER with no state change and no
    /// GARP burst, a BACKUP keeps its down timer, and FAULT stays FAULT.
    /// keepalived does the same for an instance it matches across a reload
    /// (same VRID, family, interface and unicast mode).
    ///
    /// - The effective priority keeps the trackers' adjustment: it moves by
    ///   the change of base priority (an owner, base 255, is always 255).
    ///   A caller with trackers sets it again with
    ///   [`Instance::set_effective_priority`] afterwards.
    /// - A MASTER sends one advert at once, with the new priority and
    ///   addresses, and its advert timer restarts from the (new) interval, as
    ///   keepalived's reload does ("a MASTER keeps advertising straight
    ///   away").
    /// - A BACKUP adopts a new configured interval (VRRPv3: until the next
    ///   advert tells it the master's); its down timer runs on.
    /// - A `preempt_delay` in progress is dropped when preemption or the
    ///   delay is switched off; the `garp_master_refresh` timer follows the
    ///   new period.
    pub fn reconfigure(&mut self, cfg: InstanceConfig, tuning: Tuning, now: Timestamp) {
        let cfg = cfg.normalised();
        let old_base = self.cfg.priority;
        let old_int = self.cfg.advert_int_us;
        let old_refresh_us = self.tuning.garp_master_refresh_us;
        let adjusted = i32::from(self.priority) - i32::from(old_base);
        self.cfg = cfg;
        self.tuning = tuning;
        let base = self.cfg.priority;
        if base == 255 {
            self.priority = 255;
        } else if base != old_base {
            let target =
                (i32::from(base) + if old_base == 255 { 0 } else { adjusted }).clamp(1, 254);
            // Through the setter, so a running down timer moves with the
            // change of Master_Down_Interval.
            self.set_effective_priority(u8::try_from(target).unwrap_or(base));
        }
        if !self.cfg.preempt || self.cfg.preempt_delay_us == 0 {
            self.preempt_until = None;
        }
        match self.state {
            State::Master => {
                self.master_adver_int_us = self.cfg.advert_int_us;
                self.send_advert_now(now);
                let period = self.tuning.garp_master_refresh_us;
                self.garp_refresh_at = if period > 0 && self.tuning.garp_master_refresh_repeat > 0 {
                    Some(
                        self.garp_refresh_at
                            .filter(|_| period == old_refresh_us)
                            .unwrap_or_else(|| now.add_micros(period)),
                    )
                } else {
                    None
                };
                if self.tuning.garp_lower_prio_repeat == 0 {
                    self.garp_lower_at = None;
                }
                if self.cfg.garp_master_repeat == 0 {
                    self.garp_at = None;
                }
            }
            State::Backup => {
                if self.cfg.advert_int_us != old_int
                    && (self.cfg.version == 2 || self.master.is_none())
                {
                    self.master_adver_int_us = self.cfg.advert_int_us;
                }
                if !self.tuning.sync_member {
                    self.wants_master = false;
                }
            }
            State::Initialize | State::Fault => {
                self.master_adver_int_us = self.cfg.advert_int_us;
            }
        }
    }

    /// Zeroes the counters (keepalived's STATS_CLEAR); state is untouched.
    pub fn clear_stats(&mut self) {
        self.stats = Stats::default();
    }

    /// Sets the address our adverts come from (and that breaks priority
    /// ties), for an interface whose address was not known at start.
    pub fn set_local_addr(&mut self, addr: IpAddr) {
        self.cfg.local_addr = addr;
    }

    /// Feeds one input. Never panics, whatever the advert contains.
    pub fn handle(&mut self, now: Timestamp, input: Input<'_>) {
        match input {
            Input::Startup => self.startup(now),
            Input::Advert {
                src,
                ttl,
                multicast,
                advert,
            } => self.receive(now, src, ttl, multicast, &advert),
            Input::Timeout => self.timeout(now),
            Input::Shutdown => self.shutdown(),
            Input::Fault(on) => self.fault(now, on),
            Input::SyncMaster => self.sync_master(now),
            Input::SyncBackup => self.sync_backup(now),
        }
    }

    /// The group goes MASTER: only a running BACKUP follows.
    fn sync_master(&mut self, now: Timestamp) {
        if self.state == State::Backup {
            self.become_master(now, StateChangeReason::SyncGroup);
        } else {
            tracing::debug!(instance = %self.cfg.name, state = %self.state, "sync master ignored");
        }
    }

    /// The group goes BACKUP: a MASTER steps down quietly (no priority-0
    /// advert, as keepalived's `vrrp_sync_backup`), so the peers take over
    /// only through their own down timers and group logic.
    fn sync_backup(&mut self, now: Timestamp) {
        if self.state == State::Master {
            self.actions.push_back(Action::RemoveVips);
            self.stats.released_master += 1;
            self.enter_backup(
                now,
                self.master_down_interval_us(),
                StateChangeReason::SyncGroup,
            );
        } else {
            tracing::debug!(instance = %self.cfg.name, state = %self.state, "sync backup ignored");
        }
    }

    /// keepalived's FAULT handling: a MASTER resigns with a priority-0 advert
    /// and drops its addresses; nothing is sent or heard while faulted; when
    /// the fault clears the instance starts over as BACKUP with a full
    /// Master_Down_Interval (an owner configured MASTER goes straight to
    /// MASTER).
    fn fault(&mut self, now: Timestamp, on: bool) {
        if self.faulted == on {
            return;
        }
        self.faulted = on;
        let from = self.state;
        match (from, on) {
            (State::Initialize, _) => {}
            (State::Fault, true) => {}
            (State::Master, true) | (State::Backup, true) => {
                if from == State::Master {
                    self.push_advert(0);
                    self.stats.priority_zero_sent += 1;
                    self.actions.push_back(Action::RemoveVips);
                    self.stats.released_master += 1;
                }
                self.clear_timers();
                self.master = None;
                self.state = State::Fault;
                self.push_state_change(from, StateChangeReason::Fault);
            }
            (State::Fault, false) => {
                self.master_adver_int_us = self.cfg.advert_int_us;
                if self.cfg.priority == 255 && self.cfg.start_as_master {
                    if self.tuning.sync_member {
                        // Ask the group at once (keepalived's 1 µs timer).
                        self.enter_backup(now, 0, StateChangeReason::FaultCleared);
                    } else {
                        self.become_master(now, StateChangeReason::FaultCleared);
                    }
                } else {
                    let down = self.master_down_interval_us();
                    self.enter_backup(now, down, StateChangeReason::FaultCleared);
                }
            }
            (State::Master, false) | (State::Backup, false) => {}
        }
    }

    fn startup(&mut self, now: Timestamp) {
        if self.state != State::Initialize {
            tracing::debug!(instance = %self.cfg.name, "startup ignored: already running");
            return;
        }
        self.priority = self.cfg.priority;
        self.master_adver_int_us = self.cfg.advert_int_us;
        self.master = None;
        if self.faulted {
            self.state = State::Fault;
            self.push_state_change(State::Initialize, StateChangeReason::Fault);
            return;
        }
        let owner_master = self.cfg.priority == 255 && self.cfg.start_as_master;
        if owner_master && !self.tuning.sync_member {
            self.become_master(now, StateChangeReason::OwnerStartup);
            return;
        }
        let down = if owner_master {
            // A sync member asks the group straight away (keepalived's 1 µs
            // down timer); a group mixing owners and non-owners therefore
            // does not start as MASTER at once, it waits for the
            // non-owners' own timers.
            0
        } else if self.cfg.start_as_master {
            // keepalived: one interval plus the minimum skew, so a configured
            // MASTER takes over after about one interval of silence.
            self.cfg.advert_int_us.saturating_add(timing::skew_us(
                self.cfg.version,
                255,
                self.master_adver_int_us,
            ))
        } else {
            self.master_down_interval_us()
        };
        self.enter_backup(now, down, StateChangeReason::Startup);
    }

    fn shutdown(&mut self) {
        let from = self.state;
        match from {
            State::Initialize => return,
            State::Fault => {}
            State::Master => {
                self.push_advert(0);
                self.stats.priority_zero_sent += 1;
                self.actions.push_back(Action::RemoveVips);
                self.stats.released_master += 1;
            }
            State::Backup => {}
        }
        self.clear_timers();
        self.state = State::Initialize;
        self.push_state_change(from, StateChangeReason::Shutdown);
    }

    fn timeout(&mut self, now: Timestamp) {
        match self.state {
            State::Initialize | State::Fault => {}
            State::Backup => {
                if self.down_at.is_some_and(|at| at <= now) {
                    let reason = match (self.down_cause, self.ignored_lower) {
                        (DownCause::PriorityZero, _) => StateChangeReason::PriorityZeroReceived,
                        (DownCause::MasterDown, true) => StateChangeReason::PreemptLowerPriority,
                        (DownCause::MasterDown, false) => StateChangeReason::MasterDownTimerExpired,
                    };
                    if self.tuning.sync_member {
                        self.want_master(now, reason);
                    } else {
                        self.become_master(now, reason);
                    }
                }
            }
            State::Master => {
                if let Some(at) = self.advert_at.filter(|at| *at <= now) {
                    self.send_periodic_advert(at, now);
                }
                if self.garp_at.is_some_and(|at| at <= now) {
                    self.garp_at = None;
                    self.actions.push_back(Action::SendGratuitousArp {
                        repeat: self.cfg.garp_master_repeat,
                    });
                }
                if self.garp_lower_at.is_some_and(|at| at <= now) {
                    self.garp_lower_at = None;
                    self.actions.push_back(Action::SendGratuitousArp {
                        repeat: self.tuning.garp_lower_prio_repeat,
                    });
                }
                if let Some(due) = self.garp_refresh_at.filter(|at| *at <= now) {
                    self.actions.push_back(Action::SendGratuitousArp {
                        repeat: self.tuning.garp_master_refresh_repeat,
                    });
                    let period = self.tuning.garp_master_refresh_us;
                    let next = due.add_micros(period);
                    // Same drift rule as the advert timer: keep the phase,
                    // but never burst to catch up after a stall.
                    self.garp_refresh_at = Some(if next > now {
                        next
                    } else {
                        now.add_micros(period)
                    });
                }
            }
        }
    }

    fn receive(
        &mut self,
        now: Timestamp,
        src: IpAddr,
        ttl: u8,
        multicast: bool,
        adv: &AdvertView<'_>,
    ) {
        if matches!(self.state, State::Initialize | State::Fault) {
            self.stats.dropped_not_running += 1;
            return;
        }
        self.stats.adverts_received += 1;
        if !self.check_advert(src, ttl, multicast, adv) {
            return;
        }
        if adv.priority == 0 {
            self.stats.priority_zero_received += 1;
        }
        if self.tuning.owner_ignore_adverts && self.cfg.priority == 255 {
            self.stats.owner_ignored += 1;
            return;
        }
        match self.state {
            State::Initialize | State::Fault => {}
            State::Backup => self.backup_rx(now, src, adv),
            State::Master => self.master_rx(now, src, adv),
        }
    }

    /// keepalived's per-instance checks (reference §3.14, items 3–14). Returns
    /// whether the advert takes part in the election.
    fn check_advert(
        &mut self,
        src: IpAddr,
        ttl: u8,
        multicast: bool,
        adv: &AdvertView<'_>,
    ) -> bool {
        let name = &self.cfg.name;
        if adv.vrid != self.cfg.vrid {
            self.stats.dropped_vrid += 1;
            tracing::debug!(instance = %name, %src, vrid = adv.vrid, "advert for another VRID");
            return false;
        }
        if multicast && ttl != VRRP_TTL {
            self.stats.dropped_ttl += 1;
            tracing::debug!(instance = %name, %src, ttl, "multicast advert with TTL != 255");
            return false;
        }
        if adv.version != self.cfg.version {
            self.stats.dropped_version += 1;
            tracing::debug!(instance = %name, %src, version = adv.version, "advert version mismatch");
            return false;
        }
        let advert_int_us = timing::advert_interval_us(adv.adver_int_cs);
        if adv.version == 2 {
            if !adv.auth.ct_eq(&self.cfg.auth) {
                self.stats.dropped_auth += 1;
                tracing::debug!(instance = %name, %src, "advert authentication mismatch");
                return false;
            }
            // keepalived drops these "to prevent multiple masters"; the result
            // can in fact be two masters, but it is the oracle.
            let bad = advert_int_us != self.cfg.advert_int_us;
            if note(&mut self.warned, 0, bad, src) {
                tracing::warn!(instance = %name, %src, cs = adv.adver_int_cs, "({name}) advert interval from {src} differs from ours: dropped (VRRPv2)");
            }
            if bad {
                self.stats.dropped_interval += 1;
                tracing::debug!(instance = %name, %src, cs = adv.adver_int_cs, "advert interval mismatch");
                return false;
            }
        } else {
            let bad = advert_int_us != self.cfg.advert_int_us;
            if note(&mut self.warned, 1, bad, src) {
                tracing::warn!(instance = %name, %src, cs = adv.adver_int_cs, "({name}) advert interval from {src} differs from ours (VRRPv3: a backup adopts it)");
            }
            if bad {
                self.stats.interval_mismatch += 1;
                tracing::debug!(instance = %name, %src, cs = adv.adver_int_cs, "v3 advert interval differs from ours");
            }
        }
        // keepalived ≥ 2.3.3: a differing address list is reported, not fatal,
        // so rolling VIP changes do not cause split brain.
        let bad =
            adv.naddr() != self.cfg.vips.len() || self.cfg.vips.iter().any(|v| !adv.contains(*v));
        if note(&mut self.warned, 2, bad, src) {
            tracing::warn!(instance = %name, %src, "({name}) advert address list from {src} differs from our VIPs (accepted, as keepalived 2.3.3+)");
        }
        if bad {
            self.stats.address_list_mismatch += 1;
            tracing::debug!(instance = %name, %src, "advert address list differs from our VIPs");
        }
        true
    }

    /// RFC 5798 §6.4.2 with keepalived's preempt_delay (reference §3.2).
    fn backup_rx(&mut self, now: Timestamp, src: IpAddr, adv: &AdvertView<'_>) {
        if adv.priority == 0 {
            self.down_at = Some(now.add_micros(self.skew_time_us()));
            self.down_cause = DownCause::PriorityZero;
            return;
        }
        let accept = if !self.cfg.preempt {
            true
        } else if adv.priority >= self.priority {
            self.preempt_until = None;
            true
        } else if self.cfg.preempt_delay_us > 0 {
            let until = *self
                .preempt_until
                .get_or_insert(now.add_micros(self.cfg.preempt_delay_us));
            now < until
        } else {
            false
        };
        if !accept {
            self.stats.ignored_lower_priority += 1;
            self.ignored_lower = true;
            tracing::debug!(instance = %self.cfg.name, %src, prio = adv.priority, "lower priority advert ignored");
            return;
        }
        if self.cfg.version == 3 {
            self.master_adver_int_us = timing::advert_interval_us(adv.adver_int_cs);
        }
        self.master = Some((src, adv.priority));
        self.arm_down(now, self.master_down_interval_us());
        if self.wants_master {
            tracing::debug!(instance = %self.cfg.name, %src, "master heard: no longer wants MASTER");
            self.wants_master = false;
        }
    }

    /// RFC 5798 §6.4.3 with keepalived's "forcing new election" (reference §3.7).
    fn master_rx(&mut self, now: Timestamp, src: IpAddr, adv: &AdvertView<'_>) {
        if adv.priority == 0 {
            self.send_advert_now(now);
            return;
        }
        if adv.priority == self.priority && src == self.cfg.local_addr {
            self.stats.own_address_ignored += 1;
            tracing::debug!(instance = %self.cfg.name, "equal priority advert from our own address");
            return;
        }
        let reason = if adv.priority > self.priority {
            Some(StateChangeReason::HigherPriorityAdvert)
        } else if adv.priority == self.priority && src > self.cfg.local_addr {
            Some(StateChangeReason::EqualPriorityHigherAddress)
        } else {
            None
        };
        match reason {
            Some(reason) => {
                if self.cfg.version == 3 {
                    self.master_adver_int_us = timing::advert_interval_us(adv.adver_int_cs);
                }
                self.master = Some((src, adv.priority));
                if self.tuning.higher_prio_send_advert {
                    self.push_advert(self.priority);
                }
                self.actions.push_back(Action::RemoveVips);
                self.stats.released_master += 1;
                self.enter_backup(now, self.master_down_interval_us(), reason);
            }
            None => {
                self.stats.master_rx_lower_priority += 1;
                if !self.tuning.lower_prio_no_advert {
                    self.send_advert_now(now);
                }
                let repeat = self.tuning.garp_lower_prio_repeat;
                if repeat > 0 {
                    self.actions.push_back(Action::SendGratuitousArp { repeat });
                    let delay = self.tuning.garp_lower_prio_delay_us;
                    if delay > 0 && self.garp_lower_at.is_none() {
                        self.garp_lower_at = Some(now.add_micros(delay));
                    }
                }
                self.actions.push_back(Action::MasterRxLowerPriority {
                    src,
                    priority: adv.priority,
                });
            }
        }
    }

    fn become_master(&mut self, now: Timestamp, reason: StateChangeReason) {
        let from = self.state;
        self.clear_timers();
        self.state = State::Master;
        self.master = None;
        self.master_adver_int_us = self.cfg.advert_int_us;
        self.push_advert(self.priority);
        self.actions.push_back(Action::AddVips);
        if self.cfg.garp_master_repeat > 0 {
            self.actions.push_back(Action::SendGratuitousArp {
                repeat: self.cfg.garp_master_repeat,
            });
            if self.cfg.garp_master_delay_us > 0 {
                self.garp_at = Some(now.add_micros(self.cfg.garp_master_delay_us));
            }
        }
        if self.tuning.garp_master_refresh_us > 0 && self.tuning.garp_master_refresh_repeat > 0 {
            self.garp_refresh_at = Some(
                now.add_micros(self.cfg.garp_master_delay_us)
                    .add_micros(self.tuning.garp_master_refresh_us),
            );
        }
        self.advert_at = Some(now.add_micros(self.cfg.advert_int_us));
        self.stats.became_master += 1;
        self.push_state_change(from, reason);
    }

    /// A sync member would go MASTER (`reason`) but the group decides: record
    /// the wish, tell the daemon, and re-arm the down timer so the wish is
    /// repeated if nothing changes (keepalived re-runs its down timer too).
    fn want_master(&mut self, now: Timestamp, reason: StateChangeReason) {
        tracing::debug!(instance = %self.cfg.name, %reason, "sync member wants MASTER");
        self.wants_master = true;
        self.actions.push_back(Action::WantMaster);
        self.arm_down(now, self.master_down_interval_us());
    }

    fn enter_backup(&mut self, now: Timestamp, down_us: u64, reason: StateChangeReason) {
        let from = self.state;
        self.clear_timers();
        self.state = State::Backup;
        self.arm_down(now, down_us);
        self.push_state_change(from, reason);
    }

    fn arm_down(&mut self, now: Timestamp, down_us: u64) {
        // At least 1 µs, so a Timeout at `now` never leaves an expired timer.
        self.down_at = Some(now.add_micros(down_us.max(1)));
        self.down_cause = DownCause::MasterDown;
        self.ignored_lower = false;
    }

    fn send_advert_now(&mut self, now: Timestamp) {
        self.push_advert(self.priority);
        self.advert_at = Some(now.add_micros(self.cfg.advert_int_us));
    }

    /// The advert timer fired (due at `due`, handled at `now`). The next one is
    /// due one interval after `due`, not after `now`, so a daemon that handles
    /// many instances in one wake-up does not let their adverts drift later by
    /// the handling time every interval. If we are a whole interval or more
    /// behind (the process was stopped), restart from `now` instead of bursting.
    fn send_periodic_advert(&mut self, due: Timestamp, now: Timestamp) {
        self.push_advert(self.priority);
        let next = due.add_micros(self.cfg.advert_int_us);
        self.advert_at = Some(if next > now {
            next
        } else {
            now.add_micros(self.cfg.advert_int_us)
        });
    }

    fn push_advert(&mut self, priority: u8) {
        self.stats.adverts_sent += 1;
        self.actions.push_back(Action::SendAdvert { priority });
    }

    fn push_state_change(&mut self, from: State, reason: StateChangeReason) {
        tracing::debug!(instance = %self.cfg.name, %from, to = %self.state, %reason, "state change");
        self.actions.push_back(Action::StateChanged {
            from,
            to: self.state,
            priority: self.priority,
            reason,
        });
    }

    fn clear_timers(&mut self) {
        self.down_at = None;
        self.advert_at = None;
        self.garp_at = None;
        self.garp_lower_at = None;
        self.garp_refresh_at = None;
        self.preempt_until = None;
        self.wants_master = false;
        self.ignored_lower = false;
        self.down_cause = DownCause::MasterDown;
    }
}

/// Rate limit for recurring advert problems: `true` when problem `k`
/// from `src` deserves a warning now (the first time from this source);
/// a good advert from the source re-arms the warning.
fn note(warned: &mut [Option<IpAddr>; 3], k: usize, bad: bool, src: IpAddr) -> bool {
    let Some(slot) = warned.get_mut(k) else {
        return false;
    };
    if !bad {
        if *slot == Some(src) {
            *slot = None;
        }
        return false;
    }
    if *slot == Some(src) {
        return false;
    }
    *slot = Some(src);
    true
}

#[cfg(test)]
mod note_tests {
    use super::note;
    use std::net::IpAddr;

    #[test]
    fn one_warning_per_source_until_it_is_fine_again() {
        let mut w = [None; 3];
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        assert!(note(&mut w, 2, true, a));
        assert!(!note(&mut w, 2, true, a));
        assert!(note(&mut w, 2, true, b));
        assert!(note(&mut w, 2, true, a));
        assert!(!note(&mut w, 2, false, a));
        assert!(note(&mut w, 2, true, a));
        // Other problems are independent.
        assert!(note(&mut w, 0, true, a));
        assert!(!note(&mut w, 9, true, a));
    }
}
