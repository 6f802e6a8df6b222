//! Encoding adverts into a reused buffer (no allocation once the `Vec` has
//! grown to its working size).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{
    checksum, AuthData, EncodeError, V4Checksum, IPV4_HEADER_LEN, V2_AUTH_LEN, VRRP_PROTO,
    VRRP_TYPE_ADVERT,
};

/// IPv4 TOS written on adverts: precedence "internetwork control", as routing
/// protocols (and keepalived) use, so that QoS does not starve elections.
const TOS_INTERNETWORK_CONTROL: u8 = 0xc0;

/// Writes a complete IPv4 datagram for use with `IP_HDRINCL`: a 20-byte header
/// (no options, DF clear, id 0, protocol 112, `ttl`, header checksum filled in)
/// followed by the VRRP advert. `buf` is cleared first.
///
/// The argument list mirrors the wire fields one to one so that the daemon
/// can encode straight from its configuration without building an [`super::Advert`].
#[allow(clippy::too_many_arguments)]
pub fn encode_ipv4<A: Copy + Into<IpAddr>>(
    buf: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    version: u8,
    vrid: u8,
    priority: u8,
    adver_int_cs: u16,
    auth: &AuthData,
    addresses: &[A],
) -> Result<(), EncodeError> {
    encode_ipv4_with(
        buf,
        V4Checksum::Rfc,
        src,
        dst,
        ttl,
        version,
        vrid,
        priority,
        adver_int_cs,
        auth,
        addresses,
    )
}

/// [`encode_ipv4`] with the VRRPv3 checksum computed as `form` (keepalived's
/// `v3_checksum_as_v2` and `old_unicast_checksum`). VRRPv2 has no
/// pseudo-header, so `form` makes no difference to a v2 advert.
#[allow(clippy::too_many_arguments)]
pub fn encode_ipv4_with<A: Copy + Into<IpAddr>>(
    buf: &mut Vec<u8>,
    form: V4Checksum,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: u8,
    version: u8,
    vrid: u8,
    priority: u8,
    adver_int_cs: u16,
    auth: &AuthData,
    addresses: &[A],
) -> Result<(), EncodeError> {
    if let AuthData::Ah(_) = auth {
        return Err(EncodeError::AhNeedsHeader);
    }
    let fields = Fields::check(version, adver_int_cs, auth, addresses, false)?;
    let tot_len = IPV4_HEADER_LEN + fields.vrrp_len(addresses.len());
    // At most 20 + 8 + 1020 + 8 bytes, always within u16.
    let tot_len =
        u16::try_from(tot_len).map_err(|_| EncodeError::TooManyAddresses(addresses.len()))?;
    buf.clear();
    buf.reserve(usize::from(tot_len));
    buf.push(0x45); // version 4, IHL 5
    buf.push(TOS_INTERNETWORK_CONTROL);
    buf.extend_from_slice(&tot_len.to_be_bytes());
    buf.extend_from_slice(&[0, 0]); // identification
    buf.extend_from_slice(&[0, 0]); // flags (DF clear) + fragment offset
    buf.push(ttl);
    buf.push(VRRP_PROTO);
    buf.extend_from_slice(&[0, 0]); // header checksum, filled below
    buf.extend_from_slice(&src.octets());
    buf.extend_from_slice(&dst.octets());
    let ip_ck = checksum::of(buf.get(..IPV4_HEADER_LEN).unwrap_or_default());
    if let Some(slot) = buf.get_mut(10..12) {
        slot.copy_from_slice(&ip_ck.to_be_bytes());
    }
    write_vrrp(
        buf,
        IPV4_HEADER_LEN,
        &fields,
        Pseudo::V4 { src, dst, form },
        vrid,
        priority,
        auth,
        addresses,
    );
    Ok(())
}

/// Writes only the VRRP message (no IP header) into `buf`, cleared first.
/// `src`/`dst` are needed for the VRRPv3 pseudo-header checksum.
#[allow(clippy::too_many_arguments)]
pub fn encode_vrrp<A: Copy + Into<IpAddr>>(
    buf: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    version: u8,
    vrid: u8,
    priority: u8,
    adver_int_cs: u16,
    auth: &AuthData,
    addresses: &[A],
) -> Result<(), EncodeError> {
    let fields = Fields::check(version, adver_int_cs, auth, addresses, false)?;
    buf.clear();
    buf.reserve(fields.vrrp_len(addresses.len()));
    write_vrrp(
        buf,
        0,
        &fields,
        Pseudo::V4 {
            src,
            dst,
            form: V4Checksum::Rfc,
        },
        vrid,
        priority,
        auth,
        addresses,
    );
    Ok(())
}

/// Writes the VRRP message for an IPv6 raw socket into `buf`, cleared first:
/// 16-byte addresses, no authentication trailer, and the checksum over the
/// IPv6 pseudo-header from `src` to `dst`. On a socket with `IPV6_CHECKSUM`
/// the kernel recomputes the checksum with the source it really uses, so a
/// wrong `src` here cannot put a bad checksum on the wire.
///
/// VRRPv2 over IPv6 is not standard; keepalived allows it without strict
/// mode, with the v2 interval byte and an auth type of 0.
#[allow(clippy::too_many_arguments)]
pub fn encode_vrrp_v6<A: Copy + Into<IpAddr>>(
    buf: &mut Vec<u8>,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    version: u8,
    vrid: u8,
    priority: u8,
    adver_int_cs: u16,
    addresses: &[A],
) -> Result<(), EncodeError> {
    let fields = Fields::check(version, adver_int_cs, &AuthData::None, addresses, true)?;
    buf.clear();
    buf.reserve(fields.vrrp_len(addresses.len()));
    write_vrrp(
        buf,
        0,
        &fields,
        Pseudo::V6 { src, dst },
        vrid,
        priority,
        &AuthData::None,
        addresses,
    );
    Ok(())
}

/// What the checksum covers besides the message.
#[derive(Clone, Copy)]
enum Pseudo {
    V4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        form: V4Checksum,
    },
    V6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
    },
}

/// Validated, version-specific header fields.
struct Fields {
    version: u8,
    /// IPv6: 16-byte addresses and no v2 auth trailer.
    v6: bool,
    naddr: u8,
    /// Bytes 4 and 5 of the VRRP header.
    b4: u8,
    b5: u8,
}

impl Fields {
    fn check<A: Copy + Into<IpAddr>>(
        version: u8,
        adver_int_cs: u16,
        auth: &AuthData,
        addresses: &[A],
        v6: bool,
    ) -> Result<Self, EncodeError> {
        let naddr = u8::try_from(addresses.len())
            .map_err(|_| EncodeError::TooManyAddresses(addresses.len()))?;
        if let Some(a) = addresses
            .iter()
            .map(|a| (*a).into())
            .find(|a| a.is_ipv6() != v6)
        {
            return Err(EncodeError::WrongFamily(a));
        }
        let (b4, b5) = match version {
            2 => {
                if adver_int_cs % 100 != 0 {
                    return Err(EncodeError::IntervalNotWholeSeconds(adver_int_cs));
                }
                let secs = u8::try_from(adver_int_cs / 100)
                    .map_err(|_| EncodeError::IntervalTooLarge(adver_int_cs))?;
                (auth.auth_type(), secs)
            }
            3 => {
                if *auth != AuthData::None {
                    return Err(EncodeError::AuthInV3);
                }
                if adver_int_cs > 0x0fff {
                    return Err(EncodeError::IntervalTooLarge(adver_int_cs));
                }
                let [hi, lo] = adver_int_cs.to_be_bytes();
                (hi, lo)
            }
            other => return Err(EncodeError::BadVersion(other)),
        };
        Ok(Fields {
            version,
            v6,
            naddr,
            b4,
            b5,
        })
    }

    fn vrrp_len(&self, naddr: usize) -> usize {
        let auth = if self.version == 2 && !self.v6 {
            V2_AUTH_LEN
        } else {
            0
        };
        let width = if self.v6 { 16 } else { 4 };
        super::VRRP_HEADER_LEN + naddr * width + auth
    }
}

/// Appends the VRRP message at `start` and fills in its checksum.
#[allow(clippy::too_many_arguments)]
fn write_vrrp<A: Copy + Into<IpAddr>>(
    buf: &mut Vec<u8>,
    start: usize,
    f: &Fields,
    pseudo: Pseudo,
    vrid: u8,
    priority: u8,
    auth: &AuthData,
    addresses: &[A],
) {
    buf.extend_from_slice(&[
        (f.version << 4) | VRRP_TYPE_ADVERT,
        vrid,
        priority,
        f.naddr,
        f.b4,
        f.b5,
        0,
        0,
    ]);
    for a in addresses {
        // `Fields::check` made sure every address is of the right family.
        match (*a).into() {
            IpAddr::V4(a) => buf.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => buf.extend_from_slice(&a.octets()),
        }
    }
    if f.version == 2 && !f.v6 {
        match auth {
            AuthData::None | AuthData::Ah(_) => buf.extend_from_slice(&[0; V2_AUTH_LEN]),
            AuthData::Pass(key) => buf.extend_from_slice(key),
        }
    }
    let msg = buf.get(start..).unwrap_or_default();
    let sum = match pseudo {
        Pseudo::V4 { src, dst, form } => {
            let len = u16::try_from(msg.len()).unwrap_or(u16::MAX);
            checksum::add(form.pseudo_sum(f.version, src, dst, len), msg)
        }
        Pseudo::V6 { src, dst } => {
            let len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
            checksum::add(checksum::pseudo_header_v6(src, dst, VRRP_PROTO, len), msg)
        }
    };
    let ck = checksum::finish(sum);
    if let Some(slot) = buf.get_mut(start + 6..start + 8) {
        slot.copy_from_slice(&ck.to_be_bytes());
    }
}
