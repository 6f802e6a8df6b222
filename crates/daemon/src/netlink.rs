//! Everything keepalived-rs asks of the kernel through rtnetlink: interface lookup and
//! adding/removing virtual addresses. Kept behind this one module so the rest of the
//! daemon never sees netlink message types.

use futures::TryStreamExt;
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::LinkAttribute;
use netlink_packet_route::AddressFamily;
use rtnetlink::Handle;
use std::net::{IpAddr, Ipv4Addr};

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
