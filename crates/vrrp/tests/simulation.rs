//! Several instances on one simulated LAN with a virtual clock: every
//! `SendAdvert` is encoded to real IPv4 bytes, "transmitted" with a fixed
//! latency and decoded by the other nodes. The driver always jumps to the
//! earliest pending event (quinn-proto style), with a bounded iteration count.

use std::net::Ipv4Addr;

use vrrp::packet::decode_ipv4;
use vrrp::{Action, Input, Instance, InstanceConfig, State, StateChangeReason, Timestamp};

const S: u64 = 1_000_000;
const LATENCY: u64 = 200;
const VIP: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 100);

struct Node {
    inst: Instance,
    /// Whether the node currently holds the VIPs (from Add/RemoveVips).
    has_vips: bool,
    /// State as reported by StateChanged actions.
    reported: State,
    /// (time, from, to, reason) of every transition.
    log: Vec<(u64, State, State, StateChangeReason)>,
    /// A dead node neither sends, receives nor runs timers (power cut).
    alive: bool,
}

struct Lan {
    now: u64,
    nodes: Vec<Node>,
    /// (deliver at, sender index, datagram).
    in_flight: Vec<(u64, usize, Vec<u8>)>,
    buf: Vec<u8>,
}

impl Lan {
    fn new(configs: Vec<InstanceConfig>) -> Self {
        Lan {
            now: 0,
            nodes: configs
                .into_iter()
                .map(|c| Node {
                    inst: Instance::new(c),
                    has_vips: false,
                    reported: State::Initialize,
                    log: Vec::new(),
                    alive: true,
                })
                .collect(),
            in_flight: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn input(&mut self, idx: usize, input: Input<'_>) {
        let now = Timestamp::from_micros(self.now);
        match self.nodes.get_mut(idx) {
            Some(n) if n.alive => n.inst.handle(now, input),
            _ => return,
        }
        self.drain(idx);
    }

    fn drain(&mut self, idx: usize) {
        let now = self.now;
        let Some(n) = self.nodes.get_mut(idx) else {
            return;
        };
        while let Some(a) = n.inst.poll_action() {
            match a {
                Action::SendAdvert { priority } => {
                    let dst = vrrp::VRRP_MCAST_V4;
                    assert_eq!(
                        n.inst.encode_advert_ipv4(&mut self.buf, dst, 255, priority),
                        Ok(())
                    );
                    self.in_flight.push((now + LATENCY, idx, self.buf.clone()));
                }
                Action::AddVips => {
                    assert!(!n.has_vips, "AddVips twice");
                    n.has_vips = true;
                }
                Action::RemoveVips => {
                    assert!(n.has_vips, "RemoveVips without AddVips");
                    n.has_vips = false;
                }
                Action::SendGratuitousArp { .. } => assert!(n.has_vips),
                Action::WantMaster => panic!("WantMaster from an instance outside any sync group"),
                Action::MasterRxLowerPriority { .. } => assert_eq!(n.reported, State::Master),
                Action::StateChanged {
                    from, to, reason, ..
                } => {
                    assert_eq!(from, n.reported);
                    n.reported = to;
                    n.log.push((now, from, to, reason));
                }
            }
        }
        assert_eq!(n.reported, n.inst.state());
        assert_eq!(n.has_vips, n.inst.state() == State::Master);
    }

    fn next_event(&self) -> Option<u64> {
        let timers = self
            .nodes
            .iter()
            .filter(|n| n.alive)
            .filter_map(|n| n.inst.poll_timeout())
            .map(Timestamp::as_micros);
        let packets = self.in_flight.iter().map(|p| p.0);
        timers.chain(packets).min()
    }

    /// Processes every event up to and including `until`.
    fn run_until(&mut self, until: u64) {
        for _ in 0..100_000 {
            let Some(next) = self.next_event().filter(|&t| t <= until) else {
                self.now = until;
                return;
            };
            assert!(next >= self.now, "time went backwards");
            self.now = next;
            let due: Vec<_> = {
                let (due, later) = self.in_flight.drain(..).partition(|p| p.0 <= next);
                self.in_flight = later;
                due
            };
            for (_, from, bytes) in due {
                let Ok((meta, advert)) = decode_ipv4(&bytes) else {
                    panic!("own encoder produced undecodable bytes");
                };
                for idx in 0..self.nodes.len() {
                    if idx != from {
                        self.input(
                            idx,
                            Input::Advert {
                                src: meta.src.into(),
                                ttl: meta.ttl,
                                multicast: true,
                                advert,
                            },
                        );
                    }
                }
            }
            for idx in 0..self.nodes.len() {
                let due = self
                    .nodes
                    .get(idx)
                    .filter(|n| n.alive)
                    .and_then(|n| n.inst.poll_timeout());
                if due.is_some_and(|d| d.as_micros() <= next) {
                    self.input(idx, Input::Timeout);
                    let after = self.nodes.get(idx).and_then(|n| n.inst.poll_timeout());
                    assert!(
                        after.is_none_or(|a| a.as_micros() > next),
                        "timer would spin"
                    );
                }
            }
        }
        panic!("simulation did not settle");
    }

    fn masters(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| {
                self.nodes
                    .get(i)
                    .is_some_and(|n| n.alive && n.inst.state() == State::Master)
            })
            .collect()
    }

    fn last_change(&self, idx: usize) -> Option<(u64, State, State, StateChangeReason)> {
        self.nodes.get(idx).and_then(|n| n.log.last().copied())
    }
}

fn node(last_octet: u8, priority: u8) -> InstanceConfig {
    let mut c =
        InstanceConfig::with_defaults("VI_1", 7, Ipv4Addr::new(192, 168, 0, last_octet), vec![VIP]);
    c.priority = priority;
    c
}

#[test]
fn two_nodes_elect_fail_over_and_preempt_back() {
    let mut lan = Lan::new(vec![node(1, 200), node(2, 100)]);
    lan.input(0, Input::Startup);
    lan.input(1, Input::Startup);
    // Priority 200 has the shorter master-down interval: 3 s + 56/256 s.
    lan.run_until(3_218_750);
    assert_eq!(lan.masters(), vec![0]);
    lan.run_until(60 * S);
    assert_eq!(lan.masters(), vec![0]);
    assert_eq!(lan.last_change(1).map(|c| c.2), Some(State::Backup));

    // Master shuts down: its priority-0 advert arrives after LATENCY and the
    // backup takes over after its Skew_Time (156/256 s = 609_375 µs).
    lan.input(0, Input::Shutdown);
    lan.run_until(60 * S + LATENCY + 609_374);
    assert_eq!(lan.masters(), Vec::<usize>::new());
    lan.run_until(60 * S + LATENCY + 609_375);
    assert_eq!(lan.masters(), vec![1]);
    assert_eq!(
        lan.last_change(1),
        Some((
            60 * S + LATENCY + 609_375,
            State::Backup,
            State::Master,
            StateChangeReason::PriorityZeroReceived
        ))
    );

    // The higher-priority node returns: it ignores the lower master's adverts
    // and preempts when its master-down timer runs out; the old master then
    // yields on the first higher advert.
    lan.run_until(90 * S);
    lan.input(0, Input::Startup);
    lan.run_until(90 * S + 3_218_750);
    assert_eq!(
        lan.last_change(0),
        Some((
            90 * S + 3_218_750,
            State::Backup,
            State::Master,
            StateChangeReason::PreemptLowerPriority
        ))
    );
    lan.run_until(90 * S + 3_218_750 + LATENCY);
    assert_eq!(lan.masters(), vec![0]);
    assert_eq!(
        lan.last_change(1).map(|c| c.3),
        Some(StateChangeReason::HigherPriorityAdvert)
    );
    lan.run_until(200 * S);
    assert_eq!(lan.masters(), vec![0]);
}

#[test]
fn three_nodes_with_tie_converge_on_highest_address() {
    let mut lan = Lan::new(vec![node(1, 150), node(2, 100), node(3, 100)]);
    for i in 0..3 {
        lan.input(i, Input::Startup);
    }
    lan.run_until(30 * S);
    assert_eq!(lan.masters(), vec![0]);
    // Both backups see the priority-0 advert at the same instant and have the
    // same skew: both become MASTER, then the lower address yields.
    lan.input(0, Input::Shutdown);
    lan.run_until(30 * S + LATENCY + 609_375);
    assert_eq!(lan.masters(), vec![1, 2]);
    lan.run_until(30 * S + 2 * LATENCY + 609_375);
    assert_eq!(lan.masters(), vec![2]);
    assert_eq!(
        lan.last_change(1).map(|c| c.3),
        Some(StateChangeReason::EqualPriorityHigherAddress)
    );
    lan.run_until(100 * S);
    assert_eq!(lan.masters(), vec![2]);
}

#[test]
fn nopreempt_keeps_current_master_on_return() {
    let mut a = node(1, 200);
    a.preempt = false;
    let mut lan = Lan::new(vec![a, node(2, 100)]);
    lan.input(1, Input::Startup);
    lan.run_until(10 * S);
    assert_eq!(lan.masters(), vec![1]);
    lan.input(0, Input::Startup);
    lan.run_until(100 * S);
    assert_eq!(lan.masters(), vec![1]);
}

#[test]
fn v3_fast_adverts_fail_over_quickly() {
    let mk = |o, p| {
        let mut c = node(o, p);
        c.version = 3;
        c.advert_int_us = 100_000;
        c
    };
    let mut lan = Lan::new(vec![mk(1, 200), mk(2, 100)]);
    lan.input(0, Input::Startup);
    lan.input(1, Input::Startup);
    lan.run_until(S);
    assert_eq!(lan.masters(), vec![0]);
    // Node 0 became MASTER at 300_000 + 56/256 × 100_000 = 321_875 and
    // advertised every 100 ms; its last advert before the power cut at 1 s
    // left at 921_875. The backup takes over 3 × 100 ms + 156/256 × 100 ms
    // (60_937 µs) after receiving it.
    if let Some(n) = lan.nodes.get_mut(0) {
        n.alive = false;
    }
    let takeover = 921_875 + LATENCY + 300_000 + 60_937;
    lan.run_until(takeover - 1);
    assert_eq!(lan.masters(), Vec::<usize>::new());
    lan.run_until(takeover);
    assert_eq!(lan.masters(), vec![1]);
    assert_eq!(
        lan.last_change(1).map(|c| (c.0, c.3)),
        Some((takeover, StateChangeReason::MasterDownTimerExpired))
    );
}
