//! What the daemon feeds into an [`super::Instance`] and what it gets back.

use std::net::IpAddr;

use super::{State, StateChangeReason};
use crate::packet::AdvertView;

/// An event for [`super::Instance::handle`].
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Leave `Initialize` (interface up, daemon started).
    Startup,
    /// A decoded advert whose VRID is this instance's. `multicast` says the
    /// destination was the VRRP group: only then must the TTL (IPv6: hop
    /// limit) be 255. `src` is of the instance's family; it is compared
    /// numerically with our address on priority ties.
    Advert {
        src: IpAddr,
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
    /// Sync group: the group decided to go MASTER (every member wants it, see
    /// [`super::Instance::wants_master`]). A BACKUP becomes MASTER at once with
    /// [`super::StateChangeReason::SyncGroup`]; a no-op in any other state
    /// (INIT is not running, FAULT must clear first, MASTER already is).
    SyncMaster,
    /// Sync group: another member went BACKUP, so this one must too. A MASTER
    /// drops its VIPs and becomes BACKUP with a full Master_Down_Interval and
    /// [`super::StateChangeReason::SyncGroup`], without a priority-0 advert
    /// (keepalived sends none here); a no-op in any other state.
    SyncBackup,
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
    /// One burst: `repeat` gratuitous ARPs (IPv4) or unsolicited neighbour
    /// advertisements (IPv6) for every VIP.
    SendGratuitousArp { repeat: u32 },
    /// Sync-group member ([`super::Tuning::sync_member`]) in BACKUP: this
    /// instance would now become MASTER (its down timer ran out) but leaves
    /// the decision to the group. Repeated at every further expiry while the
    /// wish stands; [`super::Instance::wants_master`] gives the current value.
    WantMaster,
    /// A MASTER heard a losing advert (lower priority, or equal priority from
    /// a lower address) and kept MASTER: keepalived runs
    /// `notify_master_rx_lower_pri` and writes `MASTER_RX_LOWER_PRI` to the
    /// notify FIFO. Emitted after the answering advert and GARPs.
    MasterRxLowerPriority { src: IpAddr, priority: u8 },
    /// Emitted for every transition, after the actions that implement it.
    StateChanged {
        from: State,
        to: State,
        priority: u8,
        reason: StateChangeReason,
    },
}
