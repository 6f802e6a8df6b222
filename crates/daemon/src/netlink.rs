//! Everything keepalived-rs asks of the kernel through rtnetlink: interface lookup,
//! adding/removing virtual addresses, routes and rules, and watching links come and go.
//! Kept behind this module (and `routes`, which builds the route/rule messages) so the
//! rest of the daemon never sees netlink message types.

use crate::routes::{RouteSpec, RtTables, RuleSpec, SystemNames};
use futures::{StreamExt, TryStreamExt};
use keepalived_config::RouteOp;
use netlink_packet_route::address::{
    AddressAttribute, AddressHeaderFlags, AddressMessage, CacheInfo,
};
use netlink_packet_route::link::{
    InfoData, InfoVrf, LinkAttribute, LinkFlags, LinkInfo as NlLinkInfo, LinkMessage,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use rtnetlink::Handle;
use std::net::{IpAddr, Ipv4Addr};
use tracing::debug;

/// `-ENOENT`: the rule to delete is not there.
const ENOENT: i32 = 2;
/// `-ESRCH`: the route to delete is not there.
const ESRCH: i32 = 3;
/// `-EEXIST` from the kernel: the address is already there.
const EEXIST: i32 = 17;
/// `-EADDRNOTAVAIL`: the address to delete is not there.
const EADDRNOTAVAIL: i32 = 99;

#[derive(Debug, thiserror::Error)]
pub enum NetlinkError {
    #[error("cannot open a netlink socket: {0}")]
    Open(#[source] std::io::Error),
    #[error("interface '{0}' does not exist")]
    NoSuchInterface(String),
    #[error("netlink request for {what} failed: {source}")]
    Request {
        what: String,
        #[source]
        source: rtnetlink::Error,
    },
}

/// What the daemon needs to know about one interface.
#[derive(Debug, Clone)]
pub struct LinkInfo {
    pub index: u32,
    pub mac: [u8; 6],
    /// IPv4 addresses on the link, in kernel order (primary first).
    pub ipv4: Vec<Ipv4Addr>,
}

/// A virtual address as netlink needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrSpec {
    pub ifindex: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub label: Option<String>,
    /// IPv6: `IFA_F_NODAD`, no duplicate address detection (keepalived's
    /// default for VIPs, which must work at once on the new master).
    pub nodad: bool,
    /// IPv6 preferred lifetime in seconds (`IFA_CACHEINFO`, valid lifetime
    /// forever); `None` = forever (no attribute). 0 marks the address
    /// deprecated so the kernel does not pick it as a source address.
    pub preferred_lft: Option<u32>,
}

/// A connected rtnetlink handle. Cheap to clone.
#[derive(Clone)]
pub struct Netlink {
    handle: Handle,
}

impl Netlink {
    /// Opens the socket and spawns its connection task on the current runtime.
    pub fn open() -> Result<Self, NetlinkError> {
        let (conn, handle, _) = rtnetlink::new_connection().map_err(NetlinkError::Open)?;
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    pub async fn link_info(&self, name: &str) -> Result<LinkInfo, NetlinkError> {
        let mut links = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        let link = match links.try_next().await {
            Ok(Some(link)) => link,
            Ok(None) => return Err(NetlinkError::NoSuchInterface(name.to_string())),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -19 => {
                return Err(NetlinkError::NoSuchInterface(name.to_string()))
            }
            Err(source) => {
                return Err(NetlinkError::Request {
                    what: format!("interface {name}"),
                    source,
                })
            }
        };
        let index = link.header.index;
        let mut mac = [0u8; 6];
        for attr in &link.attributes {
            if let LinkAttribute::Address(bytes) = attr {
                if bytes.len() == 6 {
                    mac.copy_from_slice(bytes);
                }
            }
        }
        let mut ipv4 = Vec::new();
        let mut addrs = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute();
        loop {
            match addrs.try_next().await {
                Ok(Some(msg)) => {
                    if msg.header.family != AddressFamily::Inet {
                        continue;
                    }
                    for attr in &msg.attributes {
                        if let AddressAttribute::Local(IpAddr::V4(a)) = attr {
                            ipv4.push(*a);
                        }
                    }
                }
                Ok(None) => break,
                Err(source) => {
                    return Err(NetlinkError::Request {
                        what: format!("addresses of {name}"),
                        source,
                    })
                }
            }
        }
        Ok(LinkInfo { index, mac, ipv4 })
    }

    /// Adds the address; an address that is already there counts as success.
    pub async fn add_addr(&self, spec: &AddrSpec) -> Result<(), NetlinkError> {
        let mut req = self
            .handle
            .address()
            .add(spec.ifindex, spec.addr, spec.prefix_len);
        let mut msg = address_message(spec);
        if spec.addr.is_ipv6() {
            if spec.nodad {
                msg.header.flags |= AddressHeaderFlags::Nodad;
            }
            if let Some(preferred) = spec.preferred_lft {
                let mut ci = CacheInfo::default();
                ci.ifa_preferred = preferred;
                ci.ifa_valid = u32::MAX; // INFINITY_LIFE_TIME
                msg.attributes.push(AddressAttribute::CacheInfo(ci));
            }
        }
        *req.message_mut() = msg;
        match req.execute().await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -EEXIST => Ok(()),
            Err(source) => Err(NetlinkError::Request {
                what: format!("adding {}/{}", spec.addr, spec.prefix_len),
                source,
            }),
        }
    }

    /// Removes the address; an address that is not there counts as success.
    pub async fn del_addr(&self, spec: &AddrSpec) -> Result<(), NetlinkError> {
        match self
            .handle
            .address()
            .del(address_message(spec))
            .execute()
            .await
        {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -EADDRNOTAVAIL => Ok(()),
            Err(source) => Err(NetlinkError::Request {
                what: format!("removing {}/{}", spec.addr, spec.prefix_len),
                source,
            }),
        }
    }
}

/// keepalived adds a VIP with local = address and no broadcast unless `brd` is
/// configured, so the builder's automatic broadcast attribute is dropped.
fn address_message(spec: &AddrSpec) -> AddressMessage {
    let mut msg = match spec.addr {
        IpAddr::V4(a) => rtnetlink::AddressMessageBuilder::<Ipv4Addr>::new()
            .index(spec.ifindex)
            .address(a, spec.prefix_len)
            .build(),
        IpAddr::V6(a) => rtnetlink::AddressMessageBuilder::<std::net::Ipv6Addr>::new()
            .index(spec.ifindex)
            .address(a, spec.prefix_len)
            .build(),
    };
    msg.attributes
        .retain(|a| !matches!(a, AddressAttribute::Broadcast(_)));
    if let (Some(label), IpAddr::V4(_)) = (&spec.label, spec.addr) {
        msg.attributes.push(AddressAttribute::Label(label.clone()));
    }
    msg
}

/// Whether a link event reports a link that exists or one that was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkEventKind {
    /// `RTM_NEWLINK`: the link appeared or changed (flags, name, address).
    New,
    /// `RTM_DELLINK`: the link is gone.
    Del,
}

/// The state of one link, as keepalived judges interfaces: `up` only when the
/// interface is administratively up (IFF_UP) *and* has carrier (IFF_RUNNING),
/// so a cable pull counts as down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEvent {
    pub index: u32,
    pub name: String,
    pub up: bool,
    /// The link no longer exists (`kind == Del`).
    pub removed: bool,
    /// The hardware address when it is an Ethernet-sized one.
    pub mac: Option<[u8; 6]>,
    pub kind: LinkEventKind,
}

impl LinkEvent {
    fn from_message(msg: &LinkMessage, kind: LinkEventKind) -> Self {
        let mut name = String::new();
        let mut mac = None;
        for attr in &msg.attributes {
            match attr {
                LinkAttribute::IfName(n) => name = n.clone(),
                LinkAttribute::Address(bytes) => {
                    mac = <[u8; 6]>::try_from(bytes.as_slice()).ok();
                }
                _ => {}
            }
        }
        let flags = msg.header.flags;
        let removed = kind == LinkEventKind::Del;
        LinkEvent {
            index: msg.header.index,
            name,
            up: !removed && flags.contains(LinkFlags::Up) && flags.contains(LinkFlags::Running),
            removed,
            mac,
            kind,
        }
    }
}

/// An address appearing on or leaving an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrEvent {
    pub index: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub removed: bool,
}

impl AddrEvent {
    fn from_message(msg: &AddressMessage, removed: bool) -> Option<Self> {
        // IPv4: IFA_LOCAL is the interface's own address (IFA_ADDRESS is
        // the peer on point-to-point links); IPv6 only has IFA_ADDRESS.
        let mut local = None;
        let mut address = None;
        for attr in &msg.attributes {
            match attr {
                AddressAttribute::Local(a) => local = Some(*a),
                AddressAttribute::Address(a) => address = Some(*a),
                _ => {}
            }
        }
        Some(AddrEvent {
            index: msg.header.index,
            addr: local.or(address)?,
            prefix_len: msg.header.prefix_len,
            removed,
        })
    }
}

/// One notification from [`LinkMonitor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    Link(LinkEvent),
    Addr(AddrEvent),
    /// The kernel dropped notifications because the socket buffer was full:
    /// the state seen so far may be stale, re-read it with
    /// [`Netlink::links`].
    Overrun,
}

/// Link (and optionally address) notifications on their own netlink socket,
/// so a burst of events never delays the requests on [`Netlink`]'s socket.
pub struct LinkMonitor {
    messages: futures::channel::mpsc::UnboundedReceiver<(
        NetlinkMessage<RouteNetlinkMessage>,
        rtnetlink::sys::SocketAddr,
    )>,
    conn: tokio::task::JoinHandle<()>,
}

impl LinkMonitor {
    /// Subscribes to RTNLGRP_LINK, plus the IPv4/IPv6 address groups when
    /// `with_addresses`. Spawns the socket's task on the current runtime.
    /// Take the initial state with [`Netlink::links`] *after* opening, so no
    /// change falls between the dump and the subscription.
    pub fn open(with_addresses: bool) -> Result<Self, NetlinkError> {
        use rtnetlink::MulticastGroup;
        let mut groups = vec![MulticastGroup::Link];
        if with_addresses {
            groups.push(MulticastGroup::Ipv4Ifaddr);
            groups.push(MulticastGroup::Ipv6Ifaddr);
        }
        let (conn, _handle, messages) =
            rtnetlink::new_multicast_connection(&groups).map_err(NetlinkError::Open)?;
        let conn = tokio::spawn(conn);
        Ok(LinkMonitor { messages, conn })
    }

    /// The next event; `None` only if the socket failed for good.
    pub async fn next(&mut self) -> Option<MonitorEvent> {
        loop {
            let (msg, _) = self.messages.next().await?;
            let ev = match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(m)) => Some(
                    MonitorEvent::Link(LinkEvent::from_message(&m, LinkEventKind::New)),
                ),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(m)) => Some(
                    MonitorEvent::Link(LinkEvent::from_message(&m, LinkEventKind::Del)),
                ),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(m)) => {
                    AddrEvent::from_message(&m, false).map(MonitorEvent::Addr)
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelAddress(m)) => {
                    AddrEvent::from_message(&m, true).map(MonitorEvent::Addr)
                }
                NetlinkPayload::Overrun(_) => Some(MonitorEvent::Overrun),
                _ => None,
            };
            if let Some(ev) = ev {
                return Some(ev);
            }
        }
    }
}

impl Drop for LinkMonitor {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl Netlink {
    /// Every link as it is now, in the same shape as the monitor's events
    /// (`kind == New`).
    pub async fn links(&self) -> Result<Vec<LinkEvent>, NetlinkError> {
        let mut out = Vec::new();
        let mut dump = self.handle.link().get().execute();
        while let Some(msg) = dump
            .try_next()
            .await
            .map_err(|source| NetlinkError::Request {
                what: "link dump".into(),
                source,
            })?
        {
            out.push(LinkEvent::from_message(&msg, LinkEventKind::New));
        }
        Ok(out)
    }

    /// What converting routes and rules needs to know (interface indexes,
    /// VRF tables, `rt_tables` names), read now.
    pub async fn system_names(&self) -> Result<SystemNames, NetlinkError> {
        let mut names = SystemNames {
            tables: RtTables::load(),
            ..Default::default()
        };
        let mut dump = self.handle.link().get().execute();
        while let Some(msg) = dump
            .try_next()
            .await
            .map_err(|source| NetlinkError::Request {
                what: "link dump".into(),
                source,
            })?
        {
            let mut name = None;
            let mut vrf_table = None;
            for attr in &msg.attributes {
                match attr {
                    LinkAttribute::IfName(n) => name = Some(n.clone()),
                    LinkAttribute::LinkInfo(infos) => {
                        for info in infos {
                            if let NlLinkInfo::Data(InfoData::Vrf(vrf)) = info {
                                for v in vrf {
                                    if let InfoVrf::TableId(t) = v {
                                        vrf_table = Some(*t);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            if let Some(name) = name {
                if let Some(t) = vrf_table {
                    names.vrf_tables.insert(name.clone(), t);
                }
                names.links.insert(name, msg.header.index);
            }
        }
        Ok(names)
    }

    /// Sends one request and waits for the kernel's acknowledgement.
    async fn request(&self, msg: RouteNetlinkMessage, flags: u16) -> Result<(), rtnetlink::Error> {
        let mut req = NetlinkMessage::from(msg);
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        let mut handle = self.handle.clone();
        let mut replies = handle.request(req)?;
        while let Some(reply) = replies.next().await {
            if let NetlinkPayload::Error(e) = reply.payload {
                return Err(rtnetlink::Error::NetlinkError(e));
            }
        }
        Ok(())
    }

    /// Installs the route. `add` of a route already there is not an error
    /// (it is the state we want); `prepend`/`append` follow `ip route`.
    pub async fn add_route(&self, spec: &RouteSpec) -> Result<(), NetlinkError> {
        let flags = match spec.op() {
            RouteOp::Add => NLM_F_CREATE | NLM_F_EXCL,
            RouteOp::Prepend => NLM_F_CREATE,
            RouteOp::Append => NLM_F_CREATE | NLM_F_APPEND,
        };
        let msg = RouteNetlinkMessage::NewRoute(spec.add_message().clone());
        self.change(msg, flags, &[EEXIST], "adding route", spec.describe())
            .await
    }

    /// Removes the route; a route that is not there is not an error.
    pub async fn del_route(&self, spec: &RouteSpec) -> Result<(), NetlinkError> {
        let msg = RouteNetlinkMessage::DelRoute(spec.del_message().clone());
        self.change(msg, 0, &[ESRCH, ENOENT], "removing route", spec.describe())
            .await
    }

    /// Installs the rule; an identical rule already there is not an error.
    pub async fn add_rule(&self, spec: &RuleSpec) -> Result<(), NetlinkError> {
        let msg = RouteNetlinkMessage::NewRule(spec.message().clone());
        self.change(
            msg,
            NLM_F_CREATE | NLM_F_EXCL,
            &[EEXIST],
            "adding rule",
            spec.describe(),
        )
        .await
    }

    /// Removes the rule; a rule that is not there is not an error.
    pub async fn del_rule(&self, spec: &RuleSpec) -> Result<(), NetlinkError> {
        let msg = RouteNetlinkMessage::DelRule(spec.message().clone());
        self.change(msg, 0, &[ENOENT, ESRCH], "removing rule", spec.describe())
            .await
    }

    /// Sends one route/rule change. The errnos in `already` mean the kernel
    /// is already in the state we asked for (present when adding, absent
    /// when removing): logged, not an error.
    async fn change(
        &self,
        msg: RouteNetlinkMessage,
        flags: u16,
        already: &[i32],
        what: &str,
        desc: &str,
    ) -> Result<(), NetlinkError> {
        match self.request(msg, flags).await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e))
                if already.iter().any(|code| e.raw_code() == -code) =>
            {
                debug!("{what} {desc}: already done");
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("{what} {desc}"),
                source,
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// VMAC (`use_vmac`) support, used by `crate::vmac`. Kept in its own block so
// it stays apart from the rest of this file.
// ---------------------------------------------------------------------------

/// `-ENODEV`: the link to delete is already gone.
const ENODEV: i32 = 19;
/// How long an IPv6 VMAC waits for its parent's link-local address to be
/// past DAD (one DAD round is about a second), and in how many polls.
const PARENT_LL_WAIT: std::time::Duration = std::time::Duration::from_secs(3);
const PARENT_LL_POLLS: u32 = 30;

/// `-EAFNOSUPPORT`: IPv6 is disabled on the link (no addrgenmode to set).
const EAFNOSUPPORT: i32 = 97;

impl Netlink {
    /// Every link, with what deciding about a VMAC needs (type, parent,
    /// macvlan mode, IPv6 addrgenmode).
    pub async fn vmac_links(&self) -> Result<Vec<crate::vmac::LinkDetail>, NetlinkError> {
        use netlink_packet_route::link::{AfSpecInet6, AfSpecUnspec, InfoKind};
        let mut out = Vec::new();
        let mut dump = self.handle.link().get().execute();
        while let Some(msg) = dump
            .try_next()
            .await
            .map_err(|source| NetlinkError::Request {
                what: "link dump".into(),
                source,
            })?
        {
            let mut d = crate::vmac::LinkDetail {
                index: msg.header.index,
                name: String::new(),
                link_type: u16::from(msg.header.link_layer_type),
                mac: None,
                parent: None,
                macvlan_mode: None,
                addr_gen_mode: None,
                up: msg.header.flags.contains(LinkFlags::Up),
            };
            for attr in &msg.attributes {
                match attr {
                    LinkAttribute::IfName(n) => d.name = n.clone(),
                    LinkAttribute::Address(b) => d.mac = <[u8; 6]>::try_from(b.as_slice()).ok(),
                    LinkAttribute::Link(i) => d.parent = Some(*i),
                    LinkAttribute::LinkInfo(infos) => {
                        let is_macvlan = infos
                            .iter()
                            .any(|i| matches!(i, NlLinkInfo::Kind(InfoKind::MacVlan)));
                        if is_macvlan {
                            // Mode 0 is never valid; a missing mode
                            // attribute still marks a macvlan.
                            d.macvlan_mode = Some(0);
                        }
                        for info in infos {
                            if let NlLinkInfo::Data(InfoData::MacVlan(data)) = info {
                                for x in data {
                                    if let netlink_packet_route::link::InfoMacVlan::Mode(m) = x {
                                        d.macvlan_mode = Some(u32::from(*m));
                                    }
                                }
                            }
                        }
                    }
                    LinkAttribute::AfSpecUnspec(specs) => {
                        for spec in specs {
                            if let AfSpecUnspec::Inet6(v6) = spec {
                                for x in v6 {
                                    if let AfSpecInet6::AddrGenMode(m) = x {
                                        d.addr_gen_mode = Some(u8::from(m));
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            out.push(d);
        }
        Ok(out)
    }

    /// Creates the instance's VMAC (reference §3.12), or reuses a macvlan
    /// already on `base_ifindex` with the VMAC's MAC: macvlan in private
    /// mode, IPv6 addrgenmode none, set up; an IPv4 VMAC gets its sysctls
    /// through `sysctls` (recorded for restore), an IPv6 one the parent's
    /// link-local address (see `crate::vmac`). The parent must be Ethernet.
    /// Call before opening the instance's VRRP socket on it.
    pub async fn ensure_macvlan(
        &self,
        spec: &crate::vmac::VmacSpec,
        base_ifindex: u32,
        sysctls: &mut crate::vmac::SysctlGuard,
    ) -> Result<crate::vmac::VmacLink, crate::vmac::VmacError> {
        use crate::vmac::{
            Family, VmacError, VmacLink, ARPHRD_ETHER, IN6_ADDR_GEN_MODE_NONE, MACVLAN_MODE_PRIVATE,
        };
        use netlink_packet_route::link::MacVlanMode;

        let links = self.vmac_links().await?;
        let base = links
            .iter()
            .find(|l| l.index == base_ifindex)
            .ok_or_else(|| VmacError::NoParent(spec.base_if.clone()))?;
        if base.link_type != ARPHRD_ETHER {
            return Err(VmacError::NotEthernet {
                name: base.name.clone(),
                link_type: base.link_type,
            });
        }
        let (vmac, created) = match spec.find_reusable(&links, base_ifindex) {
            Some(existing) => {
                debug!("reusing macvlan {} as VMAC", existing.name);
                if existing.macvlan_mode != Some(MACVLAN_MODE_PRIVATE) {
                    let msg = rtnetlink::LinkMessageBuilder::<rtnetlink::LinkMacVlan>::new_with_info_kind(
                        netlink_packet_route::link::InfoKind::MacVlan,
                    )
                    .index(existing.index)
                    .mode(MacVlanMode::Private)
                    .build();
                    self.request(RouteNetlinkMessage::NewLink(msg), 0)
                        .await
                        .map_err(|source| NetlinkError::Request {
                            what: format!("macvlan {} to private mode", existing.name),
                            source,
                        })?;
                }
                (existing.clone(), false)
            }
            None => {
                let name = spec.pick_name(&links, &std::collections::HashSet::new())?;
                let mut b = rtnetlink::LinkMacVlan::new(&name, base_ifindex, MacVlanMode::Private)
                    .address(spec.mac.to_vec());
                if let Some(g) = spec.group {
                    b = b.link_group(g);
                }
                self.handle
                    .link()
                    .add(b.build())
                    .execute()
                    .await
                    .map_err(|source| NetlinkError::Request {
                        what: format!("creating macvlan {name} on {}", base.name),
                        source,
                    })?;
                let created = self
                    .vmac_links()
                    .await?
                    .into_iter()
                    .find(|l| l.name == name)
                    .ok_or(VmacError::Vanished(name))?;
                (created, true)
            }
        };
        if spec.family == Family::V4 {
            sysctls.apply_vmac(&vmac.name, &base.name)?;
        }
        // The mode only shapes link-locals made when the link comes up:
        // bring a reused one down first so it loses any it generated.
        if vmac
            .addr_gen_mode
            .is_some_and(|m| m != IN6_ADDR_GEN_MODE_NONE)
        {
            if vmac.up {
                self.set_link_up(vmac.index, &vmac.name, false).await?;
            }
            self.set_addr_gen_mode_none(vmac.index, &vmac.name).await?;
        }
        self.set_link_up(vmac.index, &vmac.name, true).await?;
        let link_local = match spec.family {
            Family::V4 => None,
            Family::V6 => self.copy_link_local(base, &vmac).await?,
        };
        Ok(VmacLink {
            index: vmac.index,
            name: vmac.name,
            mac: spec.mac,
            link_local,
            created,
        })
    }

    /// Gives an IPv6 VMAC the parent's link-local address, as keepalived
    /// does: nodad (usable at once, and the parent already owns it) and
    /// deprecated (preferred lifetime 0: only sockets that ask for it, the
    /// VRRP one, send from it). Waits up to [`PARENT_LL_WAIT`] for the
    /// parent's link-local to be there and past DAD (a parent that has
    /// just come up); `None` when it never is.
    async fn copy_link_local(
        &self,
        base: &crate::vmac::LinkDetail,
        vmac: &crate::vmac::LinkDetail,
    ) -> Result<Option<std::net::Ipv6Addr>, NetlinkError> {
        use netlink_packet_route::address::{AddressFlags, AddressScope, CacheInfo};
        let mut found = None;
        for _ in 0..PARENT_LL_POLLS {
            found = self.usable_link_local(base.index, &base.name).await?;
            if found.is_some() {
                break;
            }
            tokio::time::sleep(PARENT_LL_WAIT / PARENT_LL_POLLS).await;
        }
        let Some((ll, prefix_len)) = found else {
            tracing::warn!(
                "{}: no usable IPv6 link-local address on {} to give the VMAC {}",
                vmac.name,
                base.name,
                vmac.name
            );
            return Ok(None);
        };
        let mut msg = AddressMessage::default();
        msg.header.family = AddressFamily::Inet6;
        msg.header.prefix_len = prefix_len;
        msg.header.scope = AddressScope::Link;
        msg.header.index = vmac.index;
        msg.attributes.push(AddressAttribute::Address(ll.into()));
        msg.attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad));
        let mut lifetimes = CacheInfo::default();
        lifetimes.ifa_preferred = 0;
        lifetimes.ifa_valid = u32::MAX; // forever
        msg.attributes.push(AddressAttribute::CacheInfo(lifetimes));
        match self
            .request(
                RouteNetlinkMessage::NewAddress(msg),
                NLM_F_CREATE | NLM_F_EXCL,
            )
            .await
        {
            Ok(()) => {}
            // A reused VMAC that already has it.
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -EEXIST => {}
            Err(source) => {
                return Err(NetlinkError::Request {
                    what: format!("adding {ll}/{prefix_len} to {}", vmac.name),
                    source,
                })
            }
        }
        debug!(
            "{}: link-local {ll}/{prefix_len} of {}",
            vmac.name, base.name
        );
        Ok(Some(ll))
    }

    /// The first link-local address of `index` that is past DAD (neither
    /// tentative nor failed), with its prefix length.
    async fn usable_link_local(
        &self,
        index: u32,
        name: &str,
    ) -> Result<Option<(std::net::Ipv6Addr, u8)>, NetlinkError> {
        use netlink_packet_route::address::{AddressFlags, AddressHeaderFlags};
        let mut dump = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute();
        let mut out = None;
        while let Some(msg) = dump
            .try_next()
            .await
            .map_err(|source| NetlinkError::Request {
                what: format!("addresses of {name}"),
                source,
            })?
        {
            if msg.header.family != AddressFamily::Inet6 || out.is_some() {
                continue;
            }
            // The 8-bit header flags, overridden by IFA_FLAGS when present.
            let mut unusable = msg
                .header
                .flags
                .intersects(AddressHeaderFlags::Tentative | AddressHeaderFlags::Dadfailed);
            let mut addr = None;
            for attr in &msg.attributes {
                match attr {
                    AddressAttribute::Flags(f) => {
                        unusable = f.intersects(AddressFlags::Tentative | AddressFlags::Dadfailed)
                    }
                    AddressAttribute::Address(IpAddr::V6(a)) => addr = Some(*a),
                    _ => {}
                }
            }
            if let Some(a) = addr.filter(|a| a.is_unicast_link_local() && !unusable) {
                out = Some((a, msg.header.prefix_len));
            }
        }
        Ok(out)
    }

    /// Deletes a link (a VMAC on shutdown); one already gone is fine.
    pub async fn delete_link(&self, index: u32) -> Result<(), NetlinkError> {
        match self.handle.link().del(index).execute().await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -ENODEV => Ok(()),
            Err(source) => Err(NetlinkError::Request {
                what: format!("deleting link {index}"),
                source,
            }),
        }
    }

    async fn set_link_up(&self, index: u32, name: &str, up: bool) -> Result<(), NetlinkError> {
        let b = rtnetlink::LinkUnspec::new_with_index(index);
        let msg = if up { b.up() } else { b.down() }.build();
        self.handle
            .link()
            .set(msg)
            .execute()
            .await
            .map_err(|source| NetlinkError::Request {
                what: format!("setting {name} {}", if up { "up" } else { "down" }),
                source,
            })
    }

    async fn set_addr_gen_mode_none(&self, index: u32, name: &str) -> Result<(), NetlinkError> {
        use netlink_packet_route::link::{AfSpecInet6, AfSpecUnspec, In6AddrGenMode};
        let msg = rtnetlink::LinkUnspec::new_with_index(index)
            .append_extra_attribute(LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(
                vec![AfSpecInet6::AddrGenMode(In6AddrGenMode::None)],
            )]))
            .build();
        match self.handle.link().set(msg).execute().await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -EAFNOSUPPORT => {
                debug!("{name}: IPv6 is off, no addrgenmode to set");
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("addrgenmode none on {name}"),
                source,
            }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::routes::{RouteSpec, RuleSpec};
    use keepalived_config::{
        IpPrefix, Location, Metric, NextHop, Route, RouteTable, RouteType, Rule, RuleAction,
    };
    use serde_json::Value;
    use std::future::Future;
    use std::process::Command;
    use std::time::Duration;

    /// Runs `test` in a fresh network namespace: a thread of its own that
    /// unshares CLONE_NEWNET (sockets it opens and processes it forks live
    /// there), with a current-thread runtime like the daemon's. The
    /// namespace vanishes with the thread.
    pub(crate) fn in_netns<F, Fut>(test: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        std::thread::spawn(move || {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare netns");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(60), test())
                    .await
                    .expect("netns test timed out");
            });
        })
        .join()
        .expect("netns test failed");
    }

    /// Runs `ip ARGS` (in the calling thread's namespace) and returns stdout.
    pub(crate) fn ip(args: &str) -> String {
        let out = Command::new("ip")
            .args(args.split_whitespace())
            .output()
            .expect("run ip");
        assert!(
            out.status.success(),
            "ip {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    }

    fn ip_json(args: &str) -> Vec<Value> {
        match serde_json::from_str(&ip(args)).expect("ip -j output is JSON") {
            Value::Array(v) => v,
            other => panic!("ip {args}: expected an array, got {other}"),
        }
    }

    /// The test really is isolated: `ip` forked from this thread sees only
    /// the new namespace's loopback, and so does our netlink socket.
    async fn assert_fresh_namespace(nl: &Netlink) {
        let names: Vec<String> = ip_json("-j link show")
            .iter()
            .filter_map(|l| l["ifname"].as_str().map(str::to_string))
            .collect();
        assert_eq!(names, vec!["lo".to_string()]);
        let links = nl.links().await.expect("links");
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].name, "lo");
    }

    fn pfx(s: &str) -> IpPrefix {
        let (a, l) = s.split_once('/').expect("prefix");
        IpPrefix {
            addr: a.parse().expect("addr"),
            len: l.parse().expect("len"),
        }
    }

    fn routes_matching(dst: &str) -> Vec<Value> {
        let mut all = ip_json("-j -4 route show table all");
        all.extend(ip_json("-j -6 route show table all"));
        all.into_iter().filter(|r| r["dst"] == dst).collect()
    }

    #[test]
    fn routes_and_rules_in_kernel() {
        in_netns(|| async {
            let nl = Netlink::open().expect("netlink");
            assert_fresh_namespace(&nl).await;
            ip("link set lo up");
            ip("link add veth0 type veth peer name veth1");
            ip("link set veth0 up");
            ip("link set veth1 up");
            ip("addr add 198.51.100.2/24 dev veth0");
            let names = nl.system_names().await.expect("names");

            let loc = Location::default();
            let mut via = Route::new(Some(pfx("192.0.2.0/24")), loc.clone());
            via.via = Some("198.51.100.1".parse().expect("ip"));
            via.dev = Some("veth0".into());
            via.metric = Some(10);
            via.mtu = Some(Metric {
                value: 1400,
                lock: true,
            });
            via.advmss = Some(Metric {
                value: 1300,
                lock: false,
            });
            let mut blackhole = Route::new(Some(pfx("203.0.113.0/24")), loc.clone());
            blackhole.route_type = RouteType::Blackhole;
            blackhole.table = Some(RouteTable::Id(100));
            let mut multipath = Route::new(Some(pfx("203.0.113.0/24")), loc.clone());
            multipath.nexthops = ["198.51.100.1", "198.51.100.3"]
                .iter()
                .zip([1u16, 2])
                .map(|(gw, weight)| NextHop {
                    via: Some(gw.parse().expect("ip")),
                    dev: Some("veth0".into()),
                    weight,
                    onlink: false,
                    location: loc.clone(),
                })
                .collect();
            let mut v6 = Route::new(Some(pfx("2001:db8:1::/48")), loc.clone());
            v6.route_type = RouteType::Unreachable;
            let mut rule = Rule::new(loc.clone());
            rule.from = Some(pfx("198.51.100.0/24"));
            rule.action = Some(RuleAction::Table(RouteTable::Id(100)));
            rule.priority = Some(100);

            let routes: Vec<RouteSpec> = [&via, &blackhole, &multipath, &v6]
                .into_iter()
                .map(|r| RouteSpec::from_config(r, &names).expect("route converts"))
                .collect();
            let rule = RuleSpec::from_config(&rule, &names).expect("rule converts");

            // Added twice: the second add finds them there and is fine.
            for _ in 0..2 {
                for r in &routes {
                    nl.add_route(r).await.expect("add route");
                }
                nl.add_rule(&rule).await.expect("add rule");
            }

            let got = routes_matching("192.0.2.0/24");
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0]["gateway"], "198.51.100.1");
            assert_eq!(got[0]["dev"], "veth0");
            assert_eq!(got[0]["metric"], 10);
            assert_eq!(got[0]["metrics"][0]["mtu"], 1400);
            assert_eq!(got[0]["metrics"][0]["advmss"], 1300);
            assert!(
                ip("route show 192.0.2.0/24").contains("mtu lock 1400"),
                "mtu is locked"
            );
            // `ip` omits the defaults: main table, protocol boot.
            assert!(got[0].get("table").is_none(), "{got:?}");
            assert!(got[0].get("protocol").is_none(), "{got:?}");

            let got = routes_matching("203.0.113.0/24");
            assert_eq!(got.len(), 2, "{got:?}");
            let bh = got
                .iter()
                .find(|r| r["type"] == "blackhole")
                .expect("blackhole route");
            assert_eq!(bh["table"], "100");
            let mp = got
                .iter()
                .find(|r| r.get("nexthops").is_some())
                .expect("multipath route");
            let hops = mp["nexthops"].as_array().expect("nexthops");
            assert_eq!(hops.len(), 2);
            assert_eq!(hops[0]["gateway"], "198.51.100.1");
            assert_eq!(hops[0]["weight"], 1);
            assert_eq!(hops[1]["gateway"], "198.51.100.3");
            assert_eq!(hops[1]["weight"], 2);

            let got = routes_matching("2001:db8:1::/48");
            assert_eq!(got.len(), 1, "{got:?}");
            assert_eq!(got[0]["type"], "unreachable");

            let rules: Vec<Value> = ip_json("-j rule show")
                .into_iter()
                .filter(|r| r["priority"] == 100)
                .collect();
            assert_eq!(rules.len(), 1, "{rules:?}");
            assert_eq!(rules[0]["src"], "198.51.100.0");
            assert_eq!(rules[0]["srclen"], 24);
            assert_eq!(rules[0]["table"], "100");

            // Deleted twice: the second finds nothing to delete and is fine.
            for _ in 0..2 {
                for r in &routes {
                    nl.del_route(r).await.expect("del route");
                }
                nl.del_rule(&rule).await.expect("del rule");
            }
            for dst in ["192.0.2.0/24", "203.0.113.0/24", "2001:db8:1::/48"] {
                assert_eq!(routes_matching(dst), Vec::<Value>::new(), "{dst}");
            }
            assert!(!ip_json("-j rule show").iter().any(|r| r["priority"] == 100));
            // Only what we added went away.
            assert_eq!(routes_matching("198.51.100.0/24").len(), 1);
        });
    }

    #[test]
    fn route_errors_are_reported() {
        in_netns(|| async {
            let nl = Netlink::open().expect("netlink");
            ip("link set lo up");
            let names = nl.system_names().await.expect("names");
            // A gateway with no route to it: the kernel refuses, and the
            // error says which route.
            let mut r = Route::new(Some(pfx("192.0.2.0/24")), Location::default());
            r.via = Some("198.51.100.1".parse().expect("ip"));
            let spec = RouteSpec::from_config(&r, &names).expect("converts");
            let err = nl.add_route(&spec).await.expect_err("unreachable gateway");
            assert!(err.to_string().contains("192.0.2.0/24"), "{err}");
        });
    }

    /// Waits (at most 5 s) for an event matching `pred`, skipping others.
    async fn wait_for(
        mon: &mut LinkMonitor,
        what: &str,
        pred: impl Fn(&MonitorEvent) -> bool,
    ) -> MonitorEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, mon.next()).await {
                Ok(Some(ev)) if pred(&ev) => return ev,
                Ok(Some(_)) => {}
                Ok(None) => panic!("monitor closed while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    fn link_is(ev: &MonitorEvent, name: &str, up: bool, removed: bool) -> bool {
        matches!(ev, MonitorEvent::Link(l) if l.name == name && l.up == up && l.removed == removed)
    }

    /// IPv6 VIPs as keepalived adds them: `nodad` (no "tentative" phase,
    /// usable at once) and, for a /128, preferred_lft 0 ("deprecated");
    /// an address without the flags goes through DAD as usual.
    #[test]
    fn ipv6_vip_flags_nodad_and_preferred_lft() {
        in_netns(|| async {
            let nl = Netlink::open().expect("netlink");
            assert_fresh_namespace(&nl).await;
            ip("link add veth0 type veth peer name veth1");
            ip("link set veth0 up");
            ip("link set veth1 up");
            let index = nl.link_info("veth0").await.expect("veth0").index;
            let spec = |addr: &str, prefix_len, nodad, preferred_lft| AddrSpec {
                ifindex: index,
                addr: addr.parse().expect("addr"),
                prefix_len,
                label: None,
                nodad,
                preferred_lft,
            };
            let host = spec("2001:db8::100", 128, true, Some(0));
            let net = spec("2001:db8:1::100", 64, true, None);
            let dad = spec("2001:db8:2::100", 64, false, None);
            for s in [&host, &net, &dad] {
                nl.add_addr(s).await.expect("add address");
            }
            let links = ip_json("-j -6 addr show dev veth0");
            let infos = links[0]["addr_info"].as_array().expect("addr_info").clone();
            let find = |a: &str| {
                infos
                    .iter()
                    .find(|i| i["local"] == a)
                    .unwrap_or_else(|| panic!("{a} not on veth0: {infos:?}"))
                    .clone()
            };
            let h = find("2001:db8::100");
            assert_eq!(h["prefixlen"], 128);
            assert_eq!(h["nodad"], true, "{h}");
            assert_eq!(h["deprecated"], true, "{h}");
            assert_eq!(h["preferred_life_time"], 0, "{h}");
            assert_eq!(h["valid_life_time"], u64::from(u32::MAX), "{h}");
            assert!(h.get("tentative").is_none(), "{h}");
            let n = find("2001:db8:1::100");
            assert_eq!(n["nodad"], true, "{n}");
            assert!(n.get("deprecated").is_none(), "{n}");
            assert_eq!(n["preferred_life_time"], u64::from(u32::MAX), "{n}");
            assert!(n.get("tentative").is_none(), "{n}");
            // Without nodad the kernel runs DAD (accept_dad 1 by default).
            let d = find("2001:db8:2::100");
            assert!(d.get("nodad").is_none(), "{d}");
            assert_eq!(d["tentative"], true, "{d}");
            for s in [&host, &net, &dad] {
                nl.del_addr(s).await.expect("remove address");
            }
            let left = ip("-6 addr show dev veth0 scope global");
            assert!(!left.contains("2001:db8"), "{left}");
        });
    }

    #[test]
    fn link_monitor_follows_veth() {
        in_netns(|| async {
            let nl = Netlink::open().expect("netlink");
            assert_fresh_namespace(&nl).await;
            let mut mon = LinkMonitor::open(true).expect("monitor");

            ip("link add veth0 type veth peer name veth1");
            let ev = wait_for(&mut mon, "veth0 created, down", |e| {
                link_is(e, "veth0", false, false)
            })
            .await;
            let MonitorEvent::Link(created) = ev else {
                unreachable!()
            };
            assert_eq!(created.kind, LinkEventKind::New);
            let mac = created.mac.expect("veth has a MAC");
            assert_ne!(mac, [0; 6]);

            // One end up is not enough: no carrier until the peer is up.
            ip("link set veth0 up");
            let links = nl.links().await.expect("links");
            let v0 = links.iter().find(|l| l.name == "veth0").expect("veth0");
            assert!(!v0.up, "veth0 has no carrier yet: {v0:?}");
            ip("link set veth1 up");
            wait_for(&mut mon, "veth0 up", |e| link_is(e, "veth0", true, false)).await;
            let links = nl.links().await.expect("links");
            let v0 = links.iter().find(|l| l.name == "veth0").expect("veth0");
            assert!(v0.up && !v0.removed, "{v0:?}");
            assert_eq!(v0.index, created.index);
            assert_eq!(v0.mac, Some(mac));

            // Carrier loss (peer down) counts as down, as in keepalived.
            ip("link set veth1 down");
            wait_for(&mut mon, "veth0 carrier lost", |e| {
                link_is(e, "veth0", false, false)
            })
            .await;
            ip("link set veth1 up");
            wait_for(&mut mon, "veth0 up again", |e| {
                link_is(e, "veth0", true, false)
            })
            .await;

            ip("addr add 192.0.2.1/24 dev veth0");
            let ours: IpAddr = "192.0.2.1".parse().expect("ip");
            // IPv6 link-local addresses come and go too; wait for ours.
            let ev = wait_for(
                &mut mon,
                "address added",
                |e| matches!(e, MonitorEvent::Addr(a) if a.addr == ours),
            )
            .await;
            assert_eq!(
                ev,
                MonitorEvent::Addr(AddrEvent {
                    index: created.index,
                    addr: "192.0.2.1".parse().expect("ip"),
                    prefix_len: 24,
                    removed: false,
                })
            );

            ip("link set veth0 down");
            wait_for(&mut mon, "veth0 admin down", |e| {
                link_is(e, "veth0", false, false)
            })
            .await;

            ip("link del veth0");
            let ev = wait_for(&mut mon, "veth0 removed", |e| {
                link_is(e, "veth0", false, true)
            })
            .await;
            let MonitorEvent::Link(gone) = ev else {
                unreachable!()
            };
            assert_eq!(gone.kind, LinkEventKind::Del);
            assert_eq!(gone.index, created.index);
            wait_for(&mut mon, "veth1 removed", |e| {
                link_is(e, "veth1", false, true)
            })
            .await;
            assert_eq!(nl.links().await.expect("links").len(), 1);
        });
    }
}
