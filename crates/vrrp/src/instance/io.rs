//! What the daemon feeds into an [`super::Instance`] and what it gets back.

use std::net::Ipv4Addr;

use super::{State, StateChangeReason};
use crate::packet::AdvertView;

/// An event for [`super::Instance::handle`].
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Leave `Initialize` (interface up, daemon started).
    Startup,
    /// A decoded advert whose VRID is this instance's. `multicast` says the
    /// destination was the VRRP group: only then must the TTL be 255.
    Advert {
        src: Ipv4Addr,
        ttl: u8,
        multicast: bool,
        advert: AdvertView<'a>,
    },
    /// The deadline from [`super::Instance::poll_timeout`] was reached. Early or
    /// spurious timeouts are harmless no-ops.
    Timeout,
    /// Stop: resign if MASTER, go to `Initialize`.
    Shutdown,
    /// The daemon's view of the instance's health changed: `true` when its
    /// interface or an unweighted tracker is down (keepalived's FAULT), `false`
    /// when every fault has cleared. Repeating the current value is a no-op.
    Fault(bool),
}

/// Work for the daemon, drained in order from [`super::Instance::poll_action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one advert with this priority; everything else (VIPs, auth,
    /// interval) comes from the configuration, see
    /// [`super::Instance::encode_advert_ipv4`].
    SendAdvert { priority: u8 },
    /// Install the virtual addresses.
    AddVips,
    /// Remove the virtual addresses.
    RemoveVips,
    /// One burst: `repeat` gratuitous ARPs for every VIP.
    SendGratuitousArp { repeat: u32 },
    /// Emitted for every transition, after the actions that implement it.
    StateChanged {
        from: State,
        to: State,
        priority: u8,
        reason: StateChangeReason,
    },
}
