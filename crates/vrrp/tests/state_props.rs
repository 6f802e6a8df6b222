//! Property test over the instance state machine: random inputs at random
//! times never panic, never make a driver spin, and keep the action stream
//! consistent.

use std::net::Ipv4Addr;

use proptest::prelude::*;
use vrrp::packet::{decode_vrrp, encode_vrrp};
use vrrp::{
    Action, AuthData, Input, Instance, InstanceConfig, State, StateChangeReason, Timestamp, Tuning,
    VRRP_MCAST_V4,
};

const LOCAL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 10);
const VIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);

#[derive(Debug, Clone)]
enum Op {
    Advert {
        dt: u64,
        priority: u8,
        src_last: u8,
        version: u8,
        int_cs: u16,
        ttl255: bool,
        multicast: bool,
    },
    /// Timeout after `dt` µs, possibly before any deadline.
    Timeout {
        dt: u64,
    },
    /// Timeout exactly at the instance's next deadline.
    TimeoutAtDeadline,
    Shutdown {
        dt: u64,
    },
    Startup {
        dt: u64,
    },
    SetPriority {
        prio: u8,
    },
    /// The daemon reports a fault (or its end).
    Fault {
        dt: u64,
        on: bool,
    },
    /// The daemon's sync group moves the instance.
    Sync {
        dt: u64,
        master: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u64..3_000_000, any::<u8>(), 5u8..=15, 2u8..=3,
              prop_oneof![Just(100u16), Just(50), 0u16..=4095], any::<bool>(), any::<bool>())
            .prop_map(|(dt, priority, src_last, version, int_cs, ttl255, multicast)| {
                // Keep v2 intervals encodable.
                let int_cs = if version == 2 { (int_cs / 100).min(255) * 100 } else { int_cs };
                Op::Advert { dt, priority, src_last, version, int_cs, ttl255, multicast }
            }),
        3 => (0u64..5_000_000).prop_map(|dt| Op::Timeout { dt }),
        4 => Just(Op::TimeoutAtDeadline),
        1 => (0u64..2_000_000).prop_map(|dt| Op::Shutdown { dt }),
        2 => (0u64..2_000_000).prop_map(|dt| Op::Startup { dt }),
        1 => any::<u8>().prop_map(|prio| Op::SetPriority { prio }),
        2 => (0u64..2_000_000, any::<bool>()).prop_map(|(dt, on)| Op::Fault { dt, on }),
        2 => (0u64..2_000_000, any::<bool>()).prop_map(|(dt, master)| Op::Sync { dt, master }),
    ]
}

fn tuning() -> impl Strategy<Value = Tuning> {
    (
        any::<bool>(),
        any::<bool>(),
        0u32..3,
        0u64..4_000_000,
        any::<bool>(),
        prop_oneof![Just(0u64), 1u64..8_000_000],
        0u32..3,
        any::<bool>(),
    )
        .prop_map(
            |(no_adv, send_adv, repeat, delay, owner_ignore, refresh, refresh_rep, sync)| Tuning {
                lower_prio_no_advert: no_adv,
                higher_prio_send_advert: send_adv,
                garp_lower_prio_repeat: repeat,
                garp_lower_prio_delay_us: delay,
                owner_ignore_adverts: owner_ignore,
                garp_master_refresh_us: refresh,
                garp_master_refresh_repeat: refresh_rep,
                sync_member: sync,
                checksum: Default::default(),
            },
        )
}

fn config() -> impl Strategy<Value = InstanceConfig> {
    (
        2u8..=3,
        prop_oneof![Just(255u8), Just(100), 1u8..=255],
        prop_oneof![Just(1_000_000u64), 1u64..5_000_000],
        any::<bool>(),
        prop_oneof![Just(0u64), 1u64..10_000_000],
        any::<bool>(),
        0u64..6_000_000,
        0u32..4,
        0u32..5,
    )
        .prop_map(
            |(version, priority, int, preempt, delay, start_master, garp_delay, garp_rep, dta)| {
                let mut c = InstanceConfig::with_defaults("P", 9, LOCAL, vec![VIP]);
                c.version = version;
                c.priority = priority;
                c.advert_int_us = int;
                c.preempt = preempt;
                c.preempt_delay_us = delay;
                c.start_as_master = start_master;
                c.garp_master_delay_us = garp_delay;
                c.garp_master_repeat = garp_rep;
                c.down_timer_adverts = dta;
                c
            },
        )
}

/// What the action stream has told the daemon so far.
struct Observer {
    state: State,
    vips: bool,
}

impl Observer {
    /// Drains one batch of actions and checks it against the instance.
    fn drain(&mut self, inst: &mut Instance) -> Result<(), TestCaseError> {
        let mut sent_positive = false;
        let mut sent_zero = false;
        let mut left_master = false;
        while let Some(a) = inst.poll_action() {
            match a {
                Action::AddVips => {
                    prop_assert!(!self.vips, "AddVips twice");
                    self.vips = true;
                }
                Action::RemoveVips => {
                    prop_assert!(self.vips, "RemoveVips without AddVips");
                    self.vips = false;
                }
                Action::SendAdvert { priority: 0 } => sent_zero = true,
                Action::SendAdvert { .. } => sent_positive = true,
                Action::SendGratuitousArp { repeat } => {
                    prop_assert!(self.vips);
                    prop_assert!(repeat > 0);
                }
                Action::WantMaster => {
                    prop_assert!(inst.tuning().sync_member, "WantMaster from a non-member");
                    prop_assert_eq!(self.state, State::Backup);
                }
                Action::MasterRxLowerPriority { priority, .. } => {
                    prop_assert_eq!(self.state, State::Master);
                    prop_assert!(priority > 0 && priority <= inst.priority());
                }
                Action::StateChanged {
                    from, to, reason, ..
                } => {
                    if to == State::Master && inst.tuning().sync_member {
                        prop_assert_eq!(reason, StateChangeReason::SyncGroup);
                    }
                    prop_assert_eq!(from, self.state);
                    prop_assert_ne!(from, to);
                    left_master |= from == State::Master;
                    self.state = to;
                }
            }
        }
        prop_assert_eq!(self.state, inst.state());
        prop_assert_eq!(self.vips, inst.state() == State::Master);
        if !inst.tuning().sync_member {
            prop_assert_eq!(inst.wants_master(), inst.state() == State::Master);
        }
        if sent_positive {
            // Only a MASTER advertises (higher_prio_send_advert: just before
            // it yields).
            prop_assert!(inst.state() == State::Master || left_master);
        }
        if sent_zero {
            // Priority 0 only when resigning: shutdown or fault.
            prop_assert!(matches!(inst.state(), State::Initialize | State::Fault));
        }
        prop_assert_eq!(
            inst.poll_timeout().is_none(),
            matches!(inst.state(), State::Initialize | State::Fault)
        );
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn random_inputs_keep_invariants(
        cfg in config(),
        tuning in prop_oneof![Just(Tuning::default()), tuning()],
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut inst = Instance::with_tuning(cfg, tuning);
        let mut obs = Observer { state: State::Initialize, vips: false };
        let mut now = 0u64;
        let mut buf = Vec::new();
        inst.handle(Timestamp::from_micros(now), Input::Startup);
        obs.drain(&mut inst)?;
        for op in ops {
            match op {
                Op::Advert { dt, priority, src_last, version, int_cs, ttl255, multicast } => {
                    now += dt;
                    let src = Ipv4Addr::new(10, 0, 0, src_last);
                    let r = encode_vrrp(&mut buf, src, VRRP_MCAST_V4, version, 9, priority,
                        int_cs, &AuthData::None, &[VIP]);
                    prop_assert_eq!(r, Ok(()));
                    let advert = decode_vrrp(&buf, src, VRRP_MCAST_V4)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let ttl = if ttl255 { 255 } else { 64 };
                    inst.handle(Timestamp::from_micros(now), Input::Advert { src: src.into(), ttl, multicast, advert });
                }
                Op::Timeout { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Timeout);
                    // Every due timer fired: nothing left at or before `now`.
                    let next = inst.poll_timeout().map(Timestamp::as_micros);
                    prop_assert!(next.is_none_or(|t| t > now), "would spin: {:?} <= {}", next, now);
                }
                Op::TimeoutAtDeadline => {
                    if let Some(t) = inst.poll_timeout() {
                        now = now.max(t.as_micros());
                    }
                    inst.handle(Timestamp::from_micros(now), Input::Timeout);
                    let next = inst.poll_timeout().map(Timestamp::as_micros);
                    prop_assert!(next.is_none_or(|t| t > now), "would spin: {:?} <= {}", next, now);
                }
                Op::Shutdown { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Shutdown);
                }
                Op::Startup { dt } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Startup);
                }
                Op::SetPriority { prio } => inst.set_effective_priority(prio),
                Op::Fault { dt, on } => {
                    now += dt;
                    inst.handle(Timestamp::from_micros(now), Input::Fault(on));
                    if on {
                        prop_assert!(matches!(inst.state(), State::Initialize | State::Fault));
                    } else {
                        prop_assert_ne!(inst.state(), State::Fault);
                    }
                }
                Op::Sync { dt, master } => {
                    now += dt;
                    let before = inst.state();
                    let input = if master { Input::SyncMaster } else { Input::SyncBackup };
                    inst.handle(Timestamp::from_micros(now), input);
                    let expected = match (before, master) {
                        (State::Backup, true) => State::Master,
                        (State::Master, false) => State::Backup,
                        (s, _) => s,
                    };
                    prop_assert_eq!(inst.state(), expected);
                }
            }
            obs.drain(&mut inst)?;
            let st = inst.stats();
            prop_assert!(st.released_master <= st.became_master);
            prop_assert!(st.became_master <= st.released_master + 1);
        }
    }
}
