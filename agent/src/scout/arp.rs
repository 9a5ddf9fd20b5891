//! ARP over Ethernet: the request a sweep sends, and what a received frame says.

use pnet_datalink::MacAddr;
use pnet_packet::arp::{
    ArpHardwareTypes, ArpOperation, ArpOperations, ArpPacket, MutableArpPacket,
};
use pnet_packet::ethernet::{EtherTypes, EthernetPacket, MutableEthernetPacket};
use pnet_packet::Packet;
use std::net::Ipv4Addr;

/// Ethernet header (14) plus an IPv4-over-Ethernet ARP body (28). The NIC pads it to 60.
pub const FRAME_LEN: usize = 42;

/// A broadcast "who has `target`? tell `our_ip`" frame.
pub fn request(our_mac: MacAddr, our_ip: Ipv4Addr, target: Ipv4Addr) -> [u8; FRAME_LEN] {
    let mut buf = [0u8; FRAME_LEN];
    {
        let mut eth = MutableEthernetPacket::new(&mut buf).expect("frame fits");
        eth.set_destination(MacAddr::broadcast());
        eth.set_source(our_mac);
        eth.set_ethertype(EtherTypes::Arp);
    }
    let mut arp = MutableArpPacket::new(&mut buf[14..]).expect("ARP body fits");
    arp.set_hardware_type(ArpHardwareTypes::Ethernet);
    arp.set_protocol_type(EtherTypes::Ipv4);
    arp.set_hw_addr_len(6);
    arp.set_proto_addr_len(4);
    arp.set_operation(ArpOperations::Request);
    arp.set_sender_hw_addr(our_mac);
    arp.set_sender_proto_addr(our_ip);
    arp.set_target_hw_addr(MacAddr::zero());
    arp.set_target_proto_addr(target);
    buf
}

/// The parts of an ARP frame discovery uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    pub reply: bool,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

/// An Ethernet frame carrying IPv4-over-Ethernet ARP, or `None` for anything else.
pub fn parse(frame: &[u8]) -> Option<Arp> {
    let eth = EthernetPacket::new(frame)?;
    if eth.get_ethertype() != EtherTypes::Arp {
        return None;
    }
    let arp = ArpPacket::new(eth.payload())?;
    if arp.get_hardware_type() != ArpHardwareTypes::Ethernet
        || arp.get_protocol_type() != EtherTypes::Ipv4
        || arp.get_hw_addr_len() != 6
        || arp.get_proto_addr_len() != 4
    {
        return None;
    }
    let op: ArpOperation = arp.get_operation();
    let reply = match op {
        ArpOperations::Reply => true,
        ArpOperations::Request => false,
        _ => return None,
    };
    Some(Arp {
        reply,
        sender_mac: arp.get_sender_hw_addr(),
        sender_ip: arp.get_sender_proto_addr(),
        target_mac: arp.get_target_hw_addr(),
        target_ip: arp.get_target_proto_addr(),
    })
}

/// `aa:bb:cc:00:11:22`: lower case, colon separated.
pub fn mac_string(mac: MacAddr) -> String {
    let MacAddr(a, b, c, d, e, f) = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_and_replies_parse() {
        let mac = MacAddr(0x02, 0x77, 0, 0, 0, 0x0a);
        let ours = Ipv4Addr::new(10, 77, 3, 1);
        let target = Ipv4Addr::new(10, 77, 3, 9);
        let frame = request(mac, ours, target);
        assert_eq!(&frame[..6], &[0xff; 6]);
        let got = parse(&frame).unwrap();
        assert!(!got.reply);
        assert_eq!(got.sender_mac, mac);
        assert_eq!(got.sender_ip, ours);
        assert_eq!(got.target_ip, target);

        // Turn it into the reply the target would send, padded as on the wire.
        let mut reply = frame.to_vec();
        reply.resize(60, 0);
        {
            let mut arp = MutableArpPacket::new(&mut reply[14..]).unwrap();
            arp.set_operation(ArpOperations::Reply);
            arp.set_sender_hw_addr(MacAddr(0x02, 0x77, 0, 0, 0, 0x0B));
            arp.set_sender_proto_addr(target);
            arp.set_target_hw_addr(mac);
            arp.set_target_proto_addr(ours);
        }
        let got = parse(&reply).unwrap();
        assert!(got.reply);
        assert_eq!(mac_string(got.sender_mac), "02:77:00:00:00:0b");
        assert_eq!(got.target_ip, ours);

        // Not ARP, or truncated: ignored.
        let mut ip = reply.clone();
        ip[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(parse(&ip), None);
        assert_eq!(parse(&reply[..20]), None);
    }
}
