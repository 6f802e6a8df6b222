//! The non-RFC ways keepalived computes the checksum of a VRRPv3 message
//! over IPv4, and the per-instance rule for which ones to send and accept.
//!
//! RFC 5798 §5.2.8 makes the VRRPv3 checksum cover an IPv4 pseudo-header
//! (source, destination, protocol, length). keepalived has two deviations,
//! both needed to interoperate with installed peers:
//!
//! * `v3_checksum_as_v2` (2.2.8+): no pseudo-header at all, as in VRRPv2.
//!   For peers that predate VRRPv3's pseudo-header (e.g. some routers).
//! * `old_unicast_checksum`: keepalived before 2.2.0 computed the pseudo-header
//!   of unicast adverts with the IPv4 VRRP multicast group
//!   (`vrrp_mcast_group4`, default 224.0.0.18) as destination instead of the
//!   peer the advert is really sent to. Observed on the wire with keepalived
//!   2.2.7: a unicast advert 192.0.2.10 → 192.0.2.11 carries the checksum of
//!   the pseudo-header 192.0.2.10 → 224.0.0.18 (and → 224.0.0.30 with
//!   `vrrp_mcast_group4 224.0.0.30`; `mcast_dst_ip` is ignored in unicast
//!   mode). For multicast adverts the two forms coincide, which is why the
//!   bug went unnoticed.
//!
//! VRRPv2 never covers a pseudo-header, so every form is the same for v2.

use std::net::Ipv4Addr;

use super::{checksum, VRRP_PROTO};

/// How the checksum of a VRRPv3 message over IPv4 is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum V4Checksum {
    /// RFC 5798: pseudo-header with the datagram's own source and destination.
    #[default]
    Rfc,
    /// `v3_checksum_as_v2`: the message alone, as VRRPv2 does.
    NoPseudoHeader,
    /// `old_unicast_checksum`: pseudo-header with `group` (keepalived's
    /// `vrrp_mcast_group4`) as destination, whatever the real one is.
    OldUnicast { group: Ipv4Addr },
}

impl V4Checksum {
    /// The one's-complement sum the message's own sum is added to, for a
    /// message of `version` and `len` bytes from `src` to `dst`.
    pub(crate) fn pseudo_sum(self, version: u8, src: Ipv4Addr, dst: Ipv4Addr, len: u16) -> u64 {
        if version != 3 {
            return 0;
        }
        match self {
            V4Checksum::Rfc => checksum::pseudo_header_v4(src, dst, VRRP_PROTO, len),
            V4Checksum::NoPseudoHeader => 0,
            V4Checksum::OldUnicast { group } => {
                checksum::pseudo_header_v4(src, group, VRRP_PROTO, len)
            }
        }
    }
}

/// A received VRRP-over-IPv4 message's checksum, kept so that it can be
/// checked once the receiving instance (and with it the acceptable forms)
/// is known: the decoder only knows the VRID.
///
/// The message's sum (checksum field included) is computed once; checking a
/// form only adds a 12-byte pseudo-header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeferredChecksum {
    version: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    len: u16,
    /// Unfolded sum of the whole VRRP message.
    body: u64,
}

impl DeferredChecksum {
    pub(crate) fn new(version: u8, src: Ipv4Addr, dst: Ipv4Addr, vrrp: &[u8]) -> Self {
        DeferredChecksum {
            version,
            src,
            dst,
            // The decoder checked the length: at most 8 + 1020 + 8 bytes.
            len: u16::try_from(vrrp.len()).unwrap_or(u16::MAX),
            body: checksum::add(0, vrrp),
        }
    }

    /// Whether the message carries the checksum computed as `form`.
    pub fn verifies(&self, form: V4Checksum) -> bool {
        let ph = form.pseudo_sum(self.version, self.src, self.dst, self.len);
        checksum::finish(self.body + ph) == 0
    }
}

/// An instance's checksum rule for VRRPv3 over IPv4 (a [`crate::Tuning`]
/// knob). IPv6 checksums are the kernel's business (`IPV6_CHECKSUM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChecksumPolicy {
    /// Send and accept the RFC form only: multicast instances, and unicast
    /// ones with `old_unicast_checksum never`.
    #[default]
    Rfc,
    /// `v3_checksum_as_v2`: send and accept the form without pseudo-header only.
    AsV2,
    /// `old_unicast_checksum`: send and accept only the old unicast form.
    /// keepalived 2.2.7 with the keyword rejects RFC-form adverts
    /// ("Invalid VRRPv3 checksum").
    OldUnicast { group: Ipv4Addr },
    /// Unicast without the keyword: send the RFC form; accept the RFC form
    /// until the first old-form advert, then only the old form. This is what
    /// keepalived 2.2.7 does ("Setting unicast VRRPv3 checksum to old
    /// version"): the switch is one-way and changes only what it accepts,
    /// its own adverts keep the RFC checksum.
    DetectOldUnicast { group: Ipv4Addr },
}

/// What [`ChecksumState::check`] decided about a received advert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumVerdict {
    Accept,
    /// Accepted, and the instance has now switched to accepting only the old
    /// unicast form (log it, as keepalived does).
    AcceptSwitchedToOld,
    Reject,
}

/// A [`ChecksumPolicy`] with the detection state of
/// [`ChecksumPolicy::DetectOldUnicast`]; one per instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChecksumState {
    policy: ChecksumPolicy,
    old_detected: bool,
}

impl ChecksumState {
    pub fn new(policy: ChecksumPolicy) -> Self {
        ChecksumState {
            policy,
            old_detected: false,
        }
    }

    /// The form of the checksum our adverts carry.
    pub fn send_form(&self) -> V4Checksum {
        self.policy.send_form()
    }

    /// Whether an old-form advert has switched a detecting instance.
    pub fn old_detected(&self) -> bool {
        self.old_detected
    }

    /// Checks a received advert's checksum against the policy, updating the
    /// detection state.
    pub fn check(&mut self, rx: &DeferredChecksum) -> ChecksumVerdict {
        let ok = |form| {
            if rx.verifies(form) {
                ChecksumVerdict::Accept
            } else {
                ChecksumVerdict::Reject
            }
        };
        match self.policy {
            ChecksumPolicy::Rfc => ok(V4Checksum::Rfc),
            ChecksumPolicy::AsV2 => ok(V4Checksum::NoPseudoHeader),
            ChecksumPolicy::OldUnicast { group } => ok(V4Checksum::OldUnicast { group }),
            ChecksumPolicy::DetectOldUnicast { group } => {
                let old = V4Checksum::OldUnicast { group };
                if self.old_detected {
                    ok(old)
                } else if rx.verifies(V4Checksum::Rfc) {
                    ChecksumVerdict::Accept
                } else if rx.verifies(old) {
                    self.old_detected = true;
                    ChecksumVerdict::AcceptSwitchedToOld
                } else {
                    ChecksumVerdict::Reject
                }
            }
        }
    }
}

impl ChecksumPolicy {
    /// The form of the checksum adverts sent under this policy carry.
    pub fn send_form(&self) -> V4Checksum {
        match *self {
            ChecksumPolicy::Rfc | ChecksumPolicy::DetectOldUnicast { .. } => V4Checksum::Rfc,
            ChecksumPolicy::AsV2 => V4Checksum::NoPseudoHeader,
            ChecksumPolicy::OldUnicast { group } => V4Checksum::OldUnicast { group },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{
        decode_ipv4, decode_ipv4_deferred, encode_ipv4_with, AuthData, DecodeError,
    };

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
    const PEER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
    const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
    const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

    /// A unicast VRRPv3 advert as keepalived 2.2.7 with `old_unicast_checksum`
    /// sent it (captured in a netns lab): 192.0.2.10 → 192.0.2.11, VRID 51,
    /// priority 100, 1 s, VIP 192.0.2.100, checksum 0x0569.
    const KEEPALIVED_OLD: [u8; 32] = [
        0x45, 0xc0, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x36, 0x97, 0xc0, 0x00, 0x02,
        0x0a, 0xc0, 0x00, 0x02, 0x0b, // IPv4 header
        0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x05, 0x69, // VRRP header
        0xc0, 0x00, 0x02, 0x64, // VIP
    ];

    // Hand computation for this message (checksum field zero):
    //   message words 3133 + 6401 + 0064 + 0000 + c000 + 0264 = 0x157fc
    //   RFC pseudo-header c000+020a (src) + c000+020b (dst) + 0070 + 000c = 0x18491
    //   old pseudo-header c000+020a (src) + e000+0012 (group) + 0070 + 000c = 0x1a298
    //   no pseudo-header: 0x157fc          -> fold 0x57fd -> !: 0xa802
    //   RFC: 0x157fc + 0x18491 = 0x2dc8d   -> fold 0xdc8f -> !: 0x2370
    //   old: 0x157fc + 0x1a298 = 0x2fa94   -> fold 0xfa96 -> !: 0x0569
    const HAND_NO_PSEUDO: u16 = 0xa802;
    const HAND_RFC: u16 = 0x2370;
    const HAND_OLD: u16 = 0x0569;

    fn encode(form: V4Checksum, version: u8) -> Vec<u8> {
        let mut buf = Vec::new();
        encode_ipv4_with(
            &mut buf,
            form,
            SRC,
            PEER,
            255,
            version,
            51,
            100,
            100,
            &AuthData::None,
            &[VIP],
        )
        .expect("encodes");
        buf
    }

    fn cks(buf: &[u8]) -> u16 {
        u16::from_be_bytes([buf[26], buf[27]])
    }

    #[test]
    fn encodes_each_form_with_the_hand_computed_checksum() {
        assert_eq!(cks(&encode(V4Checksum::Rfc, 3)), HAND_RFC);
        assert_eq!(cks(&encode(V4Checksum::NoPseudoHeader, 3)), HAND_NO_PSEUDO);
        assert_eq!(
            cks(&encode(V4Checksum::OldUnicast { group: GROUP }, 3)),
            HAND_OLD
        );
    }

    #[test]
    fn old_form_reproduces_keepalived_byte_for_byte() {
        // keepalived's IP header has id 1; ours id 0. Everything after the
        // IP header must be identical.
        let ours = encode(V4Checksum::OldUnicast { group: GROUP }, 3);
        assert_eq!(ours[20..], KEEPALIVED_OLD[20..]);
    }

    #[test]
    fn the_group_is_what_goes_into_the_old_pseudo_header() {
        // keepalived 2.2.7 with `vrrp_mcast_group4 224.0.0.30` sent 0x055d
        // for the same advert: 0x157fc + 0x1a298 - 0x12 + 0x1e = 0x2faa0
        // -> fold 0xfaa2 -> !: 0x055d.
        let group = Ipv4Addr::new(224, 0, 0, 30);
        assert_eq!(cks(&encode(V4Checksum::OldUnicast { group }, 3)), 0x055d);
    }

    #[test]
    fn v2_ignores_the_form() {
        let rfc = encode(V4Checksum::Rfc, 2);
        assert_eq!(rfc, encode(V4Checksum::NoPseudoHeader, 2));
        assert_eq!(rfc, encode(V4Checksum::OldUnicast { group: GROUP }, 2));
    }

    #[test]
    fn deferred_checksum_tells_the_forms_apart() {
        assert_eq!(decode_ipv4(&KEEPALIVED_OLD), Err(DecodeError::BadChecksum));
        let (meta, view, rx) = decode_ipv4_deferred(&KEEPALIVED_OLD).expect("decodes");
        assert_eq!((meta.src, meta.dst, view.priority), (SRC, PEER, 100));
        assert!(rx.verifies(V4Checksum::OldUnicast { group: GROUP }));
        assert!(!rx.verifies(V4Checksum::Rfc));
        assert!(!rx.verifies(V4Checksum::NoPseudoHeader));
        assert!(!rx.verifies(V4Checksum::OldUnicast {
            group: Ipv4Addr::new(224, 0, 0, 30)
        }));
        for form in [
            V4Checksum::Rfc,
            V4Checksum::NoPseudoHeader,
            V4Checksum::OldUnicast { group: GROUP },
        ] {
            let (_, _, rx) = decode_ipv4_deferred(&encode(form, 3)).expect("decodes");
            assert!(rx.verifies(form), "{form:?}");
        }
    }

    #[test]
    fn deferred_decode_still_checks_everything_else() {
        let mut bad_ip = KEEPALIVED_OLD;
        bad_ip[10] ^= 1;
        assert_eq!(
            decode_ipv4_deferred(&bad_ip).err(),
            Some(DecodeError::BadIpChecksum)
        );
    }

    fn rx(form: V4Checksum, version: u8) -> DeferredChecksum {
        let buf = encode(form, version);
        decode_ipv4_deferred(&buf).expect("decodes").2
    }

    #[test]
    fn fixed_policies_accept_only_their_own_form() {
        use ChecksumVerdict::{Accept, Reject};
        let rfc = rx(V4Checksum::Rfc, 3);
        let v2ish = rx(V4Checksum::NoPseudoHeader, 3);
        let old = rx(V4Checksum::OldUnicast { group: GROUP }, 3);
        let cases = [
            (ChecksumPolicy::Rfc, [Accept, Reject, Reject]),
            (ChecksumPolicy::AsV2, [Reject, Accept, Reject]),
            (
                ChecksumPolicy::OldUnicast { group: GROUP },
                [Reject, Reject, Accept],
            ),
        ];
        for (policy, want) in cases {
            let mut st = ChecksumState::new(policy);
            let got = [st.check(&rfc), st.check(&v2ish), st.check(&old)];
            assert_eq!(got, want, "{policy:?}");
            assert!(!st.old_detected());
        }
    }

    #[test]
    fn detection_switches_once_to_the_old_form_and_keeps_sending_rfc() {
        let policy = ChecksumPolicy::DetectOldUnicast { group: GROUP };
        let mut st = ChecksumState::new(policy);
        assert_eq!(st.send_form(), V4Checksum::Rfc);
        assert_eq!(st.check(&rx(V4Checksum::Rfc, 3)), ChecksumVerdict::Accept);
        assert_eq!(
            st.check(&rx(V4Checksum::NoPseudoHeader, 3)),
            ChecksumVerdict::Reject
        );
        assert!(!st.old_detected());
        let old = rx(V4Checksum::OldUnicast { group: GROUP }, 3);
        assert_eq!(st.check(&old), ChecksumVerdict::AcceptSwitchedToOld);
        assert!(st.old_detected());
        assert_eq!(st.check(&old), ChecksumVerdict::Accept);
        // keepalived 2.2.7 then refuses RFC-form adverts, and still sends them.
        assert_eq!(st.check(&rx(V4Checksum::Rfc, 3)), ChecksumVerdict::Reject);
        assert_eq!(st.send_form(), V4Checksum::Rfc);
    }

    #[test]
    fn v2_adverts_pass_every_policy_without_switching() {
        let v2 = rx(V4Checksum::Rfc, 2);
        for policy in [
            ChecksumPolicy::Rfc,
            ChecksumPolicy::AsV2,
            ChecksumPolicy::OldUnicast { group: GROUP },
            ChecksumPolicy::DetectOldUnicast { group: GROUP },
        ] {
            let mut st = ChecksumState::new(policy);
            assert_eq!(st.check(&v2), ChecksumVerdict::Accept, "{policy:?}");
            assert!(!st.old_detected());
        }
    }

    #[test]
    fn send_forms() {
        assert_eq!(ChecksumPolicy::Rfc.send_form(), V4Checksum::Rfc);
        assert_eq!(ChecksumPolicy::AsV2.send_form(), V4Checksum::NoPseudoHeader);
        assert_eq!(
            ChecksumPolicy::OldUnicast { group: GROUP }.send_form(),
            V4Checksum::OldUnicast { group: GROUP }
        );
    }
}
