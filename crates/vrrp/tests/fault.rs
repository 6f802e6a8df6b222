//! keepalived's FAULT state on a virtual clock: a faulted instance resigns,
//! stays silent and deaf, and starts over as BACKUP when the fault clears.

use std::net::Ipv4Addr;

use vrrp::packet::{decode_vrrp, encode_vrrp};
use vrrp::{
    Action, AuthData, Input, Instance, InstanceConfig, State, StateChangeReason, Timestamp,
    VRRP_MCAST_V4,
};

const LOCAL: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 10);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 20);
const VIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);
/// v2, priority 100: 3 s + (256 - 100)/256 s.
const MASTER_DOWN_100: u64 = 3_609_375;

fn t(us: u64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

fn instance(priority: u8, master: bool) -> Instance {
    let mut c = InstanceConfig::with_defaults("VI_F", 51, LOCAL, vec![VIP]);
    c.priority = priority;
    c.start_as_master = master;
    Instance::new(c)
}

fn changed(from: State, to: State, priority: u8, reason: StateChangeReason) -> Action {
    Action::StateChanged {
        from,
        to,
        priority,
        reason,
    }
}

#[test]
fn master_resigns_on_fault_and_restarts_as_backup() {
    let mut i = instance(100, false);
    i.handle(t(0), Input::Startup);
    i.handle(t(MASTER_DOWN_100), Input::Timeout);
    assert_eq!(i.state(), State::Master);
    let _ = drain(&mut i);

    i.handle(t(5_000_000), Input::Fault(true));
    assert_eq!(
        drain(&mut i),
        [
            Action::SendAdvert { priority: 0 },
            Action::RemoveVips,
            changed(State::Master, State::Fault, 100, StateChangeReason::Fault),
        ]
    );
    assert_eq!(i.poll_timeout(), None, "a faulted instance sends nothing");
    // Repeating the fault changes nothing.
    i.handle(t(5_100_000), Input::Fault(true));
    assert!(drain(&mut i).is_empty());

    i.handle(t(8_000_000), Input::Fault(false));
    assert_eq!(
        drain(&mut i),
        [changed(
            State::Fault,
            State::Backup,
            100,
            StateChangeReason::FaultCleared
        )]
    );
    assert_eq!(i.poll_timeout(), Some(t(8_000_000 + MASTER_DOWN_100)));
}

#[test]
fn faulted_instance_ignores_adverts_and_timeouts() -> Result<(), Box<dyn std::error::Error>> {
    let mut i = instance(100, false);
    i.handle(t(0), Input::Startup);
    i.handle(t(1_000), Input::Fault(true));
    assert_eq!(
        drain(&mut i),
        [
            changed(
                State::Initialize,
                State::Backup,
                100,
                StateChangeReason::Startup
            ),
            changed(State::Backup, State::Fault, 100, StateChangeReason::Fault),
        ]
    );
    let mut buf = Vec::new();
    encode_vrrp(
        &mut buf,
        PEER,
        VRRP_MCAST_V4,
        2,
        51,
        0,
        100,
        &AuthData::None,
        &[VIP],
    )?;
    let advert = decode_vrrp(&buf, PEER, VRRP_MCAST_V4)?;
    i.handle(
        t(2_000),
        Input::Advert {
            src: PEER.into(),
            ttl: 255,
            multicast: true,
            advert,
        },
    );
    i.handle(t(10_000_000), Input::Timeout);
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.state(), State::Fault);
    assert_eq!(i.stats().dropped_not_running, 1);
    Ok(())
}

#[test]
fn fault_before_startup_starts_in_fault() {
    let mut i = instance(100, false);
    i.handle(t(0), Input::Fault(true));
    assert!(drain(&mut i).is_empty(), "INIT stays INIT until started");
    i.handle(t(1), Input::Startup);
    assert_eq!(
        drain(&mut i),
        [changed(
            State::Initialize,
            State::Fault,
            100,
            StateChangeReason::Fault
        )]
    );
    i.handle(t(2), Input::Shutdown);
    assert_eq!(
        drain(&mut i),
        [changed(
            State::Fault,
            State::Initialize,
            100,
            StateChangeReason::Shutdown
        )]
    );
}

#[test]
fn owner_configured_master_returns_straight_to_master() {
    let mut i = instance(255, true);
    i.handle(t(0), Input::Startup);
    assert_eq!(i.state(), State::Master);
    let _ = drain(&mut i);
    i.handle(t(1_000_000), Input::Fault(true));
    let _ = drain(&mut i);
    i.handle(t(2_000_000), Input::Fault(false));
    let actions = drain(&mut i);
    assert_eq!(i.state(), State::Master);
    assert!(actions.contains(&Action::AddVips));
    assert!(actions.contains(&changed(
        State::Fault,
        State::Master,
        255,
        StateChangeReason::FaultCleared
    )));
}
