//! The daemon's synchronous core: owns every VRRP instance, routes received packets
//! to them by VRID, keeps one timer queue for all of them, and executes the actions
//! they return (adverts and GARPs are sent at once; address changes are queued to
//! the netlink worker so they stay in order).
//!
//! It is deliberately free of async code so the hot paths (one packet, one timer)
//! are plain function calls with no allocation.

use crate::firewall::FwOp;
use crate::garp::{build_garp, build_na, AnnouncePacer, GARP_FRAME_LEN, NA_FRAME_LEN};
use crate::netlink::AddrSpec;
use crate::notify::{FifoWriter, Notification, NotifyState};
use crate::priority::{PriorityState, TrackerId};
use crate::routes::{RouteSpec, RuleSpec};
use crate::socket::{PacketSocket, Recv6, VrrpSocket};
use crate::tracking::{Source, TrackUse};
use crate::unicast::{Refusal, Unicast};
use keepalived_config::{NotifyBox, SyncGroup};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;
use std::process::Child;
use std::rc::Rc;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc::UnboundedSender;
use tracing::{debug, info, warn};
use track_process::event::Observation;
use vrrp::{Action, AuthData, Input, Instance, State, Timestamp};

/// Whose deadline a timer-queue entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Instance(usize),
    /// A process tracker (index into `Engine::sources`).
    Tracker(usize),
    /// The next paced gratuitous ARP.
    Garp,
}

/// What a sync-group member did that its group reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupEvent {
    /// The member entered a state (notified at group level once).
    Entered(usize, NotifyState),
    /// The member wants to become MASTER.
    WantMaster(usize),
    /// The member left MASTER for BACKUP on its own (a better master): the
    /// others follow.
    Yielded(usize),
    /// The member, as MASTER, heard a losing advert: members with
    /// `garp_lower_prio_repeat` send their GARPs too.
    RxLowerPriority(usize),
}

/// A `vrrp_sync_group` at run time.
pub struct GroupRt {
    /// The configuration (name, members, notify scripts).
    pub config: SyncGroup,
    /// Member indexes into `Engine::instances`.
    pub members: Vec<usize>,
    /// The state last notified for the group.
    notified: Option<NotifyState>,
    /// Whether the members are held in FAULT because one of them has a fault.
    fault: bool,
}

impl GroupRt {
    pub fn new(config: SyncGroup, members: Vec<usize>) -> Self {
        GroupRt {
            config,
            members,
            notified: None,
            fault: false,
        }
    }
}

/// A change for the netlink worker, applied in order.
#[derive(Debug, Clone)]
pub enum NetlinkOp {
    Add(AddrSpec),
    Del(AddrSpec),
    AddRoute(Box<RouteSpec>),
    DelRoute(Box<RouteSpec>),
    AddRule(Box<RuleSpec>),
    DelRule(Box<RuleSpec>),
    /// `no_accept`: the nftables drop set (not netlink, but ordered with
    /// the address changes it belongs to).
    Firewall(FwOp),
    /// A whole nft script: the firewall tables rebuilt by a reload
    /// ([`crate::firewall::rebuild_script`]), ordered after the drop-set
    /// changes the reload queued.
    FirewallScript(String),
    /// Delete a link (a VMAC no instance uses any more after a reload),
    /// after the address removals queued before it.
    DelLink {
        index: u32,
        name: String,
    },
}

/// One interface the daemon uses.
pub struct Iface {
    pub name: String,
    /// Kernel interface index (changes when the interface is re-created;
    /// 0 while a `dynamic_interfaces` interface does not exist).
    pub index: u32,
    /// Whether instances send and receive adverts on it (it needs a VRRP
    /// socket whenever it exists).
    pub carries_instances: bool,
    pub mac: [u8; 6],
    /// The VRRP socket, for interfaces that carry instances.
    pub vrrp: Option<Rc<AsyncFd<VrrpSocket>>>,
    /// The IPv6 VRRP socket, for interfaces that carry IPv6 instances.
    pub vrrp6: Option<Rc<AsyncFd<VrrpSocket>>>,
    /// For gratuitous ARP; `None` if it could not be opened (logged once).
    pub packet: Option<PacketSocket>,
    /// Instance index by VRID (`u32::MAX` = none).
    by_vrid: Box<[u32; 256]>,
    /// Further instances sharing a VRID on this interface (unicast
    /// instances with disjoint peers): (VRID, instance).
    shared_vrids: Vec<(u8, u32)>,
    /// The same for IPv6 instances: a VRID may be used once per family.
    by_vrid6: Box<[u32; 256]>,
    /// `shared_vrids` of the IPv6 instances.
    shared_vrids6: Vec<(u8, u32)>,
}

impl Iface {
    pub fn new(
        name: String,
        index: u32,
        mac: [u8; 6],
        vrrp: Option<Rc<AsyncFd<VrrpSocket>>>,
        packet: Option<PacketSocket>,
    ) -> Self {
        Iface {
            carries_instances: vrrp.is_some(),
            name,
            index,
            mac,
            vrrp,
            vrrp6: None,
            packet,
            by_vrid: Box::new([u32::MAX; 256]),
            shared_vrids: Vec::new(),
            by_vrid6: Box::new([u32::MAX; 256]),
            shared_vrids6: Vec::new(),
        }
    }
}

/// A VIP with the index of the interface (in `Engine::ifaces`) it lives on.
#[derive(Debug, Clone)]
pub struct Vip {
    pub spec: AddrSpec,
    pub iface: usize,
}

/// Run-time data of one instance beside its protocol state machine.
pub struct InstanceRt {
    pub vrrp: Instance,
    /// Index into `Engine::ifaces` of the interface adverts go out of.
    pub iface: usize,
    /// Source address of our adverts (IPv6: the interface's link-local one).
    pub src: IpAddr,
    /// Multicast group, or the unicast peers (of the instance's family).
    pub dsts: Vec<IpAddr>,
    pub vips: Vec<Vip>,
    /// The trackers this instance follows, with their weights; `prio` has
    /// one slot per entry, in the same order.
    pub tracks: Vec<TrackUse>,
    /// Effective priority and tracker FAULT count from `tracks`.
    prio: PriorityState,
    /// Index into `Engine::groups` of the sync group this instance is in.
    group: Option<usize>,
    /// Unicast peers and receive checks (empty peers: multicast).
    pub unicast: Unicast,
    /// `no_accept` on a non-owner: while MASTER, traffic to the VIPs is
    /// dropped by the firewall.
    pub no_accept: bool,
    /// `unicast_fault_no_peer` with no peers: the instance stays in FAULT.
    pub no_peer: bool,
    /// No source address yet (its interface had no IPv4 address at start):
    /// keepalived's "no source IP" fault, cleared by the first address.
    pub no_src: bool,
    /// `notify_priority_changes`: FIFO lines on effective-priority changes.
    pub priority_changes: bool,
    /// `virtual_routes` and `virtual_rules`: installed only while MASTER.
    pub routes: Vec<RouteSpec>,
    pub rules: Vec<RuleSpec>,
    /// `notify*` scripts run on state changes.
    pub notify: NotifyBox,
    /// The deadline currently in the timer queue for this instance.
    scheduled: Option<Timestamp>,
    /// `auth_type AH`: sequence counter and IP identification.
    pub ah: vrrp::packet::ah::AhState,
    /// VRRPv3-over-IPv4 checksum rule (`Tuning::checksum`) with its
    /// old-unicast-checksum detection state.
    pub checksum: vrrp::packet::ChecksumState,
    /// What matches this instance with its successor across a reload.
    pub key: crate::reload::InstanceKey,
    /// When the state last changed (for `keepalived-rs status`).
    pub last_change: Option<Timestamp>,
    /// State changes since start (a metrics counter).
    pub transitions: u64,
}

impl InstanceRt {
    pub fn new(
        vrrp: Instance,
        iface: usize,
        src: IpAddr,
        dsts: Vec<IpAddr>,
        vips: Vec<Vip>,
        tracks: Vec<TrackUse>,
        notify: NotifyBox,
    ) -> Self {
        InstanceRt {
            iface,
            src,
            dsts,
            vips,
            prio: PriorityState::new(vrrp.config().priority),
            tracks,
            notify,
            group: None,
            no_src: src.is_unspecified(),
            unicast: Unicast::default(),
            no_accept: false,
            no_peer: false,
            priority_changes: false,
            routes: Vec::new(),
            rules: Vec::new(),
            scheduled: None,
            ah: vrrp::packet::ah::AhState::new(),
            checksum: vrrp::packet::ChecksumState::new(vrrp.tuning().checksum),
            key: crate::reload::InstanceKey::default(),
            last_change: None,
            transitions: 0,
            vrrp,
        }
    }
}

/// Why [`Engine::announce`] refused.
#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    #[error("no VRRP instance named '{0}'")]
    NoInstance(String),
    #[error("instance '{0}' is {1}, not MASTER: only a MASTER announces its addresses")]
    NotMaster(String, State),
}

/// A notify script still running.
pub struct Running {
    pub child: Child,
    /// `notify_stop`: killed if still running this long after shutdown.
    pub kill_after: Option<std::time::Duration>,
}

/// Counters for packets no instance got to see.
#[derive(Debug, Default, Clone)]
pub struct DispatchStats {
    pub malformed: u64,
    pub truncated: u64,
    pub unknown_vrid: u64,
    pub send_errors: u64,
    /// `auth_type AH` adverts refused by the AH checks (SPI, ICV, replay).
    pub ah_rejected: u64,
    /// Malformed datagrams by decode error.
    pub malformed_by_reason: Vec<(&'static str, u64)>,
    /// Adverts refused before an instance saw them, by reason.
    pub refused: Vec<(&'static str, u64)>,
}

impl DispatchStats {
    fn bump(list: &mut Vec<(&'static str, u64)>, reason: &'static str) {
        match list.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => list.push((reason, 1)),
        }
    }
}

/// At most one warning per reason every [`LOG_EVERY_US`]; the rest are
/// counted and the count is reported with the next warning (keepalived
/// rate-limits its receive errors the same way, RFC 9568).
#[derive(Debug, Default)]
struct LogLimiter {
    last: Vec<(&'static str, Timestamp, u64)>,
}

const LOG_EVERY_US: u64 = 10_000_000;

impl LogLimiter {
    /// `Some(suppressed)` when a warning may be logged now.
    fn allow(&mut self, reason: &'static str, now: Timestamp) -> Option<u64> {
        match self.last.iter_mut().find(|(r, _, _)| *r == reason) {
            Some((_, at, suppressed)) => {
                if now.as_micros().saturating_sub(at.as_micros()) >= LOG_EVERY_US {
                    let n = *suppressed;
                    *at = now;
                    *suppressed = 0;
                    Some(n)
                } else {
                    *suppressed += 1;
                    None
                }
            }
            None => {
                self.last.push((reason, now, 0));
                Some(0)
            }
        }
    }
}

/// A short name for a decode error, for counters.
fn decode_reason(e: &vrrp::DecodeError) -> &'static str {
    use vrrp::DecodeError as E;
    match e {
        E::Truncated => "truncated",
        E::NotIpv4(_) => "not IPv4",
        E::BadIhl(_) => "bad IHL",
        E::BadTotalLength { .. } => "bad total length",
        E::BadIpChecksum => "bad IP checksum",
        E::NotVrrpProtocol(_) => "not VRRP",
        E::LengthMismatch { .. } => "length mismatch",
        E::BadVersion(_) => "bad version",
        E::BadType(_) => "bad type",
        E::BadChecksum => "bad checksum",
        E::AuthType(_) => "auth type",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

pub struct Engine {
    pub ifaces: Vec<Iface>,
    pub instances: Vec<InstanceRt>,
    /// Every tracker source (process, interface, script, file).
    pub sources: Vec<Source>,
    pub groups: Vec<GroupRt>,
    timers: BinaryHeap<Reverse<(Timestamp, Owner)>>,
    netlink: Option<UnboundedSender<NetlinkOp>>,
    /// Leave VIPs in place on exit (`-V`).
    keep_vips_on_exit: bool,
    shutting_down: bool,
    txbuf: Vec<u8>,
    pub stats: DispatchStats,
    /// `notify_fifo` / `vrrp_notify_fifo` writers (never block).
    fifos: Vec<FifoWriter>,
    /// Notify scripts still running, reaped as they finish.
    children: Vec<Running>,
    /// Events of sync-group members not yet handled at group level.
    transitions: Vec<GroupEvent>,
    /// Rate limit of receive-error warnings.
    rx_log: LogLimiter,
    /// Gratuitous ARPs and unsolicited NAs waiting for their turn
    /// (`vrrp_garp_interval`, `vrrp_gna_interval`, `garp_group`); keyed by
    /// index into `ifaces`.
    garps: AnnouncePacer,
    /// The GARP deadline in the timer queue.
    garp_scheduled: Option<Timestamp>,
    /// Instances being removed by a reload: their stop is notified as
    /// DELETED (reference §6.1 `notify_deleted`).
    deleting: bool,
    /// `vrrp_script` runs and failures by script name (kept across
    /// reloads: a counter only goes up).
    pub script_runs: Vec<ScriptRuns>,
}

/// Counters of one `vrrp_script` (metrics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptRuns {
    pub name: String,
    /// Completed runs (timeouts included).
    pub runs: u64,
    /// Runs that did not succeed (non-zero exit, signal, timeout).
    pub failures: u64,
}

impl Engine {
    pub fn new(
        ifaces: Vec<Iface>,
        instances: Vec<InstanceRt>,
        sources: Vec<Source>,
        groups: Vec<GroupRt>,
        netlink: UnboundedSender<NetlinkOp>,
        keep_vips_on_exit: bool,
    ) -> Self {
        let mut engine = Engine {
            ifaces,
            instances,
            sources,
            groups,
            timers: BinaryHeap::new(),
            netlink: Some(netlink),
            keep_vips_on_exit,
            shutting_down: false,
            txbuf: Vec::with_capacity(1500),
            stats: DispatchStats::default(),
            fifos: Vec::new(),
            children: Vec::new(),
            transitions: Vec::new(),
            garps: AnnouncePacer::new(0, 0),
            rx_log: LogLimiter::default(),
            garp_scheduled: None,
            deleting: false,
            script_runs: Vec::new(),
        };
        engine.index_instances();
        engine.init_trackers();
        engine
    }

    /// Fills the interfaces' VRID tables and the instances' group indexes
    /// from `instances` and `groups`.
    fn index_instances(&mut self) {
        for iface in &mut self.ifaces {
            iface.by_vrid.fill(u32::MAX);
            iface.by_vrid6.fill(u32::MAX);
            iface.shared_vrids.clear();
            iface.shared_vrids6.clear();
        }
        let engine = self;
        for (i, inst) in engine.instances.iter().enumerate() {
            let vrid = usize::from(inst.vrrp.config().vrid);
            if let Some(iface) = engine.ifaces.get_mut(inst.iface) {
                if inst.vrrp.config().is_ipv6() {
                    if iface.by_vrid6[vrid] == u32::MAX {
                        iface.by_vrid6[vrid] = i as u32;
                    } else {
                        iface
                            .shared_vrids6
                            .push((inst.vrrp.config().vrid, i as u32));
                    }
                } else if iface.by_vrid[vrid] == u32::MAX {
                    iface.by_vrid[vrid] = i as u32;
                } else {
                    iface.shared_vrids.push((inst.vrrp.config().vrid, i as u32));
                }
            }
        }
        for inst in &mut engine.instances {
            inst.group = None;
        }
        for (g, group) in engine.groups.iter().enumerate() {
            for &m in &group.members {
                if let Some(inst) = engine.instances.get_mut(m) {
                    inst.group = Some(g);
                }
            }
        }
    }

    /// Every tracker slot of every instance starts from its source's
    /// current input (at start, and with the new plan after a reload).
    fn init_trackers(&mut self) {
        let Engine {
            instances, sources, ..
        } = self;
        for inst in instances.iter_mut() {
            inst.prio = PriorityState::new(inst.vrrp.config().priority);
            for u in &inst.tracks {
                let input = match sources.get(u.source) {
                    Some(src) => src.input_for(u.spec),
                    None => crate::priority::TrackerInput::Up(true),
                };
                inst.prio.add_tracker(u.spec, input);
            }
        }
    }

    /// Starts every instance. Sources must already hold their initial state
    /// (process scan, link states, file values): an instance with an
    /// unweighted tracker down starts in FAULT, and every instance starts
    /// with the priority its trackers give it.
    pub fn start(&mut self, now: Timestamp) {
        for i in 0..self.instances.len() {
            let fault = self.wants_fault(i);
            if let Some(inst) = self.instances.get_mut(i) {
                inst.vrrp.handle(now, Input::Fault(fault));
            }
            self.feed(i, now, Input::Startup);
            self.apply_priority(i, "start");
        }
        for g in 0..self.groups.len() {
            self.update_group_fault(g, now);
        }
    }

    /// Adds an interface (one a reloaded configuration needs); returns its
    /// index. Interfaces are never removed, so indexes stay valid.
    pub fn add_iface(&mut self, iface: Iface) -> usize {
        self.ifaces.push(iface);
        self.ifaces.len() - 1
    }

    /// Replaces the running configuration with a reloaded one (reference
    /// §7.5). `instances` are freshly built from the new configuration (with
    /// their [`InstanceRt::key`]), `sources` is the new tracker plan with the
    /// states carried over from the old one, `groups` index into
    /// `instances`.
    ///
    /// - An old instance with the key of a new one keeps its protocol state
    ///   and timers ([`vrrp::Instance::reconfigure`]): a MASTER keeps its
    ///   role without a GARP burst; only the VIPs, routes and rules added
    ///   to or dropped from the configuration are installed or removed
    ///   (new VIPs get a GARP burst).
    /// - An old instance without a match stops as on shutdown (priority-0
    ///   advert and address removal when MASTER), notified as DELETED.
    /// - A new instance without a match starts as at start-up.
    pub fn reload(
        &mut self,
        instances: Vec<InstanceRt>,
        sources: Vec<Source>,
        groups: Vec<GroupRt>,
        now: Timestamp,
    ) {
        // Match old instances to new ones by key, first come first served.
        let mut taken = vec![false; self.instances.len()];
        let mut matched: Vec<Option<usize>> = Vec::with_capacity(instances.len());
        for new in &instances {
            let j = self
                .instances
                .iter()
                .enumerate()
                .position(|(j, old)| !taken[j] && old.key == new.key);
            if let Some(j) = j {
                taken[j] = true;
            }
            matched.push(j);
        }
        // Removed instances stop first, while the old indexes are valid.
        self.deleting = true;
        for (j, kept) in taken.iter().enumerate() {
            if *kept {
                continue;
            }
            if let Some(inst) = self.instances.get_mut(j) {
                let name = &inst.vrrp.config().name;
                info!(instance = %name, "({name}) removed by the reload");
                inst.group = None;
            }
            self.feed(j, now, Input::Shutdown);
        }
        self.deleting = false;
        self.transitions.clear();
        let mut old: Vec<Option<InstanceRt>> = std::mem::take(&mut self.instances)
            .into_iter()
            .map(Some)
            .collect();
        let mut fresh = Vec::new();
        let mut kept = Vec::new();
        for (i, (new, m)) in instances.into_iter().zip(matched).enumerate() {
            match m.and_then(|j| old.get_mut(j)).and_then(Option::take) {
                Some(prev) => {
                    kept.push(i);
                    let merged = self.merge(prev, new, now);
                    self.instances.push(merged);
                }
                None => {
                    fresh.push(i);
                    self.instances.push(new);
                }
            }
        }
        // Process trackers' deadlines are re-queued under their new indexes.
        self.sources = sources;
        self.groups = groups;
        self.timers.clear();
        for (t, src) in self.sources.iter().enumerate() {
            if let Source::Process {
                scheduled: Some(at),
                ..
            } = src
            {
                self.timers.push(Reverse((*at, Owner::Tracker(t))));
            }
        }
        if let Some(at) = self.garp_scheduled {
            self.timers.push(Reverse((at, Owner::Garp)));
        }
        self.index_instances();
        self.init_trackers();
        for &i in &kept {
            if let Some(inst) = self.instances.get_mut(i) {
                inst.scheduled = None;
            }
            self.run_actions(i, now);
            self.apply_priority(i, "reload");
            self.refresh_fault(i, now);
            self.reschedule(i);
        }
        for &i in &fresh {
            let fault = self.wants_fault(i);
            if let Some(inst) = self.instances.get_mut(i) {
                info!(instance = %inst.vrrp.config().name, "({}) added by the reload", inst.vrrp.config().name);
                inst.vrrp.handle(now, Input::Fault(fault));
            }
            self.feed(i, now, Input::Startup);
            self.apply_priority(i, "start");
        }
        for g in 0..self.groups.len() {
            self.update_group_fault(g, now);
        }
        self.flush_garps(now);
        self.group_transitions(now);
    }

    /// The instance `prev` continued with the configuration of `new`.
    fn merge(&mut self, mut prev: InstanceRt, new: InstanceRt, now: Timestamp) -> InstanceRt {
        let name = new.vrrp.config().name.clone();
        let mut cfg = new.vrrp.config().clone();
        // An address learnt after start (none configured) stays in use.
        let (src, no_src) = if new.no_src && !prev.no_src {
            (prev.src, false)
        } else {
            (new.src, new.no_src)
        };
        cfg.local_addr = src;
        if prev.vrrp.state() == State::Master {
            self.apply_address_diff(&prev, &new, now);
        }
        let (old_base, new_base) = (prev.vrrp.config().priority, new.vrrp.config().priority);
        if old_base != new_base {
            info!(instance = %name, old_priority = old_base, new_priority = new_base, "({name}) priority {old_base} -> {new_base} (reload)");
        }
        let tuning = *new.vrrp.tuning();
        if tuning.checksum != prev.vrrp.tuning().checksum {
            prev.checksum = new.checksum;
        }
        prev.vrrp.reconfigure(cfg, tuning, now);
        debug!(instance = %name, state = %prev.vrrp.state(), "({name}) configuration reloaded in place");
        InstanceRt {
            vrrp: prev.vrrp,
            iface: new.iface,
            src,
            dsts: new.dsts,
            vips: new.vips,
            tracks: new.tracks,
            prio: new.prio,
            group: None,
            unicast: new.unicast,
            no_accept: new.no_accept,
            no_peer: new.no_peer,
            no_src,
            priority_changes: new.priority_changes,
            routes: new.routes,
            rules: new.rules,
            notify: new.notify,
            scheduled: None,
            ah: prev.ah,
            checksum: prev.checksum,
            key: new.key,
            last_change: prev.last_change,
            transitions: prev.transitions,
        }
    }

    /// A MASTER's reloaded address lists: dropped rules, routes and
    /// addresses go first (the reverse of installation), then the new
    /// addresses, routes and rules; only the new addresses are announced.
    fn apply_address_diff(&mut self, prev: &InstanceRt, new: &InstanceRt, now: Timestamp) {
        let same = |a: &Vip, b: &Vip| a.spec == b.spec && a.iface == b.iface;
        for r in prev.rules.iter().filter(|r| !new.rules.contains(r)) {
            queue(&self.netlink, NetlinkOp::DelRule(Box::new(r.clone())));
        }
        for r in prev.routes.iter().filter(|r| !new.routes.contains(r)) {
            queue(&self.netlink, NetlinkOp::DelRoute(Box::new(r.clone())));
        }
        for vip in &prev.vips {
            let kept = new.vips.iter().any(|n| same(n, vip));
            if !kept {
                self.garps.cancel(vip.iface as u32, vip.spec.addr);
                queue(&self.netlink, NetlinkOp::Del(vip.spec.clone()));
            }
            if prev.no_accept && (!kept || !new.no_accept) {
                queue(
                    &self.netlink,
                    NetlinkOp::Firewall(FwOp::Unblock(vip.spec.addr)),
                );
            }
        }
        let mut added: Vec<(usize, Vec<IpAddr>)> = Vec::new();
        for vip in &new.vips {
            let existed = prev.vips.iter().any(|p| same(p, vip));
            if new.no_accept && (!existed || !prev.no_accept) {
                queue(
                    &self.netlink,
                    NetlinkOp::Firewall(FwOp::Block(vip.spec.addr)),
                );
            }
            if existed {
                continue;
            }
            info!(instance = %new.vrrp.config().name, addr = %vip.spec.addr, "({}) adding {} (reload)", new.vrrp.config().name, vip.spec.addr);
            queue(&self.netlink, NetlinkOp::Add(vip.spec.clone()));
            match added.iter_mut().find(|(i, _)| *i == vip.iface) {
                Some((_, a)) => a.push(vip.spec.addr),
                None => added.push((vip.iface, vec![vip.spec.addr])),
            }
        }
        for r in new.routes.iter().filter(|r| !prev.routes.contains(r)) {
            queue(&self.netlink, NetlinkOp::AddRoute(Box::new(r.clone())));
        }
        for r in new.rules.iter().filter(|r| !prev.rules.contains(r)) {
            queue(&self.netlink, NetlinkOp::AddRule(Box::new(r.clone())));
        }
        let repeat = new.vrrp.config().garp_master_repeat;
        if repeat > 0 {
            for (iface, addrs) in added {
                self.garps
                    .push_burst(iface as u32, &addrs, repeat, now.as_micros());
            }
        }
    }

    /// Counts one completed run of the `vrrp_script` called `name`.
    pub fn count_script_run(&mut self, name: &str, success: bool) {
        let i = match self.script_runs.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.script_runs.push(ScriptRuns {
                    name: name.to_string(),
                    ..ScriptRuns::default()
                });
                self.script_runs.len() - 1
            }
        };
        if let Some(s) = self.script_runs.get_mut(i) {
            s.runs += 1;
            if !success {
                s.failures += 1;
            }
        }
    }

    /// Queues a change for the netlink worker, after everything queued
    /// before it.
    pub fn queue_op(&self, op: NetlinkOp) {
        queue(&self.netlink, op);
    }

    /// The addresses the `no_accept` drop sets must hold now: the VIPs of
    /// every non-owner `no_accept` instance in MASTER (the ones its
    /// `AddVips` blocked).
    pub fn blocked_addrs(&self) -> Vec<IpAddr> {
        self.instances
            .iter()
            .filter(|i| i.no_accept && i.vrrp.state() == State::Master)
            .flat_map(|i| i.vips.iter().map(|v| v.spec.addr))
            .collect()
    }

    /// `fifo_write_vrrp_states_on_reload` (reference §6.2): writes every
    /// instance's current state (with its effective priority), then every
    /// sync group's, to the notify FIFOs, as if each had just entered it.
    /// Instances in INIT have no state word and are skipped, as are groups
    /// whose members do not agree yet. Returns the lines written.
    pub fn write_states_to_fifos(&mut self) -> Vec<String> {
        let state_of = |s: State| match s {
            State::Master => NotifyState::Master,
            State::Backup => NotifyState::Backup,
            State::Fault => NotifyState::Fault,
            State::Initialize => NotifyState::Init,
        };
        let mut notes: Vec<Notification> = self
            .instances
            .iter()
            .map(|i| Notification::Instance {
                name: i.vrrp.config().name.clone(),
                state: state_of(i.vrrp.state()),
                priority: i.vrrp.priority(),
            })
            .collect();
        for g in &self.groups {
            let mut states = g
                .members
                .iter()
                .filter_map(|&m| self.instances.get(m).map(|i| i.vrrp.state()));
            let Some(first) = states.next() else {
                continue;
            };
            if states.all(|s| s == first) {
                notes.push(Notification::Group {
                    name: g.config.name.clone(),
                    state: g.notified.unwrap_or(state_of(first)),
                });
            }
        }
        let mut lines = Vec::new();
        for n in &notes {
            let Some(line) = n.fifo_line() else {
                continue;
            };
            for f in self.fifos.iter_mut() {
                let _ = f.write_line(&line);
            }
            lines.push(line);
        }
        lines
    }

    /// Source index of the `vrrp_script` called `name`.
    pub fn script_source(&self, name: &str) -> Option<usize> {
        self.sources
            .iter()
            .position(|s| matches!(s, Source::Script { name: n, .. } if n == name))
    }

    /// Feeds observations to the given process trackers only (a reload's
    /// new trackers get their initial /proc scan this way).
    pub fn observe_with(
        &mut self,
        trackers: &[usize],
        now: Timestamp,
        observations: &[Observation],
    ) {
        for &t in trackers {
            if let Some(Source::Process { tracker, .. }) = self.sources.get_mut(t) {
                for o in observations {
                    tracker.handle(now.as_micros(), o);
                }
                self.tracker_changed(t, now);
            }
        }
    }

    /// Process observations from the event source, in order.
    pub fn on_observations(&mut self, now: Timestamp, observations: &[Observation]) {
        if observations.is_empty() {
            return;
        }
        for t in 0..self.sources.len() {
            if let Some(Source::Process { tracker, .. }) = self.sources.get_mut(t) {
                for o in observations {
                    tracker.handle(now.as_micros(), o);
                }
                self.tracker_changed(t, now);
            }
        }
    }

    /// Reports of process tracker `t`: re-evaluate the instances that use
    /// it, and put its next deadline in the queue.
    fn tracker_changed(&mut self, t: usize, now: Timestamp) {
        let Some(Source::Process { tracker, scheduled }) = self.sources.get_mut(t) else {
            return;
        };
        let mut changed = false;
        while let Some(ev) = tracker.poll_event() {
            changed = true;
            info!(
                tracker = %tracker.name(),
                up = ev.up,
                count = ev.count,
                "vrrp_track_process {} is {} ({} processes)",
                tracker.name(),
                if ev.up { "up" } else { "down" },
                ev.count
            );
        }
        let next = tracker.poll_timeout().map(Timestamp::from_micros);
        if next != *scheduled {
            *scheduled = next;
            if let Some(at) = next {
                self.timers.push(Reverse((at, Owner::Tracker(t))));
            }
        }
        if changed {
            self.source_changed(t, now);
        }
    }

    /// Index of the interface source named `name`, if an instance tracks it.
    pub fn interface_source(&self, name: &str) -> Option<usize> {
        self.sources
            .iter()
            .position(|s| matches!(s, Source::Interface { name: n, .. } if n == name))
    }

    /// An interface went up or down (or vanished: down). Unknown names and
    /// repeated states are ignored.
    pub fn set_interface_up(&mut self, name: &str, up: bool, now: Timestamp) {
        let Some(s) = self.interface_source(name) else {
            return;
        };
        if let Some(Source::Interface { up: cur, .. }) = self.sources.get_mut(s) {
            if *cur == up {
                return;
            }
            *cur = up;
            info!(
                interface = name,
                up,
                "interface {name} is {}",
                if up { "up" } else { "down" }
            );
        }
        self.source_changed(s, now);
    }

    /// A `vrrp_script` has a new OK/failed state (its first result, or a
    /// rise/fall flip).
    pub fn set_script_ok(&mut self, source: usize, ok: bool, now: Timestamp) {
        if let Some(Source::Script { ok: cur, name, .. }) = self.sources.get_mut(source) {
            if *cur == Some(ok) {
                return;
            }
            *cur = Some(ok);
            info!(script = %name, ok, "VRRP_Script({name}) {}", if ok { "succeeded" } else { "failed" });
        } else {
            return;
        }
        self.source_changed(source, now);
    }

    /// Source index of `track_file` number `index` (in `config.track_files`).
    pub fn file_source(&self, index: usize) -> Option<usize> {
        self.sources
            .iter()
            .position(|s| matches!(s, Source::File { index: i, .. } if *i == index))
    }

    /// A `track_file` holds a new value.
    pub fn set_file_value(&mut self, source: usize, value: i64, now: Timestamp) {
        if let Some(Source::File {
            value: cur, name, ..
        }) = self.sources.get_mut(source)
        {
            if *cur == value {
                return;
            }
            *cur = value;
            info!(track_file = %name, value, "track_file {name} value {value}");
        } else {
            return;
        }
        self.source_changed(source, now);
    }

    /// Source `s` changed: update every instance that uses it (priority and
    /// FAULT), then the FAULT of their sync groups.
    fn source_changed(&mut self, s: usize, now: Timestamp) {
        let reason = self
            .sources
            .get(s)
            .map(|src| format!("{} {}", src.kind_word(), src.name()))
            .unwrap_or_default();
        let mut groups = Vec::new();
        for i in 0..self.instances.len() {
            let Engine {
                instances, sources, ..
            } = self;
            let (Some(inst), Some(src)) = (instances.get_mut(i), sources.get(s)) else {
                continue;
            };
            let mut used = false;
            for (slot, u) in inst.tracks.iter().enumerate() {
                if u.source == s {
                    used = true;
                    let _ = inst.prio.set(TrackerId(slot), src.input_for(u.spec));
                }
            }
            if !used {
                continue;
            }
            match inst.group {
                Some(g) => {
                    if !groups.contains(&g) {
                        groups.push(g);
                    }
                }
                None => {
                    let fault = self.wants_fault(i);
                    self.feed(i, now, Input::Fault(fault));
                }
            }
            self.apply_priority(i, &reason);
        }
        for g in groups {
            self.update_group_fault(g, now);
        }
    }

    /// Whether instance `i`'s own trackers (or a missing source address)
    /// put it in FAULT.
    fn wants_fault(&self, i: usize) -> bool {
        self.instances
            .get(i)
            .is_some_and(|inst| inst.prio.faulted() || inst.no_src || inst.no_peer)
    }

    /// Re-evaluates instance `i`'s FAULT (through its group, if any).
    fn refresh_fault(&mut self, i: usize, now: Timestamp) {
        match self.instances.get(i).and_then(|inst| inst.group) {
            Some(g) => self.update_group_fault(g, now),
            None => {
                let fault = self.wants_fault(i);
                self.feed(i, now, Input::Fault(fault));
            }
        }
    }

    /// Whether an instance on interface `iface` still lacks a source address.
    pub fn needs_source_address(&self, iface: usize) -> bool {
        self.instances
            .iter()
            .any(|inst| inst.iface == iface && inst.no_src)
    }

    /// Interface `iface` has address `addr`: instances on it of that family
    /// that had no source address use it from now on (IPv6 instances only
    /// take a link-local address, as adverts must come from one).
    pub fn set_source_address(&mut self, iface: usize, addr: IpAddr, now: Timestamp) {
        if let IpAddr::V6(a) = addr {
            if !a.is_unicast_link_local() {
                return;
            }
        }
        for i in 0..self.instances.len() {
            let Some(inst) = self.instances.get_mut(i) else {
                continue;
            };
            if inst.iface != iface || !inst.no_src || inst.src.is_ipv6() != addr.is_ipv6() {
                continue;
            }
            if inst.vrrp.config().vips.contains(&addr) {
                continue; // a VIP is never the source
            }
            inst.src = addr;
            inst.no_src = false;
            inst.vrrp.set_local_addr(addr);
            let name = &inst.vrrp.config().name;
            info!(instance = %name, %addr, "({name}) source address {addr}");
            self.refresh_fault(i, now);
        }
    }

    /// keepalived: one member in FAULT puts every member of the group in
    /// FAULT; the group recovers when no member has a fault.
    fn update_group_fault(&mut self, g: usize, now: Timestamp) {
        let Some(group) = self.groups.get(g) else {
            return;
        };
        let members = group.members.clone();
        let fault = members.iter().any(|&m| self.wants_fault(m));
        if let Some(group) = self.groups.get_mut(g) {
            if group.fault != fault {
                info!(
                    group = %group.config.name,
                    fault,
                    "VRRP_Group({}) {}",
                    group.config.name,
                    if fault { "has a member in FAULT" } else { "has no member in FAULT" }
                );
            }
            group.fault = fault;
        }
        for m in members {
            self.feed(m, now, Input::Fault(fault));
        }
    }

    /// Sets the effective priority from the trackers, logging a change.
    fn apply_priority(&mut self, i: usize, reason: &str) {
        let Some(inst) = self.instances.get_mut(i) else {
            return;
        };
        let old = inst.vrrp.priority();
        inst.vrrp.set_effective_priority(inst.prio.effective());
        let new = inst.vrrp.priority();
        if old != new {
            let name = &inst.vrrp.config().name;
            info!(
                instance = %name,
                old_priority = old,
                new_priority = new,
                reason,
                "({name}) effective priority {old} -> {new} ({reason})"
            );
            let state = inst.vrrp.state();
            if inst.priority_changes && matches!(state, State::Master | State::Backup) {
                let n = Notification::PriorityChange {
                    name: name.clone(),
                    master: state == State::Master,
                    priority: new,
                };
                for f in self.fifos.iter_mut() {
                    let _ = f.notify(&n);
                }
            }
        }
        self.reschedule(i);
    }

    /// One datagram received on interface `iface`; `len` is the length the kernel
    /// reported (larger than `buf` when truncated).
    pub fn on_packet(&mut self, iface: usize, buf: &[u8], len: usize, now: Timestamp) {
        if len > buf.len() {
            self.stats.truncated += 1;
            debug!(len, "dropping truncated datagram");
            return;
        }
        // The VRRP checksum is checked once the instance is known: which
        // forms it accepts depends on its configuration.
        let (meta, advert, rx_sum) = match vrrp::packet::decode_ipv4_deferred(buf) {
            Ok(v) => v,
            Err(e) => {
                self.stats.malformed += 1;
                let reason = decode_reason(&e);
                DispatchStats::bump(&mut self.stats.malformed_by_reason, reason);
                match self.rx_log.allow(reason, now) {
                    Some(suppressed) => {
                        warn!(error = %e, suppressed, "dropping malformed VRRP packet")
                    }
                    None => debug!(error = %e, "dropping malformed VRRP packet"),
                }
                return;
            }
        };
        let Some(ifc) = self.ifaces.get(iface) else {
            return;
        };
        let first = ifc.by_vrid[usize::from(advert.vrid)];
        if first == u32::MAX {
            self.stats.unknown_vrid += 1;
            debug!(vrid = advert.vrid, src = %meta.src, "advert for unknown VRID");
            return;
        }
        let src = IpAddr::V4(meta.src);
        let idx = pick_instance(&self.instances, first, &ifc.shared_vrids, advert.vrid, src);
        if !self.check_checksum(idx, &rx_sum, src, now) {
            return;
        }
        self.deliver(
            idx,
            src,
            meta.dst.is_multicast(),
            meta.ttl,
            advert,
            buf,
            now,
        );
    }

    /// The last checks before instance `idx` sees an advert: keepalived's
    /// unicast rules (cast type, `check_unicast_src`, TTL range; the IPv6
    /// hop limit counts as the TTL) and, for `auth_type AH`, the AH header
    /// against the whole datagram `buf`.
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        idx: usize,
        src: IpAddr,
        multicast: bool,
        ttl: u8,
        advert: vrrp::AdvertView<'_>,
        buf: &[u8],
        now: Timestamp,
    ) {
        let refusal = self
            .instances
            .get(idx)
            .and_then(|inst| inst.unicast.check(src, multicast, ttl).err());
        if let Some(r) = refusal {
            self.refuse(idx, r, src, now);
            return;
        }
        if let (AuthData::Ah(_), Some(inst)) = (advert.auth, self.instances.get_mut(idx)) {
            if let Err(e) = ah_check(inst, buf, advert.priority) {
                self.stats.ah_rejected += 1;
                debug!(instance = %inst.vrrp.config().name, %src, error = %e, "dropping AH advert");
                return;
            }
        }
        let input = Input::Advert {
            src,
            ttl,
            multicast,
            advert,
        };
        self.feed(idx, now, input);
    }

    /// Checks an IPv4 advert's VRRP checksum against instance `i`'s rule
    /// (reference §3.14 check 11). A bad one counts as malformed ("bad
    /// checksum"), as it did when the decoder checked the RFC form.
    fn check_checksum(
        &mut self,
        i: usize,
        rx: &vrrp::packet::DeferredChecksum,
        src: IpAddr,
        now: Timestamp,
    ) -> bool {
        use vrrp::packet::ChecksumVerdict;
        let Some(inst) = self.instances.get_mut(i) else {
            return false;
        };
        let name = &inst.vrrp.config().name;
        match inst.checksum.check(rx) {
            ChecksumVerdict::Accept => true,
            ChecksumVerdict::AcceptSwitchedToOld => {
                info!(instance = %name, %src, "({name}) Setting unicast VRRPv3 checksum to old version");
                true
            }
            ChecksumVerdict::Reject => {
                self.stats.malformed += 1;
                let reason = decode_reason(&vrrp::DecodeError::BadChecksum);
                DispatchStats::bump(&mut self.stats.malformed_by_reason, reason);
                match self.rx_log.allow(reason, now) {
                    Some(suppressed) => {
                        warn!(instance = %name, %src, suppressed, "({name}) Invalid VRRPv3 checksum from {src}")
                    }
                    None => {
                        debug!(instance = %name, %src, "({name}) Invalid VRRPv3 checksum from {src}")
                    }
                }
                false
            }
        }
    }

    /// Counts and (rate-limited) logs an advert refused by the unicast checks.
    fn refuse(&mut self, i: usize, r: Refusal, src: IpAddr, now: Timestamp) {
        DispatchStats::bump(&mut self.stats.refused, r.as_str());
        let name = self
            .instances
            .get(i)
            .map(|inst| inst.vrrp.config().name.as_str())
            .unwrap_or("?");
        match self.rx_log.allow(r.as_str(), now) {
            Some(suppressed) => {
                warn!(instance = name, %src, suppressed, "({name}) advert from {src} dropped: {}", r.as_str())
            }
            None => {
                debug!(instance = name, %src, "({name}) advert from {src} dropped: {}", r.as_str())
            }
        }
    }

    /// One VRRP message received on interface `iface`'s IPv6 socket (the
    /// kernel removed the IPv6 header and verified the checksum).
    pub fn on_packet6(&mut self, iface: usize, buf: &[u8], meta: &Recv6, now: Timestamp) {
        if meta.len > buf.len() {
            self.stats.truncated += 1;
            debug!(len = meta.len, "dropping truncated datagram");
            return;
        }
        let advert = match vrrp::packet::decode_vrrp_v6(buf, meta.src, meta.dst) {
            Ok(v) => v,
            Err(e) => {
                self.stats.malformed += 1;
                debug!(error = %e, src = %meta.src, "dropping malformed VRRP packet");
                return;
            }
        };
        let Some(ifc) = self.ifaces.get(iface) else {
            return;
        };
        let first = ifc.by_vrid6[usize::from(advert.vrid)];
        if first == u32::MAX {
            self.stats.unknown_vrid += 1;
            debug!(vrid = advert.vrid, src = %meta.src, "advert for unknown VRID");
            return;
        }
        let src = IpAddr::V6(meta.src);
        let idx = pick_instance(&self.instances, first, &ifc.shared_vrids6, advert.vrid, src);
        self.deliver(
            idx,
            src,
            meta.dst.is_multicast(),
            meta.hop_limit,
            advert,
            buf,
            now,
        );
    }

    /// Interface `idx` was re-created (new kernel index, maybe a new MAC):
    /// use its new sockets, and put addresses on the new index from now on.
    pub fn replace_iface(
        &mut self,
        idx: usize,
        index: u32,
        mac: Option<[u8; 6]>,
        vrrp: Option<Rc<AsyncFd<VrrpSocket>>>,
        vrrp6: Option<Rc<AsyncFd<VrrpSocket>>>,
        packet: Option<PacketSocket>,
    ) {
        let Some(ifc) = self.ifaces.get_mut(idx) else {
            return;
        };
        info!(interface = %ifc.name, old_index = ifc.index, new_index = index, "interface {} re-created", ifc.name);
        let old = ifc.index;
        ifc.index = index;
        if let Some(mac) = mac {
            ifc.mac = mac;
        }
        if vrrp.is_some() {
            ifc.vrrp = vrrp;
        }
        if vrrp6.is_some() {
            ifc.vrrp6 = vrrp6;
        }
        ifc.packet = packet;
        self.garps.clear_interface(idx as u32);
        for inst in &mut self.instances {
            for vip in &mut inst.vips {
                if vip.iface == idx && vip.spec.ifindex == old {
                    vip.spec.ifindex = index;
                }
            }
        }
    }

    /// Paces gratuitous ARPs and unsolicited NAs: `garp_us` between two
    /// GARPs and `gna_us` between two NAs on one interface
    /// (`vrrp_garp_interval`, `vrrp_gna_interval`), with per-interface
    /// overrides (`garp_group`: interface, GARP and NA interval).
    pub fn set_garp_intervals(
        &mut self,
        garp_us: u64,
        gna_us: u64,
        per_iface: &[(String, Option<u64>, Option<u64>)],
    ) {
        let mut p = AnnouncePacer::new(garp_us, gna_us);
        for (name, garp, gna) in per_iface {
            if let Some(i) = self.ifaces.iter().position(|f| &f.name == name) {
                p.set_intervals(i as u32, *garp, *gna);
            }
        }
        self.garps = p;
    }

    /// Sends the gratuitous ARPs that are due, and queues the next deadline.
    fn flush_garps(&mut self, now: Timestamp) {
        let mut frame = [0u8; GARP_FRAME_LEN];
        let mut na = [0u8; NA_FRAME_LEN];
        while let Some((iface, addr)) = self.garps.poll_send(now.as_micros()) {
            let Some(ifc) = self.ifaces.get(iface as usize) else {
                continue;
            };
            let Some(pkt) = ifc.packet.as_ref() else {
                continue;
            };
            let sent = match addr {
                IpAddr::V4(a) => {
                    build_garp(&mut frame, ifc.mac, a);
                    pkt.send_broadcast(&frame)
                }
                IpAddr::V6(a) => {
                    let router = crate::garp::ipv6_forwarding(&ifc.name);
                    build_na(&mut na, ifc.mac, a, router);
                    pkt.send_all_nodes(&na)
                }
            };
            if let Err(e) = sent {
                self.stats.send_errors += 1;
                debug!(iface = %ifc.name, %addr, error = %e, "cannot send gratuitous ARP / unsolicited NA");
            }
        }
        let next = self.garps.poll_timeout().map(Timestamp::from_micros);
        if next != self.garp_scheduled {
            self.garp_scheduled = next;
            if let Some(at) = next {
                self.timers.push(Reverse((at, Owner::Garp)));
            }
        }
    }

    /// `keepalived-rs garp NAME`: queues one gratuitous ARP / unsolicited
    /// NA burst (`garp_master_repeat` rounds, paced like every other burst)
    /// for a MASTER instance's addresses. Returns how many addresses.
    pub fn announce(&mut self, name: &str, now: Timestamp) -> Result<usize, AnnounceError> {
        let Engine {
            instances, garps, ..
        } = self;
        let inst = instances
            .iter()
            .find(|i| i.vrrp.config().name == name)
            .ok_or_else(|| AnnounceError::NoInstance(name.to_string()))?;
        let state = inst.vrrp.state();
        if state != State::Master {
            return Err(AnnounceError::NotMaster(name.to_string(), state));
        }
        let repeat = inst.vrrp.config().garp_master_repeat.max(1);
        queue_garps(inst, garps, repeat, now);
        let n = inst.vips.len();
        info!(
            instance = name,
            addresses = n,
            repeat,
            "({name}) gratuitous ARP / NA burst on request"
        );
        self.flush_garps(now);
        Ok(n)
    }

    /// Closes every notify FIFO (at exit, after the last lines).
    pub fn close_fifos(&mut self) {
        for f in &mut self.fifos {
            f.close();
        }
    }

    /// Zeroes every counter (instances, receive path, scripts): keepalived's
    /// STATS_CLEAR, after the stats file was written.
    pub fn clear_stats(&mut self) {
        for inst in &mut self.instances {
            inst.vrrp.clear_stats();
        }
        self.stats = DispatchStats::default();
        for s in &mut self.script_runs {
            s.runs = 0;
            s.failures = 0;
        }
    }

    /// Closes the notify FIFOs and uses `fifos` from now on (reload).
    pub fn replace_fifos(&mut self, fifos: Vec<FifoWriter>) {
        self.close_fifos();
        self.fifos = fifos;
    }

    /// Adds a notify FIFO (`notify_fifo`, `vrrp_notify_fifo`).
    pub fn add_fifo(&mut self, fifo: FifoWriter) {
        self.fifos.push(fifo);
    }

    /// Runs every instance timer that is due.
    pub fn on_timers(&mut self, now: Timestamp) {
        // Reap notify scripts that have finished (no zombies, no waiting).
        self.children
            .retain_mut(|c| !matches!(c.child.try_wait(), Ok(Some(_)) | Err(_)));
        while let Some(Reverse((deadline, owner))) = self.timers.peek().copied() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            match owner {
                Owner::Instance(i) => {
                    let current = self.instances.get(i).and_then(|inst| inst.scheduled);
                    if current != Some(deadline) {
                        continue; // superseded by a later reschedule
                    }
                    if let Some(inst) = self.instances.get_mut(i) {
                        inst.scheduled = None;
                    }
                    self.feed(i, now, Input::Timeout);
                }
                Owner::Tracker(t) => {
                    let Some(Source::Process { tracker, scheduled }) = self.sources.get_mut(t)
                    else {
                        continue;
                    };
                    if *scheduled != Some(deadline) {
                        continue;
                    }
                    *scheduled = None;
                    tracker.on_timeout(now.as_micros());
                    self.tracker_changed(t, now);
                }
                Owner::Garp => {
                    if self.garp_scheduled != Some(deadline) {
                        continue;
                    }
                    self.garp_scheduled = None;
                    self.flush_garps(now);
                }
            }
        }
    }

    /// The earliest pending deadline (possibly a stale one: waking for it is harmless).
    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.timers.peek().map(|Reverse((t, _))| *t)
    }

    /// The `notify_stop` scripts still running (for the caller to wait for,
    /// then kill); other scripts are left to finish on their own.
    pub fn take_stop_scripts(&mut self) -> Vec<Running> {
        let (stop, rest): (Vec<Running>, Vec<Running>) = std::mem::take(&mut self.children)
            .into_iter()
            .partition(|c| c.kill_after.is_some());
        self.children = rest;
        stop
    }

    /// Shuts every instance down (priority-0 adverts, VIP removal) and closes the
    /// netlink queue so the worker exits once it has drained it.
    pub fn shutdown(&mut self, now: Timestamp) {
        self.shutting_down = true;
        for i in 0..self.instances.len() {
            self.feed(i, now, Input::Shutdown);
        }
        self.netlink = None;
    }

    fn feed(&mut self, i: usize, now: Timestamp, input: Input<'_>) {
        let Some(inst) = self.instances.get_mut(i) else {
            return;
        };
        inst.vrrp.handle(now, input);
        self.run_actions(i, now);
        self.reschedule(i);
        self.flush_garps(now);
        self.group_transitions(now);
    }

    /// Group-level consequences of member events (reference §3.13): the
    /// group goes MASTER only when every member wants to, a member yielding
    /// to a better master pulls the others to BACKUP, and the group's
    /// notification runs once per group state.
    fn group_transitions(&mut self, now: Timestamp) {
        while !self.transitions.is_empty() {
            let ev = self.transitions.remove(0);
            let i = match ev {
                GroupEvent::Entered(i, _)
                | GroupEvent::WantMaster(i)
                | GroupEvent::Yielded(i)
                | GroupEvent::RxLowerPriority(i) => i,
            };
            let Some(g) = self.instances.get(i).and_then(|inst| inst.group) else {
                continue;
            };
            let members = match self.groups.get(g) {
                Some(group) => group.members.clone(),
                None => continue,
            };
            match ev {
                GroupEvent::Entered(_, state) => {
                    let Engine {
                        groups,
                        fifos,
                        children,
                        ..
                    } = self;
                    let Some(group) = groups.get_mut(g) else {
                        continue;
                    };
                    if state == NotifyState::Init || group.notified == Some(state) {
                        continue;
                    }
                    group.notified = Some(state);
                    info!(
                        group = %group.config.name,
                        "VRRP_Group({}) Syncing instances to {} state",
                        group.config.name,
                        state.word().unwrap_or("INIT")
                    );
                    notify_group(group, state, fifos, children);
                }
                GroupEvent::WantMaster(_) => {
                    let all = members.iter().all(|&m| {
                        self.instances
                            .get(m)
                            .is_some_and(|inst| inst.vrrp.wants_master())
                    });
                    if all {
                        for m in members {
                            self.feed(m, now, Input::SyncMaster);
                        }
                    }
                }
                GroupEvent::Yielded(_) => {
                    for m in members.into_iter().filter(|&m| m != i) {
                        self.feed(m, now, Input::SyncBackup);
                    }
                }
                GroupEvent::RxLowerPriority(_) => {
                    let Engine {
                        instances, garps, ..
                    } = self;
                    for m in members.into_iter().filter(|&m| m != i) {
                        let Some(inst) = instances.get(m) else {
                            continue;
                        };
                        let repeat = inst.vrrp.tuning().garp_lower_prio_repeat;
                        if repeat > 0 && inst.vrrp.state() == State::Master {
                            queue_garps(inst, garps, repeat, now);
                        }
                    }
                    self.flush_garps(now);
                }
            }
        }
    }

    fn reschedule(&mut self, i: usize) {
        let Some(inst) = self.instances.get_mut(i) else {
            return;
        };
        let next = inst.vrrp.poll_timeout();
        if next != inst.scheduled {
            inst.scheduled = next;
            if let Some(t) = next {
                self.timers.push(Reverse((t, Owner::Instance(i))));
            }
        }
    }

    fn run_actions(&mut self, i: usize, now: Timestamp) {
        let Engine {
            ifaces,
            instances,
            netlink,
            keep_vips_on_exit,
            shutting_down,
            txbuf,
            stats,
            fifos,
            children,
            transitions,
            garps,
            deleting,
            ..
        } = self;
        let Some(inst) = instances.get_mut(i) else {
            return;
        };
        while let Some(action) = inst.vrrp.poll_action() {
            match action {
                Action::SendAdvert { priority } => {
                    send_advert(inst, ifaces, txbuf, stats, priority);
                }
                Action::AddVips => {
                    // keepalived's order: addresses, then routes, then rules;
                    // with no_accept the drop rule comes before the address.
                    for vip in &inst.vips {
                        if inst.no_accept {
                            queue(netlink, NetlinkOp::Firewall(FwOp::Block(vip.spec.addr)));
                        }
                        queue(netlink, NetlinkOp::Add(vip.spec.clone()));
                    }
                    for r in &inst.routes {
                        queue(netlink, NetlinkOp::AddRoute(Box::new(r.clone())));
                    }
                    for r in &inst.rules {
                        queue(netlink, NetlinkOp::AddRule(Box::new(r.clone())));
                    }
                }
                Action::RemoveVips => {
                    // GARPs still queued for these addresses are dropped.
                    for vip in &inst.vips {
                        garps.cancel(vip.iface as u32, vip.spec.addr);
                    }
                    if *shutting_down && *keep_vips_on_exit {
                        continue;
                    }
                    // The reverse order: rules, routes, then addresses.
                    for r in &inst.rules {
                        queue(netlink, NetlinkOp::DelRule(Box::new(r.clone())));
                    }
                    for r in &inst.routes {
                        queue(netlink, NetlinkOp::DelRoute(Box::new(r.clone())));
                    }
                    for vip in &inst.vips {
                        queue(netlink, NetlinkOp::Del(vip.spec.clone()));
                        if inst.no_accept {
                            queue(netlink, NetlinkOp::Firewall(FwOp::Unblock(vip.spec.addr)));
                        }
                    }
                }
                Action::SendGratuitousArp { repeat } => {
                    queue_garps(inst, garps, repeat, now);
                }
                Action::WantMaster => {
                    if inst.group.is_some() {
                        transitions.push(GroupEvent::WantMaster(i));
                    }
                }
                Action::MasterRxLowerPriority { src, priority } => {
                    let name = &inst.vrrp.config().name;
                    debug!(%src, priority, "({name}) MASTER received a lower-priority advert");
                    let n = Notification::MasterRxLowerPri {
                        name: name.clone(),
                        priority: inst.vrrp.priority(),
                    };
                    run_scripts(&n.instance_scripts(&inst.notify), name, children);
                    for f in fifos.iter_mut() {
                        let _ = f.notify(&n);
                    }
                    if inst.group.is_some() {
                        transitions.push(GroupEvent::RxLowerPriority(i));
                    }
                }
                Action::StateChanged {
                    from,
                    to,
                    priority,
                    reason,
                } => {
                    inst.last_change = Some(now);
                    inst.transitions += 1;
                    let name = &inst.vrrp.config().name;
                    info!(priority, reason = %reason, "({name}) {from} -> {to}");
                    if to == State::Master {
                        info!("({name}) Entering MASTER STATE");
                    } else if to == State::Backup {
                        info!("({name}) Entering BACKUP STATE");
                    }
                    let state = match (to, reason) {
                        (State::Master, _) => NotifyState::Master,
                        (State::Backup, _) => NotifyState::Backup,
                        (State::Fault, _) => NotifyState::Fault,
                        (State::Initialize, vrrp::StateChangeReason::Shutdown) if *deleting => {
                            NotifyState::Deleted
                        }
                        (State::Initialize, vrrp::StateChangeReason::Shutdown) => NotifyState::Stop,
                        (State::Initialize, _) => NotifyState::Init,
                    };
                    notify(inst, state, priority, fifos, children);
                    if inst.group.is_some() {
                        transitions.push(GroupEvent::Entered(i, state));
                        if from == State::Master
                            && to == State::Backup
                            && reason != vrrp::StateChangeReason::SyncGroup
                        {
                            transitions.push(GroupEvent::Yielded(i));
                        }
                    }
                }
            }
        }
    }
}

/// The instance an advert for `vrid` from `src` goes to: `first` (the
/// VRID's entry on the interface) unless several unicast instances share the
/// VRID there, in which case the one whose peers include `src` gets it.
fn pick_instance(
    instances: &[InstanceRt],
    first: u32,
    shared: &[(u8, u32)],
    vrid: u8,
    src: IpAddr,
) -> usize {
    if shared.iter().any(|(v, _)| *v == vrid) {
        let candidates = std::iter::once(first)
            .chain(shared.iter().filter(|(v, _)| *v == vrid).map(|(_, i)| *i));
        for c in candidates {
            if instances
                .get(c as usize)
                .is_some_and(|inst| inst.unicast.has_peer(src))
            {
                return c as usize;
            }
        }
    }
    first as usize
}

/// Runs the instance's notify scripts for a new state (specific script, then
/// the generic `notify` with keepalived's four arguments) and writes the FIFO
/// line. Scripts run in the background; a failure to start one is logged.
fn notify(
    inst: &InstanceRt,
    state: NotifyState,
    priority: u8,
    fifos: &mut [FifoWriter],
    children: &mut Vec<Running>,
) {
    let n = Notification::Instance {
        name: inst.vrrp.config().name.clone(),
        state,
        priority,
    }
    .resolve(&inst.notify);
    run_scripts(
        &n.instance_scripts(&inst.notify),
        &inst.vrrp.config().name,
        children,
    );
    for f in fifos.iter_mut() {
        let _ = f.notify(&n);
    }
}

/// Runs a sync group's notify scripts for a new group state and writes the
/// FIFO line (`GROUP "G" STATE 0`).
fn notify_group(
    group: &GroupRt,
    state: NotifyState,
    fifos: &mut [FifoWriter],
    children: &mut Vec<Running>,
) {
    let n = Notification::Group {
        name: group.config.name.clone(),
        state,
    };
    run_scripts(
        &n.group_scripts(&group.config),
        &group.config.name,
        children,
    );
    for f in fifos.iter_mut() {
        let _ = f.notify(&n);
    }
}

/// Starts notify scripts in the background; a failure to start one is
/// logged with the instance or group it belongs to.
fn run_scripts(runs: &[crate::notify::ScriptRun], owner: &str, children: &mut Vec<Running>) {
    for run in runs {
        match run.spawn() {
            Ok(child) => children.push(Running {
                child,
                kill_after: run.kill_after(),
            }),
            Err(e) => warn!(
                owner,
                script = ?run.argv,
                error = %e,
                "cannot run notify script"
            ),
        }
    }
}

fn queue(netlink: &Option<UnboundedSender<NetlinkOp>>, op: NetlinkOp) {
    match netlink {
        Some(tx) => {
            if tx.send(op).is_err() {
                warn!("netlink worker has stopped; address change lost");
            }
        }
        None => warn!(?op, "address change after shutdown ignored"),
    }
}

/// `auth_type AH` receive checks, done here because they need the whole
/// datagram and the instance's sequence counter: SPI, ICV, then the
/// anti-replay rule (the counter adopts the advert's number). A MASTER
/// that will answer a lower-priority advert skips one number, as keepalived
/// does. A non-AH advert for an AH instance (or the reverse) is left to the
/// instance's auth check.
fn ah_check(
    inst: &mut InstanceRt,
    buf: &[u8],
    priority: u8,
) -> Result<(), vrrp::packet::ah::AhError> {
    let AuthData::Ah(key) = inst.vrrp.config().auth else {
        return Ok(());
    };
    let tot_len = buf
        .get(2..4)
        .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
    let datagram = buf.get(..tot_len).unwrap_or(buf);
    let hdr = vrrp::packet::ah::verify(datagram, &key)?;
    inst.ah.accept(hdr.seq)?;
    if inst.vrrp.state() == State::Master && priority < inst.vrrp.priority() {
        inst.ah.sync_bump();
    }
    Ok(())
}

fn send_advert(
    inst: &mut InstanceRt,
    ifaces: &[Iface],
    txbuf: &mut Vec<u8>,
    stats: &mut DispatchStats,
    priority: u8,
) {
    let cfg = inst.vrrp.config();
    let Some(ifc) = ifaces.get(inst.iface) else {
        return;
    };
    let adver_int_cs = u16::try_from(cfg.advert_int_us / 10_000).unwrap_or(u16::MAX);
    for dst in &inst.dsts {
        let (encoded, sock) = match (inst.src, *dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => (
                if let AuthData::Ah(key) = &cfg.auth {
                    let (ip_id, seq) = inst.ah.next_tx();
                    vrrp::packet::ah::encode_ipv4_ah(
                        txbuf,
                        src,
                        dst,
                        inst.unicast.send_ttl(),
                        ip_id,
                        seq,
                        cfg.vrid,
                        priority,
                        adver_int_cs,
                        key,
                        &cfg.vips,
                    )
                } else {
                    vrrp::packet::encode_ipv4_with(
                        txbuf,
                        inst.checksum.send_form(),
                        src,
                        dst,
                        inst.unicast.send_ttl(),
                        cfg.version,
                        cfg.vrid,
                        priority,
                        adver_int_cs,
                        &cfg.auth,
                        &cfg.vips,
                    )
                },
                ifc.vrrp.as_ref(),
            ),
            (IpAddr::V6(src), IpAddr::V6(dst)) => (
                vrrp::packet::encode_vrrp_v6(
                    txbuf,
                    src,
                    dst,
                    cfg.version,
                    cfg.vrid,
                    priority,
                    adver_int_cs,
                    &cfg.vips,
                ),
                ifc.vrrp6.as_ref(),
            ),
            _ => {
                stats.send_errors += 1;
                warn!(instance = %cfg.name, %dst, "advert destination of the other address family");
                continue;
            }
        };
        if let Err(e) = encoded {
            stats.send_errors += 1;
            warn!(instance = %cfg.name, error = %e, "cannot encode advert");
            return;
        }
        let Some(sock) = sock else {
            return;
        };
        let sent = match (inst.src, *dst) {
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                sock.get_ref()
                    .send6(txbuf, src, dst, ifc.index, inst.unicast.hop_limit_v6())
            }
            (_, IpAddr::V4(dst)) => sock.get_ref().send(txbuf, dst),
            (_, IpAddr::V6(_)) => continue,
        };
        if let Err(e) = sent {
            stats.send_errors += 1;
            warn!(instance = %cfg.name, %dst, error = %e, "cannot send advert");
        }
    }
}

/// Queues one burst: `repeat` rounds of a gratuitous ARP (IPv4) or an
/// unsolicited neighbour advertisement (IPv6) for every VIP (and excluded
/// address), per interface, in keepalived's order.
fn queue_garps(inst: &InstanceRt, garps: &mut AnnouncePacer, repeat: u32, now: Timestamp) {
    let mut by_iface: Vec<(usize, Vec<IpAddr>)> = Vec::new();
    for vip in &inst.vips {
        let addr = vip.spec.addr;
        match by_iface.iter_mut().find(|(i, _)| *i == vip.iface) {
            Some((_, addrs)) => addrs.push(addr),
            None => by_iface.push((vip.iface, vec![addr])),
        }
    }
    for (iface, addrs) in by_iface {
        garps.push_burst(iface as u32, &addrs, repeat, now.as_micros());
    }
}
