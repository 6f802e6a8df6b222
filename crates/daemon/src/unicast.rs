//! Unicast VRRP (reference §3.11): which peers an instance sends to, the
//! TTL it sends with, and the receive-side checks keepalived applies before
//! an advert reaches the protocol core (cast type, `check_unicast_src`,
//! per-peer `min_ttl` / `max_ttl`).

use std::net::IpAddr;

/// One `unicast_peer` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
}

/// An instance's unicast settings; an empty peer list means multicast.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unicast {
    pub peers: Vec<Peer>,
    /// `check_unicast_src` (own, global, or implied by a peer TTL limit):
    /// adverts must come from a configured peer.
    pub check_src: bool,
    /// `unicast_ttl`: the TTL (hop limit) of our unicast adverts.
    pub ttl: Option<u8>,
}

/// Why an advert was refused before the protocol core saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A multicast advert on a unicast instance, or a unicast one on a
    /// multicast instance.
    WrongCast,
    /// `check_unicast_src`: the source is not a configured peer.
    UnknownPeer,
    /// The peer's `min_ttl` / `max_ttl` excludes the advert's TTL.
    TtlOutOfRange,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::WrongCast => "multicast/unicast mismatch",
            Refusal::UnknownPeer => "source is not a unicast peer",
            Refusal::TtlOutOfRange => "TTL outside the peer's min_ttl/max_ttl",
        }
    }
}

impl Unicast {
    pub fn is_unicast(&self) -> bool {
        !self.peers.is_empty()
    }

    /// Whether `src` is one of the peers.
    pub fn has_peer(&self, src: IpAddr) -> bool {
        self.peers.iter().any(|p| p.addr == src)
    }

    /// The TTL of our adverts: `unicast_ttl` (default 255) when unicast,
    /// 255 for multicast (RFC 5798 §5.1.1.3).
    pub fn send_ttl(&self) -> u8 {
        if self.is_unicast() {
            self.ttl.unwrap_or(255)
        } else {
            255
        }
    }

    /// The hop limit of our IPv6 adverts, when it is not the socket's:
    /// `unicast_ttl` when unicast. Without it keepalived leaves the kernel
    /// default (64 on the wire from 2.2.7), and so do we; multicast adverts
    /// use the socket's 255.
    pub fn hop_limit_v6(&self) -> Option<u8> {
        if self.is_unicast() {
            self.ttl
        } else {
            None
        }
    }

    /// keepalived's receive checks for cast type and unicast source
    /// (reference §3.14 checks 12 and 15). The TTL-255 rule for multicast is
    /// the protocol core's.
    pub fn check(&self, src: IpAddr, dst_multicast: bool, ttl: u8) -> Result<(), Refusal> {
        if dst_multicast == self.is_unicast() {
            return Err(Refusal::WrongCast);
        }
        if !self.is_unicast() || !self.check_src {
            return Ok(());
        }
        let peer = self
            .peers
            .iter()
            .find(|p| p.addr == src)
            .ok_or(Refusal::UnknownPeer)?;
        let low = peer.min_ttl.unwrap_or(0);
        let high = peer.max_ttl.unwrap_or(255);
        if (low..=high).contains(&ttl) {
            Ok(())
        } else {
            Err(Refusal::TtlOutOfRange)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn peers(check_src: bool) -> Unicast {
        Unicast {
            peers: vec![
                Peer {
                    addr: ip("192.0.2.11"),
                    min_ttl: None,
                    max_ttl: None,
                },
                Peer {
                    addr: ip("198.51.100.7"),
                    min_ttl: Some(250),
                    max_ttl: Some(254),
                },
            ],
            check_src,
            ttl: Some(64),
        }
    }

    #[test]
    fn cast_type_must_match_the_mode() {
        let m = Unicast::default();
        assert_eq!(m.check(ip("192.0.2.11"), true, 255), Ok(()));
        assert_eq!(
            m.check(ip("192.0.2.11"), false, 255),
            Err(Refusal::WrongCast)
        );
        let u = peers(false);
        assert_eq!(
            u.check(ip("192.0.2.11"), true, 255),
            Err(Refusal::WrongCast)
        );
        assert_eq!(u.check(ip("192.0.2.11"), false, 7), Ok(()));
    }

    #[test]
    fn without_check_unicast_src_any_source_and_ttl_pass() {
        let u = peers(false);
        assert_eq!(u.check(ip("203.0.113.9"), false, 1), Ok(()));
    }

    #[test]
    fn check_unicast_src_wants_a_peer_within_its_ttl_range() {
        let u = peers(true);
        assert_eq!(
            u.check(ip("203.0.113.9"), false, 255),
            Err(Refusal::UnknownPeer)
        );
        assert_eq!(u.check(ip("192.0.2.11"), false, 1), Ok(()));
        assert_eq!(u.check(ip("198.51.100.7"), false, 250), Ok(()));
        assert_eq!(u.check(ip("198.51.100.7"), false, 254), Ok(()));
        assert_eq!(
            u.check(ip("198.51.100.7"), false, 255),
            Err(Refusal::TtlOutOfRange)
        );
        assert_eq!(
            u.check(ip("198.51.100.7"), false, 249),
            Err(Refusal::TtlOutOfRange)
        );
    }

    #[test]
    fn send_ttl_defaults() {
        assert_eq!(Unicast::default().send_ttl(), 255);
        assert_eq!(peers(false).send_ttl(), 64);
        let mut u = peers(false);
        u.ttl = None;
        assert_eq!(u.send_ttl(), 255);
    }

    #[test]
    fn ipv6_hop_limit_only_from_unicast_ttl() {
        assert_eq!(Unicast::default().hop_limit_v6(), None);
        // unicast_ttl without peers: multicast, the socket's 255.
        let m = Unicast {
            ttl: Some(9),
            ..Unicast::default()
        };
        assert_eq!(m.hop_limit_v6(), None);
        assert_eq!(peers(false).hop_limit_v6(), Some(64));
        let mut u = peers(false);
        u.ttl = None;
        assert_eq!(u.hop_limit_v6(), None);
    }
}
