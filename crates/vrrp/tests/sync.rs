//! Sync-group primitives on a virtual clock: two routers, each running two
//! instances (VRID 1 and VRID 2) in one sync group. The daemon's group rule
//! (keepalived's vrrp_sync.c, reference §3.13) is played by a coordinator in
//! this file, built only on the instance's public API:
//!
//! - a member goes MASTER only when every member wants MASTER, and then all
//!   do ([`Input::SyncMaster`]);
//! - a member that leaves MASTER for BACKUP pulls the others to BACKUP
//!   ([`Input::SyncBackup`]);
//! - one member's fault faults every member ([`Input::Fault`]).

use std::net::Ipv4Addr;

use proptest::prelude::*;
use vrrp::packet::{decode_ipv4, decode_vrrp, encode_vrrp, ChecksumPolicy};
use vrrp::{
    Action, AuthData, Input, Instance, InstanceConfig, State, StateChangeReason, Timestamp, Tuning,
    VRRP_MCAST_V4,
};

const S: u64 = 1_000_000;
const LATENCY: u64 = 200;
/// v2 Master_Down_Interval for priority 200 and 100 (1 s adverts).
const DOWN_200: u64 = 3_218_750;
const DOWN_100: u64 = 3_609_375;
/// v2 Skew_Time for priority 100.
const SKEW_100: u64 = 609_375;

const SYNC: Tuning = Tuning {
    sync_member: true,
    lower_prio_no_advert: false,
    higher_prio_send_advert: false,
    garp_lower_prio_repeat: 0,
    garp_lower_prio_delay_us: 0,
    owner_ignore_adverts: false,
    garp_master_refresh_us: 0,
    garp_master_refresh_repeat: 0,
    checksum: ChecksumPolicy::Rfc,
};

fn vip(vrid: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, 100 + vrid)
}

/// Something the coordinator must react to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupEvent {
    Want,
    /// Left MASTER for BACKUP on its own (an election, not the group).
    LeftMaster,
}

struct Member {
    inst: Instance,
    has_vips: bool,
    reported: State,
    /// (time, from, to, reason) of every transition.
    log: Vec<(u64, State, State, StateChangeReason)>,
    want_count: u32,
}

struct Router {
    members: Vec<Member>,
    /// Per-member fault causes (interface down, tracker...).
    faults: Vec<bool>,
}

struct Net {
    now: u64,
    routers: Vec<Router>,
    /// (deliver at, sending router, datagram).
    in_flight: Vec<(u64, usize, Vec<u8>)>,
    /// Adverts of these (router, VRID) pairs are lost on the wire.
    lossy: Vec<(usize, u8)>,
    buf: Vec<u8>,
}

impl Net {
    /// Two routers at 192.0.2.1 and .2 with the given priorities, both
    /// running VRID 1 and 2 as sync members.
    fn new(prio: [u8; 2]) -> Self {
        let routers = prio
            .iter()
            .enumerate()
            .map(|(r, &p)| {
                let local = Ipv4Addr::new(192, 0, 2, 1 + r as u8);
                let members = (1..=2u8)
                    .map(|vrid| {
                        let mut c = InstanceConfig::with_defaults(
                            &format!("VI_{vrid}"),
                            vrid,
                            local,
                            vec![vip(vrid)],
                        );
                        c.priority = p;
                        Member {
                            inst: Instance::with_tuning(c, SYNC),
                            has_vips: false,
                            reported: State::Initialize,
                            log: Vec::new(),
                            want_count: 0,
                        }
                    })
                    .collect();
                Router {
                    members,
                    faults: vec![false; 2],
                }
            })
            .collect();
        Net {
            now: 0,
            routers,
            in_flight: Vec::new(),
            lossy: Vec::new(),
            buf: Vec::new(),
        }
    }

    /// Feeds one input to one member, then lets the group react.
    fn input(&mut self, r: usize, m: usize, input: Input<'_>) {
        self.routers[r].members[m]
            .inst
            .handle(Timestamp::from_micros(self.now), input);
        let events = self.drain(r, m);
        self.coordinate(r, events);
    }

    fn start(&mut self) {
        for r in 0..self.routers.len() {
            for m in 0..2 {
                self.input(r, m, Input::Startup);
            }
        }
    }

    /// The group's fault rule: the group is faulted while any member has a
    /// fault cause, and then every member is.
    fn set_fault(&mut self, r: usize, m: usize, on: bool) {
        self.routers[r].faults[m] = on;
        let group = self.routers[r].faults.iter().any(|f| *f);
        let mut events = Vec::new();
        for k in 0..2 {
            self.routers[r].members[k]
                .inst
                .handle(Timestamp::from_micros(self.now), Input::Fault(group));
            events.extend(self.drain(r, k));
        }
        self.coordinate(r, events);
    }

    /// The group's MASTER/BACKUP rules, run until nothing more happens.
    fn coordinate(&mut self, r: usize, mut events: Vec<(usize, GroupEvent)>) {
        for _ in 0..64 {
            let Some((m, ev)) = events.pop() else {
                self.check_group(r);
                return;
            };
            let input = match ev {
                GroupEvent::Want => {
                    if !self.routers[r]
                        .members
                        .iter()
                        .all(|x| x.inst.wants_master())
                    {
                        continue;
                    }
                    Input::SyncMaster
                }
                GroupEvent::LeftMaster => Input::SyncBackup,
            };
            for k in (0..2).filter(|&k| k != m || ev == GroupEvent::Want) {
                self.routers[r].members[k]
                    .inst
                    .handle(Timestamp::from_micros(self.now), input);
                events.extend(self.drain(r, k));
            }
        }
        panic!("sync group did not settle");
    }

    /// After the group logic ran, a running group is never split.
    fn check_group(&self, r: usize) {
        let states: Vec<State> = self.routers[r]
            .members
            .iter()
            .map(|m| m.inst.state())
            .collect();
        assert!(
            !(states.contains(&State::Master) && states.contains(&State::Backup)),
            "router {r} split at {}: {states:?}",
            self.now
        );
    }

    fn drain(&mut self, r: usize, m: usize) -> Vec<(usize, GroupEvent)> {
        let now = self.now;
        let mut events = Vec::new();
        let x = &mut self.routers[r].members[m];
        while let Some(a) = x.inst.poll_action() {
            match a {
                Action::SendAdvert { priority } => {
                    assert_eq!(
                        x.inst
                            .encode_advert_ipv4(&mut self.buf, VRRP_MCAST_V4, 255, priority),
                        Ok(())
                    );
                    let vrid = x.inst.config().vrid;
                    if !self.lossy.contains(&(r, vrid)) {
                        self.in_flight.push((now + LATENCY, r, self.buf.clone()));
                    }
                }
                Action::AddVips => {
                    assert!(!x.has_vips, "AddVips twice");
                    x.has_vips = true;
                }
                Action::RemoveVips => {
                    assert!(x.has_vips, "RemoveVips without AddVips");
                    x.has_vips = false;
                }
                Action::SendGratuitousArp { .. } => assert!(x.has_vips),
                Action::WantMaster => {
                    assert_eq!(x.reported, State::Backup);
                    x.want_count += 1;
                    events.push((m, GroupEvent::Want));
                }
                Action::MasterRxLowerPriority { .. } => assert_eq!(x.reported, State::Master),
                Action::StateChanged {
                    from, to, reason, ..
                } => {
                    assert_eq!(from, x.reported);
                    if to == State::Master {
                        assert_eq!(reason, StateChangeReason::SyncGroup, "went MASTER alone");
                    }
                    x.reported = to;
                    x.log.push((now, from, to, reason));
                    if from == State::Master
                        && to == State::Backup
                        && reason != StateChangeReason::SyncGroup
                    {
                        events.push((m, GroupEvent::LeftMaster));
                    }
                }
            }
        }
        assert_eq!(x.reported, x.inst.state());
        assert_eq!(x.has_vips, x.inst.state() == State::Master);
        events
    }

    fn next_event(&self) -> Option<u64> {
        let timers = self
            .routers
            .iter()
            .flat_map(|r| r.members.iter())
            .filter_map(|m| m.inst.poll_timeout())
            .map(Timestamp::as_micros);
        timers.chain(self.in_flight.iter().map(|p| p.0)).min()
    }

    fn run_until(&mut self, until: u64) {
        for _ in 0..100_000 {
            let Some(next) = self.next_event().filter(|&t| t <= until) else {
                self.now = until;
                return;
            };
            assert!(next >= self.now, "time went backwards");
            self.now = next;
            let (due, later) = self.in_flight.drain(..).partition(|p| p.0 <= next);
            self.in_flight = later;
            for (_, from, bytes) in due {
                let Ok((meta, advert)) = decode_ipv4(&bytes) else {
                    panic!("own encoder produced undecodable bytes");
                };
                for r in (0..self.routers.len()).filter(|&r| r != from) {
                    let m = usize::from(advert.vrid) - 1;
                    let input = Input::Advert {
                        src: meta.src.into(),
                        ttl: meta.ttl,
                        multicast: true,
                        advert,
                    };
                    self.input(r, m, input);
                }
            }
            for r in 0..self.routers.len() {
                for m in 0..2 {
                    let due = self.routers[r].members[m].inst.poll_timeout();
                    if due.is_some_and(|d| d.as_micros() <= next) {
                        self.input(r, m, Input::Timeout);
                    }
                }
            }
        }
        panic!("simulation did not settle");
    }

    fn states(&self, r: usize) -> [State; 2] {
        [
            self.routers[r].members[0].inst.state(),
            self.routers[r].members[1].inst.state(),
        ]
    }

    fn last_change(&self, r: usize, m: usize) -> Option<(u64, State, State, StateChangeReason)> {
        self.routers[r].members[m].log.last().copied()
    }
}

/// Router 0 advertises every second from DOWN_200: the last advert before
/// 20 s arrives at this time.
const LAST_HEARD_BEFORE_20S: u64 = DOWN_200 + 16 * S + LATENCY;

const M2: [State; 2] = [State::Master, State::Master];
const B2: [State; 2] = [State::Backup, State::Backup];
const F2: [State; 2] = [State::Fault, State::Fault];

/// Both routers started at 0: router 0 (priority 200) wins both VRIDs.
fn elected() -> Net {
    let mut net = Net::new([200, 100]);
    net.start();
    net.run_until(10 * S);
    assert_eq!(net.states(0), M2);
    assert_eq!(net.states(1), B2);
    for m in 0..2 {
        assert_eq!(
            net.last_change(0, m),
            Some((
                DOWN_200,
                State::Backup,
                State::Master,
                StateChangeReason::SyncGroup
            ))
        );
        assert_eq!(net.routers[1].members[m].want_count, 0);
    }
    net
}

#[test]
fn group_starts_master_together() {
    let _ = elected();
}

#[test]
fn one_vrid_fault_moves_both_vrids_to_the_other_router() {
    let mut net = elected();
    // VRID 1's interface on router 0 goes down at 20 s: the whole group
    // faults and resigns with priority 0 on both VRIDs.
    net.run_until(20 * S);
    net.set_fault(0, 0, true);
    assert_eq!(net.states(0), F2);
    net.run_until(20 * S + LATENCY + SKEW_100);
    assert_eq!(net.states(1), M2);
    for m in 0..2 {
        assert_eq!(
            net.last_change(1, m),
            Some((
                20 * S + LATENCY + SKEW_100,
                State::Backup,
                State::Master,
                StateChangeReason::SyncGroup
            )),
            "VRID {} failed over on its own schedule",
            m + 1
        );
        assert_eq!(
            net.last_change(0, m).map(|c| (c.0, c.2, c.3)),
            Some((20 * S, State::Fault, StateChangeReason::Fault))
        );
    }
    net.run_until(40 * S);
    assert_eq!(net.states(0), F2);
    assert_eq!(net.states(1), M2);

    // Recovery at 40 s, with router 0's VRID 2 adverts lost on the way to
    // router 1: router 0 preempts both VRIDs together after its
    // Master_Down_Interval; router 1 hears the winning VRID 1 advert only, and
    // that member pulls VRID 2 down with it.
    net.lossy.push((0, 2));
    net.set_fault(0, 0, false);
    assert_eq!(net.states(0), B2);
    net.run_until(40 * S + DOWN_200 + LATENCY);
    assert_eq!(net.states(0), M2);
    assert_eq!(net.states(1), B2);
    assert_eq!(
        net.last_change(1, 0),
        Some((
            40 * S + DOWN_200 + LATENCY,
            State::Master,
            State::Backup,
            StateChangeReason::HigherPriorityAdvert
        ))
    );
    assert_eq!(
        net.last_change(1, 1),
        Some((
            40 * S + DOWN_200 + LATENCY,
            State::Master,
            State::Backup,
            StateChangeReason::SyncGroup
        ))
    );
    // VRID 2 on router 1 hears nothing and keeps asking, but its partner
    // hears a master, so the group stays BACKUP: no split.
    net.run_until(80 * S);
    assert_eq!(net.states(0), M2);
    assert_eq!(net.states(1), B2);
    assert!(net.routers[1].members[1].want_count >= 8);
    assert!(net.routers[1].members[1].inst.wants_master());
    assert!(!net.routers[1].members[0].inst.wants_master());
}

#[test]
fn single_vrid_advert_loss_does_not_split_the_group() {
    let mut net = elected();
    net.run_until(20 * S);
    let log_len: Vec<usize> = (0..2)
        .map(|m| net.routers[1].members[m].log.len())
        .collect();
    net.lossy.push((0, 1));
    net.run_until(60 * S);
    // Router 1's VRID 1 wants MASTER again and again, but VRID 2 still hears
    // its master, so neither member moves.
    assert_eq!(net.states(0), M2);
    assert_eq!(net.states(1), B2);
    let after: Vec<usize> = (0..2)
        .map(|m| net.routers[1].members[m].log.len())
        .collect();
    assert_eq!(after, log_len);
    let asker = &net.routers[1].members[0];
    assert!(asker.inst.wants_master());
    // First expiry DOWN_100 after the last advert heard, then once per
    // Master_Down_Interval.
    let expected = (60 * S - LAST_HEARD_BEFORE_20S) / DOWN_100;
    assert_eq!(u64::from(asker.want_count), expected);
    assert!(!net.routers[1].members[1].inst.wants_master());

    // The adverts come back: the wish is withdrawn at the first one.
    net.lossy.clear();
    net.run_until(62 * S);
    assert!(!net.routers[1].members[0].inst.wants_master());
    let count = net.routers[1].members[0].want_count;
    net.run_until(80 * S);
    assert_eq!(net.routers[1].members[0].want_count, count);
    assert_eq!(net.states(1), B2);
}

#[test]
fn whole_router_loss_fails_both_vrids_over_together() {
    let mut net = elected();
    net.run_until(20 * S);
    // Power cut on router 0 at 20 s (no priority 0): both VRIDs' timers on
    // router 1 run out together; the first to expire waits for the second.
    net.lossy = vec![(0, 1), (0, 2)];
    net.run_until(40 * S);
    assert_eq!(net.states(1), M2);
    let t0 = net.last_change(1, 0).map(|c| c.0);
    assert_eq!(t0, net.last_change(1, 1).map(|c| c.0));
    assert_eq!(t0, Some(LAST_HEARD_BEFORE_20S + DOWN_100));
}

#[test]
fn sync_inputs_are_no_ops_outside_their_states() {
    let mut c = InstanceConfig::with_defaults("VI_S", 1, Ipv4Addr::new(192, 0, 2, 1), vec![vip(1)]);
    c.priority = 100;
    let mut i = Instance::with_tuning(c, SYNC);
    let t = Timestamp::from_micros;
    // INIT: neither input starts the instance.
    i.handle(t(0), Input::SyncMaster);
    i.handle(t(0), Input::SyncBackup);
    assert_eq!(i.poll_action(), None);
    assert_eq!(i.state(), State::Initialize);
    i.handle(t(1), Input::Startup);
    let _ = std::iter::from_fn(|| i.poll_action()).count();
    // BACKUP ignores SyncBackup.
    i.handle(t(2), Input::SyncBackup);
    assert_eq!(i.poll_action(), None);
    // The down timer expires: a wish, no transition, timer re-armed.
    i.handle(t(1 + DOWN_100), Input::Timeout);
    assert_eq!(i.poll_action(), Some(Action::WantMaster));
    assert_eq!(i.poll_action(), None);
    assert_eq!(i.state(), State::Backup);
    assert!(i.wants_master());
    assert_eq!(i.poll_timeout(), Some(t(1 + 2 * DOWN_100)));
    // The group says go: the normal become-master actions.
    i.handle(t(2 * S + DOWN_100), Input::SyncMaster);
    let actions: Vec<_> = std::iter::from_fn(|| i.poll_action()).collect();
    assert_eq!(
        actions,
        [
            Action::SendAdvert { priority: 100 },
            Action::AddVips,
            Action::SendGratuitousArp { repeat: 5 },
            Action::StateChanged {
                from: State::Backup,
                to: State::Master,
                priority: 100,
                reason: StateChangeReason::SyncGroup
            }
        ]
    );
    // MASTER ignores SyncMaster; SyncBackup steps down without priority 0.
    i.handle(t(3 * S + DOWN_100), Input::SyncMaster);
    assert_eq!(i.poll_action(), None);
    i.handle(t(4 * S), Input::SyncBackup);
    let actions: Vec<_> = std::iter::from_fn(|| i.poll_action()).collect();
    assert_eq!(
        actions,
        [
            Action::RemoveVips,
            Action::StateChanged {
                from: State::Master,
                to: State::Backup,
                priority: 100,
                reason: StateChangeReason::SyncGroup
            }
        ]
    );
    assert!(!i.wants_master());
    assert_eq!(i.poll_timeout(), Some(t(4 * S + DOWN_100)));
    // FAULT ignores SyncMaster.
    i.handle(t(5 * S), Input::Fault(true));
    let _ = std::iter::from_fn(|| i.poll_action()).count();
    i.handle(t(6 * S), Input::SyncMaster);
    assert_eq!(i.poll_action(), None);
    assert_eq!(i.state(), State::Fault);
}

#[test]
fn sync_owner_asks_the_group_at_startup() {
    let mut c = InstanceConfig::with_defaults("VI_O", 1, Ipv4Addr::new(192, 0, 2, 1), vec![vip(1)]);
    c.priority = 255;
    c.start_as_master = true;
    let mut i = Instance::with_tuning(c, SYNC);
    let t = Timestamp::from_micros;
    i.handle(t(0), Input::Startup);
    let _ = std::iter::from_fn(|| i.poll_action()).count();
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(1)));
    i.handle(t(1), Input::Timeout);
    assert_eq!(i.poll_action(), Some(Action::WantMaster));
    // Same after a fault clears.
    i.handle(t(2), Input::Fault(true));
    i.handle(t(3), Input::Fault(false));
    let _ = std::iter::from_fn(|| i.poll_action()).count();
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(4)));
}

// ---------------------------------------------------------------------------
// Property: a sync member reaches MASTER only through SyncMaster, and a group
// of one (which always agrees) behaves exactly like a standalone instance.

#[derive(Debug, Clone)]
enum Op {
    Advert { dt: u64, priority: u8, src_last: u8 },
    Timeout { dt: u64 },
    TimeoutAtDeadline,
    Startup { dt: u64 },
    Shutdown { dt: u64 },
    SetPriority { prio: u8 },
    Fault { dt: u64, on: bool },
    SyncMaster { dt: u64 },
    SyncBackup { dt: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0u64..3_000_000, any::<u8>(), 5u8..=15)
            .prop_map(|(dt, priority, src_last)| Op::Advert { dt, priority, src_last }),
        3 => (0u64..5_000_000).prop_map(|dt| Op::Timeout { dt }),
        4 => Just(Op::TimeoutAtDeadline),
        1 => (0u64..2_000_000).prop_map(|dt| Op::Startup { dt }),
        1 => (0u64..2_000_000).prop_map(|dt| Op::Shutdown { dt }),
        1 => any::<u8>().prop_map(|prio| Op::SetPriority { prio }),
        2 => (0u64..2_000_000, any::<bool>()).prop_map(|(dt, on)| Op::Fault { dt, on }),
        2 => (0u64..2_000_000).prop_map(|dt| Op::SyncMaster { dt }),
        2 => (0u64..2_000_000).prop_map(|dt| Op::SyncBackup { dt }),
    ]
}

fn config() -> impl Strategy<Value = InstanceConfig> {
    (
        prop_oneof![Just(255u8), Just(100), 1u8..=255],
        any::<bool>(),
        prop_oneof![Just(0u64), 1u64..10_000_000],
        any::<bool>(),
    )
        .prop_map(|(priority, preempt, delay, start_master)| {
            let mut c =
                InstanceConfig::with_defaults("P", 9, Ipv4Addr::new(10, 0, 0, 10), vec![vip(9)]);
            c.priority = priority;
            c.preempt = preempt;
            c.preempt_delay_us = delay;
            c.start_as_master = start_master;
            c
        })
}

fn advert_input(
    buf: &mut Vec<u8>,
    priority: u8,
    src_last: u8,
) -> Result<(Ipv4Addr, Vec<u8>), TestCaseError> {
    let src = Ipv4Addr::new(10, 0, 0, src_last);
    encode_vrrp(
        buf,
        src,
        VRRP_MCAST_V4,
        2,
        9,
        priority,
        100,
        &AuthData::None,
        &[vip(9)],
    )
    .map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok((src, buf.clone()))
}

/// Actions with the group-only parts removed, for comparing a group of one
/// with a standalone instance.
fn comparable(actions: Vec<Action>) -> Vec<Action> {
    actions
        .into_iter()
        .filter(|a| *a != Action::WantMaster)
        .map(|a| match a {
            Action::StateChanged {
                from, to, priority, ..
            } => Action::StateChanged {
                from,
                to,
                priority,
                reason: StateChangeReason::Startup,
            },
            other => other,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sync_member_enters_master_only_through_sync_master(
        cfg in config(),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut inst = Instance::with_tuning(cfg, SYNC);
        let mut now = 0u64;
        let mut buf = Vec::new();
        inst.handle(Timestamp::from_micros(now), Input::Startup);
        for op in std::iter::once(Op::Timeout { dt: 0 }).chain(ops) {
            let mut sync_master = false;
            let before = inst.state();
            match op {
                Op::Advert { dt, priority, src_last } => {
                    now += dt;
                    let (src, bytes) = advert_input(&mut buf, priority, src_last)?;
                    let advert = decode_vrrp(&bytes, src, VRRP_MCAST_V4)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    inst.handle(Timestamp::from_micros(now), Input::Advert { src: src.into(), ttl: 255, multicast: true, advert });
                }
                Op::Timeout { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Timeout);
                }
                Op::TimeoutAtDeadline => {
                    if let Some(t) = inst.poll_timeout() {
                        now = now.max(t.as_micros());
                    }
                    inst.handle(Timestamp::from_micros(now), Input::Timeout);
                }
                Op::Startup { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Startup);
                }
                Op::Shutdown { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Shutdown);
                }
                Op::SetPriority { prio } => inst.set_effective_priority(prio),
                Op::Fault { dt, on } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Fault(on));
                }
                Op::SyncMaster { dt } => {
                    now += dt;
                    sync_master = true;
                    inst.handle(Timestamp::from_micros(now), Input::SyncMaster);
                }
                Op::SyncBackup { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::SyncBackup);
                }
            }
            let mut wanted = false;
            while let Some(a) = inst.poll_action() {
                match a {
                    Action::StateChanged { to: State::Master, from, reason, .. } => {
                        prop_assert!(sync_master, "MASTER without SyncMaster ({:?})", reason);
                        prop_assert_eq!(from, State::Backup);
                        prop_assert_eq!(reason, StateChangeReason::SyncGroup);
                    }
                    Action::WantMaster => {
                        prop_assert_eq!(before, State::Backup);
                        wanted = true;
                    }
                    _ => {}
                }
            }
            if sync_master {
                let expected = if before == State::Backup { State::Master } else { before };
                prop_assert_eq!(inst.state(), expected);
            }
            if wanted {
                prop_assert!(inst.wants_master());
                prop_assert_eq!(inst.state(), State::Backup);
            }
            if inst.state() == State::Backup {
                // A waiting member keeps a timer, so it asks again.
                prop_assert!(inst.poll_timeout().is_some());
            }
            if matches!(inst.state(), State::Initialize | State::Fault) {
                prop_assert!(!inst.wants_master());
            }
        }
    }

    #[test]
    fn group_of_one_behaves_like_a_standalone_instance(
        cfg in config().prop_filter("owners start differently", |c| !(c.priority == 255 && c.start_as_master)),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut alone = Instance::new(cfg.clone());
        let mut member = Instance::with_tuning(cfg, SYNC);
        let mut now = 0u64;
        let mut buf = Vec::new();
        let ops = std::iter::once(Op::Startup { dt: 0 }).chain(ops);
        for op in ops {
            let feed = |i: &mut Instance, input: Input<'_>, now: u64| -> Vec<Action> {
                i.handle(Timestamp::from_micros(now), input);
                let mut out: Vec<Action> = std::iter::from_fn(|| i.poll_action()).collect();
                // The group of one always agrees at once.
                if out.contains(&Action::WantMaster) {
                    i.handle(Timestamp::from_micros(now), Input::SyncMaster);
                    out.extend(std::iter::from_fn(|| i.poll_action()));
                }
                out
            };
            let (a, m) = match op {
                // No outside group decisions here.
                Op::SyncMaster { .. } | Op::SyncBackup { .. } => continue,
                Op::Advert { dt, priority, src_last } => {
                    now += dt;
                    let (src, bytes) = advert_input(&mut buf, priority, src_last)?;
                    let advert = decode_vrrp(&bytes, src, VRRP_MCAST_V4)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let input = Input::Advert { src: src.into(), ttl: 255, multicast: true, advert };
                    (feed(&mut alone, input, now), feed(&mut member, input, now))
                }
                Op::Timeout { dt } => {
                    now += dt;
                    (feed(&mut alone, Input::Timeout, now), feed(&mut member, Input::Timeout, now))
                }
                Op::TimeoutAtDeadline => {
                    prop_assert_eq!(alone.poll_timeout(), member.poll_timeout());
                    if let Some(t) = alone.poll_timeout() {
                        now = now.max(t.as_micros());
                    }
                    (feed(&mut alone, Input::Timeout, now), feed(&mut member, Input::Timeout, now))
                }
                Op::Startup { dt } => {
                    now += dt;
                    (feed(&mut alone, Input::Startup, now), feed(&mut member, Input::Startup, now))
                }
                Op::Shutdown { dt } => {
                    now += dt;
                    (feed(&mut alone, Input::Shutdown, now), feed(&mut member, Input::Shutdown, now))
                }
                Op::SetPriority { prio } => {
                    alone.set_effective_priority(prio);
                    member.set_effective_priority(prio);
                    (Vec::new(), Vec::new())
                }
                Op::Fault { dt, on } => {
                    now += dt;
                    (feed(&mut alone, Input::Fault(on), now), feed(&mut member, Input::Fault(on), now))
                }
            };
            prop_assert_eq!(comparable(a), comparable(m));
            prop_assert_eq!(alone.state(), member.state());
            prop_assert_eq!(alone.poll_timeout(), member.poll_timeout());
            prop_assert_eq!(alone.stats(), member.stats());
        }
    }
}
