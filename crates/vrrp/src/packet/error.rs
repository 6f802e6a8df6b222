//! Why a datagram could not be decoded, or an advert could not be encoded.
//!
//! Decoding errors are values, never panics: the receive path sees arbitrary
//! bytes from the network and must only count and drop bad ones.

use thiserror::Error;

/// A received datagram is not a well-formed VRRP advertisement.
///
/// Every variant is reachable from some input; the unit tests prove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Fewer bytes than the fixed headers need (IPv4 header, its options, or
    /// the 8-byte VRRP header).
    #[error("datagram truncated")]
    Truncated,
    /// The IP version nibble is not 4.
    #[error("not an IPv4 datagram (version {0})")]
    NotIpv4(u8),
    /// IHL below 5 words: not a valid IPv4 header.
    #[error("bad IPv4 header length {0} (words)")]
    BadIhl(u8),
    /// The IPv4 total length is smaller than the header or larger than what was
    /// received. Bytes beyond the total length (Ethernet padding) are fine.
    #[error(
        "IPv4 total length {tot_len} inconsistent with header {ihl_bytes} B and buffer {buf_len} B"
    )]
    BadTotalLength {
        tot_len: u16,
        ihl_bytes: usize,
        buf_len: usize,
    },
    /// The IPv4 header checksum does not verify.
    #[error("bad IPv4 header checksum")]
    BadIpChecksum,
    /// The IP protocol is neither 112 nor 51 (AH, VRRPv2 auth type 2).
    #[error("IP protocol {0} is not VRRP (112)")]
    NotVrrpProtocol(u8),
    /// The VRRP message length disagrees with its address count.
    #[error("VRRP length {actual} B, expected {expected} B for the address count")]
    LengthMismatch { expected: usize, actual: usize },
    /// VRRP version other than 2 or 3.
    #[error("unsupported VRRP version {0}")]
    BadVersion(u8),
    /// VRRP type other than 1 (ADVERTISEMENT).
    #[error("VRRP type {0} is not ADVERTISEMENT (1)")]
    BadType(u8),
    /// The VRRP checksum does not verify (v3: including the pseudo-header).
    #[error("bad VRRP checksum")]
    BadChecksum,
    /// VRRPv2 authentication type other than 0 (none) or 1 (simple text
    /// password) on protocol 112. Type 2 (IP AH) is reported here too when
    /// it appears without an AH header.
    #[error("unsupported VRRPv2 authentication type {0}")]
    AuthType(u8),
    /// Protocol 51 whose AH header is not keepalived's form (24 bytes, next
    /// header 112), or whose VRRP message is not authentication type 2.
    #[error("malformed AH header or AH packet without VRRP auth type 2")]
    BadAh,
}

/// An advert cannot be represented on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// Version other than 2 or 3.
    #[error("unsupported VRRP version {0}")]
    BadVersion(u8),
    /// VRRPv2 carries the interval as whole seconds.
    #[error("VRRPv2 advert interval {0} cs is not a whole number of seconds")]
    IntervalNotWholeSeconds(u16),
    /// Interval exceeds the field: 255 s for v2, 4095 cs (12 bits) for v3.
    #[error("advert interval {0} cs too large for the version")]
    IntervalTooLarge(u16),
    /// The address count field is one byte.
    #[error("{0} addresses exceed the 255 a VRRP advert can carry")]
    TooManyAddresses(usize),
    /// An address of the other family than the advert (IPv6 in an IPv4
    /// advert or the reverse).
    #[error("address {0} is not of the advert's address family")]
    WrongFamily(std::net::IpAddr),
    /// VRRPv3 has no authentication field (RFC 5798 removed it).
    #[error("VRRPv3 adverts cannot carry authentication")]
    AuthInV3,
    /// AH adverts need the per-instance sequence state: use
    /// [`super::ah::encode_ipv4_ah`].
    #[error("AH adverts are encoded with ah::encode_ipv4_ah")]
    AhNeedsHeader,
}
