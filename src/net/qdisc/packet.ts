/**
 * What a qdisc needs from a packet: the slice of include/linux/skbuff.h that net/sched reads
 * (skb->len as qdisc_pkt_len(), skb->priority, the flow hash of skb_get_hash(),
 * qdisc_skb_cb(skb)->tc_classid, INET_ECN_set_ce()). The datapath's Skb satisfies it
 * structurally, so qdiscs never import the datapath.
 *
 * Handles follow include/uapi/linux/pkt_sched.h: a 32-bit value major:minor, written in hex by tc
 * ("1:10" is 0x00010010), parsed as tc/tc_util.c: get_tc_classid() does.
 */

export interface QdiscPacket {
  /** Bytes on the wire from the MAC header on (qdisc_pkt_len() without a size table). */
  readonly len: number;
  /** skb->priority: a TC_PRIO_* band for pfifo_fast, or a major:minor class id for htb/fq_codel. */
  priority: number;
  /** skb_get_hash(): fq_codel picks a flow with reciprocal_scale(hash, flows). */
  readonly flowHash: number;
  /** Class chosen by a tc filter (cls_bpf puts skb->tc_classid here); 0 or undefined when none. */
  tcClassid?: number;
  /** skb->truesize, for fq_codel's memory_limit; estimated from len when absent. */
  readonly truesize?: number;
  /** ECT(0) or ECT(1) in the IP header. */
  ecnCapable(): boolean;
  /** INET_ECN_set_ce(): set CE; false when the packet is not ECN-capable (then it gets dropped instead). */
  markCe(): boolean;
}

/** include/uapi/linux/pkt_sched.h */
export const TC_PRIO_MAX = 15;
export const TC_H_ROOT = 0xffffffff;
export const TC_H_UNSPEC = 0;

export const tcHMaj = (h: number): number => (h & 0xffff0000) >>> 0;
export const tcHMin = (h: number): number => h & 0xffff;
export const tcHMake = (maj: number, min: number): number => (tcHMaj(maj) | tcHMin(min)) >>> 0;

export class HandleError extends Error {
  constructor(readonly value: unknown, detail: string) {
    super(`invalid handle/classid ${JSON.stringify(value)}: ${detail} (write it as tc does: "1:", "1:10" in hex, or "root")`);
    this.name = 'HandleError';
  }
}

/** "1:10" → 0x10010, "1:" → 0x10000, ":5" → 0x5, "root" → TC_H_ROOT, "none" → 0; numbers pass through. */
export function parseHandle(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new HandleError(v, 'not a 32-bit unsigned integer');
    return v;
  }
  const s = v.trim();
  if (s === 'root') return TC_H_ROOT;
  if (s === 'none') return TC_H_UNSPEC;
  const m = /^([0-9a-fA-F]*)(?::([0-9a-fA-F]*))?$/.exec(s);
  if (m === null || (m[1] === '' && m[2] === undefined)) throw new HandleError(v, 'expected MAJOR:MINOR in hex');
  const maj = m[1] === '' ? 0 : parseInt(m[1], 16);
  const min = m[2] === undefined || m[2] === '' ? 0 : parseInt(m[2], 16);
  if (maj > 0xffff || min > 0xffff) throw new HandleError(v, 'major and minor must each fit in 16 bits');
  // A bare number without ':' is a raw 32-bit value in tc (strtoul base 16).
  if (m[2] === undefined) return parseInt(m[1], 16) >>> 0;
  return ((maj << 16) | min) >>> 0;
}

/** tc's print_tc_classid(): "1:10", "1:", ":5", "root", "none". */
export function formatHandle(h: number): string {
  if (h === TC_H_ROOT) return 'root';
  if (h === TC_H_UNSPEC) return 'none';
  const maj = tcHMaj(h) >>> 16;
  const min = tcHMin(h);
  if (maj === 0) return `:${min.toString(16)}`;
  if (min === 0) return `${maj.toString(16)}:`;
  return `${maj.toString(16)}:${min.toString(16)}`;
}
