//! Internet (RFC 1071) one's-complement checksum, used for both the IPv4 header
//! and the VRRP message.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Adds `data` to a running one's-complement sum. Odd trailing bytes are padded
/// with zero, as RFC 1071 requires. The accumulator is `u64` so that even a
/// 64 KiB buffer cannot overflow before folding.
pub(crate) fn add(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        if let Some(&[hi, lo]) = pair.first_chunk::<2>() {
            acc += u64::from(u16::from_be_bytes([hi, lo]));
        }
    }
    if let Some(&last) = chunks.remainder().first() {
        acc += u64::from(u16::from_be_bytes([last, 0]));
    }
    acc
}

/// Folds the carries back in and complements: the value to put on the wire.
/// A buffer that already contains its correct checksum folds to 0.
pub(crate) fn finish(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    // `acc` now fits in 16 bits, so the conversion cannot fail.
    !u16::try_from(acc).unwrap_or(0xffff)
}

/// The IPv4 pseudo-header that VRRPv3 (RFC 5798 §5.2.8) folds into its checksum.
pub(crate) fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) -> u64 {
    let mut acc = add(0, &src.octets());
    acc = add(acc, &dst.octets());
    acc += u64::from(proto);
    acc + u64::from(len)
}

/// The IPv6 pseudo-header (RFC 8200 §8.1) that every upper-layer checksum
/// over IPv6 covers, VRRP of both versions included (RFC 5798 §5.2.8).
pub(crate) fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> u64 {
    let mut acc = add(0, &src.octets());
    acc = add(acc, &dst.octets());
    acc = add(acc, &len.to_be_bytes());
    acc + u64::from(next_header)
}

/// The checksum a VRRP message sent over IPv6 from `src` to `dst` must carry
/// (computed with its checksum field taken as zero). On a raw socket the
/// kernel fills it in (`IPV6_CHECKSUM`); this is for verification and tests.
pub fn vrrp_checksum_v6(src: Ipv6Addr, dst: Ipv6Addr, vrrp: &[u8]) -> u16 {
    let len = u32::try_from(vrrp.len()).unwrap_or(u32::MAX);
    let mut acc = pseudo_header_v6(src, dst, super::VRRP_PROTO, len);
    for (i, pair) in vrrp.chunks(2).enumerate() {
        // Skip the checksum field itself (bytes 6..8).
        if i == 3 {
            continue;
        }
        acc = add(acc, pair);
    }
    finish(acc)
}

/// Checksum of a self-contained buffer.
pub(crate) fn of(data: &[u8]) -> u16 {
    finish(add(0, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // The worked example of RFC 1071 §3: sum 0xddf2, checksum !0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(of(&data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(of(&[0x12]), !0x1200);
    }

    #[test]
    fn v6_checksum_ignores_its_own_field() {
        let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
        let dst = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
        let a = [0x31, 1, 100, 0, 0, 100, 0, 0];
        let mut b = a;
        b[6] = 0xab;
        b[7] = 0xcd;
        assert_eq!(
            vrrp_checksum_v6(src, dst, &a),
            vrrp_checksum_v6(src, dst, &b)
        );
    }

    #[test]
    fn valid_buffer_folds_to_zero() {
        let mut data = vec![0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00];
        let c = of(&data);
        data.extend_from_slice(&c.to_be_bytes());
        assert_eq!(of(&data), 0);
    }
}
