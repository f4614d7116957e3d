/**
 * Protocol numbers with the kernel's names: include/uapi/linux/if_ether.h (ETH_P_*),
 * include/uapi/linux/in.h and in6.h (IPPROTO_* / NEXTHDR_* of include/net/ipv6.h),
 * include/uapi/linux/tcp.h flag bits, include/uapi/linux/icmp.h and icmpv6.h types.
 */

export const ETH_HLEN = 14;
export const ETH_ALEN = 6;
/** ETH_ZLEN: minimum frame length without FCS; shorter frames are padded on the wire. */
export const ETH_ZLEN = 60;

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_IPV6 = 0x86dd;
/** Pre-standard QinQ outer TPID some switches still send; parsed as a VLAN tag too. */
export const ETH_P_QINQ1 = 0x9100;

export const VLAN_HLEN = 4;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export const NEXTHDR_HOP = 0;
export const NEXTHDR_ROUTING = 43;
export const NEXTHDR_FRAGMENT = 44;
export const NEXTHDR_ESP = 50;
export const NEXTHDR_AUTH = 51;
export const NEXTHDR_NONE = 59;
export const NEXTHDR_DEST = 60;
export const NEXTHDR_MOBILITY = 135;

export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;

export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;
/** Accurate ECN (RFC 9768; the kernel's TCPHDR_AE) — the bit below CWR in the data-offset byte. */
export const TCP_FLAG_AE = 0x100;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;

export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const NDISC_ROUTER_SOLICITATION = 133;
export const NDISC_ROUTER_ADVERTISEMENT = 134;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;

export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const ARPHRD_ETHER = 1;
