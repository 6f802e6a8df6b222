//! VRRPv3 over IPv6: two instances exchanging real encoded adverts on a
//! virtual clock elect one master, break priority ties on the numerically
//! higher link-local address, and fail over when the master goes silent.

use std::error::Error;
use std::net::{IpAddr, Ipv6Addr};

use vrrp::packet::decode_vrrp_v6;
use vrrp::{
    Action, Input, Instance, InstanceConfig, State, StateChangeReason, Timestamp, VRRP_MCAST_V6,
};

type TestResult = Result<(), Box<dyn Error>>;

const LL_LOW: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11);
const LL_HIGH: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x12);
const VIP: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100);
const S: u64 = 1_000_000;

fn node(local: Ipv6Addr, priority: u8) -> Instance {
    let mut c = InstanceConfig::with_defaults("VI_6", 10, local, vec![VIP]);
    c.version = 3;
    c.priority = priority;
    Instance::new(c)
}

fn t(us: u64) -> Timestamp {
    Timestamp::from_micros(us)
}

/// Runs `inst`'s pending actions: adverts are encoded with the public codec
/// and delivered to `peer` (if it is listening). Returns the actions seen.
fn pump(
    inst: &mut Instance,
    peer: Option<&mut Instance>,
    now: u64,
) -> Result<Vec<Action>, Box<dyn Error>> {
    let mut sent = Vec::new();
    let mut acts = Vec::new();
    while let Some(a) = inst.poll_action() {
        if let Action::SendAdvert { priority } = a {
            let mut buf = Vec::new();
            inst.encode_advert_v6(&mut buf, VRRP_MCAST_V6, priority)?;
            sent.push(buf);
        }
        acts.push(a);
    }
    let IpAddr::V6(src) = inst.config().local_addr else {
        return Err("instance is not IPv6".into());
    };
    if let Some(peer) = peer {
        for buf in &sent {
            let advert = decode_vrrp_v6(buf, src, VRRP_MCAST_V6)?;
            peer.handle(
                t(now),
                Input::Advert {
                    src: src.into(),
                    ttl: 255,
                    multicast: true,
                    advert,
                },
            );
        }
    }
    Ok(acts)
}

/// Steps both instances in 10 ms ticks until `until` µs.
fn run(a: &mut Instance, b: &mut Instance, from: u64, until: u64, b_alive: bool) -> TestResult {
    let mut now = from;
    while now <= until {
        for x in [&mut *a, &mut *b] {
            if x.poll_timeout().is_some_and(|d| d <= t(now)) {
                x.handle(t(now), Input::Timeout);
            }
        }
        pump(a, b_alive.then_some(&mut *b), now)?;
        if b_alive {
            pump(b, Some(&mut *a), now)?;
        }
        now += 10_000;
    }
    Ok(())
}

#[test]
fn higher_priority_wins_and_backup_takes_over_when_it_dies() -> TestResult {
    let mut a = node(LL_LOW, 200);
    let mut b = node(LL_HIGH, 100);
    a.handle(t(0), Input::Startup);
    b.handle(t(0), Input::Startup);
    run(&mut a, &mut b, 0, 5 * S, true)?;
    assert_eq!((a.state(), b.state()), (State::Master, State::Backup));
    assert_eq!(b.current_master(), Some((IpAddr::V6(LL_LOW), 200)));
    assert_eq!(b.stats().address_list_mismatch, 0);
    // `a` goes silent: `b` takes over after Master_Down_Interval
    // (3 × 1 s + (256 − 100)/256 s ≈ 3.61 s).
    let mut now = 5 * S;
    let mut took_over = None;
    while now < 10 * S && took_over.is_none() {
        if b.poll_timeout().is_some_and(|d| d <= t(now)) {
            b.handle(t(now), Input::Timeout);
        }
        let acts = pump(&mut b, None, now)?;
        if acts.iter().any(|x| {
            matches!(
                x,
                Action::StateChanged {
                    to: State::Master,
                    reason: StateChangeReason::MasterDownTimerExpired,
                    ..
                }
            )
        }) {
            took_over = Some(now);
        }
        now += 10_000;
    }
    let at = took_over.ok_or("backup never took over")?;
    // The last advert was heard less than one interval before the silence
    // started, so the takeover comes within (down − 1 s, down] after it.
    let down = b.master_down_interval_us();
    assert_eq!(down, 3 * S + (256 - 100) * S / 256);
    let silent = at - 5 * S;
    assert!(
        silent <= down + 10_000 && silent + S >= down,
        "took over {silent} µs after the master stopped"
    );
    Ok(())
}

#[test]
fn equal_priority_tie_breaks_on_the_higher_ipv6_address() -> TestResult {
    let mut low = node(LL_LOW, 100);
    let mut high = node(LL_HIGH, 100);
    // Both start as MASTER (e.g. after a partition heals).
    low.handle(t(0), Input::Startup);
    high.handle(t(0), Input::Startup);
    let mut now = 0;
    while low.state() != State::Master || high.state() != State::Master {
        for x in [&mut low, &mut high] {
            if x.poll_timeout().is_some_and(|d| d <= t(now)) {
                x.handle(t(now), Input::Timeout);
            }
            pump(x, None, now)?;
        }
        now += 10_000;
        if now > 10 * S {
            return Err("both never became MASTER".into());
        }
    }
    // Now they hear each other: the lower address yields.
    run(&mut low, &mut high, now, now + 3 * S, true)?;
    assert_eq!((low.state(), high.state()), (State::Backup, State::Master));
    assert_eq!(low.current_master(), Some((IpAddr::V6(LL_HIGH), 100)));
    Ok(())
}
