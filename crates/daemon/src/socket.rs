//! Raw sockets: one IPPROTO_VRRP socket per interface (shared by every instance on
//! it, dispatch by VRID) and one AF_PACKET socket per interface for gratuitous ARP.

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsRawFd, RawFd};

/// EtherType of ARP.
pub const ETH_P_ARP: u16 = 0x0806;

/// A raw IPv4 socket for protocol 112 bound to one interface and joined to the
/// VRRP multicast group there. We write the IP header ourselves (IP_HDRINCL) so the
/// source address is known exactly: the VRRPv3 checksum covers it.
pub struct VrrpSocket {
    sock: Socket,
}

impl VrrpSocket {
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
}

impl PacketSocket {
    pub fn open(ifindex: u32) -> io::Result<Self> {
        // Protocol 0: we never receive on this socket.
        let sock = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(0)))?;
        sock.set_nonblocking(true)?;
        let broadcast = crate::sys::packet_sockaddr(ifindex, ETH_P_ARP, &[0xff; 6])?;
        Ok(PacketSocket { sock, broadcast })
    }

    /// Sends a complete Ethernet frame to the broadcast address.
    pub fn send_broadcast(&self, frame: &[u8]) -> io::Result<()> {
        self.sock.send_to(frame, &self.broadcast).map(|_| ())
    }
}
