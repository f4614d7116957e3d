/**
 * One-line packet summaries in the format of `tcpdump -n -S -t` (tcpdump 4.99, print-ip.c,
 * print-ip6.c, print-tcp.c, print-udp.c, print-icmp.c, print-icmp6.c, print-arp.c): the test
 * suite compares them with tcpdump itself for the common cases. VLAN tags are not shown
 * (tcpdump shows them only with -e). Rare ICMP types, IPv6 routing headers and link types
 * tcpdump dissects in depth get a shorter description here.
 */
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  NEXTHDR_AUTH,
  NEXTHDR_DEST,
  NEXTHDR_FRAGMENT,
  NEXTHDR_HOP,
  NEXTHDR_ROUTING,
  TCP_FLAG_ACK,
  TCP_FLAG_FIN,
  TCP_FLAG_RST,
  TCP_FLAG_SYN,
  TCP_FLAG_URG,
} from './constants.ts';
import { type DecodeOptions, type Layer, decode } from './decode.ts';
import type { IcmpLayer, Icmpv6Layer } from './icmp.ts';
import type { Ipv4Layer } from './ipv4.ts';
import type { Ipv6Layer } from './ipv6.ts';
import type { TcpLayer, TcpOption } from './tcp.ts';
import { formatIp6 } from './addr.ts';

/** tcpdump's tcp_flag_values order: F S R P . U E W e. */
const FLAG_CHARS: [number, string][] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
  [0x100, 'e'],
];

export function tcpFlagsString(flags: number): string {
  const s = FLAG_CHARS.filter(([bit]) => flags & bit)
    .map(([, c]) => c)
    .join('');
  return s === '' ? 'none' : s;
}

function tcpOption(o: TcpOption): string {
  switch (o.kind) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackOk':
      return 'sackOK';
    case 'sack':
      return `sack ${o.blocks.length} ${o.blocks.map(([l, r]) => `{${l}:${r}}`).join('')}`;
    case 'timestamp':
      return `TS val ${o.tsval} ecr ${o.tsecr}`;
    case 'unknown':
      return `opt-${o.type}`;
  }
}

function tcpText(t: TcpLayer): string {
  const parts = [`Flags [${tcpFlagsString(t.flags)}]`];
  const len = t.payloadLength;
  if (t.flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST) || len > 0) {
    parts.push(len > 0 ? `seq ${t.seq}:${(t.seq + len) >>> 0}` : `seq ${t.seq}`);
  }
  if (t.flags & TCP_FLAG_ACK) parts.push(`ack ${t.ack}`);
  parts.push(`win ${t.window}`);
  if (t.flags & TCP_FLAG_URG) parts.push(`urg ${t.urgent}`);
  if (t.options.length > 0) parts.push(`options [${t.options.map(tcpOption).join(',')}]`);
  parts.push(`length ${len}`);
  return parts.join(', ');
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'time stamp request',
  14: 'time stamp reply',
};

const ICMP6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded in-transit',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};

function icmpText(c: IcmpLayer | Icmpv6Layer, frame: Uint8Array): string {
  const len = c.payloadLength + 8;
  if (c.kind === 'icmp') {
    let name = ICMP_NAMES[c.type] ?? `type-#${c.type}`;
    if (c.type === 11) name = c.code === 0 ? 'time exceeded in-transit' : 'ip reassembly time exceeded';
    const echo = c.id !== undefined ? `, id ${c.id}, seq ${c.seq}` : '';
    return `ICMP ${name}${echo}, length ${len}`;
  }
  const name = ICMP6_NAMES[c.type] ?? `icmp6 type-#${c.type}`;
  let detail = c.id !== undefined ? `, id ${c.id}, seq ${c.seq}` : '';
  if ((c.type === 135 || c.type === 136) && frame.length >= c.offset + 24) {
    detail = `, ${c.type === 135 ? 'who has' : 'tgt is'} ${formatIp6(frame, c.offset + 8)}`;
  }
  return `ICMP6, ${name}${detail}, length ${len}`;
}

function ext6Names(ip: Ipv6Layer, frame: Uint8Array): string[] {
  const ipEnd = ip.offset + 40 + ip.payloadLength;
  return ip.extensions.map((e) => {
    switch (e.type) {
      case NEXTHDR_HOP:
        return 'HBH';
      case NEXTHDR_DEST:
        return 'DSTOPT';
      case NEXTHDR_ROUTING:
        return 'srcrt';
      case NEXTHDR_AUTH:
        return 'AH';
      case NEXTHDR_FRAGMENT: {
        const fo = ((frame[e.offset + 2] << 8) | frame[e.offset + 3]) & 0xfff8;
        return `frag (${fo}|${ipEnd - e.offset - 8})`;
      }
      default:
        return `ext-${e.type}`;
    }
  });
}

/** tcpdump one-liner for a frame (Ethernet unless `opts.link` says raw IP). */
export function summary(frame: Uint8Array, opts: DecodeOptions = {}): string {
  return summarize(decode(frame, opts), frame);
}

/** The same, from layers already decoded. */
export function summarize(layers: readonly Layer[], frame: Uint8Array): string {
  let i = 0;
  const eth = layers[0]?.kind === 'eth' ? layers[0] : undefined;
  if (eth) i++;
  while (layers[i]?.kind === 'vlan') i++;
  return describeFrom(layers, i, frame, eth);
}

function describeFrom(layers: readonly Layer[], i: number, frame: Uint8Array, eth?: Extract<Layer, { kind: 'eth' }>): string {
  const l = layers[i];
  if (l === undefined) return eth ? `${eth.src} > ${eth.dst}, length ${frame.length}` : `length ${frame.length}`;
  switch (l.kind) {
    case 'truncated':
    case 'malformed':
      return `[|${l.proto}] (${l.kind} at ${l.offset}: ${l.reason})`;
    case 'arp':
      return arpText(l, frame.length - l.offset);
    case 'ipv4':
    case 'ipv6':
      return ipText(layers, i, frame);
    case 'payload':
      if (eth && l.what === 'unparsed') {
        const t = `0x${(l.protocol ?? 0).toString(16).padStart(4, '0')}`;
        return `${eth.src} > ${eth.dst}, ethertype Unknown (${t}), length ${frame.length}`;
      }
      return `length ${l.length}`;
    default:
      return l.kind;
  }
}

function arpText(a: Extract<Layer, { kind: 'arp' }>, length: number): string {
  if (a.op === ARPOP_REQUEST) return `ARP, Request who-has ${a.tpa} tell ${a.spa}, length ${length}`;
  if (a.op === ARPOP_REPLY) return `ARP, Reply ${a.spa} is-at ${a.sha}, length ${length}`;
  return `ARP, op ${a.op}, length ${length}`;
}

function ipText(layers: readonly Layer[], i: number, frame: Uint8Array): string {
  const ip = layers[i] as Ipv4Layer | Ipv6Layer;
  const tag = ip.kind === 'ipv4' ? 'IP' : 'IP6';
  const next = layers[i + 1];
  const exts = ip.kind === 'ipv6' ? ext6Names(ip, frame) : [];
  const pre = exts.length > 0 ? exts.join(' ') + ' ' : '';
  const fragOff = ip.kind === 'ipv4' ? ip.fragOffset : (ip.fragment?.offset ?? 0);
  if (next === undefined) return `${tag} ${ip.src} > ${ip.dst}: ${pre.trimEnd()}`;
  if (next.kind === 'payload' && next.what === 'fragment') {
    return ip.kind === 'ipv4' ? `${tag} ${ip.src} > ${ip.dst}: ip-proto-${ip.protocol}` : `${tag} ${ip.src} > ${ip.dst}: ${pre.trimEnd()}`;
  }
  if (fragOff === 0 && (next.kind === 'tcp' || next.kind === 'udp')) {
    const body = next.kind === 'tcp' ? tcpText(next) : `UDP, length ${next.payloadLength}`;
    if (exts.length > 0) return `${tag} ${ip.src} > ${ip.dst}: ${pre}${next.sport} > ${next.dport}: ${body}`;
    return `${tag} ${ip.src}.${next.sport} > ${ip.dst}.${next.dport}: ${body}`;
  }
  const head = `${tag} ${ip.src} > ${ip.dst}: ${pre}`;
  switch (next.kind) {
    case 'icmp':
    case 'icmpv6':
      return head + icmpText(next, frame);
    case 'ipv4':
    case 'ipv6':
      return head + ipText(layers, i + 1, frame);
    case 'truncated':
    case 'malformed':
      return `${head}[|${next.proto}]`;
    case 'payload':
      return `${head} ip-proto-${ip.protocol} ${next.length}`;
    default:
      return head.trimEnd();
  }
}
