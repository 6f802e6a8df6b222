//! Gratuitous ARP frames (RFC 5227 style announcement: an ARP request whose sender
//! and target protocol addresses are both the virtual address), built with
//! pnet_packet's frame layouts.

use pnet_base::MacAddr;
use pnet_packet::arp::{ArpHardwareTypes, ArpOperations, MutableArpPacket};
use pnet_packet::ethernet::{EtherTypes, MutableEthernetPacket};
use std::net::Ipv4Addr;

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

#[cfg(test)]
mod tests {
    use super::*;
    use pnet_packet::arp::ArpPacket;
    use pnet_packet::ethernet::EthernetPacket;
    use pnet_packet::Packet;

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
}
