//! Everything keepalived-rs asks of the kernel through rtnetlink: interface lookup,
//! adding/removing virtual addresses, routes and rules, and watching links come and go.
//! Kept behind this module (and `routes`, which builds the route/rule messages) so the
//! rest of the daemon never sees netlink message types.

use crate::routes::{RouteSpec, RtTables, RuleSpec, SystemNames};
use futures::{StreamExt, TryStreamExt};
use keepalived_config::RouteOp;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
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
#[allow(dead_code)] // wired into the engine by the lead
const ENOENT: i32 = 2;
/// `-ESRCH`: the route to delete is not there.
#[allow(dead_code)] // wired into the engine by the lead
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
        *req.message_mut() = address_message(spec);
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
#[allow(dead_code)] // wired into the engine by the lead
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
#[allow(dead_code)] // wired into the engine by the lead
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

#[allow(dead_code)] // wired into the engine by the lead
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
#[allow(dead_code)] // wired into the engine by the lead
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrEvent {
    pub index: u32,
    pub addr: IpAddr,
    pub prefix_len: u8,
    pub removed: bool,
}

#[allow(dead_code)] // wired into the engine by the lead
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
#[allow(dead_code)] // wired into the engine by the lead
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
#[allow(dead_code)] // wired into the engine by the lead
pub struct LinkMonitor {
    messages: futures::channel::mpsc::UnboundedReceiver<(
        NetlinkMessage<RouteNetlinkMessage>,
        rtnetlink::sys::SocketAddr,
    )>,
    conn: tokio::task::JoinHandle<()>,
}

#[allow(dead_code)] // wired into the engine by the lead
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

#[allow(dead_code)] // wired into the engine by the lead
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
        match self.request(msg, flags).await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -EEXIST => {
                debug!("route {} already present", spec.describe());
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("adding route {}", spec.describe()),
                source,
            }),
        }
    }

    /// Removes the route; a route that is not there is not an error.
    pub async fn del_route(&self, spec: &RouteSpec) -> Result<(), NetlinkError> {
        let msg = RouteNetlinkMessage::DelRoute(spec.del_message().clone());
        match self.request(msg, 0).await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e))
                if e.raw_code() == -ESRCH || e.raw_code() == -ENOENT =>
            {
                debug!("route {} already absent", spec.describe());
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("removing route {}", spec.describe()),
                source,
            }),
        }
    }

    /// Installs the rule; an identical rule already there is not an error.
    pub async fn add_rule(&self, spec: &RuleSpec) -> Result<(), NetlinkError> {
        let msg = RouteNetlinkMessage::NewRule(spec.message().clone());
        match self.request(msg, NLM_F_CREATE | NLM_F_EXCL).await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -EEXIST => {
                debug!("rule {} already present", spec.describe());
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("adding rule {}", spec.describe()),
                source,
            }),
        }
    }

    /// Removes the rule; a rule that is not there is not an error.
    pub async fn del_rule(&self, spec: &RuleSpec) -> Result<(), NetlinkError> {
        let msg = RouteNetlinkMessage::DelRule(spec.message().clone());
        match self.request(msg, 0).await {
            Ok(()) => Ok(()),
            Err(rtnetlink::Error::NetlinkError(e))
                if e.raw_code() == -ENOENT || e.raw_code() == -ESRCH =>
            {
                debug!("rule {} already absent", spec.describe());
                Ok(())
            }
            Err(source) => Err(NetlinkError::Request {
                what: format!("removing rule {}", spec.describe()),
                source,
            }),
        }
    }
}
