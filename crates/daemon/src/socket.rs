//! Raw sockets: one IPPROTO_VRRP socket per interface and address family
//! (shared by every instance on it, dispatch by VRID) and one AF_PACKET socket
//! per interface for gratuitous ARP and unsolicited neighbour advertisements.

use nix::sys::socket::{self as nsock, ControlMessage, ControlMessageOwned, MsgFlags};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};
use std::io;
use std::io::{IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, RawFd};

/// EtherType of ARP.
pub const ETH_P_ARP: u16 = 0x0806;
/// EtherType of IPv6.
pub const ETH_P_IPV6: u16 = 0x86dd;
/// Ethernet address of the IPv6 all-nodes group ff02::1 (RFC 2464 §7).
pub const ALL_NODES_MAC: [u8; 6] = [0x33, 0x33, 0, 0, 0, 1];

use nix::{setsockopt_impl, sockopt_impl};
sockopt_impl!(
    /// `IPV6_CHECKSUM`: the kernel computes the checksum of outgoing
    /// messages at this offset (over the IPv6 pseudo-header) and drops
    /// incoming ones whose checksum does not verify.
    Ipv6ChecksumOffset,
    SetOnly,
    libc::IPPROTO_IPV6,
    libc::IPV6_CHECKSUM,
    libc::c_int
);

/// IPv6 traffic class of our adverts: DSCP CS6 (network control), the
/// value keepalived 2.2.7's IPv6 adverts carry (golden capture `v3-ipv6.hex`).
pub const ADVERT_TCLASS: u32 = 0xc0;

/// IPv6 header fields of a received advert (the kernel strips the header of
/// raw IPv6 sockets; these come from ancillary data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recv6 {
    /// Received length (larger than the buffer when truncated).
    pub len: usize,
    pub src: Ipv6Addr,
    /// Destination from `IPV6_PKTINFO` (unspecified if the kernel gave none).
    pub dst: Ipv6Addr,
    /// Hop limit from `IPV6_HOPLIMIT` (0 if the kernel gave none, which then
    /// fails the multicast hop-limit check).
    pub hop_limit: u8,
}

/// A raw IPv4 socket for protocol 112 bound to one interface and joined to the
/// VRRP multicast group there. We write the IP header ourselves (IP_HDRINCL) so the
/// source address is known exactly: the VRRPv3 checksum covers it.
pub struct VrrpSocket {
    sock: Socket,
}

impl VrrpSocket {
    /// A raw IPv6 socket for protocol 112 on one interface, joined to the
    /// VRRP group `group` (ff02::12) there. The kernel writes the IPv6 header
    /// and the VRRP checksum (`IPV6_CHECKSUM` at offset 6); hop limit 255 for
    /// multicast (RFC 5798 §5.1.2.3). Unicast adverts keep the kernel's
    /// default hop limit unless `unicast_ttl` asks for one per packet (see
    /// [`send6`](Self::send6)): keepalived 2.2.7 does the same (its unicast
    /// IPv6 adverts go out with hop limit 64, reference §3.11). Traffic class
    /// 0xc0 (DSCP CS6, network control) as keepalived's adverts carry. Hop
    /// limit and destination of each received packet are delivered as
    /// ancillary data.
    pub fn open_v6(ifname: &str, ifindex: u32, group: Ipv6Addr) -> io::Result<Self> {
        let sock = Socket::new(
            Domain::IPV6,
            Type::RAW,
            Some(Protocol::from(i32::from(vrrp::VRRP_PROTO))),
        )?;
        sock.bind_device(Some(ifname.as_bytes()))?;
        let offset = libc::c_int::try_from(vrrp::packet::VRRP_CHECKSUM_OFFSET)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        nsock::setsockopt(&sock.as_fd(), Ipv6ChecksumOffset, &offset)?;
        sock.join_multicast_v6(&group, ifindex)?;
        sock.set_multicast_loop_v6(false)?;
        sock.set_multicast_hops_v6(255)?;
        sock.set_tclass_v6(ADVERT_TCLASS)?;
        sock.set_multicast_if_v6(ifindex)?;
        nsock::setsockopt(&sock.as_fd(), nsock::sockopt::Ipv6RecvPacketInfo, &true)?;
        nsock::setsockopt(&sock.as_fd(), nsock::sockopt::Ipv6RecvHopLimit, &true)?;
        sock.set_nonblocking(true)?;
        Ok(VrrpSocket { sock })
    }

    /// Receives one VRRP message from an IPv6 socket (no IPv6 header) with
    /// its source, destination and hop limit.
    pub fn recv6(&self, buf: &mut [u8]) -> io::Result<Recv6> {
        let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
        let mut iov = [IoSliceMut::new(buf)];
        let msg = nsock::recvmsg::<nsock::SockaddrIn6>(
            self.sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_TRUNC,
        )?;
        let src = msg.address.map(|a| a.ip()).unwrap_or(Ipv6Addr::UNSPECIFIED);
        let mut dst = Ipv6Addr::UNSPECIFIED;
        let mut hop_limit = 0u8;
        for c in msg.cmsgs()? {
            match c {
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    dst = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                }
                ControlMessageOwned::Ipv6HopLimit(h) => {
                    hop_limit = u8::try_from(h).unwrap_or(0);
                }
                _ => {}
            }
        }
        Ok(Recv6 {
            len: msg.bytes,
            src,
            dst,
            hop_limit,
        })
    }

    /// Sends one VRRP message (no IPv6 header) from `src` (our link-local
    /// address or `unicast_src_ip`, set per packet with `IPV6_PKTINFO` so
    /// that the address the peers compare on a tie is exactly the one we
    /// configured) to `dst`. `hop_limit` (`unicast_ttl`) overrides the
    /// socket's hop limit for this packet only, since one socket serves every
    /// instance on the interface.
    pub fn send6(
        &self,
        msg: &[u8],
        src: Ipv6Addr,
        dst: Ipv6Addr,
        ifindex: u32,
        hop_limit: Option<u8>,
    ) -> io::Result<()> {
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: src.octets(),
            },
            ipi6_ifindex: ifindex,
        };
        let scope = if dst.is_unicast_link_local() || dst.is_multicast() {
            ifindex
        } else {
            0
        };
        let addr = nsock::SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, scope));
        let hops = libc::c_int::from(hop_limit.unwrap_or(0));
        let all = [
            ControlMessage::Ipv6PacketInfo(&info),
            ControlMessage::Ipv6HopLimit(&hops),
        ];
        // No allocation: a sub-slice of the two possible messages.
        let cmsgs = match (src.is_unspecified(), hop_limit.is_some()) {
            (false, true) => &all[..],
            (false, false) => &all[..1],
            (true, true) => &all[1..],
            (true, false) => &all[..0],
        };
        let iov = [IoSlice::new(msg)];
        nsock::sendmsg(
            self.sock.as_raw_fd(),
            &iov,
            cmsgs,
            MsgFlags::empty(),
            Some(&addr),
        )?;
        Ok(())
    }

    /// `proto` is 112, or 51 on interfaces whose instances use
    /// `auth_type AH`, because their adverts arrive as AH datagrams, which a
    /// protocol-112 socket never sees.
    pub fn open_proto(ifname: &str, ifindex: u32, group: Ipv4Addr, proto: u8) -> io::Result<Self> {
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(proto))),
        )?;
        sock.set_header_included_v4(true)?;
        sock.bind_device(Some(ifname.as_bytes()))?;
        sock.join_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))?;
        // Our own adverts must not come back to us.
        sock.set_multicast_loop_v4(false)?;
        sock.set_multicast_ttl_v4(255)?;
        sock.set_ttl_v4(255)?;
        sock.set_nonblocking(true)?;
        Ok(VrrpSocket { sock })
    }

    /// Receives one datagram (IPv4 header included). Returns the received length,
    /// which may exceed `buf.len()` for a truncated datagram (MSG_TRUNC).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let n = nix::sys::socket::recv(
            self.sock.as_raw_fd(),
            buf,
            nix::sys::socket::MsgFlags::MSG_TRUNC,
        )?;
        Ok(n)
    }

    /// Sends a complete IPv4 datagram to `dst`.
    pub fn send(&self, datagram: &[u8], dst: Ipv4Addr) -> io::Result<()> {
        let addr = SockAddr::from(SocketAddrV4::new(dst, 0));
        self.sock.send_to(datagram, &addr).map(|_| ())
    }
}

impl AsRawFd for VrrpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

/// An AF_PACKET socket used only for sending Ethernet frames (gratuitous ARP).
pub struct PacketSocket {
    sock: Socket,
    broadcast: SockAddr,
    /// The IPv6 all-nodes group's MAC, for unsolicited NAs.
    all_nodes: SockAddr,
}

impl PacketSocket {
    pub fn open(ifindex: u32) -> io::Result<Self> {
        // Protocol 0: we never receive on this socket.
        let sock = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(0)))?;
        sock.set_nonblocking(true)?;
        let broadcast = crate::sys::packet_sockaddr(ifindex, ETH_P_ARP, &[0xff; 6])?;
        let all_nodes = crate::sys::packet_sockaddr(ifindex, ETH_P_IPV6, &ALL_NODES_MAC)?;
        Ok(PacketSocket {
            sock,
            broadcast,
            all_nodes,
        })
    }

    /// Sends a complete Ethernet frame carrying IPv6 to the all-nodes group
    /// (unsolicited neighbour advertisements).
    pub fn send_all_nodes(&self, frame: &[u8]) -> io::Result<()> {
        self.sock.send_to(frame, &self.all_nodes).map(|_| ())
    }

    /// Sends a complete Ethernet frame to the broadcast address.
    pub fn send_broadcast(&self, frame: &[u8]) -> io::Result<()> {
        self.sock.send_to(frame, &self.broadcast).map(|_| ())
    }
}
