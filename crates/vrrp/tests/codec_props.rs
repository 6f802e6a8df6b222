//! Property tests for the codec: round trips, and no panics on any input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use vrrp::packet::{decode_ipv4, decode_vrrp, decode_vrrp_v6, encode_vrrp, vrrp_checksum_v6};
use vrrp::{Advert, AuthData};

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn addr6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn v4_list() -> impl Strategy<Value = Vec<IpAddr>> {
    prop::collection::vec(addr().prop_map(IpAddr::V4), 0..=20)
}

/// Any advert the encoder must accept.
fn valid_advert() -> impl Strategy<Value = Advert> {
    let v2 = (
        any::<u8>(),
        any::<u8>(),
        0u16..=255,
        prop_oneof![
            Just(AuthData::None),
            any::<[u8; 8]>().prop_map(AuthData::Pass)
        ],
        v4_list(),
    )
        .prop_map(|(vrid, priority, secs, auth, addresses)| Advert {
            version: 2,
            vrid,
            priority,
            adver_int_cs: secs * 100,
            auth,
            addresses,
        });
    let v3 = (any::<u8>(), any::<u8>(), 0u16..=4095, v4_list()).prop_map(
        |(vrid, priority, adver_int_cs, addresses)| Advert {
            version: 3,
            vrid,
            priority,
            adver_int_cs,
            auth: AuthData::None,
            addresses,
        },
    );
    prop_oneof![v2, v3]
}

/// Any advert the IPv6 encoder must accept (v2 over IPv6 carries no auth).
fn valid_advert_v6() -> impl Strategy<Value = Advert> {
    (
        prop_oneof![Just(2u8), Just(3u8)],
        any::<u8>(),
        any::<u8>(),
        0u16..=255,
        0u16..=4095,
        prop::collection::vec(addr6().prop_map(IpAddr::V6), 0..=20),
    )
        .prop_map(|(version, vrid, priority, secs, cs, addresses)| Advert {
            version,
            vrid,
            priority,
            adver_int_cs: if version == 2 { secs * 100 } else { cs },
            auth: AuthData::None,
            addresses,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ipv6_round_trip(adv in valid_advert_v6(), src in addr6(), dst in addr6()) {
        let mut buf = Vec::new();
        prop_assert_eq!(adv.encode_vrrp_v6(&mut buf, src, dst), Ok(()));
        let ck = u16::from_be_bytes([buf[6], buf[7]]);
        prop_assert_eq!(vrrp_checksum_v6(src, dst, &buf), ck);
        let view = decode_vrrp_v6(&buf, src, dst).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(view.is_ipv6());
        prop_assert_eq!(view.to_owned(), adv);
    }

    #[test]
    fn ipv6_decode_arbitrary_bytes_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..1200),
        src in addr6(),
        dst in addr6(),
    ) {
        if let Ok(view) = decode_vrrp_v6(&bytes, src, dst) {
            prop_assert_eq!(view.addresses().count(), view.naddr());
        }
    }

    #[test]
    fn ipv4_round_trip(adv in valid_advert(), src in addr(), dst in addr(), ttl in any::<u8>()) {
        let mut buf = Vec::new();
        prop_assert_eq!(adv.encode_ipv4(&mut buf, src, dst, ttl), Ok(()));
        let (meta, view) = decode_ipv4(&buf).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!((meta.src, meta.dst, meta.ttl), (src, dst, ttl));
        prop_assert_eq!(view.naddr(), adv.addresses.len());
        prop_assert_eq!(view.to_owned(), adv);
    }

    #[test]
    fn vrrp_round_trip(adv in valid_advert(), src in addr(), dst in addr()) {
        let mut buf = Vec::new();
        prop_assert_eq!(adv.encode_vrrp(&mut buf, src, dst), Ok(()));
        let view = decode_vrrp(&buf, src, dst).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(view.to_owned(), adv);
    }

    #[test]
    fn decode_arbitrary_bytes_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..1200),
        src in addr(),
        dst in addr(),
    ) {
        let _ = decode_ipv4(&bytes);
        let _ = decode_vrrp(&bytes, src, dst);
    }

    /// Arbitrary bytes behind a plausible IPv4 header reach the deeper checks.
    #[test]
    fn decode_plausible_header_never_panics(
        ihl in 0u8..16,
        tot_len in any::<u16>(),
        tail in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut bytes = vec![0x40 | ihl, 0, 0, 0, 0, 0, 0, 0, 255, 112, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18];
        bytes[2..4].copy_from_slice(&tot_len.to_be_bytes());
        bytes.extend_from_slice(&tail);
        let _ = decode_ipv4(&bytes);
    }

    #[test]
    fn decode_mutated_packets_never_panics(
        adv in valid_advert(),
        src in addr(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        pad in 0usize..64,
    ) {
        let mut buf = Vec::new();
        prop_assert_eq!(adv.encode_ipv4(&mut buf, src, vrrp::VRRP_MCAST_V4, 255), Ok(()));
        let len = buf.len();
        for (at, x) in &edits {
            if let Some(b) = buf.get_mut(at.index(len)) {
                *b ^= x;
            }
        }
        if truncate {
            buf.truncate(cut.index(len));
        }
        buf.resize(buf.len() + pad, 0);
        match decode_ipv4(&buf) {
            // Surviving corruption must still be self-consistent.
            Ok((_, view)) => prop_assert_eq!(view.addresses().count(), view.naddr()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let vrrp_part = buf.get(20..).unwrap_or_default();
        let _ = decode_vrrp(vrrp_part, src, vrrp::VRRP_MCAST_V4);
    }

    /// A single corrupted byte in the VRRP message is always caught (the
    /// one's-complement sum detects every single-byte change).
    #[test]
    fn single_byte_corruption_detected(
        adv in valid_advert(),
        src in addr(),
        at in any::<prop::sample::Index>(),
        x in 1u8..=255,
    ) {
        let mut buf = Vec::new();
        prop_assert_eq!(encode_vrrp(&mut buf, src, vrrp::VRRP_MCAST_V4, adv.version, adv.vrid,
            adv.priority, adv.adver_int_cs, &adv.auth, &adv.addresses), Ok(()));
        let i = at.index(buf.len());
        // Bytes 0 and 3 change version/type/length and fail other checks
        // first; v2 auth bytes of type 0 are ignored but still summed.
        if let Some(b) = buf.get_mut(i) {
            *b ^= x;
        }
        let r = decode_vrrp(&buf, src, vrrp::VRRP_MCAST_V4);
        prop_assert!(r.is_err(), "{:?} at {}", r, i);
    }
}
