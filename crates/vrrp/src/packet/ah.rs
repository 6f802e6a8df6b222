//! VRRPv2 `auth_type AH`: an IPsec Authentication Header (RFC 2402 layout)
//! between the IPv4 header and the VRRP message, exactly as keepalived
//! builds and checks it.
//!
//! RFC 2338 only says "use AH"; keepalived made its own choices, none of them
//! written down, so everything below was established from keepalived 2.2.7
//! on the wire (captures and injected packets; see `tests/ah_golden.rs`):
//!
//! * Layout: IPv4 header (protocol 51, TOS 0xc0, DF clear, TTL 255, an IP
//!   identification that counts up from 1 per sent advert), then the 24-byte
//!   AH header: next header 112, payload length 4 (24 bytes / 4 − 2),
//!   reserved 0, SPI = the sender's IPv4 source address, a 32-bit sequence
//!   number, a 12-byte ICV; then the VRRPv2 message with authentication
//!   type 2 and 8 zero authentication bytes (its checksum covers only the
//!   VRRP message, as for the other types).
//! * ICV = the first 12 bytes (HMAC-MD5-96) of HMAC-MD5 keyed with
//!   `auth_pass` (truncated to 8 bytes; HMAC zero-pads keys, so the
//!   zero-padded 8-byte form gives the same MAC) over the whole datagram with
//!   the IPv4 TOS, flags + fragment offset and header checksum set to zero
//!   and the ICV field set to zero. Unlike RFC 2402, the TTL is *not* zeroed
//!   (it is covered as sent), and the identification is covered too.
//! * Receive checks (in addition to the VRRP ones): SPI must equal the IPv4
//!   source address, the ICV must verify, and the sequence number must be
//!   strictly greater than the instance's counter (equal is "already
//!   processed"). A packet that fails the ICV does not move the counter.
//! * One counter per instance, shared by sending and receiving: each sent
//!   advert carries counter + 1 (and stores it); each accepted advert sets the
//!   counter to its sequence number, so that whoever takes over next sends
//!   a number the others accept. A MASTER answering a lower-priority advert
//!   first adds one more ("Syncing seq_num - Increment seq" in keepalived's
//!   log), so its answer carries received + 2.

use std::net::Ipv4Addr;

use hmac::{Hmac, Mac};
use md5::Md5;
use thiserror::Error;

use super::{checksum, encode_vrrp, AuthData, EncodeError, IPV4_HEADER_LEN, VRRP_PROTO};

/// IP protocol number of the IPsec Authentication Header.
pub const AH_PROTO: u8 = 51;
/// Length of the AH header keepalived writes (fixed part + 96-bit ICV).
pub const AH_LEN: usize = 24;
/// Length of the truncated HMAC-MD5 integrity check value.
pub const AH_ICV_LEN: usize = 12;
/// The AH payload length field: AH length in 32-bit words, minus 2.
pub const AH_PAYLOAD_LEN: u8 = 4;
/// Offset of the ICV inside the AH header.
const ICV_OFFSET: usize = 12;
/// TOS written on adverts, as on the plain path.
const TOS_INTERNETWORK_CONTROL: u8 = 0xc0;

/// The fixed fields of a received AH header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AhHeader {
    pub next_header: u8,
    pub spi: u32,
    pub seq: u32,
    pub icv: [u8; AH_ICV_LEN],
}

/// Why an AH-authenticated advert is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AhError {
    /// The datagram is not IPv4 + AH (too short, protocol not 51, or an AH
    /// header that is not keepalived's 24-byte form carrying VRRP).
    #[error("not an AH-protected VRRP datagram")]
    Malformed,
    /// keepalived sets the SPI to the sender's source address and checks it.
    #[error("AH SPI {spi:#010x} is not the source address {src}")]
    BadSpi { spi: u32, src: Ipv4Addr },
    /// The HMAC-MD5-96 does not match: wrong password or a modified packet.
    #[error("invalid AH HMAC-MD5 value (fields mutated or wrong password)")]
    BadIcv,
    /// Anti-replay: the sequence number is not beyond the instance's counter.
    #[error("AH sequence number {seq} already processed (local {local})")]
    Replayed { seq: u32, local: u32 },
}

/// Reads the AH header that follows the IPv4 header of `datagram`.
pub fn parse_header(datagram: &[u8]) -> Result<(usize, AhHeader), AhError> {
    let ihl = usize::from(datagram.first().ok_or(AhError::Malformed)? & 0x0f) * 4;
    if ihl < IPV4_HEADER_LEN || datagram.get(9) != Some(&AH_PROTO) {
        return Err(AhError::Malformed);
    }
    let ah: &[u8; AH_LEN] = datagram
        .get(ihl..)
        .and_then(|r| r.first_chunk())
        .ok_or(AhError::Malformed)?;
    let [nh, plen, _r0, _r1, s0, s1, s2, s3, q0, q1, q2, q3, icv @ ..] = *ah;
    if nh != VRRP_PROTO || plen != AH_PAYLOAD_LEN {
        return Err(AhError::Malformed);
    }
    Ok((
        ihl,
        AhHeader {
            next_header: nh,
            spi: u32::from_be_bytes([s0, s1, s2, s3]),
            seq: u32::from_be_bytes([q0, q1, q2, q3]),
            icv,
        },
    ))
}

/// Computes keepalived's ICV for `datagram` (IPv4 header, AH header, VRRP;
/// the ICV bytes in it are ignored). `ihl` is the IPv4 header length in
/// bytes. Allocation-free: the mutable fields are zeroed in a stack copy of
/// the IP header and the ICV is fed as zeros.
pub fn compute_icv(datagram: &[u8], ihl: usize, key: &[u8; 8]) -> Option<[u8; AH_ICV_LEN]> {
    let mut ip = [0u8; 60];
    let hdr = ip.get_mut(..ihl)?;
    hdr.copy_from_slice(datagram.get(..ihl)?);
    // TOS, flags + fragment offset, header checksum: zero. TTL and
    // identification stay as sent (keepalived's choice, not RFC 2402's).
    for i in [1, 6, 7, 10, 11] {
        *hdr.get_mut(i)? = 0;
    }
    let icv_at = ihl + ICV_OFFSET;
    let mut mac = <Hmac<Md5> as Mac>::new_from_slice(key).ok()?;
    mac.update(hdr);
    mac.update(datagram.get(ihl..icv_at)?);
    mac.update(&[0u8; AH_ICV_LEN]);
    mac.update(datagram.get(icv_at + AH_ICV_LEN..)?);
    let full = mac.finalize().into_bytes();
    full.get(..AH_ICV_LEN)?.try_into().ok()
}

/// Checks the AH part of a received datagram (cut to its IPv4 total length,
/// as [`super::decode_ipv4`] accepted it): SPI = source address, then the
/// ICV with `key`. Returns the header so that the caller can apply the
/// sequence rule with [`AhState::accept`]; a failed check leaves no trace.
pub fn verify(datagram: &[u8], key: &[u8; 8]) -> Result<AhHeader, AhError> {
    let (ihl, ah) = parse_header(datagram)?;
    let src: [u8; 4] = datagram
        .get(12..16)
        .and_then(|s| s.try_into().ok())
        .ok_or(AhError::Malformed)?;
    if ah.spi != u32::from_be_bytes(src) {
        return Err(AhError::BadSpi {
            spi: ah.spi,
            src: Ipv4Addr::from(src),
        });
    }
    let want = compute_icv(datagram, ihl, key).ok_or(AhError::Malformed)?;
    let diff = want
        .iter()
        .zip(ah.icv.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if std::hint::black_box(diff) != 0 {
        return Err(AhError::BadIcv);
    }
    Ok(ah)
}

/// Per-instance AH state: the sequence counter (see the module docs for the
/// rules) and the IPv4 identification keepalived counts alongside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AhState {
    seq: u32,
    ip_id: u16,
}

impl AhState {
    /// A fresh instance: counter 0, so the first advert carries 1 and any
    /// peer's first advert is accepted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The counter: last sequence number sent or accepted.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// Applies the anti-replay rule to a verified advert's sequence number
    /// and, when it passes, adopts it.
    pub fn accept(&mut self, seq: u32) -> Result<(), AhError> {
        if seq <= self.seq {
            return Err(AhError::Replayed {
                seq,
                local: self.seq,
            });
        }
        self.seq = seq;
        Ok(())
    }

    /// A MASTER that answers a lower-priority advert skips one number first,
    /// as keepalived does.
    pub fn sync_bump(&mut self) {
        self.seq = self.seq.wrapping_add(1);
    }

    /// Numbers for the next advert: (IPv4 identification, AH sequence).
    pub fn next_tx(&mut self) -> (u16, u32) {
        self.seq = self.seq.wrapping_add(1);
        self.ip_id = self.ip_id.wrapping_add(1);
        (self.ip_id, self.seq)
    }
}

/// Writes a complete VRRPv2 advert protected by AH, for `IP_HDRINCL`, into
/// `buf` (cleared first; no allocation once it has grown). `ip_id` and `seq`
/// come from [`AhState::next_tx`]; `key` is the 8-byte `auth_pass`.
#[allow(clippy::too_many_arguments)]
pub fn encode_ipv4_ah<A: Copy + Into<std::net::IpAddr>>(
    buf: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    ip_id: u16,
    seq: u32,
    vrid: u8,
    priority: u8,
    adver_int_cs: u16,
    key: &[u8; 8],
    addresses: &[A],
) -> Result<(), EncodeError> {
    // The VRRP message first (auth type 2, zero auth bytes), then shifted
    // behind the two headers.
    encode_vrrp(
        buf,
        src,
        dst,
        2,
        vrid,
        priority,
        adver_int_cs,
        &AuthData::Ah(*key),
        addresses,
    )?;
    let vrrp_len = buf.len();
    let head = IPV4_HEADER_LEN + AH_LEN;
    let tot_len = u16::try_from(head + vrrp_len)
        .map_err(|_| EncodeError::TooManyAddresses(addresses.len()))?;
    buf.resize(head + vrrp_len, 0);
    buf.copy_within(0..vrrp_len, head);
    let mut h = [0u8; IPV4_HEADER_LEN + AH_LEN];
    h[0] = 0x45;
    h[1] = TOS_INTERNETWORK_CONTROL;
    h[2..4].copy_from_slice(&tot_len.to_be_bytes());
    h[4..6].copy_from_slice(&ip_id.to_be_bytes());
    h[8] = ttl;
    h[9] = AH_PROTO;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    h[20] = VRRP_PROTO;
    h[21] = AH_PAYLOAD_LEN;
    h[24..28].copy_from_slice(&src.octets());
    h[28..32].copy_from_slice(&seq.to_be_bytes());
    let ck = checksum::of(&h[..IPV4_HEADER_LEN]);
    h[10..12].copy_from_slice(&ck.to_be_bytes());
    if let Some(slot) = buf.get_mut(..head) {
        slot.copy_from_slice(&h);
    }
    let icv = compute_icv(buf, IPV4_HEADER_LEN, key).unwrap_or_default();
    let at = IPV4_HEADER_LEN + ICV_OFFSET;
    if let Some(slot) = buf.get_mut(at..at + AH_ICV_LEN) {
        slot.copy_from_slice(&icv);
    }
    Ok(())
}
