//! Fuzz the packet decoder: arbitrary bytes must never panic, and whatever decodes
//! must re-encode to a packet that decodes to the same advert.
//!
//! Run: `cd crates/vrrp && RUSTC_BOOTSTRAP=1 cargo fuzz run decode`
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((meta, view)) = vrrp::packet::decode_ipv4(data) {
        let advert = view.to_owned();
        let mut buf = Vec::new();
        if advert.encode_ipv4(&mut buf, meta.src, meta.dst, meta.ttl).is_ok() {
            match vrrp::packet::decode_ipv4(&buf) {
                Ok((_, again)) => assert_eq!(again.to_owned(), advert),
                Err(e) => panic!("re-encoded advert does not decode: {e}"),
            }
        }
    }
    // The VRRP-only decoder with a fixed pseudo-header.
    let _ = vrrp::packet::decode_vrrp(
        data,
        std::net::Ipv4Addr::new(192, 0, 2, 1),
        std::net::Ipv4Addr::new(224, 0, 0, 18),
    );
    // The receive path's decoder (checksum checked later per instance).
    let _ = vrrp::packet::decode_ipv4_deferred(data);
    // The IPv6 message decoder (the kernel strips the IPv6 header).
    let _ = vrrp::packet::decode_vrrp_v6(
        data,
        "fe80::1".parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST),
        "ff02::12".parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST),
    );
});
