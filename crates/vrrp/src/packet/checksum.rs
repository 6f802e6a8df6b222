//! Internet (RFC 1071) one's-complement checksum, used for both the IPv4 header
//! and the VRRP message.

use std::net::Ipv4Addr;

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
    fn valid_buffer_folds_to_zero() {
        let mut data = vec![0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x00];
        let c = of(&data);
        data.extend_from_slice(&c.to_be_bytes());
        assert_eq!(of(&data), 0);
    }
}
