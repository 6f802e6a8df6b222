//! Golden tests against adverts captured from Debian's keepalived 2.2.7: our
//! AH implementation must reproduce keepalived's ICV bit for bit, and our
//! encoder must rebuild each captured datagram byte for byte when given the
//! two per-packet counters (IPv4 identification, AH sequence) it carried.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;

use vrrp::packet::ah::{self, AhError, AhState, AH_LEN};
use vrrp::packet::{decode_ipv4, encode_ipv4, DecodeError};
use vrrp::AuthData;

const AH_FIXTURES: &str = include_str!("fixtures/keepalived_ah.txt");
const PASS_FIXTURES: &str = include_str!("fixtures/keepalived_pass.txt");

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// (password as configured → 8-byte key, datagram).
fn ah_fixtures() -> Vec<([u8; 8], Vec<u8>)> {
    let v: Vec<_> = lines(AH_FIXTURES)
        .map(|l| {
            let (pw, hex) = l.split_once(' ').expect("password and hex");
            let AuthData::Pass(key) = AuthData::pass_from_str(pw) else {
                unreachable!("pass_from_str builds Pass")
            };
            (key, unhex(hex))
        })
        .collect();
    assert!(v.len() >= 30, "fixture file lost packets: {}", v.len());
    v
}

fn ipv4_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = h
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Sets a header byte and repairs the IPv4 header checksum, so that only the
/// AH checks can object.
fn patch(d: &[u8], at: usize, val: u8) -> Vec<u8> {
    let mut d = d.to_vec();
    d[at] = val;
    d[10] = 0;
    d[11] = 0;
    let ck = ipv4_checksum(&d[..20]);
    d[10..12].copy_from_slice(&ck.to_be_bytes());
    d
}

#[test]
fn keepalived_ah_adverts_decode_verify_and_reencode_byte_equal() {
    for (n, (key, pkt)) in ah_fixtures().iter().enumerate() {
        let ctx = format!("fixture {n}");
        let (meta, view) = decode_ipv4(pkt).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(view.version, 2, "{ctx}");
        assert_eq!(
            view.auth,
            AuthData::Ah([0; 8]),
            "{ctx}: auth type 2, zero bytes"
        );
        let hdr = ah::verify(pkt, key).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(hdr.spi, u32::from(meta.src), "{ctx}: SPI is the source");
        // The ICV we compute is keepalived's.
        let icv = ah::compute_icv(pkt, 20, key).expect("icv");
        assert_eq!(icv, pkt[32..44], "{ctx}: ICV");

        // Rebuild from the decoded fields plus the two counters.
        let ip_id = u16::from_be_bytes([pkt[4], pkt[5]]);
        let addrs: Vec<std::net::IpAddr> = view.addresses().collect();
        let mut buf = Vec::new();
        ah::encode_ipv4_ah(
            &mut buf,
            meta.src,
            meta.dst,
            meta.ttl,
            ip_id,
            hdr.seq,
            view.vrid,
            view.priority,
            view.adver_int_cs,
            key,
            &addrs,
        )
        .expect("encode");
        assert_eq!(buf, *pkt, "{ctx}: byte-equal re-encoding");
    }
}

#[test]
fn icv_covers_ttl_and_identification_but_not_tos_flags_or_checksum() {
    let (key, pkt) = ah_fixtures().into_iter().next().expect("one fixture");
    // Zeroed before the HMAC: TOS, flags/fragment offset, checksum.
    assert!(ah::verify(&patch(&pkt, 1, 0x00), &key).is_ok(), "TOS");
    assert!(ah::verify(&patch(&pkt, 6, 0x40), &key).is_ok(), "DF flag");
    // Covered as sent: TTL, identification, and of course the payload.
    assert_eq!(ah::verify(&patch(&pkt, 8, 64), &key), Err(AhError::BadIcv));
    assert_eq!(
        ah::verify(&patch(&pkt, 5, 0x77), &key),
        Err(AhError::BadIcv)
    );
    let mut prio = pkt.clone();
    prio[20 + AH_LEN + 2] ^= 1;
    assert_eq!(ah::verify(&prio, &key), Err(AhError::BadIcv));
    // Wrong password.
    assert_eq!(ah::verify(&pkt, b"s3creT\0\0"), Err(AhError::BadIcv));
    // SPI other than the source address.
    let mut spi = pkt.clone();
    spi[24] ^= 0xff;
    assert!(matches!(
        ah::verify(&spi, &key),
        Err(AhError::BadSpi { .. })
    ));
}

#[test]
fn password_is_truncated_to_eight_bytes() {
    let (_, pkt) = ah_fixtures()
        .into_iter()
        .find(|(k, _)| k == b"averylon")
        .expect("long-password fixture");
    assert!(ah::verify(&pkt, b"averylon").is_ok());
    assert_eq!(ah::verify(&pkt, b"averylo\0"), Err(AhError::BadIcv));
}

/// The sequence rules, replayed on what keepalived did on the wire.
#[test]
fn sequence_counter_follows_keepalived() {
    let fx = ah_fixtures();
    let seq_of = |p: &[u8]| u32::from_be_bytes([p[28], p[29], p[30], p[31]]);
    let find = |src: [u8; 4], seq: u32| {
        fx.iter()
            .find(|(_, p)| p[12..16] == src && seq_of(p) == seq)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("no fixture {src:?} seq {seq}"))
    };
    // Node .10 started while .11 was master at seq 6: it adopted 6, and its
    // first advert (its own IP id 1) carried 7.
    let mut a = AhState::new();
    for s in 1..=6 {
        a.accept(s).expect("increasing");
    }
    let (id, seq) = a.next_tx();
    let p = find([192, 0, 2, 10], 7);
    assert_eq!((id, seq), (u16::from_be_bytes([p[4], p[5]]), seq_of(&p)));
    assert_eq!(id, 1);

    // .11 heard 7 from .10 and, after .10 was killed, went on with 8.
    let mut b = AhState::new();
    for _ in 0..6 {
        b.next_tx();
    }
    b.accept(7).expect("newer");
    assert_eq!(b.next_tx(), (7, 8));
    find([192, 0, 2, 11], 8);

    // A master at 3 that answers a lower-priority advert carrying 1000 sends
    // 1002 (adopt, bump, send).
    let mut m = AhState::new();
    for _ in 0..3 {
        m.next_tx();
    }
    m.accept(1000).expect("newer");
    m.sync_bump();
    assert_eq!(m.next_tx(), (4, 1002));
    find([192, 0, 2, 10], 1002);

    // Anti-replay: equal or older numbers are refused and change nothing.
    assert_eq!(
        m.accept(1002),
        Err(AhError::Replayed {
            seq: 1002,
            local: 1002
        })
    );
    assert!(m.accept(5).is_err());
    assert_eq!(m.seq(), 1002);
    m.accept(1003).expect("newer");
}

#[test]
fn ah_structure_errors() {
    let (_, pkt) = ah_fixtures().into_iter().next().expect("one fixture");
    // Next header other than VRRP.
    let mut nh = pkt.clone();
    nh[20] = 6;
    assert_eq!(decode_ipv4(&nh), Err(DecodeError::BadAh));
    // VRRP auth type 1 behind an AH header.
    let mut t1 = pkt.clone();
    t1[20 + AH_LEN + 4] = 1;
    t1[20 + AH_LEN + 6] = t1[20 + AH_LEN + 6].wrapping_add(1);
    assert_eq!(decode_ipv4(&t1), Err(DecodeError::BadAh));
    // Cut inside the AH header (total length kept consistent).
    let mut short = pkt[..36].to_vec();
    short[3] = 36;
    let short = patch(&short, 0, 0x45);
    assert_eq!(decode_ipv4(&short), Err(DecodeError::Truncated));
    // Plain encoder refuses AH: it needs the sequence state.
    let mut buf = Vec::new();
    assert!(encode_ipv4(
        &mut buf,
        Ipv4Addr::new(192, 0, 2, 10),
        Ipv4Addr::new(224, 0, 0, 18),
        255,
        2,
        1,
        100,
        100,
        &AuthData::Ah(*b"s3cret\0\0"),
        &[Ipv4Addr::new(192, 0, 2, 100)],
    )
    .is_err());
}

/// keepalived's PASS adverts: ours are byte-equal except the IPv4
/// identification, which keepalived counts up per advert and we leave at 0
/// (so the IP header checksum differs too); patched, they are identical.
#[test]
fn keepalived_pass_adverts_reencode_byte_equal() {
    let mut n = 0;
    for hex in lines(PASS_FIXTURES) {
        let pkt = unhex(hex);
        let (meta, view) = decode_ipv4(&pkt).expect("decode");
        assert_eq!(view.auth, AuthData::pass_from_str("s3cret"));
        let mut adv = view.to_owned();
        adv.addresses = view.addresses().collect();
        let mut buf = Vec::new();
        adv.encode_ipv4(&mut buf, meta.src, meta.dst, meta.ttl)
            .expect("encode");
        assert_eq!(buf[20..], pkt[20..], "VRRP message byte-equal");
        let ours = patch(&patch(&buf, 4, pkt[4]), 5, pkt[5]);
        assert_eq!(ours, pkt, "whole datagram with keepalived's IP id");
        n += 1;
    }
    assert!(n >= 3);
}
