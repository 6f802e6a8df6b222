//! `Instance::reconfigure` (configuration reload): the new settings apply,
//! the protocol state and its timers do not restart.

use std::net::Ipv4Addr;

use vrrp::{Action, Input, Instance, InstanceConfig, State, Timestamp, Tuning};

const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
const VIP2: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 101);
/// v2, priority 100: 3 s + (256 - 100)/256 s.
const MASTER_DOWN_100: u64 = 3_609_375;

fn t(us: u64) -> Timestamp {
    Timestamp::from_micros(us)
}

fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

fn config(priority: u8) -> InstanceConfig {
    let mut c = InstanceConfig::with_defaults("VI_R", 51, LOCAL, vec![VIP]);
    c.priority = priority;
    c
}

fn master(priority: u8) -> Instance {
    let mut i = Instance::new(config(priority));
    i.handle(t(0), Input::Startup);
    i.handle(t(MASTER_DOWN_100), Input::Timeout);
    assert_eq!(i.state(), State::Master);
    let _ = drain(&mut i);
    i
}

#[test]
fn master_keeps_state_and_sends_one_advert_with_the_new_settings() {
    let mut i = master(100);
    let now = t(MASTER_DOWN_100 + 300_000);
    let mut c = config(120);
    c.vips.push(VIP2.into());
    c.advert_int_us = 2_000_000;
    i.reconfigure(c, Tuning::default(), now);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.priority(), 120);
    assert_eq!(i.config().vips.len(), 2);
    // One advert at once, no state change, no GARP, no address change.
    assert_eq!(drain(&mut i), [Action::SendAdvert { priority: 120 }]);
    // The next advert comes one new interval later.
    assert_eq!(i.poll_timeout(), Some(now.add_micros(2_000_000)));
    assert_eq!(i.master_adver_int_us(), 2_000_000);
}

#[test]
fn master_cancels_the_pending_garp_burst_only_when_garps_are_switched_off() {
    let mut i = master(100);
    // The delayed second burst is armed (5 s after becoming MASTER).
    let garp_at = t(MASTER_DOWN_100 + 5_000_000);
    i.reconfigure(config(100), Tuning::default(), t(MASTER_DOWN_100 + 1));
    let _ = drain(&mut i);
    i.handle(garp_at, Input::Timeout);
    assert!(drain(&mut i).contains(&Action::SendGratuitousArp { repeat: 5 }));

    let mut i = master(100);
    let mut c = config(100);
    c.garp_master_repeat = 0;
    i.reconfigure(c, Tuning::default(), t(MASTER_DOWN_100 + 1));
    let _ = drain(&mut i);
    i.handle(garp_at, Input::Timeout);
    assert!(!drain(&mut i)
        .iter()
        .any(|a| matches!(a, Action::SendGratuitousArp { .. })));
}

#[test]
fn backup_keeps_its_down_timer_moved_by_the_priority_change() {
    let mut i = Instance::new(config(100));
    i.handle(t(0), Input::Startup);
    let _ = drain(&mut i);
    assert_eq!(i.poll_timeout(), Some(t(MASTER_DOWN_100)));
    i.reconfigure(config(200), Tuning::default(), t(1_000_000));
    assert_eq!(i.state(), State::Backup);
    assert!(drain(&mut i).is_empty(), "a BACKUP sends nothing on reload");
    // Skew shrinks from 156/256 s to 56/256 s: the timer moves with it.
    assert_eq!(i.poll_timeout(), Some(t(3_000_000 + 56 * 1_000_000 / 256)));
    assert_eq!(i.priority(), 200);
}

#[test]
fn tracker_adjustment_survives_a_base_priority_change() {
    let mut i = master(100);
    i.set_effective_priority(90); // a tracker took 10
    i.reconfigure(config(150), Tuning::default(), t(MASTER_DOWN_100 + 1));
    assert_eq!(i.priority(), 140);
    // Becoming an owner pins 255; leaving it starts from the new base.
    i.reconfigure(config(255), Tuning::default(), t(MASTER_DOWN_100 + 2));
    assert_eq!(i.priority(), 255);
    i.reconfigure(config(100), Tuning::default(), t(MASTER_DOWN_100 + 3));
    assert_eq!(i.priority(), 100);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn fault_stays_fault_and_recovers_with_the_new_interval() {
    let mut i = Instance::new(config(100));
    i.handle(t(0), Input::Startup);
    i.handle(t(1), Input::Fault(true));
    let _ = drain(&mut i);
    let mut c = config(100);
    c.advert_int_us = 3_000_000;
    i.reconfigure(c, Tuning::default(), t(2));
    assert_eq!(i.state(), State::Fault);
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.poll_timeout(), None);
    i.handle(t(10), Input::Fault(false));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.master_adver_int_us(), 3_000_000);
}

#[test]
fn nopreempt_on_reload_stops_a_preempt_delay_in_progress() {
    use vrrp::packet::{decode_vrrp, encode_vrrp};
    use vrrp::{AuthData, VRRP_MCAST_V4};
    let mut c = config(200);
    c.preempt_delay_us = 10_000_000;
    let mut i = Instance::new(c);
    i.handle(t(0), Input::Startup);
    let _ = drain(&mut i);
    // A lower-priority master is heard: the preempt delay starts.
    let peer = Ipv4Addr::new(192, 0, 2, 20);
    let mut buf = Vec::new();
    encode_vrrp(
        &mut buf,
        peer,
        VRRP_MCAST_V4,
        2,
        51,
        100,
        100,
        &AuthData::None,
        &[VIP],
    )
    .expect("encode");
    let adv = decode_vrrp(&buf, peer, VRRP_MCAST_V4).expect("decode");
    i.handle(
        t(1_000_000),
        Input::Advert {
            src: peer.into(),
            ttl: 255,
            multicast: true,
            advert: adv,
        },
    );
    let mut c = config(200);
    c.preempt = false;
    i.reconfigure(c, Tuning::default(), t(2_000_000));
    assert!(!i.config().preempt);
    assert_eq!(i.state(), State::Backup);
    // With nopreempt the same advert is now accepted and re-arms the timer.
    let adv = decode_vrrp(&buf, peer, VRRP_MCAST_V4).expect("decode");
    i.handle(
        t(11_500_000),
        Input::Advert {
            src: peer.into(),
            ttl: 255,
            multicast: true,
            advert: adv,
        },
    );
    assert_eq!(i.current_master().map(|m| m.1), Some(100));
}
