//! VRRP advertisement wire format (RFC 3768 v2, RFC 5798/9568 v3) over IPv4
//! and IPv6.
//!
//! Decoding borrows from the receive buffer ([`AdvertView`]) so that the hot
//! receive path never allocates; [`Advert`] is the owned form for tests and
//! tools. Encoding reuses a caller-supplied `Vec<u8>` for the same reason.

pub mod ah;
mod checksum;
mod decode;
mod encode;
mod error;
#[cfg(test)]
mod tests;
mod v4_checksum;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use checksum::vrrp_checksum_v6;
pub use decode::{decode_ipv4, decode_ipv4_deferred, decode_vrrp, decode_vrrp_v6};
pub use encode::{encode_ipv4, encode_ipv4_with, encode_vrrp, encode_vrrp_v6};
pub use error::{DecodeError, EncodeError};
pub use v4_checksum::{
    ChecksumPolicy, ChecksumState, ChecksumVerdict, DeferredChecksum, V4Checksum,
};

/// IP protocol number of VRRP.
pub const VRRP_PROTO: u8 = 112;
/// The IPv4 multicast group adverts are sent to (RFC 5798 §5.1.1.2).
pub const VRRP_MCAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// The IPv6 multicast group adverts are sent to (RFC 5798 §5.1.2.2).
pub const VRRP_MCAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// Offset of the checksum field in the VRRP header: the value for the
/// `IPV6_CHECKSUM` socket option, which makes the kernel fill in (and verify)
/// the checksum over the IPv6 pseudo-header.
pub const VRRP_CHECKSUM_OFFSET: usize = 6;
/// TTL (hop limit) that multicast adverts are sent with and must arrive with.
pub const VRRP_TTL: u8 = 255;

/// Length of the fixed VRRP header (version/type .. checksum).
pub const VRRP_HEADER_LEN: usize = 8;
/// Length of the VRRPv2 authentication data trailer.
pub const V2_AUTH_LEN: usize = 8;
/// Length of the IPv4 header this crate writes (no options).
pub const IPV4_HEADER_LEN: usize = 20;
/// The VRRP message type for an advertisement, the only type defined.
pub const VRRP_TYPE_ADVERT: u8 = 1;

/// VRRPv2 authentication (RFC 2338 §5.3.6; RFC 3768 keeps the field but
/// deprecates its use). VRRPv3 adverts always decode as [`AuthData::None`].
///
/// Type 2 (IP Authentication Header) travels as protocol 51 with an AH header
/// before the VRRP message; see [`ah`] for keepalived's exact scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthData {
    /// Type 0: no authentication; the 8 auth bytes are zero on send and
    /// ignored on receipt.
    None,
    /// Type 1: simple text password, zero-padded to exactly 8 bytes.
    Pass([u8; 8]),
    /// Type 2: IPsec AH (see [`ah`]). In a configuration, the 8-byte
    /// zero-padded `auth_pass` that keys the HMAC; in a decoded advert, the 8
    /// VRRP authentication bytes (zero from keepalived), because the key
    /// never travels. The ICV is checked by [`ah::verify`] before the advert
    /// reaches an instance.
    Ah([u8; 8]),
}

impl AuthData {
    /// The wire value of the authentication type field.
    pub const fn auth_type(&self) -> u8 {
        match self {
            AuthData::None => 0,
            AuthData::Pass(_) => 1,
            AuthData::Ah(_) => 2,
        }
    }

    /// Builds a password the way keepalived does: truncated to 8 bytes,
    /// zero-padded.
    pub fn pass_from_str(password: &str) -> Self {
        let mut key = [0u8; 8];
        for (dst, src) in key.iter_mut().zip(password.as_bytes()) {
            *dst = *src;
        }
        AuthData::Pass(key)
    }

    /// Compares two auth values without an early exit on the password bytes,
    /// so that timing does not reveal how much of a guess was right.
    pub fn ct_eq(&self, other: &AuthData) -> bool {
        match (self, other) {
            (AuthData::None, AuthData::None) => true,
            (AuthData::Pass(a), AuthData::Pass(b)) => {
                let diff = a
                    .iter()
                    .zip(b.iter())
                    .fold(0u8, |acc, (x, y)| acc | (x ^ y));
                std::hint::black_box(diff) == 0
            }
            // Type match only: the ICV was verified with the key already.
            (AuthData::Ah(_), AuthData::Ah(_)) => true,
            _ => false,
        }
    }
}

/// An owned VRRP advertisement, independent of any buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advert {
    /// 2 or 3.
    pub version: u8,
    pub vrid: u8,
    /// 0 = master is leaving, 255 = address owner.
    pub priority: u8,
    /// Advertisement interval in centiseconds. v2 carries whole seconds, so a
    /// decoded v2 advert has `secs * 100` here.
    pub adver_int_cs: u16,
    pub auth: AuthData,
    /// All of one family: IPv4 adverts carry IPv4 addresses, IPv6 ones IPv6.
    pub addresses: Vec<IpAddr>,
}

impl Advert {
    /// See [`encode_ipv4`].
    pub fn encode_ipv4(
        &self,
        buf: &mut Vec<u8>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        ttl: u8,
    ) -> Result<(), EncodeError> {
        encode_ipv4(
            buf,
            src,
            dst,
            ttl,
            self.version,
            self.vrid,
            self.priority,
            self.adver_int_cs,
            &self.auth,
            &self.addresses,
        )
    }

    /// See [`encode_vrrp_v6`].
    pub fn encode_vrrp_v6(
        &self,
        buf: &mut Vec<u8>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<(), EncodeError> {
        encode_vrrp_v6(
            buf,
            src,
            dst,
            self.version,
            self.vrid,
            self.priority,
            self.adver_int_cs,
            &self.addresses,
        )
    }

    /// See [`encode_vrrp`].
    pub fn encode_vrrp(
        &self,
        buf: &mut Vec<u8>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<(), EncodeError> {
        encode_vrrp(
            buf,
            src,
            dst,
            self.version,
            self.vrid,
            self.priority,
            self.adver_int_cs,
            &self.auth,
            &self.addresses,
        )
    }
}

/// IPv4 header fields the instance checks need (TTL rule, IP tie-break).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Meta {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
}

/// IPv6 header fields the instance checks need. The kernel strips the IPv6
/// header on a raw socket, so these come from `recvmsg` ancillary data
/// (`IPV6_PKTINFO` for the destination, `IPV6_HOPLIMIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Meta {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub hop_limit: u8,
}

/// A validated advertisement borrowing its address list from the receive
/// buffer, so decoding allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvertView<'a> {
    pub version: u8,
    pub vrid: u8,
    pub priority: u8,
    /// Centiseconds; see [`Advert::adver_int_cs`].
    pub adver_int_cs: u16,
    pub auth: AuthData,
    /// Exactly `4 * naddr` (IPv4) or `16 * naddr` (IPv6) bytes, checked by
    /// the decoder.
    addr_bytes: &'a [u8],
    /// The addresses are IPv6 ones (the advert came over IPv6).
    v6: bool,
}

impl<'a> AdvertView<'a> {
    /// Bytes per address: 4 or 16.
    fn addr_width(&self) -> usize {
        if self.v6 {
            16
        } else {
            4
        }
    }

    /// Whether the advert came over IPv6 (and carries IPv6 addresses).
    pub fn is_ipv6(&self) -> bool {
        self.v6
    }

    /// Number of addresses carried.
    pub fn naddr(&self) -> usize {
        self.addr_bytes.len() / self.addr_width()
    }

    /// The advertised addresses, in packet order.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + 'a {
        let v6 = self.v6;
        self.addr_bytes
            .chunks_exact(self.addr_width())
            .filter_map(move |c| {
                if v6 {
                    c.first_chunk::<16>().map(|o| IpAddr::from(*o))
                } else {
                    c.first_chunk::<4>().map(|o| IpAddr::from(*o))
                }
            })
    }

    /// Whether `addr` is among the advertised addresses.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.addresses().any(|a| a == addr)
    }

    /// Copies into an owned [`Advert`] (allocates; not for the hot path).
    pub fn to_owned(&self) -> Advert {
        Advert {
            version: self.version,
            vrid: self.vrid,
            priority: self.priority,
            adver_int_cs: self.adver_int_cs,
            auth: self.auth,
            addresses: self.addresses().collect(),
        }
    }
}
