//! Codec unit tests: hand-checked byte vectors (checksums computed
//! independently, outside this crate) and one input per error variant.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;

const SRC: Ipv4Addr = Ipv4Addr::new(10, 1, 1, 1);

/// VRRPv2, vrid 51, prio 100, 1 address, no auth, 1 s.
/// Checksum 0xb823 computed by an independent RFC 1071 implementation.
const V2_NOAUTH: [u8; 20] = [
    0x21, 51, 100, 1, 0, 1, 0xb8, 0x23, 192, 168, 1, 254, 0, 0, 0, 0, 0, 0, 0, 0,
];

/// VRRPv2, vrid 51, prio 100, 2 addresses, PASS "secret", 3 s. Checksum 0x2978.
const V2_PASS: [u8; 24] = [
    0x21, 51, 100, 2, 1, 3, 0x29, 0x78, 10, 0, 0, 1, 10, 0, 0, 2, b's', b'e', b'c', b'r', b'e',
    b't', 0, 0,
];

/// VRRPv3, vrid 7, prio 200, 2 addresses, 100 cs, from 10.1.1.1 to
/// 224.0.0.18. Checksum over the pseudo-header: 0x04e6.
const V3: [u8; 16] = [
    0x31, 7, 200, 2, 0x00, 100, 0x04, 0xe6, 10, 1, 1, 10, 10, 1, 1, 11,
];

/// The IPv4 header that goes in front of [`V3`] with TTL 255 (checksum 0xcf95).
const V3_IP_HEADER: [u8; 20] = [
    0x45, 0xc0, 0, 36, 0, 0, 0, 0, 255, 112, 0xcf, 0x95, 10, 1, 1, 1, 224, 0, 0, 18,
];

fn v3_datagram() -> Vec<u8> {
    let mut d = V3_IP_HEADER.to_vec();
    d.extend_from_slice(&V3);
    d
}

/// Rewrites the IPv4 header checksum after a test edited the header.
fn fix_ip_checksum(d: &mut [u8]) {
    let ihl = usize::from(d.first().copied().unwrap_or(0x45) & 0x0f) * 4;
    if let Some(ck) = d.get_mut(10..12) {
        ck.copy_from_slice(&[0, 0]);
    }
    let c = checksum::of(d.get(..ihl).unwrap_or_default());
    if let Some(ck) = d.get_mut(10..12) {
        ck.copy_from_slice(&c.to_be_bytes());
    }
}

#[test]
fn decode_v2_no_auth() -> Result<(), DecodeError> {
    let v = decode_vrrp(&V2_NOAUTH, SRC, VRRP_MCAST_V4)?;
    assert_eq!(v.version, 2);
    assert_eq!(v.vrid, 51);
    assert_eq!(v.priority, 100);
    assert_eq!(v.adver_int_cs, 100);
    assert_eq!(v.auth, AuthData::None);
    assert_eq!(v.naddr(), 1);
    assert_eq!(
        v.addresses().collect::<Vec<_>>(),
        vec![IpAddr::from(Ipv4Addr::new(192, 168, 1, 254))]
    );
    Ok(())
}

#[test]
fn decode_v2_pass() -> Result<(), DecodeError> {
    // v2 checksum ignores the addresses of the IP header.
    let v = decode_vrrp(&V2_PASS, Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST)?;
    assert_eq!(v.auth, AuthData::pass_from_str("secret"));
    assert_eq!(v.adver_int_cs, 300);
    assert_eq!(v.naddr(), 2);
    Ok(())
}

#[test]
fn v2_type0_ignores_auth_bytes() -> Result<(), DecodeError> {
    // Auth type 0 with garbage in the auth data: still AuthData::None, as long
    // as the checksum covers the garbage.
    let mut p = V2_NOAUTH;
    p[12] = 0xaa;
    p[6] = 0;
    p[7] = 0;
    let c = checksum::of(&p);
    p[6..8].copy_from_slice(&c.to_be_bytes());
    assert_eq!(decode_vrrp(&p, SRC, SRC)?.auth, AuthData::None);
    Ok(())
}

#[test]
fn decode_v3_and_datagram() -> Result<(), DecodeError> {
    let v = decode_vrrp(&V3, SRC, VRRP_MCAST_V4)?;
    assert_eq!(
        (v.version, v.vrid, v.priority, v.adver_int_cs),
        (3, 7, 200, 100)
    );
    assert_eq!(v.auth, AuthData::None);
    let d = v3_datagram();
    let (meta, view) = decode_ipv4(&d)?;
    assert_eq!(
        meta,
        Ipv4Meta {
            src: SRC,
            dst: VRRP_MCAST_V4,
            ttl: 255
        }
    );
    assert_eq!(view, v);
    Ok(())
}

#[test]
fn v3_reserved_bits_ignored() -> Result<(), DecodeError> {
    let mut p = V3;
    p[4] |= 0xf0;
    // Reserved bits are summed like any other: compensate in the checksum.
    let ck = u16::from_be_bytes([p[6], p[7]]);
    let fixed = checksum::finish(u64::from(!ck) + 0xf000);
    p[6..8].copy_from_slice(&fixed.to_be_bytes());
    assert_eq!(decode_vrrp(&p, SRC, VRRP_MCAST_V4)?.adver_int_cs, 100);
    Ok(())
}

#[test]
fn v3_checksum_depends_on_pseudo_header() {
    assert_eq!(
        decode_vrrp(&V3, Ipv4Addr::new(10, 1, 1, 2), VRRP_MCAST_V4),
        Err(DecodeError::BadChecksum)
    );
}

#[test]
fn encode_matches_vectors() -> Result<(), EncodeError> {
    let mut buf = Vec::new();
    encode_vrrp(
        &mut buf,
        SRC,
        VRRP_MCAST_V4,
        2,
        51,
        100,
        100,
        &AuthData::None,
        &[Ipv4Addr::new(192, 168, 1, 254)],
    )?;
    assert_eq!(buf, V2_NOAUTH);
    let addrs = [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)];
    encode_vrrp(
        &mut buf,
        SRC,
        VRRP_MCAST_V4,
        2,
        51,
        100,
        300,
        &AuthData::pass_from_str("secret"),
        &addrs,
    )?;
    assert_eq!(buf, V2_PASS);
    let v3 = Advert {
        version: 3,
        vrid: 7,
        priority: 200,
        adver_int_cs: 100,
        auth: AuthData::None,
        addresses: vec![
            Ipv4Addr::new(10, 1, 1, 10).into(),
            Ipv4Addr::new(10, 1, 1, 11).into(),
        ],
    };
    v3.encode_vrrp(&mut buf, SRC, VRRP_MCAST_V4)?;
    assert_eq!(buf, V3);
    v3.encode_ipv4(&mut buf, SRC, VRRP_MCAST_V4, 255)?;
    assert_eq!(buf, v3_datagram());
    Ok(())
}

#[test]
fn trailing_ethernet_padding_is_tolerated() -> Result<(), DecodeError> {
    let mut d = v3_datagram();
    d.resize(46, 0);
    let (_, v) = decode_ipv4(&d)?;
    assert_eq!(v.naddr(), 2);
    Ok(())
}

#[test]
fn ip_options_are_skipped() -> Result<(), DecodeError> {
    // IHL 6: one word of options (router alert, RFC 2113).
    let mut d = V3_IP_HEADER.to_vec();
    d[0] = 0x46;
    d[3] = 40;
    d.extend_from_slice(&[0x94, 0x04, 0x00, 0x00]);
    d.extend_from_slice(&V3);
    fix_ip_checksum(&mut d);
    let (meta, v) = decode_ipv4(&d)?;
    assert_eq!(meta.src, SRC);
    assert_eq!(v.vrid, 7);
    Ok(())
}

#[test]
fn every_decode_error_is_reachable() {
    use DecodeError as E;
    let ok = v3_datagram();
    let edit = |f: &dyn Fn(&mut Vec<u8>), fix: bool| {
        let mut d = ok.clone();
        f(&mut d);
        if fix {
            fix_ip_checksum(&mut d);
        }
        decode_ipv4(&d).map(|_| ())
    };
    assert_eq!(decode_ipv4(&ok[..19]), Err(E::Truncated));
    assert_eq!(edit(&|d| d[0] = 0x65, false), Err(E::NotIpv4(6)));
    assert_eq!(edit(&|d| d[0] = 0x44, false), Err(E::BadIhl(4)));
    // IHL 15 = 60 bytes of header, more than the 36 received.
    assert_eq!(edit(&|d| d[0] = 0x4f, false), Err(E::Truncated));
    assert_eq!(
        edit(&|d| d[3] = 37, true),
        Err(E::BadTotalLength {
            tot_len: 37,
            ihl_bytes: 20,
            buf_len: 36
        })
    );
    assert_eq!(
        edit(&|d| d[3] = 19, true),
        Err(E::BadTotalLength {
            tot_len: 19,
            ihl_bytes: 20,
            buf_len: 36
        })
    );
    assert_eq!(edit(&|d| d[8] = 1, false), Err(E::BadIpChecksum));
    assert_eq!(edit(&|d| d[9] = 50, true), Err(E::NotVrrpProtocol(50)));
    // Header only, no VRRP header.
    assert_eq!(
        edit(
            &|d| {
                d[3] = 20;
                d.truncate(20)
            },
            true
        ),
        Err(E::Truncated)
    );
    assert_eq!(
        edit(
            &|d| {
                d[3] = 32;
                d.truncate(32)
            },
            true
        ),
        Err(E::LengthMismatch {
            expected: 16,
            actual: 12
        })
    );
    assert_eq!(edit(&|d| d[20] = 0x41, false), Err(E::BadVersion(4)));
    assert_eq!(edit(&|d| d[20] = 0x32, false), Err(E::BadType(2)));
    assert_eq!(edit(&|d| d[22] = 201, false), Err(E::BadChecksum));

    let mut p = V2_NOAUTH;
    p[4] = 2;
    p[6..8].copy_from_slice(&[0, 0]);
    let c = checksum::of(&p);
    p[6..8].copy_from_slice(&c.to_be_bytes());
    assert_eq!(decode_vrrp(&p, SRC, SRC), Err(E::AuthType(2)));
    // v2 without its auth trailer.
    assert_eq!(
        decode_vrrp(&V2_NOAUTH[..12], SRC, SRC),
        Err(E::LengthMismatch {
            expected: 20,
            actual: 12
        })
    );
    assert_eq!(decode_vrrp(&[], SRC, SRC), Err(E::Truncated));
}

#[test]
fn every_encode_error_is_reachable() {
    use EncodeError as E;
    let mut buf = Vec::new();
    let none = AuthData::None;
    let enc = |buf: &mut Vec<u8>, v, int, auth: &AuthData, addrs: &[Ipv4Addr]| {
        encode_vrrp(buf, SRC, VRRP_MCAST_V4, v, 1, 100, int, auth, addrs)
    };
    assert_eq!(enc(&mut buf, 4, 100, &none, &[]), Err(E::BadVersion(4)));
    assert_eq!(
        enc(&mut buf, 2, 150, &none, &[]),
        Err(E::IntervalNotWholeSeconds(150))
    );
    assert_eq!(
        enc(&mut buf, 2, 25600, &none, &[]),
        Err(E::IntervalTooLarge(25600))
    );
    assert_eq!(
        enc(&mut buf, 3, 4096, &none, &[]),
        Err(E::IntervalTooLarge(4096))
    );
    let pass = AuthData::pass_from_str("x");
    assert_eq!(enc(&mut buf, 3, 100, &pass, &[]), Err(E::AuthInV3));
    let many = vec![SRC; 256];
    assert_eq!(
        enc(&mut buf, 3, 100, &none, &many),
        Err(E::TooManyAddresses(256))
    );
    assert_eq!(
        encode_ipv4(&mut buf, SRC, SRC, 255, 3, 1, 1, 100, &none, &many),
        Err(E::TooManyAddresses(256))
    );
    // The maximum fits.
    assert_eq!(enc(&mut buf, 3, 4095, &none, &many[..255]), Ok(()));
    assert_eq!(buf.len(), 8 + 255 * 4);
}

#[test]
fn auth_ct_eq() {
    let a = AuthData::pass_from_str("password-too-long");
    assert_eq!(a, AuthData::Pass(*b"password"));
    assert!(a.ct_eq(&AuthData::pass_from_str("password")));
    assert!(!a.ct_eq(&AuthData::pass_from_str("passwore")));
    assert!(!a.ct_eq(&AuthData::None));
    assert!(AuthData::None.ct_eq(&AuthData::None));
}

const SRC6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const VIP6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100);

/// VRRPv3 over IPv6, vrid 1, prio 100, 1 s, one address 2001:db8::100, from
/// fe80::1 to ff02::12. Checksum over the IPv6 pseudo-header 0x3dc1,
/// computed by an independent implementation.
const V3_V6: [u8; 24] = [
    0x31, 1, 100, 1, 0x00, 100, 0x3d, 0xc1, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x01, 0x00,
];

#[test]
fn decode_v3_over_ipv6() -> Result<(), DecodeError> {
    let v = decode_vrrp_v6(&V3_V6, SRC6, VRRP_MCAST_V6)?;
    assert_eq!(
        (v.version, v.vrid, v.priority, v.adver_int_cs),
        (3, 1, 100, 100)
    );
    assert!(v.is_ipv6());
    assert_eq!(v.naddr(), 1);
    assert_eq!(v.addresses().collect::<Vec<_>>(), vec![IpAddr::V6(VIP6)]);
    assert!(v.contains(VIP6.into()));
    assert!(!v.contains(Ipv4Addr::new(32, 1, 13, 184).into()));
    Ok(())
}

#[test]
fn encode_v3_over_ipv6_matches_vector() -> Result<(), EncodeError> {
    let mut buf = Vec::new();
    encode_vrrp_v6(&mut buf, SRC6, VRRP_MCAST_V6, 3, 1, 100, 100, &[VIP6])?;
    assert_eq!(buf, V3_V6);
    assert_eq!(vrrp_checksum_v6(SRC6, VRRP_MCAST_V6, &buf), 0x3dc1);
    Ok(())
}

#[test]
fn ipv6_checksum_covers_the_pseudo_header() {
    let other = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);
    assert_eq!(
        decode_vrrp_v6(&V3_V6, other, VRRP_MCAST_V6),
        Err(DecodeError::BadChecksum)
    );
    assert_eq!(
        decode_vrrp_v6(&V3_V6, SRC6, SRC6),
        Err(DecodeError::BadChecksum)
    );
}

#[test]
fn ipv6_lengths_use_16_byte_addresses() {
    // The IPv4 decoder reads 24 bytes as v3 with one 4-byte address: wrong.
    assert_eq!(
        decode_vrrp(&V3_V6, SRC, VRRP_MCAST_V4),
        Err(DecodeError::LengthMismatch {
            expected: 12,
            actual: 24
        })
    );
    assert_eq!(
        decode_vrrp_v6(&V3_V6[..20], SRC6, VRRP_MCAST_V6),
        Err(DecodeError::LengthMismatch {
            expected: 24,
            actual: 20
        })
    );
}

#[test]
fn v2_over_ipv6_has_no_auth_trailer() -> Result<(), Box<dyn std::error::Error>> {
    let mut buf = Vec::new();
    encode_vrrp_v6(&mut buf, SRC6, VRRP_MCAST_V6, 2, 9, 50, 300, &[VIP6])?;
    assert_eq!(buf.len(), 8 + 16);
    assert_eq!(buf.get(..6), Some(&[0x21, 9, 50, 1, 0, 3][..]));
    let v = decode_vrrp_v6(&buf, SRC6, VRRP_MCAST_V6)?;
    assert_eq!(
        (v.version, v.adver_int_cs, v.auth),
        (2, 300, AuthData::None)
    );
    Ok(())
}

#[test]
fn encoders_refuse_the_other_family() {
    let mut buf = Vec::new();
    let none = AuthData::None;
    assert_eq!(
        encode_vrrp(
            &mut buf,
            SRC,
            VRRP_MCAST_V4,
            3,
            1,
            100,
            100,
            &none,
            &[IpAddr::V6(VIP6)]
        ),
        Err(EncodeError::WrongFamily(IpAddr::V6(VIP6)))
    );
    let v4: IpAddr = Ipv4Addr::new(192, 0, 2, 1).into();
    assert_eq!(
        encode_vrrp_v6(&mut buf, SRC6, VRRP_MCAST_V6, 3, 1, 100, 100, &[v4]),
        Err(EncodeError::WrongFamily(v4))
    );
    // The 255-address maximum fits over IPv6 too.
    let many = vec![VIP6; 256];
    assert_eq!(
        encode_vrrp_v6(&mut buf, SRC6, VRRP_MCAST_V6, 3, 1, 100, 100, &many),
        Err(EncodeError::TooManyAddresses(256))
    );
    assert_eq!(
        encode_vrrp_v6(&mut buf, SRC6, VRRP_MCAST_V6, 3, 1, 100, 4095, &many[..255]),
        Ok(())
    );
    assert_eq!(buf.len(), 8 + 255 * 16);
}
