/**
 * A packet as the simulator carries it between hooks: the frame bytes (from the MAC header) and
 * the sk_buff fields that programs and qdiscs see. Each packet has a unique id; clones and
 * encapsulations keep the id of the packet they came from in `parent`, so one packet can be
 * followed across rewrites and redirects. Models the parts of include/linux/skbuff.h that matter.
 */

import { formatIp4, formatIp6 } from './packet/addr.ts';
import { flowKey } from './packet/flow.ts';

let nextId = 1;

/** Shared empty metadata: most packets never get any. */
const NO_META = new Uint8Array(0);

/** Packet ids restart per simulation, for byte-identical traces. */
export function resetPacketIds(): void {
  nextId = 1;
}

export class Skb {
  readonly id: number;
  parent?: number;
  /** Frame from the MAC header on. */
  data: Uint8Array;
  /** XDP metadata in front of the frame (data_meta..data), carried from XDP to tc. */
  meta: Uint8Array = NO_META;
  mark = 0;
  priority = 0;
  tcClassid = 0;
  tcIndex = 0;
  hash = 0;
  queueMapping = 0;
  /** Hardware-accelerated VLAN tag (skb->vlan_tci / vlan_proto), when present. */
  vlan?: { tci: number; proto: number };
  private cbBytes?: Uint8Array;
  tstamp = 0n;
  /** ifindex of the device the packet arrived on (skb->skb_iif). */
  ingressIfindex = 0;
  /** Simulated time the packet entered the network, for latency. */
  readonly born: number;
  /** Flow 5-tuple at injection, for statistics and expectations ("udp 10.0.0.1:1 > 10.0.0.2:53"). */
  flow?: string;
  /** Name of the traffic source that sent it. */
  traffic?: string;

  constructor(data: Uint8Array, born: number, parent?: Skb) {
    this.id = nextId++;
    this.data = data;
    this.born = parent?.born ?? born;
    if (parent) {
      this.parent = parent.id;
      this.flow = parent.flow;
      this.traffic = parent.traffic;
      this.mark = parent.mark;
      this.priority = parent.priority;
      this.tcClassid = parent.tcClassid;
      this.hash = parent.hash;
    }
  }

  /** qdisc_skb_cb()->data: 20 bytes programs may use; allocated on first use. */
  get cb(): Uint8Array {
    return (this.cbBytes ??= new Uint8Array(20));
  }

  /**
   * skb_vlan_untag(): move the outer 802.1Q/802.1ad tag from the bytes into vlan_tci/vlan_proto,
   * as __netif_receive_skb_core does before the taps and tc. Returns whether a tag was taken.
   */
  untagVlan(): boolean {
    const d = this.data;
    if (this.vlan || d.length < 18) return false;
    const tpid = (d[12] << 8) | d[13];
    if (tpid !== 0x8100 && tpid !== 0x88a8) return false;
    this.vlan = { tci: (d[14] << 8) | d[15], proto: tpid };
    const out = new Uint8Array(d.length - 4);
    out.set(d.subarray(0, 12), 0);
    out.set(d.subarray(16), 12);
    this.data = out;
    return true;
  }

  /** The frame with the offloaded tag written back in (what the wire, or libpcap, shows). */
  withVlanTag(): Uint8Array {
    const v = this.vlan;
    if (!v) return this.data;
    const d = this.data;
    const out = new Uint8Array(d.length + 4);
    out.set(d.subarray(0, 12), 0);
    out[12] = v.proto >> 8;
    out[13] = v.proto & 0xff;
    out[14] = v.tci >> 8;
    out[15] = v.tci & 0xff;
    out.set(d.subarray(12), 16);
    return out;
  }

  /** Whether cb[] was ever written (most packets never use it). */
  get hasCb(): boolean {
    return this.cbBytes !== undefined;
  }

  /**
   * The 5-tuple of the frame as it is now ("udp 10.0.0.1:1 > 10.0.0.2:53"): after NAT or
   * encapsulation it differs from `flow`. Cached until the bytes change.
   */
  flowNow(): string | undefined {
    if (this.fnData !== this.data) {
      this.fnData = this.data;
      this.fn = flowText(this.data);
    }
    return this.fn;
  }
  private fnData?: Uint8Array;
  private fn?: string;

  get len(): number {
    return this.data.length;
  }

  /** A copy with a new id (bpf_clone_redirect, broadcast): parent points here. */
  clone(now: number): Skb {
    const c = new Skb(this.data.slice(), now, this);
    c.meta = this.meta.slice();
    if (this.cbBytes) c.cb.set(this.cbBytes);
    c.vlan = this.vlan ? { ...this.vlan } : undefined;
    return c;
  }

  /** What qdiscs see (src/net/qdisc's QdiscPacket). */
  get flowHash(): number {
    return this.hash;
  }

  /** ECN-capable transport (ECT(0)/ECT(1)) in the IPv4/IPv6 header. */
  ecnCapable(): boolean {
    const off = this.ipOffset();
    if (off < 0) return false;
    const ecn = this.data[off] >> 4 === 4 ? this.data[off + 1] & 3 : (this.data[off + 1] >> 4) & 3;
    return ecn !== 0;
  }

  /** Set ECN CE (INET_ECN_set_ce), fixing the IPv4 header checksum incrementally. */
  markCe(): boolean {
    const off = this.ipOffset();
    if (off < 0 || !this.ecnCapable()) return false;
    const d = this.data;
    if (d[off] >> 4 === 4) {
      const old = (d[off] << 8) | d[off + 1];
      d[off + 1] |= 3;
      const neu = (d[off] << 8) | d[off + 1];
      // RFC 1624: HC' = ~(~HC + ~m + m')
      let sum = (~((d[off + 10] << 8) | d[off + 11]) & 0xffff) + (~old & 0xffff) + neu;
      sum = (sum & 0xffff) + (sum >>> 16);
      sum = (sum & 0xffff) + (sum >>> 16);
      const c = ~sum & 0xffff;
      d[off + 10] = c >> 8;
      d[off + 11] = c & 0xff;
    } else {
      d[off + 1] |= 0x30;
    }
    return true;
  }

  /** Offset of the IP header behind Ethernet and VLAN tags, or -1. */
  ipOffset(): number {
    const d = this.data;
    let off = 12;
    if (d.length < 14) return -1;
    let type = (d[off] << 8) | d[off + 1];
    while ((type === 0x8100 || type === 0x88a8) && d.length >= off + 6) {
      off += 4;
      type = (d[off] << 8) | d[off + 1];
    }
    off += 2;
    if (type === 0x0800 && d.length >= off + 20) return off;
    if (type === 0x86dd && d.length >= off + 40) return off;
    return -1;
  }
}

const PROTO: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6' };

/** Flow texts of plain IPv4 frames by (src, dst, ports, protocol): one text per flow, not per packet. */
const ipv4Flows = new Map<number, Map<number, Map<number, string | undefined>>>();

/** A frame's 5-tuple as text, the form expectations and the trace use: "udp 10.0.0.1:1 > 10.0.0.2:53". */
export function flowText(frame: Uint8Array): string | undefined {
  // Fast path: untagged IPv4 without options or fragmentation — the common case — by numbers.
  if (frame.length >= 38 && frame[12] === 0x08 && frame[13] === 0x00 && frame[14] === 0x45 && (frame[20] & 0x3f) === 0 && frame[21] === 0) {
    const src = ((frame[26] << 24) | (frame[27] << 16) | (frame[28] << 8) | frame[29]) >>> 0;
    const dst = ((frame[30] << 24) | (frame[31] << 16) | (frame[32] << 8) | frame[33]) >>> 0;
    const proto = frame[23];
    const ports = proto === 6 || proto === 17 ? ((frame[34] << 24) | (frame[35] << 16) | (frame[36] << 8) | frame[37]) >>> 0 : 0;
    let bySrc = ipv4Flows.get(src);
    if (!bySrc) ipv4Flows.set(src, (bySrc = new Map()));
    let byDst = bySrc.get(dst);
    if (!byDst) bySrc.set(dst, (byDst = new Map()));
    const k = ports * 256 + proto;
    if (byDst.has(k)) return byDst.get(k);
    const t = slowFlowText(frame);
    byDst.set(k, t);
    return t;
  }
  return slowFlowText(frame);
}

function slowFlowText(frame: Uint8Array): string | undefined {
  const k = flowKey(frame);
  if (!k) return undefined;
  const f = k.family === 4 ? formatIp4 : formatIp6;
  return `${PROTO[k.protocol] ?? `proto${k.protocol}`} ${f(k.src)}:${k.sport} > ${f(k.dst)}:${k.dport}`;
}
