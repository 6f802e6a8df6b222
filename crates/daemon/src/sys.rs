//! The only place in keepalived-rs with `unsafe` code: building a `sockaddr_ll` for
//! AF_PACKET sockets, which neither socket2 nor nix can construct safely.
#![allow(unsafe_code)]

use socket2::SockAddr;
use std::io;

/// Link-layer socket address for sending a frame out of interface `ifindex` to
/// hardware address `dst` (Ethernet: 6 bytes) with the given EtherType.
pub fn packet_sockaddr(ifindex: u32, ethertype: u16, dst: &[u8; 6]) -> io::Result<SockAddr> {
    let ifindex = i32::try_from(ifindex)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index out of range"))?;
    // SAFETY: `try_init` hands us zeroed storage of `sockaddr_storage` size, which is
    // larger than and suitably aligned for `sockaddr_ll`. We write one fully
    // initialised `sockaddr_ll` into it and report exactly its size as the length.
    let ((), addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let mut ll: libc::sockaddr_ll = std::mem::zeroed();
            ll.sll_family = libc::AF_PACKET as libc::sa_family_t;
            ll.sll_protocol = ethertype.to_be();
            ll.sll_ifindex = ifindex;
            ll.sll_halen = 6;
            ll.sll_addr[..6].copy_from_slice(dst);
            std::ptr::write(storage.cast::<libc::sockaddr_ll>(), ll);
            *len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
            Ok(())
        })?
    };
    Ok(addr)
}

/// Registers a VRRP socket with tokio's reactor.
pub fn register_vrrp_socket(
    sock: crate::socket::VrrpSocket,
) -> io::Result<tokio::io::unix::AsyncFd<crate::socket::VrrpSocket>> {
    // SAFETY: `VrrpSocket` owns its descriptor (a socket2::Socket) and never closes
    // or replaces it while alive; `as_raw_fd` always returns that same descriptor, so
    // it stays open and unchanged for the whole lifetime of the AsyncFd.
    unsafe { tokio::io::unix::AsyncFd::register(sock) }.map_err(io::Error::from)
}

/// Registers the daemon's timerfd with tokio's reactor.
pub fn register_timer(
    timer: crate::timer::TimerHandle,
) -> io::Result<tokio::io::unix::AsyncFd<crate::timer::TimerHandle>> {
    // SAFETY: `TimerHandle` owns its descriptor (nix's TimerFd holds an OwnedFd)
    // and never closes or replaces it while alive, so the descriptor stays open and
    // unchanged for the whole lifetime of the AsyncFd.
    unsafe { tokio::io::unix::AsyncFd::register(timer) }.map_err(io::Error::from)
}

/// A descriptor owned by someone else (the proc-connector socket inside
/// `track_process::linux::Source`), exposed to tokio's reactor.
pub struct BorrowedRawFd(std::os::fd::RawFd);

impl std::os::fd::AsRawFd for BorrowedRawFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0
    }
}

/// Registers a descriptor that `owner` keeps open.
///
/// The caller must drop the returned AsyncFd before `owner`: the reader task
/// declares the owner first and the AsyncFd second, so Rust drops them in the
/// right order.
pub fn register_borrowed(
    fd: std::os::fd::BorrowedFd<'_>,
) -> io::Result<tokio::io::unix::AsyncFd<BorrowedRawFd>> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open now (it is borrowed from its owner), and
    // the only caller keeps the owner alive, without closing or replacing the
    // descriptor, until after this AsyncFd is dropped (see above).
    unsafe { tokio::io::unix::AsyncFd::register(BorrowedRawFd(fd.as_raw_fd())) }
        .map_err(io::Error::from)
}
