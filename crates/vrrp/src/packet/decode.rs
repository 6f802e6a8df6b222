//! Decoding received datagrams. Every byte access is bounds-checked through
//! `get`/`first_chunk`, so arbitrary input yields an error, never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{
    ah, checksum, AdvertView, AuthData, DecodeError, DeferredChecksum, Ipv4Meta, V4Checksum,
    V2_AUTH_LEN, VRRP_HEADER_LEN, VRRP_PROTO, VRRP_TYPE_ADVERT,
};

/// Decodes a whole IPv4 datagram as received on a raw `IPPROTO_VRRP` socket
/// (the kernel includes the IPv4 header).
///
/// IPv4 options are skipped (IHL > 5). Bytes after the IPv4 total length are
/// ignored, because short frames arrive with Ethernet padding; a total length
/// beyond the buffer means the datagram was truncated and is rejected.
pub fn decode_ipv4(buf: &[u8]) -> Result<(Ipv4Meta, AdvertView<'_>), DecodeError> {
    // Checked inside, so that errors come in the same order as for
    // `decode_vrrp` (checksum before the auth fields).
    decode_ipv4_inner(buf, true).map(|(meta, view, _)| (meta, view))
}

/// [`decode_ipv4`] without the VRRP checksum check, which is left to the
/// caller through the returned [`DeferredChecksum`]: which checksum forms
/// are acceptable depends on the receiving instance (`v3_checksum_as_v2`,
/// `old_unicast_checksum`), known only after looking up the VRID. Every other
/// check, the IPv4 header checksum included, is done here.
pub fn decode_ipv4_deferred(
    buf: &[u8],
) -> Result<(Ipv4Meta, AdvertView<'_>, DeferredChecksum), DecodeError> {
    decode_ipv4_inner(buf, false)
}

/// `check_sum`: verify the RFC checksum too.
fn decode_ipv4_inner(
    buf: &[u8],
    check_sum: bool,
) -> Result<(Ipv4Meta, AdvertView<'_>, DeferredChecksum), DecodeError> {
    let header: &[u8; 20] = buf.first_chunk().ok_or(DecodeError::Truncated)?;
    let [ver_ihl, _tos, tl_hi, tl_lo, _id_hi, _id_lo, _frag_hi, _frag_lo, ttl, proto, _ck_hi, _ck_lo, s0, s1, s2, s3, d0, d1, d2, d3] =
        *header;
    let version = ver_ihl >> 4;
    if version != 4 {
        return Err(DecodeError::NotIpv4(version));
    }
    let ihl = ver_ihl & 0x0f;
    if ihl < 5 {
        return Err(DecodeError::BadIhl(ihl));
    }
    let ihl_bytes = usize::from(ihl) * 4;
    let ip_header = buf.get(..ihl_bytes).ok_or(DecodeError::Truncated)?;
    let tot_len = u16::from_be_bytes([tl_hi, tl_lo]);
    let bad_len = DecodeError::BadTotalLength {
        tot_len,
        ihl_bytes,
        buf_len: buf.len(),
    };
    if usize::from(tot_len) < ihl_bytes {
        return Err(bad_len);
    }
    let datagram = buf.get(..usize::from(tot_len)).ok_or(bad_len)?;
    if checksum::of(ip_header) != 0 {
        return Err(DecodeError::BadIpChecksum);
    }
    let src = Ipv4Addr::new(s0, s1, s2, s3);
    let dst = Ipv4Addr::new(d0, d1, d2, d3);
    let payload = datagram.get(ihl_bytes..).ok_or(DecodeError::Truncated)?;
    let (view, vrrp) = match proto {
        VRRP_PROTO => (
            decode_body(payload, Family::V4 { src, dst }, false, check_sum)?,
            payload,
        ),
        // AH (auth type 2): only the structure is checked here; the ICV
        // needs the instance's key, see `ah::verify`.
        ah::AH_PROTO => {
            let vrrp = payload.get(ah::AH_LEN..).ok_or(DecodeError::Truncated)?;
            if payload.first() != Some(&VRRP_PROTO) || payload.get(1) != Some(&ah::AH_PAYLOAD_LEN) {
                return Err(DecodeError::BadAh);
            }
            (
                decode_body(vrrp, Family::V4 { src, dst }, true, check_sum)?,
                vrrp,
            )
        }
        other => return Err(DecodeError::NotVrrpProtocol(other)),
    };
    let rx = DeferredChecksum::new(view.version, src, dst, vrrp);
    Ok((Ipv4Meta { src, dst, ttl }, view, rx))
}

/// Decodes the VRRP message alone (what follows the IP header). `src`/`dst`
/// feed the VRRPv3 pseudo-header checksum; VRRPv2 ignores them.
///
/// Checks, in order: header present, version 2|3, type 1, exact length for the
/// address count (plus 8 auth bytes for v2), checksum, v2 auth type 0|1.
pub fn decode_vrrp(
    vrrp: &[u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
) -> Result<AdvertView<'_>, DecodeError> {
    decode_body(vrrp, Family::V4 { src, dst }, false, true)
}

/// Decodes a VRRP message received on an IPv6 raw socket: the kernel has
/// stripped the IPv6 header, so `src`/`dst` come from the packet's ancillary
/// data. Addresses are 16 bytes each and there is no authentication trailer;
/// the checksum always covers the IPv6 pseudo-header (for v2 too, as the
/// kernel computes it with `IPV6_CHECKSUM` whatever the VRRP version).
///
/// The kernel already verified the checksum on a socket with
/// `IPV6_CHECKSUM`; checking again costs little and keeps this function
/// usable on its own (tests, tools, fuzzing).
pub fn decode_vrrp_v6(
    vrrp: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
) -> Result<AdvertView<'_>, DecodeError> {
    decode_body(vrrp, Family::V6 { src, dst }, false, true)
}

/// The network layer a VRRP message came over, with the addresses its
/// checksum may cover.
#[derive(Clone, Copy)]
enum Family {
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

/// `in_ah`: the message came behind an AH header, where auth type 2 (and
/// only it) is valid. `check_sum`: verify the (RFC) checksum here; without
/// it the caller checks it (see [`decode_ipv4_deferred`]).
fn decode_body(
    vrrp: &[u8],
    family: Family,
    in_ah: bool,
    check_sum: bool,
) -> Result<AdvertView<'_>, DecodeError> {
    let v6 = matches!(family, Family::V6 { .. });
    let header: &[u8; VRRP_HEADER_LEN] = vrrp.first_chunk().ok_or(DecodeError::Truncated)?;
    let [ver_type, vrid, priority, naddr, b4, b5, _ck_hi, _ck_lo] = *header;
    let version = ver_type >> 4;
    if version != 2 && version != 3 {
        return Err(DecodeError::BadVersion(version));
    }
    let kind = ver_type & 0x0f;
    if kind != VRRP_TYPE_ADVERT {
        return Err(DecodeError::BadType(kind));
    }
    let addr_len = usize::from(naddr) * if v6 { 16 } else { 4 };
    // The v2 authentication trailer exists only over IPv4 (RFC 3768 is
    // IPv4-only; keepalived's v2-over-IPv6 carries none).
    let auth_len = if version == 2 && !v6 { V2_AUTH_LEN } else { 0 };
    let expected = VRRP_HEADER_LEN + addr_len + auth_len;
    if vrrp.len() != expected {
        return Err(DecodeError::LengthMismatch {
            expected,
            actual: vrrp.len(),
        });
    }
    if check_sum {
        let sum = match family {
            Family::V4 { src, dst } => {
                // `expected` is at most 8 + 1020 + 8, so it always fits the u16 field.
                let len = u16::try_from(expected).unwrap_or(u16::MAX);
                checksum::add(V4Checksum::Rfc.pseudo_sum(version, src, dst, len), vrrp)
            }
            Family::V6 { src, dst } => {
                let len = u32::try_from(expected).unwrap_or(u32::MAX);
                checksum::add(checksum::pseudo_header_v6(src, dst, VRRP_PROTO, len), vrrp)
            }
        };
        if checksum::finish(sum) != 0 {
            return Err(DecodeError::BadChecksum);
        }
    }
    let addr_end = VRRP_HEADER_LEN + addr_len;
    let addr_bytes = vrrp
        .get(VRRP_HEADER_LEN..addr_end)
        .ok_or(DecodeError::Truncated)?;
    if in_ah && version != 2 {
        return Err(DecodeError::BadAh);
    }
    let (adver_int_cs, auth) = if version == 2 && v6 {
        // No room for a password: the auth type byte is not interpreted.
        (u16::from(b5) * 100, AuthData::None)
    } else if version == 2 {
        let auth_bytes = || -> Result<[u8; V2_AUTH_LEN], DecodeError> {
            vrrp.get(addr_end..)
                .and_then(|rest| rest.first_chunk())
                .copied()
                .ok_or(DecodeError::Truncated)
        };
        let auth = match (b4, in_ah) {
            (0, false) => AuthData::None,
            (1, false) => AuthData::Pass(auth_bytes()?),
            (2, true) => AuthData::Ah(auth_bytes()?),
            (_, true) => return Err(DecodeError::BadAh),
            (other, false) => return Err(DecodeError::AuthType(other)),
        };
        (u16::from(b5) * 100, auth)
    } else {
        // v3: 4 reserved bits (ignored on receipt) + 12-bit Max Adver Int.
        (u16::from_be_bytes([b4 & 0x0f, b5]), AuthData::None)
    };
    Ok(AdvertView {
        version,
        vrid,
        priority,
        adver_int_cs,
        auth,
        addr_bytes,
        v6,
    })
}
