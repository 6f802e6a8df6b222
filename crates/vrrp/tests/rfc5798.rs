//! Virtual-clock scenarios for every RFC 5798 §6.4 transition, with exact
//! integer timings (keepalived's behaviour where the two differ).

use std::error::Error;
use std::net::Ipv4Addr;

use vrrp::packet::{decode_vrrp, encode_vrrp, ChecksumPolicy};
use vrrp::{
    Action, AuthData, Input, Instance, InstanceConfig, State, StateChangeReason, Timestamp, Tuning,
    VRRP_MCAST_V4,
};

type TestResult = Result<(), Box<dyn Error>>;

const LOCAL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 10);
const LOWER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 5);
const HIGHER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 20);
const VIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);
const S: u64 = 1_000_000;

fn cfg(version: u8, priority: u8) -> InstanceConfig {
    let mut c = InstanceConfig::with_defaults("VI_1", 51, LOCAL, vec![VIP]);
    c.version = version;
    c.priority = priority;
    c
}

fn t(us: u64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

/// A peer's advert: real bytes, decoded through the public codec.
struct Peer {
    buf: Vec<u8>,
    src: Ipv4Addr,
}

impl Peer {
    fn new(src: Ipv4Addr, version: u8, priority: u8, int_cs: u16) -> Result<Self, Box<dyn Error>> {
        Self::with(src, version, 51, priority, int_cs, &AuthData::None, &[VIP])
    }

    fn with(
        src: Ipv4Addr,
        version: u8,
        vrid: u8,
        priority: u8,
        int_cs: u16,
        auth: &AuthData,
        addrs: &[Ipv4Addr],
    ) -> Result<Self, Box<dyn Error>> {
        let mut buf = Vec::new();
        encode_vrrp(
            &mut buf,
            src,
            VRRP_MCAST_V4,
            version,
            vrid,
            priority,
            int_cs,
            auth,
            addrs,
        )?;
        Ok(Peer { buf, src })
    }

    fn send_ttl(&self, i: &mut Instance, now: u64, ttl: u8) -> Result<(), Box<dyn Error>> {
        let advert = decode_vrrp(&self.buf, self.src, VRRP_MCAST_V4)?;
        i.handle(
            t(now),
            Input::Advert {
                src: self.src.into(),
                ttl,
                multicast: true,
                advert,
            },
        );
        Ok(())
    }

    fn send(&self, i: &mut Instance, now: u64) -> Result<(), Box<dyn Error>> {
        self.send_ttl(i, now, 255)
    }
}

fn changed(from: State, to: State, priority: u8, reason: StateChangeReason) -> Action {
    Action::StateChanged {
        from,
        to,
        priority,
        reason,
    }
}

fn become_master_actions(prio: u8, from: State, reason: StateChangeReason) -> Vec<Action> {
    vec![
        Action::SendAdvert { priority: prio },
        Action::AddVips,
        Action::SendGratuitousArp { repeat: 5 },
        changed(from, State::Master, prio, reason),
    ]
}

/// A backup that started at t = 0.
fn backup(version: u8, priority: u8) -> Instance {
    let mut i = Instance::new(cfg(version, priority));
    i.handle(t(0), Input::Startup);
    let _ = drain(&mut i);
    i
}

/// An instance that became MASTER at 3_609_375 µs (v2, priority 100).
fn master100() -> Result<Instance, Box<dyn Error>> {
    let mut i = backup(2, 100);
    i.handle(t(3_609_375), Input::Timeout);
    let _ = drain(&mut i);
    if i.state() != State::Master {
        return Err("expected MASTER".into());
    }
    Ok(i)
}

#[test]
fn init_to_master_for_owner() {
    let mut c = cfg(2, 255);
    c.start_as_master = true;
    let mut i = Instance::new(c);
    assert_eq!(i.state(), State::Initialize);
    assert_eq!(i.poll_timeout(), None);
    i.handle(t(7), Input::Startup);
    assert_eq!(
        drain(&mut i),
        become_master_actions(255, State::Initialize, StateChangeReason::OwnerStartup)
    );
    assert_eq!(i.state(), State::Master);
    // Next: the periodic advert (1 s) before the second GARP burst (5 s).
    assert_eq!(i.poll_timeout(), Some(t(7 + S)));
}

#[test]
fn owner_configured_backup_starts_as_backup() {
    // keepalived: only an owner that is (or defaults to) `state MASTER`
    // skips BACKUP; the skew uses priority 255: 1/256 s.
    let mut i = Instance::new(cfg(2, 255));
    i.handle(t(0), Input::Startup);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(3 * S + 3_906)));
}

#[test]
fn init_to_backup_and_master_down_timer() {
    let mut i = Instance::new(cfg(2, 100));
    i.handle(t(0), Input::Startup);
    assert_eq!(
        drain(&mut i),
        vec![changed(
            State::Initialize,
            State::Backup,
            100,
            StateChangeReason::Startup
        )]
    );
    assert_eq!(i.skew_time_us(), 609_375);
    assert_eq!(i.master_down_interval_us(), 3_609_375);
    assert_eq!(i.poll_timeout(), Some(t(3_609_375)));
    // Early timeout: no-op.
    i.handle(t(3_609_374), Input::Timeout);
    assert_eq!(drain(&mut i), vec![]);
    assert_eq!(i.state(), State::Backup);
    i.handle(t(3_609_375), Input::Timeout);
    assert_eq!(
        drain(&mut i),
        become_master_actions(
            100,
            State::Backup,
            StateChangeReason::MasterDownTimerExpired
        )
    );
    assert_eq!(i.poll_timeout(), Some(t(4_609_375)));
    assert_eq!(i.stats().became_master, 1);
}

#[test]
fn start_as_master_non_owner_waits_one_interval_plus_min_skew() {
    let mut c = cfg(2, 100);
    c.start_as_master = true;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(S + 3_906)));
    i.handle(t(S + 3_906), Input::Timeout);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn backup_restarts_timer_on_higher_or_equal_advert() -> TestResult {
    let mut i = backup(2, 100);
    Peer::new(HIGHER_IP, 2, 150, 100)?.send(&mut i, 2 * S)?;
    assert_eq!(i.poll_timeout(), Some(t(2 * S + 3_609_375)));
    assert_eq!(i.current_master(), Some((HIGHER_IP.into(), 150)));
    // Equal priority never preempts in BACKUP, whatever the addresses.
    Peer::new(LOWER_IP, 2, 100, 100)?.send(&mut i, 4 * S)?;
    assert_eq!(i.poll_timeout(), Some(t(4 * S + 3_609_375)));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(drain(&mut i), vec![]);
    Ok(())
}

#[test]
fn backup_takes_over_after_skew_on_priority_zero() -> TestResult {
    let mut i = backup(2, 100);
    Peer::new(HIGHER_IP, 2, 150, 100)?.send(&mut i, S)?;
    Peer::new(HIGHER_IP, 2, 0, 100)?.send(&mut i, 2 * S)?;
    assert_eq!(i.poll_timeout(), Some(t(2 * S + 609_375)));
    assert_eq!(i.stats().priority_zero_received, 1);
    i.handle(t(2 * S + 609_375), Input::Timeout);
    assert_eq!(
        drain(&mut i),
        become_master_actions(100, State::Backup, StateChangeReason::PriorityZeroReceived)
    );
    Ok(())
}

#[test]
fn backup_preempts_lower_priority_master_when_timer_runs_out() -> TestResult {
    let mut i = backup(2, 100);
    let low = Peer::new(HIGHER_IP, 2, 50, 100)?;
    for s in 1..=3 {
        low.send(&mut i, s * S)?;
        // The timer armed at start-up is not restarted.
        assert_eq!(i.poll_timeout(), Some(t(3_609_375)));
    }
    assert_eq!(i.stats().ignored_lower_priority, 3);
    i.handle(t(3_609_375), Input::Timeout);
    assert_eq!(
        drain(&mut i),
        become_master_actions(100, State::Backup, StateChangeReason::PreemptLowerPriority)
    );
    Ok(())
}

#[test]
fn nopreempt_backup_accepts_lower_priority_master() -> TestResult {
    let mut c = cfg(2, 100);
    c.preempt = false;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    let low = Peer::new(HIGHER_IP, 2, 50, 100)?;
    for s in 1..=20 {
        low.send(&mut i, s * S)?;
        i.handle(t(s * S), Input::Timeout);
        assert_eq!(i.poll_timeout(), Some(t(s * S + 3_609_375)));
    }
    assert_eq!(i.state(), State::Backup);
    Ok(())
}

#[test]
fn preempt_delay_delays_preemption() -> TestResult {
    let mut c = cfg(2, 100);
    c.preempt_delay_us = 10 * S;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    let _ = drain(&mut i);
    let low = Peer::new(HIGHER_IP, 2, 50, 100)?;
    // First lower advert at 1 s starts the delay (until 11 s): adverts before
    // 11 s are accepted and restart the timer.
    for s in 1..=10 {
        low.send(&mut i, s * S)?;
        assert_eq!(i.poll_timeout(), Some(t(s * S + 3_609_375)));
    }
    // From 11 s on they are ignored; the timer armed at 10 s runs out.
    for s in 11..=13 {
        low.send(&mut i, s * S)?;
        assert_eq!(i.poll_timeout(), Some(t(13_609_375)));
        i.handle(t(s * S), Input::Timeout);
    }
    i.handle(t(13_609_375), Input::Timeout);
    assert_eq!(i.state(), State::Master);
    assert_eq!(
        drain(&mut i).last(),
        Some(&changed(
            State::Backup,
            State::Master,
            100,
            StateChangeReason::PreemptLowerPriority
        ))
    );
    Ok(())
}

#[test]
fn higher_advert_cancels_running_preempt_delay() -> TestResult {
    let mut c = cfg(2, 100);
    c.preempt_delay_us = 5 * S;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    let low = Peer::new(HIGHER_IP, 2, 50, 100)?;
    low.send(&mut i, S)?; // delay until 6 s
    Peer::new(HIGHER_IP, 2, 150, 100)?.send(&mut i, 2 * S)?; // cancels
    low.send(&mut i, 7 * S)?; // restarts a fresh delay, until 12 s: accepted
    assert_eq!(i.poll_timeout(), Some(t(7 * S + 3_609_375)));
    Ok(())
}

#[test]
fn master_to_backup_on_higher_priority() -> TestResult {
    let mut i = master100()?;
    Peer::new(LOWER_IP, 2, 101, 100)?.send(&mut i, 5 * S)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::RemoveVips,
            changed(
                State::Master,
                State::Backup,
                100,
                StateChangeReason::HigherPriorityAdvert
            )
        ]
    );
    assert_eq!(i.poll_timeout(), Some(t(5 * S + 3_609_375)));
    assert_eq!(i.stats().released_master, 1);
    Ok(())
}

#[test]
fn master_to_backup_on_equal_priority_from_higher_address() -> TestResult {
    let mut i = master100()?;
    Peer::new(HIGHER_IP, 2, 100, 100)?.send(&mut i, 5 * S)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::RemoveVips,
            changed(
                State::Master,
                State::Backup,
                100,
                StateChangeReason::EqualPriorityHigherAddress
            )
        ]
    );
    Ok(())
}

#[test]
fn master_answers_losers_with_an_advert() -> TestResult {
    let mut i = master100()?;
    Peer::new(HIGHER_IP, 2, 99, 100)?.send(&mut i, 4 * S)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::SendAdvert { priority: 100 },
            Action::MasterRxLowerPriority {
                src: HIGHER_IP.into(),
                priority: 99
            }
        ]
    );
    assert_eq!(i.poll_timeout(), Some(t(5 * S)));
    // Equal priority from a lower address also loses.
    Peer::new(LOWER_IP, 2, 100, 100)?.send(&mut i, 4 * S + 500)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::SendAdvert { priority: 100 },
            Action::MasterRxLowerPriority {
                src: LOWER_IP.into(),
                priority: 100
            }
        ]
    );
    assert_eq!(i.poll_timeout(), Some(t(5 * S + 500)));
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.stats().master_rx_lower_priority, 2);
    Ok(())
}

#[test]
fn master_answers_priority_zero_immediately() -> TestResult {
    let mut i = master100()?;
    Peer::new(HIGHER_IP, 2, 0, 100)?.send(&mut i, 4 * S)?;
    assert_eq!(drain(&mut i), vec![Action::SendAdvert { priority: 100 }]);
    assert_eq!(i.poll_timeout(), Some(t(5 * S)));
    assert_eq!(i.state(), State::Master);
    Ok(())
}

#[test]
fn master_ignores_equal_priority_from_own_address() -> TestResult {
    let mut i = master100()?;
    Peer::new(LOCAL, 2, 100, 100)?.send(&mut i, 4 * S)?;
    assert_eq!(drain(&mut i), vec![]);
    assert_eq!(i.stats().own_address_ignored, 1);
    Ok(())
}

#[test]
fn master_sends_periodic_adverts_and_second_garp_burst() {
    let Ok(mut i) = master100() else {
        panic!("setup failed")
    };
    let start = 3_609_375;
    for k in 1..=6 {
        let now = start + k * S;
        assert_eq!(i.poll_timeout(), Some(t(now)));
        i.handle(t(now), Input::Timeout);
        let mut expected = vec![Action::SendAdvert { priority: 100 }];
        if k == 5 {
            expected.push(Action::SendGratuitousArp { repeat: 5 });
        }
        assert_eq!(drain(&mut i), expected, "tick {k}");
    }
}

#[test]
fn leaving_master_cancels_second_garp_burst() -> TestResult {
    let mut i = master100()?;
    Peer::new(HIGHER_IP, 2, 200, 100)?.send(&mut i, 4 * S)?;
    let _ = drain(&mut i);
    // Only the down timer remains; no GARP burst at 3.6 + 5 s.
    assert_eq!(i.poll_timeout(), Some(t(4 * S + 3_609_375)));
    i.handle(t(7 * S), Input::Timeout);
    assert_eq!(drain(&mut i), vec![]);
    Ok(())
}

#[test]
fn shutdown_from_master_sends_priority_zero() -> TestResult {
    let mut i = master100()?;
    i.handle(t(5 * S), Input::Shutdown);
    assert_eq!(
        drain(&mut i),
        vec![
            Action::SendAdvert { priority: 0 },
            Action::RemoveVips,
            changed(
                State::Master,
                State::Initialize,
                100,
                StateChangeReason::Shutdown
            )
        ]
    );
    assert_eq!(i.poll_timeout(), None);
    assert_eq!(i.stats().priority_zero_sent, 1);
    // Packets are ignored while stopped, and start-up works again.
    Peer::new(HIGHER_IP, 2, 200, 100)?.send(&mut i, 6 * S)?;
    assert_eq!(i.stats().dropped_not_running, 1);
    i.handle(t(7 * S), Input::Startup);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(7 * S + 3_609_375)));
    Ok(())
}

#[test]
fn shutdown_from_backup_sends_nothing() {
    let mut i = backup(2, 100);
    i.handle(t(S), Input::Shutdown);
    assert_eq!(
        drain(&mut i),
        vec![changed(
            State::Backup,
            State::Initialize,
            100,
            StateChangeReason::Shutdown
        )]
    );
    assert_eq!(i.poll_timeout(), None);
    // Shutdown when already stopped: nothing.
    i.handle(t(S), Input::Shutdown);
    assert_eq!(drain(&mut i), vec![]);
}

#[test]
fn v3_backup_adopts_master_interval() -> TestResult {
    let mut i = backup(3, 100);
    assert_eq!(i.master_down_interval_us(), 3_609_375);
    // Master advertises 2 s (200 cs): skew = 156 × 2 s / 256.
    Peer::new(HIGHER_IP, 3, 200, 200)?.send(&mut i, S)?;
    assert_eq!(i.master_adver_int_us(), 2 * S);
    assert_eq!(i.skew_time_us(), 1_218_750);
    assert_eq!(i.master_down_interval_us(), 7_218_750);
    assert_eq!(i.poll_timeout(), Some(t(S + 7_218_750)));
    assert_eq!(i.stats().interval_mismatch, 1);
    // On becoming master we advertise our own interval again.
    i.handle(t(S + 7_218_750), Input::Timeout);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.master_adver_int_us(), S);
    Ok(())
}

#[test]
fn v3_sub_second_interval_and_master_to_backup_adoption() -> TestResult {
    let mut c = cfg(3, 200);
    c.advert_int_us = 500_000;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    assert_eq!(i.skew_time_us(), 109_375);
    assert_eq!(i.poll_timeout(), Some(t(1_609_375)));
    i.handle(t(1_609_375), Input::Timeout);
    assert_eq!(i.adver_int_cs(), 50);
    Peer::new(HIGHER_IP, 3, 250, 100)?.send(&mut i, 2 * S)?;
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.master_adver_int_us(), S);
    // 3 × 1 s + 56 × 1 s / 256
    assert_eq!(i.poll_timeout(), Some(t(2 * S + 3_218_750)));
    Ok(())
}

#[test]
fn v2_skew_is_independent_of_interval() {
    let mut c = cfg(2, 100);
    c.advert_int_us = 5 * S;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    assert_eq!(i.skew_time_us(), 609_375);
    assert_eq!(i.master_down_interval_us(), 15_609_375);
    assert_eq!(i.poll_timeout(), Some(t(15_609_375)));
}

#[test]
fn instance_level_checks_drop_without_state_change() -> TestResult {
    let mut c = cfg(2, 100);
    c.auth = AuthData::pass_from_str("secret");
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    let good = AuthData::pass_from_str("secret");
    let high = |auth: &AuthData, int_cs, vrid, addrs: &[Ipv4Addr]| {
        Peer::with(HIGHER_IP, 2, vrid, 200, int_cs, auth, addrs)
    };
    high(&good, 100, 51, &[VIP])?.send_ttl(&mut i, S, 254)?;
    Peer::new(HIGHER_IP, 3, 200, 100)?.send(&mut i, S)?;
    high(&AuthData::pass_from_str("secreT"), 100, 51, &[VIP])?.send(&mut i, S)?;
    high(&AuthData::None, 100, 51, &[VIP])?.send(&mut i, S)?;
    high(&good, 200, 51, &[VIP])?.send(&mut i, S)?;
    high(&good, 100, 52, &[VIP])?.send(&mut i, S)?;
    let st = i.stats();
    assert_eq!(
        (
            st.dropped_ttl,
            st.dropped_version,
            st.dropped_auth,
            st.dropped_interval,
            st.dropped_vrid
        ),
        (1, 1, 2, 1, 1)
    );
    assert_eq!(st.adverts_received, 6);
    assert_eq!(i.poll_timeout(), Some(t(3_609_375)));
    // A mismatching address list is counted but accepted (keepalived HEAD).
    high(&good, 100, 51, &[VIP, LOWER_IP])?.send(&mut i, S)?;
    high(&good, 100, 51, &[LOWER_IP])?.send(&mut i, 2 * S)?;
    assert_eq!(i.stats().address_list_mismatch, 2);
    assert_eq!(i.poll_timeout(), Some(t(2 * S + 3_609_375)));
    Ok(())
}

#[test]
fn unicast_skips_ttl_check() -> TestResult {
    let mut i = backup(2, 100);
    let p = Peer::new(HIGHER_IP, 2, 200, 100)?;
    let advert = decode_vrrp(&p.buf, p.src, VRRP_MCAST_V4)?;
    i.handle(
        t(S),
        Input::Advert {
            src: p.src.into(),
            ttl: 64,
            multicast: false,
            advert,
        },
    );
    assert_eq!(i.stats().dropped_ttl, 0);
    assert_eq!(i.poll_timeout(), Some(t(S + 3_609_375)));
    Ok(())
}

#[test]
fn owner_processes_adverts_as_master() -> TestResult {
    let mut c = cfg(2, 255);
    c.start_as_master = true;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    let _ = drain(&mut i);
    Peer::new(LOWER_IP, 2, 255, 100)?.send(&mut i, S / 2)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::SendAdvert { priority: 255 },
            Action::MasterRxLowerPriority {
                src: LOWER_IP.into(),
                priority: 255
            }
        ]
    );
    Peer::new(HIGHER_IP, 2, 255, 100)?.send(&mut i, S)?;
    assert_eq!(i.state(), State::Backup);
    Ok(())
}

#[test]
fn effective_priority_change_shifts_backup_timer() {
    let mut i = backup(2, 100);
    assert_eq!(i.poll_timeout(), Some(t(3_609_375)));
    i.set_effective_priority(200); // skew 218_750: 390_625 earlier
    assert_eq!(i.priority(), 200);
    assert_eq!(i.poll_timeout(), Some(t(3_218_750)));
    i.set_effective_priority(255); // clamped to 254 for a non-owner
    assert_eq!(i.priority(), 254);
}

#[test]
fn config_is_normalised() {
    let mut c = cfg(2, 0);
    c.advert_int_us = 1_500_000;
    c.version = 9;
    c.down_timer_adverts = 0;
    let i = Instance::new(c);
    assert_eq!(i.config().version, 2);
    assert_eq!(i.config().priority, 100);
    assert_eq!(i.config().advert_int_us, 2 * S);
    assert_eq!(i.config().down_timer_adverts, 3);
    assert_eq!(i.adver_int_cs(), 200);
    let mut c = cfg(3, 100);
    c.auth = AuthData::pass_from_str("x");
    c.advert_int_us = 123_456;
    let i = Instance::new(c);
    assert_eq!(i.config().auth, AuthData::None);
    assert_eq!(i.config().advert_int_us, 120_000);
}

#[test]
fn display_strings() {
    assert_eq!(State::Initialize.to_string(), "INIT");
    assert_eq!(State::Backup.to_string(), "BACKUP");
    assert_eq!(State::Master.to_string(), "MASTER");
    assert_eq!(StateChangeReason::Shutdown.to_string(), "shutdown");
}

fn tuned_master(tuning: Tuning) -> Instance {
    let mut i = Instance::with_tuning(cfg(2, 100), tuning);
    i.handle(t(0), Input::Startup);
    i.handle(t(3_609_375), Input::Timeout);
    let _ = drain(&mut i);
    i
}

#[test]
fn tuning_lower_prio_garps_and_no_advert() -> TestResult {
    let mut i = tuned_master(Tuning {
        lower_prio_no_advert: true,
        garp_lower_prio_repeat: 2,
        garp_lower_prio_delay_us: 3 * S,
        ..Tuning::default()
    });
    let low = Peer::new(HIGHER_IP, 2, 50, 100)?;
    low.send(&mut i, 4 * S)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::SendGratuitousArp { repeat: 2 },
            Action::MasterRxLowerPriority {
                src: HIGHER_IP.into(),
                priority: 50
            }
        ]
    );
    // The periodic advert is not restarted without the answering advert.
    assert_eq!(i.poll_timeout(), Some(t(4_609_375)));
    // A second losing advert does not postpone the delayed burst (due at 7 s).
    low.send(&mut i, 5 * S)?;
    let _ = drain(&mut i);
    i.handle(t(6_609_375), Input::Timeout);
    let _ = drain(&mut i);
    assert_eq!(i.poll_timeout(), Some(t(7 * S)));
    i.handle(t(7 * S), Input::Timeout);
    assert_eq!(drain(&mut i), vec![Action::SendGratuitousArp { repeat: 2 }]);
    Ok(())
}

#[test]
fn tuning_higher_prio_send_advert() -> TestResult {
    let mut i = tuned_master(Tuning {
        higher_prio_send_advert: true,
        ..Tuning::default()
    });
    Peer::new(HIGHER_IP, 2, 150, 100)?.send(&mut i, 4 * S)?;
    assert_eq!(
        drain(&mut i),
        vec![
            Action::SendAdvert { priority: 100 },
            Action::RemoveVips,
            changed(
                State::Master,
                State::Backup,
                100,
                StateChangeReason::HigherPriorityAdvert
            )
        ]
    );
    Ok(())
}

#[test]
fn tuning_owner_ignore_adverts() -> TestResult {
    let mut c = cfg(2, 255);
    c.start_as_master = true;
    let tuning = Tuning {
        owner_ignore_adverts: true,
        ..Tuning::default()
    };
    let mut i = Instance::with_tuning(c, tuning);
    i.handle(t(0), Input::Startup);
    let _ = drain(&mut i);
    Peer::new(HIGHER_IP, 2, 255, 100)?.send(&mut i, S / 2)?;
    assert_eq!(drain(&mut i), vec![]);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.stats().owner_ignored, 1);
    // Non-owners are unaffected by the option.
    let mut j = Instance::with_tuning(cfg(2, 100), tuning);
    j.handle(t(0), Input::Startup);
    Peer::new(HIGHER_IP, 2, 200, 100)?.send(&mut j, S)?;
    assert_eq!(j.poll_timeout(), Some(t(S + 3_609_375)));
    Ok(())
}

#[test]
fn master_adverts_do_not_drift_when_handled_late() -> TestResult {
    let mut m = master100()?;
    let Some(first) = m.poll_timeout() else {
        return Err("master has no advert timer".into());
    };
    // Handled 5 ms late: the next advert is still due one interval after the
    // previous deadline, not after the late wake-up.
    m.handle(first.add_micros(5_000), Input::Timeout);
    assert!(drain(&mut m).contains(&Action::SendAdvert { priority: 100 }));
    assert_eq!(m.poll_timeout(), Some(first.add_micros(S)));
    // Handled more than an interval late (process stopped): restart from now,
    // one advert, no burst.
    let due = first.add_micros(S);
    let late = due.add_micros(3 * S);
    m.handle(late, Input::Timeout);
    let sent = drain(&mut m)
        .into_iter()
        .filter(|a| matches!(a, Action::SendAdvert { .. }))
        .count();
    assert_eq!(sent, 1);
    assert_eq!(m.poll_timeout(), Some(late.add_micros(S)));
    Ok(())
}

/// Fires every deadline up to `until` and returns the GARP bursts as
/// (time, repeat).
fn garps_until(i: &mut Instance, until: u64) -> Vec<(u64, u32)> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let Some(at) = i.poll_timeout().map(Timestamp::as_micros) else {
            break;
        };
        if at > until {
            break;
        }
        i.handle(t(at), Input::Timeout);
        out.extend(drain(i).into_iter().filter_map(|a| match a {
            Action::SendGratuitousArp { repeat } => Some((at, repeat)),
            _ => None,
        }));
    }
    out
}

const REFRESH: Tuning = Tuning {
    garp_master_refresh_us: 10 * S,
    garp_master_refresh_repeat: 2,
    lower_prio_no_advert: false,
    higher_prio_send_advert: false,
    garp_lower_prio_repeat: 0,
    garp_lower_prio_delay_us: 0,
    owner_ignore_adverts: false,
    sync_member: false,
    checksum: ChecksumPolicy::Rfc,
};

#[test]
fn garp_master_refresh_starts_after_the_delayed_burst_and_stops_with_master() -> TestResult {
    const M: u64 = 3_609_375;
    let mut i = tuned_master(REFRESH);
    assert_eq!(
        garps_until(&mut i, M + 36 * S),
        [
            (M + 5 * S, 5),
            (M + 15 * S, 2),
            (M + 25 * S, 2),
            (M + 35 * S, 2)
        ]
    );
    // Leaving MASTER cancels the refresh: only the down timer is left.
    Peer::new(HIGHER_IP, 2, 150, 100)?.send(&mut i, M + 36 * S)?;
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.poll_timeout(), Some(t(M + 36 * S + 3_609_375)));
    let _ = drain(&mut i);
    // Becoming MASTER again restarts the schedule from the new transition.
    let again = M + 36 * S + 3_609_375;
    i.handle(t(again), Input::Timeout);
    assert_eq!(i.state(), State::Master);
    let _ = drain(&mut i);
    assert_eq!(
        garps_until(&mut i, again + 15 * S),
        [(again + 5 * S, 5), (again + 15 * S, 2)]
    );
    Ok(())
}

#[test]
fn garp_master_refresh_without_delay_starts_after_one_period() {
    let mut c = cfg(2, 100);
    c.garp_master_delay_us = 0;
    let mut i = Instance::with_tuning(c, REFRESH);
    i.handle(t(0), Input::Startup);
    i.handle(t(3_609_375), Input::Timeout);
    let first = drain(&mut i);
    assert_eq!(
        first
            .iter()
            .filter(|a| matches!(a, Action::SendGratuitousArp { .. }))
            .count(),
        1,
        "no delayed second burst with garp_master_delay 0"
    );
    assert_eq!(
        garps_until(&mut i, 3_609_375 + 20 * S),
        [(3_609_375 + 10 * S, 2), (3_609_375 + 20 * S, 2)]
    );
}

#[test]
fn garp_master_refresh_off_and_stalls() {
    // Zero repeat disables the refresh as a zero period does.
    for tuning in [
        Tuning {
            garp_master_refresh_repeat: 0,
            ..REFRESH
        },
        Tuning {
            garp_master_refresh_us: 0,
            ..REFRESH
        },
    ] {
        let mut i = tuned_master(tuning);
        assert_eq!(garps_until(&mut i, 60 * S), [(3_609_375 + 5 * S, 5)]);
    }
    // A stalled daemon gets one burst, not one per missed period, and the
    // next is a full period later.
    let mut i = tuned_master(REFRESH);
    let late = 3_609_375 + 47 * S;
    i.handle(t(late), Input::Timeout);
    let burst: Vec<_> = drain(&mut i)
        .into_iter()
        .filter(|a| matches!(a, Action::SendGratuitousArp { .. }))
        .collect();
    assert_eq!(
        burst,
        [
            Action::SendGratuitousArp { repeat: 5 },
            Action::SendGratuitousArp { repeat: 2 }
        ]
    );
    assert_eq!(garps_until(&mut i, late + 10 * S), [(late + 10 * S, 2)]);
}
