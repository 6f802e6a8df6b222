//! Gratuitous ARP frames (RFC 5227 style announcement: an ARP request whose sender
//! and target protocol addresses are both the virtual address), built with
//! pnet_packet's frame layouts, and [`GarpPacer`], the per-interface queue that
//! spaces them out (`vrrp_garp_interval` / `vrrp_gna_interval` / `garp_group`,
//! reference §3.8).

use pnet_base::MacAddr;
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, MutableArpPacket};
use pnet_packet::ethernet::{EtherTypes, MutableEthernetPacket};
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Ethernet header (14) + ARP for IPv4 over Ethernet (28).
pub const GARP_FRAME_LEN: usize = 42;

/// Writes a gratuitous ARP request for `vip` from `mac` into `buf`.
pub fn build_garp(buf: &mut [u8; GARP_FRAME_LEN], mac: [u8; 6], vip: Ipv4Addr) {
    let src = MacAddr::new(mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    let (eth_hdr, arp_part) = buf.split_at_mut(14);
    if let Some(mut eth) = MutableEthernetPacket::new(eth_hdr) {
        eth.set_destination(MacAddr::broadcast());
        eth.set_source(src);
        eth.set_ethertype(EtherTypes::Arp);
    }
    if let Some(mut arp) = MutableArpPacket::new(arp_part) {
        arp.set_hardware_type(ArpHardwareTypes::Ethernet);
        arp.set_protocol_type(EtherTypes::Ipv4);
        arp.set_hw_addr_len(6);
        arp.set_proto_addr_len(4);
        arp.set_operation(ArpOperations::Request);
        arp.set_sender_hw_addr(src);
        arp.set_sender_proto_addr(vip);
        arp.set_target_hw_addr(MacAddr::broadcast());
        arp.set_target_proto_addr(vip);
    }
}

/// Ethernet (14) + IPv6 (40) + ICMPv6 neighbour advertisement (24) + target
/// link-layer address option (8).
pub const NA_FRAME_LEN: usize = 86;

/// ff02::1, where unsolicited neighbour advertisements go (RFC 4861 §7.2.6).
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// Writes an unsolicited neighbour advertisement for `vip` from `mac` into
/// `buf` (RFC 4861 §7.2.6): to the all-nodes group with hop limit 255, the
/// Override flag set so that neighbours replace a cached (old master's) MAC,
/// the Router flag when the interface forwards (`router`), Solicited clear,
/// and a target link-layer address option carrying `mac`. The IPv6 source is
/// the VIP itself, an address of the interface once installed.
pub fn build_na(buf: &mut [u8; NA_FRAME_LEN], mac: [u8; 6], vip: Ipv6Addr, router: bool) {
    let payload_len: u16 = 32;
    let mut f = Vec::with_capacity(NA_FRAME_LEN);
    // Ethernet: 33:33 + low 32 bits of ff02::1.
    f.extend_from_slice(&crate::socket::ALL_NODES_MAC);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&crate::socket::ETH_P_IPV6.to_be_bytes());
    // IPv6 header.
    f.extend_from_slice(&[0x60, 0, 0, 0]);
    f.extend_from_slice(&payload_len.to_be_bytes());
    f.push(58); // next header: ICMPv6
    f.push(255); // hop limit (RFC 4861 §7.1.2 requires 255)
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&ALL_NODES.octets());
    // ICMPv6 neighbour advertisement.
    let icmp_start = f.len();
    f.push(136); // type
    f.push(0); // code
    f.extend_from_slice(&[0, 0]); // checksum, below
    let flags = if router { 0xa0 } else { 0x20 }; // R | S | O: O always, S never
    f.extend_from_slice(&[flags, 0, 0, 0]);
    f.extend_from_slice(&vip.octets());
    // Option 2: target link-layer address, length 1 (8 bytes).
    f.push(2);
    f.push(1);
    f.extend_from_slice(&mac);
    let ck = icmpv6_checksum(vip, ALL_NODES, f.get(icmp_start..).unwrap_or_default());
    if let Some(slot) = f.get_mut(icmp_start + 2..icmp_start + 4) {
        slot.copy_from_slice(&ck.to_be_bytes());
    }
    for (dst, src) in buf.iter_mut().zip(&f) {
        *dst = *src;
    }
}

/// The ICMPv6 checksum (RFC 4443 §2.3) of `msg` (checksum field zero) from
/// `src` to `dst`.
fn icmpv6_checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let hi = pair.first().copied().unwrap_or(0);
            let lo = pair.get(1).copied().unwrap_or(0);
            sum += u64::from(u16::from_be_bytes([hi, lo]));
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&u32::try_from(msg.len()).unwrap_or(0).to_be_bytes());
    add(&[0, 0, 0, 58]);
    add(msg);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !u16::try_from(sum).unwrap_or(0xffff)
}

/// Whether the kernel forwards IPv6 on `ifname`: unsolicited NAs then carry
/// the Router flag, as a router's own NAs would.
pub fn ipv6_forwarding(ifname: &str) -> bool {
    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding"))
        .map(|s| s.trim() != "0")
        .unwrap_or(false)
}

/// One `push`/`push_burst`: `rounds_left` rounds over `addrs`, the next
/// packet being `addrs[pos]`. Kept as a unit rather than expanded so a burst
/// costs one entry whatever its repeat count.
#[derive(Debug, Clone)]
struct Burst<A> {
    addrs: Vec<A>,
    pos: usize,
    /// Rounds still to send, counting the one in progress; always >= 1.
    rounds_left: u32,
}

impl<A> Burst<A> {
    /// Packets still to send.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    fn remaining(&self) -> u64 {
        let len = self.addrs.len() as u64;
        len * u64::from(self.rounds_left) - self.pos as u64
    }

    /// Moves past the packet just sent; false when the burst is finished.
    fn advance(&mut self) -> bool {
        self.pos += 1;
        if self.pos >= self.addrs.len() {
            self.pos = 0;
            self.rounds_left -= 1;
        }
        self.rounds_left > 0 && !self.addrs.is_empty()
    }
}

/// Pacing state of one interface.
#[derive(Debug, Clone)]
struct IfQueue<A> {
    bursts: VecDeque<Burst<A>>,
    /// When the queue last went from empty to non-empty: nothing is sent
    /// before it was asked for.
    ready_at: u64,
    /// When the last packet went out on this interface; kept while the queue
    /// is empty so a burst pushed right after one still keeps the spacing.
    last_sent: Option<u64>,
}

/// Spaces gratuitous ARPs (or unsolicited NAs, with `A = Ipv6Addr`) per
/// interface: at most one packet per interface per interval, interfaces
/// independent of each other, bursts in the order they were pushed.
///
/// keepalived sends a burst straight away when the interval is 0; with an
/// interval it queues the packets per interface and releases them one by one
/// so that switches with ARP rate limits do not drop them.
///
/// Sans-IO: time is a `u64` in µs on any monotonic clock, passed in by the
/// caller. The caller sends what [`poll_send`](Self::poll_send) returns and
/// sleeps until [`poll_timeout`](Self::poll_timeout).
#[derive(Debug, Clone)]
pub struct GarpPacer<A = Ipv4Addr> {
    default_interval_us: u64,
    /// `garp_group` overrides, by interface index.
    intervals: BTreeMap<u32, u64>,
    queues: BTreeMap<u32, IfQueue<A>>,
}

impl<A: Copy + Eq> GarpPacer<A> {
    /// A pacer with `vrrp_garp_interval` (or `vrrp_gna_interval`) as the
    /// interval of every interface; 0 = no pacing.
    pub fn new(default_interval_us: u64) -> Self {
        Self {
            default_interval_us,
            intervals: BTreeMap::new(),
            queues: BTreeMap::new(),
        }
    }

    /// The interval of one interface (a `garp_group` member).
    pub fn set_interval(&mut self, iface: u32, interval_us: u64) {
        self.intervals.insert(iface, interval_us);
    }

    /// The interval that applies to `iface`.
    pub fn interval(&self, iface: u32) -> u64 {
        self.intervals
            .get(&iface)
            .copied()
            .unwrap_or(self.default_interval_us)
    }

    /// Queues `count` packets for `addr` on `iface`, after whatever is
    /// already queued there.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn push(&mut self, iface: u32, addr: A, count: u32, now: u64) {
        self.push_burst(iface, &[addr], count, now);
    }

    /// Queues `repeat` rounds of one packet per address, in keepalived's
    /// order (each round covers every address before the next round starts),
    /// after whatever is already queued on `iface`.
    pub fn push_burst(&mut self, iface: u32, addrs: &[A], repeat: u32, now: u64) {
        if addrs.is_empty() || repeat == 0 {
            return;
        }
        let q = self.queues.entry(iface).or_insert_with(|| IfQueue {
            bursts: VecDeque::new(),
            ready_at: now,
            last_sent: None,
        });
        if q.bursts.is_empty() {
            q.ready_at = now;
        }
        q.bursts.push_back(Burst {
            addrs: addrs.to_vec(),
            pos: 0,
            rounds_left: repeat,
        });
    }

    /// When the next packet of `iface`'s queue may go out.
    fn due(&self, iface: u32, q: &IfQueue<A>) -> Option<u64> {
        if q.bursts.is_empty() {
            return None;
        }
        Some(match q.last_sent {
            Some(t) => q.ready_at.max(t.saturating_add(self.interval(iface))),
            None => q.ready_at,
        })
    }

    /// The next packet to send at `now`, if one is due: the interface whose
    /// packet has been due longest (lowest index on ties). Call repeatedly
    /// until `None`; then sleep until [`poll_timeout`](Self::poll_timeout).
    pub fn poll_send(&mut self, now: u64) -> Option<(u32, A)> {
        let iface = self
            .queues
            .iter()
            .filter_map(|(&i, q)| self.due(i, q).map(|d| (d, i)))
            .filter(|&(d, _)| d <= now)
            .min()
            .map(|(_, i)| i)?;
        let q = self.queues.get_mut(&iface)?;
        let burst = q.bursts.front_mut()?;
        let addr = *burst.addrs.get(burst.pos)?;
        if !burst.advance() {
            q.bursts.pop_front();
        }
        // The actual send time, not the due time: a late caller must not
        // make the next packet follow the late one closer than the interval.
        q.last_sent = Some(now);
        Some((iface, addr))
    }

    /// When the next packet becomes due (µs, same clock as `now`); `None`
    /// when nothing is queued. May be in the past if the caller is late.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.queues
            .iter()
            .filter_map(|(&i, q)| self.due(i, q))
            .min()
    }

    /// Drops the queued packets for `addr` on `iface` (the address was
    /// removed, or the instance left MASTER).
    pub fn cancel(&mut self, iface: u32, addr: A) {
        let Some(q) = self.queues.get_mut(&iface) else {
            return;
        };
        q.bursts.retain_mut(|b| {
            let mut i = 0;
            while i < b.addrs.len() {
                if b.addrs[i] == addr {
                    b.addrs.remove(i);
                    if b.pos > i {
                        b.pos -= 1;
                    }
                } else {
                    i += 1;
                }
            }
            if b.addrs.is_empty() {
                return false;
            }
            if b.pos >= b.addrs.len() {
                // The rest of the current round was the cancelled address.
                b.pos = 0;
                b.rounds_left -= 1;
            }
            b.rounds_left > 0
        });
    }

    /// Drops everything queued on `iface`. Its last send time is kept, so
    /// the spacing still holds for what is pushed next.
    pub fn clear_interface(&mut self, iface: u32) {
        if let Some(q) = self.queues.get_mut(&iface) {
            q.bursts.clear();
        }
    }

    /// Packets still queued on `iface`.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn pending(&self, iface: u32) -> u64 {
        self.queues
            .get(&iface)
            .map_or(0, |q| q.bursts.iter().map(Burst::remaining).sum())
    }

    /// Whether nothing is queued anywhere.
    #[cfg_attr(not(test), allow(dead_code))] // used by the tests
    pub fn is_empty(&self) -> bool {
        self.queues.values().all(|q| q.bursts.is_empty())
    }
}

/// Gratuitous ARPs and unsolicited NAs paced separately: keepalived has one
/// interval for each (`vrrp_garp_interval`, `vrrp_gna_interval`, and both
/// again per `garp_group`), so an IPv4 and an IPv6 VIP on one interface do
/// not wait for each other.
#[derive(Debug, Clone)]
pub struct AnnouncePacer {
    garp: GarpPacer<Ipv4Addr>,
    na: GarpPacer<Ipv6Addr>,
}

impl AnnouncePacer {
    /// `garp_us` between two GARPs and `gna_us` between two NAs on one
    /// interface; 0 = no pacing.
    pub fn new(garp_us: u64, gna_us: u64) -> Self {
        AnnouncePacer {
            garp: GarpPacer::new(garp_us),
            na: GarpPacer::new(gna_us),
        }
    }

    /// A `garp_group`'s intervals for one interface (`None`: the global one).
    pub fn set_intervals(&mut self, iface: u32, garp_us: Option<u64>, gna_us: Option<u64>) {
        if let Some(us) = garp_us {
            self.garp.set_interval(iface, us);
        }
        if let Some(us) = gna_us {
            self.na.set_interval(iface, us);
        }
    }

    /// Queues `repeat` rounds over `addrs` on `iface`, each family in its
    /// own queue (keepalived's order within each family).
    pub fn push_burst(&mut self, iface: u32, addrs: &[IpAddr], repeat: u32, now: u64) {
        let v4: Vec<Ipv4Addr> = addrs
            .iter()
            .filter_map(|a| match a {
                IpAddr::V4(a) => Some(*a),
                IpAddr::V6(_) => None,
            })
            .collect();
        let v6: Vec<Ipv6Addr> = addrs
            .iter()
            .filter_map(|a| match a {
                IpAddr::V6(a) => Some(*a),
                IpAddr::V4(_) => None,
            })
            .collect();
        self.garp.push_burst(iface, &v4, repeat, now);
        self.na.push_burst(iface, &v6, repeat, now);
    }

    /// The next GARP or NA due at `now` (GARPs first when both are due).
    pub fn poll_send(&mut self, now: u64) -> Option<(u32, IpAddr)> {
        if let Some((i, a)) = self.garp.poll_send(now) {
            return Some((i, IpAddr::V4(a)));
        }
        self.na.poll_send(now).map(|(i, a)| (i, IpAddr::V6(a)))
    }

    /// The earlier of the two queues' next deadlines.
    pub fn poll_timeout(&self) -> Option<u64> {
        match (self.garp.poll_timeout(), self.na.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Drops what is queued for `addr` on `iface`.
    pub fn cancel(&mut self, iface: u32, addr: IpAddr) {
        match addr {
            IpAddr::V4(a) => self.garp.cancel(iface, a),
            IpAddr::V6(a) => self.na.cancel(iface, a),
        }
    }

    /// Drops everything queued on `iface` (both families).
    pub fn clear_interface(&mut self, iface: u32) {
        self.garp.clear_interface(iface);
        self.na.clear_interface(iface);
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn unsolicited_na_bytes() {
        let mac = [0x02, 0, 0, 0, 0, 0x0a];
        let vip: std::net::Ipv6Addr = "2001:db8::100".parse().expect("addr");
        let mut f = [0u8; NA_FRAME_LEN];
        build_na(&mut f, mac, vip, false);
        // Ethernet to 33:33:00:00:00:01, IPv6.
        assert_eq!(
            &f[..14],
            &[0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0x0a, 0x86, 0xdd]
        );
        // IPv6: version 6, payload 32, ICMPv6, hop limit 255, vip -> ff02::1.
        assert_eq!(&f[14..22], &[0x60, 0, 0, 0, 0, 32, 58, 255]);
        assert_eq!(&f[22..38], &vip.octets());
        assert_eq!(
            &f[38..54],
            &[0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        );
        // NA: type 136, code 0, flags O only, target, option 2 len 1 + MAC.
        assert_eq!(&f[54..56], &[136, 0]);
        assert_eq!(&f[58..62], &[0x20, 0, 0, 0]);
        assert_eq!(&f[62..78], &vip.octets());
        assert_eq!(&f[78..86], &[2, 1, 2, 0, 0, 0, 0, 0x0a]);
        // Checksum 0xf723, computed independently (Python, RFC 4443 §2.3).
        assert_eq!(&f[56..58], &[0xf7, 0x23]);
        build_na(&mut f, mac, vip, true);
        assert_eq!(f[58], 0xa0, "Router flag");
    }

    #[test]
    fn na_checksum_verifies_to_zero() {
        let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
        let vip: std::net::Ipv6Addr = "fe80::100".parse().expect("addr");
        let mut f = [0u8; NA_FRAME_LEN];
        build_na(&mut f, mac, vip, true);
        // Summing the message with its checksum over the pseudo-header gives
        // 0xffff (i.e. the complement is 0).
        let mut msg = f[54..].to_vec();
        let ck = u16::from_be_bytes([msg[2], msg[3]]);
        msg[2] = 0;
        msg[3] = 0;
        let all_nodes: std::net::Ipv6Addr = "ff02::1".parse().expect("addr");
        assert_eq!(icmpv6_checksum(vip, all_nodes, &msg), ck);
        assert_ne!(ck, 0);
    }
    use super::*;
    use pnet_packet::arp::ArpPacket;
    use pnet_packet::ethernet::EthernetPacket;
    use pnet_packet::Packet;
    use proptest::prelude::*;

    /// `vrrp_garp_interval` and `vrrp_gna_interval` pace their own family:
    /// a burst of NAs is spaced by the NA interval, GARPs by theirs, and
    /// neither waits for the other on the same interface.
    #[test]
    fn garp_and_na_intervals_are_separate() {
        let v4: IpAddr = "192.0.2.100".parse().expect("addr");
        let v6: IpAddr = "2001:db8::100".parse().expect("addr");
        let mut p = AnnouncePacer::new(1_000, 5_000);
        p.push_burst(0, &[v4, v6], 3, 0);
        let mut sent = Vec::new();
        let mut now = 0;
        while now <= 20_000 {
            while let Some((i, a)) = p.poll_send(now) {
                sent.push((now, i, a));
            }
            now += 500;
        }
        let at =
            |a: IpAddr| -> Vec<u64> { sent.iter().filter(|s| s.2 == a).map(|s| s.0).collect() };
        assert_eq!(at(v4), vec![0, 1_000, 2_000]);
        assert_eq!(at(v6), vec![0, 5_000, 10_000]);
        assert_eq!(p.poll_timeout(), None);

        // A garp_group overrides only the interval it sets.
        let mut p = AnnouncePacer::new(1_000, 5_000);
        p.set_intervals(1, None, Some(2_000));
        assert_eq!(p.garp.interval(1), 1_000);
        assert_eq!(p.na.interval(1), 2_000);
        assert_eq!(p.na.interval(0), 5_000);

        // Cancelling one family leaves the other's queue alone.
        let mut p = AnnouncePacer::new(1_000, 1_000);
        p.push_burst(0, &[v4, v6], 2, 0);
        p.cancel(0, v6);
        assert_eq!(p.poll_send(0), Some((0, v4)));
        assert_eq!(p.poll_send(0), None);
        assert_eq!(p.poll_timeout(), Some(1_000));
        p.clear_interface(0);
        assert_eq!(p.poll_timeout(), None);
    }

    #[test]
    fn garp_frame_layout() {
        let mut buf = [0u8; GARP_FRAME_LEN];
        let vip = Ipv4Addr::new(192, 0, 2, 100);
        build_garp(&mut buf, [2, 0, 0, 0, 0, 1], vip);
        let eth = EthernetPacket::new(&buf).expect("frame fits");
        assert_eq!(eth.get_destination(), MacAddr::broadcast());
        assert_eq!(eth.get_ethertype(), EtherTypes::Arp);
        let arp = ArpPacket::new(eth.payload()).expect("arp fits");
        assert_eq!(arp.get_operation(), ArpOperations::Request);
        assert_eq!(arp.get_sender_proto_addr(), vip);
        assert_eq!(arp.get_target_proto_addr(), vip);
        assert_eq!(arp.get_sender_hw_addr(), MacAddr::new(2, 0, 0, 0, 0, 1));
        // Byte-level check independent of pnet: ARP opcode 1 at offset 20..22.
        assert_eq!(&buf[12..14], &[0x08, 0x06]);
        assert_eq!(&buf[20..22], &[0x00, 0x01]);
        assert_eq!(&buf[28..32], &[192, 0, 2, 100]);
        assert_eq!(&buf[38..42], &[192, 0, 2, 100]);
    }

    const A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const B: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
    const C: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 3);

    /// Everything `poll_send` releases at `now`.
    fn drain(p: &mut GarpPacer, now: u64) -> Vec<(u32, Ipv4Addr)> {
        let mut out = Vec::new();
        while let Some(x) = p.poll_send(now) {
            out.push(x);
            assert!(out.len() <= 10_000, "runaway");
        }
        out
    }

    #[test]
    fn no_interval_sends_everything_at_once_in_keepalived_order() {
        let mut p = GarpPacer::new(0);
        assert_eq!(p.poll_timeout(), None);
        p.push_burst(1, &[A, B], 3, 100);
        p.push(2, C, 2, 100);
        assert_eq!(p.poll_timeout(), Some(100));
        assert_eq!(p.pending(1), 6);
        assert_eq!(drain(&mut p, 99), vec![]);
        let sent = drain(&mut p, 100);
        let on1: Vec<_> = sent.iter().filter(|x| x.0 == 1).map(|x| x.1).collect();
        let on2: Vec<_> = sent.iter().filter(|x| x.0 == 2).map(|x| x.1).collect();
        assert_eq!(on1, vec![A, B, A, B, A, B]);
        assert_eq!(on2, vec![C, C]);
        assert!(p.is_empty());
        assert_eq!(p.poll_timeout(), None);
    }

    #[test]
    fn interval_spaces_packets_exactly() {
        let mut p = GarpPacer::new(10_000);
        p.push_burst(1, &[A, B], 2, 0);
        let mut times = Vec::new();
        let mut now = 0;
        for _ in 0..10 {
            let Some(t) = p.poll_timeout() else { break };
            assert!(t >= now);
            // Nothing goes out a microsecond early.
            if t > 0 {
                assert_eq!(p.poll_send(t - 1), None);
            }
            now = t;
            let sent = drain(&mut p, now);
            assert_eq!(sent.len(), 1, "one packet per interval");
            times.push((now, sent[0].1));
        }
        assert_eq!(times, vec![(0, A), (10_000, B), (20_000, A), (30_000, B)]);
    }

    #[test]
    fn interfaces_do_not_delay_each_other() {
        let mut p = GarpPacer::new(10_000);
        p.push(1, A, 3, 0);
        p.push(2, B, 3, 0);
        for step in 0..3u64 {
            let now = step * 10_000;
            assert_eq!(p.poll_timeout(), Some(now));
            assert_eq!(drain(&mut p, now), vec![(1, A), (2, B)]);
        }
        assert!(p.is_empty());
    }

    #[test]
    fn bursts_pushed_while_queued_append_in_order() {
        let mut p = GarpPacer::new(10_000);
        p.push(1, A, 2, 0);
        assert_eq!(drain(&mut p, 0), vec![(1, A)]);
        p.push(1, B, 1, 5_000);
        p.push(1, C, 1, 6_000);
        assert_eq!(drain(&mut p, 9_999), vec![]);
        assert_eq!(drain(&mut p, 10_000), vec![(1, A)]);
        assert_eq!(p.poll_timeout(), Some(20_000));
        assert_eq!(drain(&mut p, 20_000), vec![(1, B)]);
        assert_eq!(drain(&mut p, 30_000), vec![(1, C)]);
        assert_eq!(p.poll_timeout(), None);
    }

    #[test]
    fn spacing_survives_an_empty_queue_and_late_polls() {
        let mut p = GarpPacer::new(10_000);
        p.push(1, A, 1, 0);
        assert_eq!(drain(&mut p, 0), vec![(1, A)]);
        // Pushed 3 ms after the last send: waits out the interval.
        p.push(1, B, 1, 3_000);
        assert_eq!(p.poll_timeout(), Some(10_000));
        // Polled late: sent then, and the next one is spaced from then.
        p.push(1, C, 1, 4_000);
        assert_eq!(drain(&mut p, 15_000), vec![(1, B)]);
        assert_eq!(p.poll_timeout(), Some(25_000));
        assert_eq!(drain(&mut p, 25_000), vec![(1, C)]);
        // Long idle: a new push goes out at once.
        p.push(1, A, 1, 90_000);
        assert_eq!(p.poll_timeout(), Some(90_000));
        assert_eq!(drain(&mut p, 90_000), vec![(1, A)]);
    }

    #[test]
    fn garp_group_interval_overrides_the_default() {
        let mut p = GarpPacer::new(0);
        p.set_interval(2, 5_000);
        assert_eq!(p.interval(1), 0);
        assert_eq!(p.interval(2), 5_000);
        p.push(1, A, 2, 0);
        p.push(2, B, 2, 0);
        assert_eq!(drain(&mut p, 0), vec![(1, A), (1, A), (2, B)]);
        assert_eq!(p.poll_timeout(), Some(5_000));
        assert_eq!(drain(&mut p, 5_000), vec![(2, B)]);
    }

    #[test]
    fn cancel_and_clear_drop_queued_packets() {
        let mut p = GarpPacer::new(1_000);
        p.push_burst(1, &[A, B, C], 2, 0);
        assert_eq!(drain(&mut p, 0), vec![(1, A)]);
        // Mid-round: B is next; cancelling it leaves C, then the A, C round.
        p.cancel(1, B);
        assert_eq!(p.pending(1), 3);
        assert_eq!(drain(&mut p, 1_000), vec![(1, C)]);
        assert_eq!(drain(&mut p, 2_000), vec![(1, A)]);
        p.cancel(1, C);
        assert_eq!(p.pending(1), 0);
        assert!(p.is_empty());
        p.push(1, A, 5, 3_000);
        p.push(2, A, 1, 3_000);
        p.clear_interface(1);
        assert_eq!(p.pending(1), 0);
        assert_eq!(drain(&mut p, 3_000), vec![(2, A)]);
        // Cancelling the last address of a round moves to the next round.
        p.push_burst(3, &[A, B], 2, 3_000);
        assert_eq!(drain(&mut p, 3_000), vec![(3, A)]);
        p.cancel(3, B);
        assert_eq!(p.pending(3), 1);
        assert_eq!(drain(&mut p, 4_000), vec![(3, A)]);
        assert!(p.is_empty());
    }

    #[derive(Debug, Clone)]
    struct Op {
        advance: u64,
        iface: u32,
        addrs: Vec<u8>,
        repeat: u32,
    }

    fn op() -> impl Strategy<Value = Op> {
        (
            0u64..40_000,
            0u32..3,
            proptest::collection::vec(0u8..4, 1..4),
            1u32..4,
        )
            .prop_map(|(advance, iface, addrs, repeat)| Op {
                advance,
                iface,
                addrs,
                repeat,
            })
    }

    fn addr(n: u8) -> Ipv4Addr {
        Ipv4Addr::new(203, 0, 113, n)
    }

    proptest! {
        /// Against a model: every pushed packet goes out exactly once, in
        /// push order per interface, each exactly when it becomes allowed
        /// (its push time, or the previous send on its interface plus the
        /// interval, whichever is later), so never two on one interface
        /// closer than the interval.
        #[test]
        fn pacer_matches_model(
            intervals in proptest::array::uniform3(prop_oneof![Just(0u64), Just(1_000), Just(3_333), Just(10_000)]),
            ops in proptest::collection::vec(op(), 1..25),
        ) {
            let mut p = GarpPacer::new(intervals[0]);
            p.set_interval(1, intervals[1]);
            p.set_interval(2, intervals[2]);
            // Model: per interface, the packets in send order with their push time.
            let mut model: [VecDeque<(Ipv4Addr, u64)>; 3] = Default::default();
            let mut last: [Option<u64>; 3] = [None; 3];
            let mut sent_count = 0usize;
            let mut now = 0u64;
            let check = |p: &mut GarpPacer, now: u64,
                             model: &mut [VecDeque<(Ipv4Addr, u64)>; 3],
                             last: &mut [Option<u64>; 3]| -> Result<usize, TestCaseError> {
                let mut n = 0;
                while let Some((iface, a)) = p.poll_send(now) {
                    let i = iface as usize;
                    let (want, pushed) = model[i].pop_front()
                        .ok_or_else(|| TestCaseError::fail("sent more than pushed"))?;
                    prop_assert_eq!(a, want);
                    let allowed = match last[i] {
                        Some(t) => pushed.max(t + intervals[i]),
                        None => pushed,
                    };
                    prop_assert_eq!(now, allowed, "iface {} sent at {} not {}", iface, now, allowed);
                    last[i] = Some(now);
                    n += 1;
                    prop_assert!(n <= 1_000);
                }
                // Nothing due any more at `now`.
                if let Some(t) = p.poll_timeout() {
                    prop_assert!(t > now);
                }
                Ok(n)
            };
            let step = |p: &mut GarpPacer, now: &mut u64, until: u64,
                            model: &mut [VecDeque<(Ipv4Addr, u64)>; 3],
                            last: &mut [Option<u64>; 3]| -> Result<usize, TestCaseError> {
                let mut n = check(p, *now, model, last)?;
                for _ in 0..10_000 {
                    match p.poll_timeout() {
                        Some(t) if t <= until => {
                            *now = t;
                            let k = check(p, t, model, last)?;
                            prop_assert!(k > 0, "poll_timeout {} released nothing", t);
                            n += k;
                        }
                        _ => break,
                    }
                }
                Ok(n)
            };
            for op in &ops {
                let target = now + op.advance;
                sent_count += step(&mut p, &mut now, target, &mut model, &mut last)?;
                now = target;
                let addrs: Vec<Ipv4Addr> = op.addrs.iter().map(|&n| addr(n)).collect();
                p.push_burst(op.iface, &addrs, op.repeat, now);
                for _ in 0..op.repeat {
                    for &a in &addrs {
                        model[op.iface as usize].push_back((a, now));
                    }
                }
            }
            sent_count += step(&mut p, &mut now, u64::MAX, &mut model, &mut last)?;
            prop_assert!(p.is_empty());
            prop_assert_eq!(p.poll_timeout(), None);
            for (i, m) in model.iter().enumerate() {
                prop_assert!(m.is_empty(), "iface {} left {:?}", i, m);
            }
            let pushed: usize = ops.iter().map(|o| o.addrs.len() * o.repeat as usize).sum();
            prop_assert_eq!(sent_count, pushed);
        }
    }
}

/// Golden bytes: the gratuitous ARP keepalived 2.2.7 sends on becoming
/// MASTER (captured by `crates/vrrp/tests/fixtures/keepalived/capture.sh`,
/// see the README there), against [`build_garp`].
#[cfg(test)]
mod golden_keepalived {
    use super::*;
    use pnet_packet::arp::ArpPacket;
    use pnet_packet::ethernet::EthernetPacket;
    use pnet_packet::Packet;

    const KEEPALIVED_GARP: &str = include_str!("../../vrrp/tests/fixtures/keepalived/garp.hex");
    /// node0's MAC and the VIP in the capture.
    const MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
    const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

    /// The fixture's bytes (`#` comment lines, then hex).
    fn keepalived_frame() -> Vec<u8> {
        let digits: Vec<u8> = KEEPALIVED_GARP
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.bytes())
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        digits
            .chunks_exact(2)
            .map(|p| {
                let s = std::str::from_utf8(p).expect("ASCII hex");
                u8::from_str_radix(s, 16).expect("hex digits")
            })
            .collect()
    }

    #[test]
    fn keepalived_garp_decodes_as_an_announcement() {
        let frame = keepalived_frame();
        assert_eq!(frame.len(), GARP_FRAME_LEN, "keepalived sends no padding");
        let eth = EthernetPacket::new(&frame).expect("frame fits");
        assert_eq!(eth.get_destination(), MacAddr::broadcast());
        assert_eq!(eth.get_source(), MacAddr::from(MAC));
        assert_eq!(eth.get_ethertype(), EtherTypes::Arp);
        let arp = ArpPacket::new(eth.payload()).expect("arp fits");
        assert_eq!(arp.get_hardware_type(), ArpHardwareTypes::Ethernet);
        assert_eq!(arp.get_protocol_type(), EtherTypes::Ipv4);
        assert_eq!(arp.get_hw_addr_len(), 6);
        assert_eq!(arp.get_proto_addr_len(), 4);
        assert_eq!(arp.get_operation(), ArpOperations::Request);
        assert_eq!(arp.get_sender_hw_addr(), MacAddr::from(MAC));
        assert_eq!(arp.get_sender_proto_addr(), VIP);
        // keepalived puts the broadcast address, not zeros, in the target
        // hardware address.
        assert_eq!(arp.get_target_hw_addr(), MacAddr::broadcast());
        assert_eq!(arp.get_target_proto_addr(), VIP);
    }

    const KEEPALIVED_NA: &str = include_str!("../../vrrp/tests/fixtures/keepalived/na.hex");
    const KEEPALIVED_NA_ROUTER: &str =
        include_str!("../../vrrp/tests/fixtures/keepalived/na-router.hex");
    const VIP6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100);

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.bytes())
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        digits
            .chunks_exact(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("hex"), 16).expect("hex"))
            .collect()
    }

    /// keepalived's unsolicited NA, field by field: from the VIP itself to
    /// ff02::1 (Ethernet 33:33:00:00:00:01), hop limit 255, traffic class
    /// and flow label 0, Override set, Solicited clear, Router clear on a
    /// host (set when forwarding, see `na-router.hex`), one target
    /// link-layer address option with the interface MAC, no padding.
    #[test]
    fn keepalived_na_decodes_as_unsolicited_advertisement() {
        for (text, router) in [(KEEPALIVED_NA, false), (KEEPALIVED_NA_ROUTER, true)] {
            let f = hex(text);
            assert_eq!(f.len(), NA_FRAME_LEN, "keepalived sends no padding");
            assert_eq!(&f[0..6], &crate::socket::ALL_NODES_MAC);
            assert_eq!(&f[6..12], &MAC);
            assert_eq!(&f[12..14], &[0x86, 0xdd]);
            assert_eq!(&f[14..18], &[0x60, 0, 0, 0], "version 6, tclass 0, flow 0");
            assert_eq!(u16::from_be_bytes([f[18], f[19]]), 32, "payload length");
            assert_eq!(f[20], 58, "ICMPv6");
            assert_eq!(f[21], 255, "hop limit");
            assert_eq!(&f[22..38], &VIP6.octets(), "source is the VIP");
            assert_eq!(&f[38..54], &ALL_NODES.octets());
            assert_eq!(&f[54..56], &[136, 0], "NA, code 0");
            let flags = f[58];
            assert_eq!(flags & 0x80 != 0, router, "Router flag");
            assert_eq!(flags & 0x40, 0, "Solicited flag");
            assert_ne!(flags & 0x20, 0, "Override flag");
            assert_eq!(&f[59..62], &[0, 0, 0]);
            assert_eq!(&f[62..78], &VIP6.octets(), "target");
            assert_eq!(&f[78..80], &[2, 1], "target link-layer address option");
            assert_eq!(&f[80..86], &MAC);
            let mut msg = f[54..].to_vec();
            msg[2] = 0;
            msg[3] = 0;
            assert_eq!(
                icmpv6_checksum(VIP6, ALL_NODES, &msg),
                u16::from_be_bytes([f[56], f[57]]),
                "checksum"
            );
        }
    }

    #[test]
    fn build_na_writes_keepalived_bytes() {
        for (text, router) in [(KEEPALIVED_NA, false), (KEEPALIVED_NA_ROUTER, true)] {
            let mut ours = [0u8; NA_FRAME_LEN];
            build_na(&mut ours, MAC, VIP6, router);
            let theirs = hex(text);
            assert_eq!(
                ours[..],
                theirs[..],
                "router={router}\n ours   {ours:02x?}\n theirs {theirs:02x?}"
            );
        }
    }

    #[test]
    fn build_garp_writes_keepalived_bytes() {
        let mut ours = [0u8; GARP_FRAME_LEN];
        build_garp(&mut ours, MAC, VIP);
        assert_eq!(
            ours[..],
            keepalived_frame()[..],
            "\n ours   {ours:02x?}\n theirs {:02x?}",
            keepalived_frame()
        );
    }
}
