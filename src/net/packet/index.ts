/**
 * Packets: parsers and builders for Ethernet, 802.1Q/QinQ, ARP, IPv4, IPv6, TCP, UDP, ICMP and
 * ICMPv6 with checksums; decode() that never throws; tcpdump-style summaries; the flow 5-tuple
 * and the Toeplitz RSS hash.
 */
export * from './constants.ts';
export { parseIp4, formatIp4, parseIp6, formatIp6, parseMac, formatMac, type AddrInput } from './addr.ts';
export { onesSum, foldComplement, pseudoSum4, pseudoSum6 } from './checksum.ts';
export type { BrokenLayer, LayerBase, ProtoName, L4Context } from './layer.ts';
export { isBroken } from './layer.ts';
export { type EthernetLayer, type EthernetSpec, parseEthernet } from './ethernet.ts';
export { type VlanLayer, type VlanSpec, parseVlan, isVlanTpid } from './vlan.ts';
export { type ArpLayer, type ArpSpec, parseArp } from './arp.ts';
export { type Ipv4Layer, type Ipv4Spec, type Ipv4Option, parseIpv4 } from './ipv4.ts';
export { type Ipv6Layer, type Ipv6Spec, type Ipv6Extension, type Ipv6ExtensionSpec, type Ipv6Fragment, parseIpv6 } from './ipv6.ts';
export { type TcpLayer, type TcpSpec, type TcpOption, parseTcp, parseTcpOptions } from './tcp.ts';
export { type UdpLayer, type UdpSpec, parseUdp } from './udp.ts';
export { type IcmpLayer, type Icmpv6Layer, type IcmpSpec, parseIcmp } from './icmp.ts';
export { buildPacket, type BuildOptions, type LayerSpec, type RawSpec } from './build.ts';
export { decode, type DecodeOptions, type Layer, type PayloadLayer } from './decode.ts';
export { summary, summarize, tcpFlagsString } from './summary.ts';
export { flowKey, flowKeyString, type FlowKey } from './flow.ts';
export { MICROSOFT_RSS_KEY, ToeplitzHasher, rssQueue } from './rss.ts';
