/**
 * A FIFO of packets with their enqueue times: the sk_buff_head / qdisc_skb_head lists of
 * net/sched (qdisc_enqueue_tail(), qdisc_dequeue_head()), as a growable ring so that neither end
 * costs an allocation or a shift. Keeps its byte count (the per-flow backlog of fq_codel).
 */
import type { QdiscPacket } from './packet.ts';

export class PacketQueue {
  private pkts: (QdiscPacket | undefined)[];
  private times: Float64Array;
  private head = 0;
  private mask: number;
  private count = 0;
  /** Sum of len over queued packets. */
  bytes = 0;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.pkts = new Array<QdiscPacket | undefined>(cap).fill(undefined);
    this.times = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get length(): number {
    return this.count;
  }

  push(pkt: QdiscPacket, time: number): void {
    if (this.count > this.mask) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.pkts[i] = pkt;
    this.times[i] = time;
    this.count++;
    this.bytes += pkt.len;
  }

  /** Head packet, or undefined. */
  peek(): QdiscPacket | undefined {
    return this.count === 0 ? undefined : this.pkts[this.head];
  }

  /** Enqueue time of the head packet (only meaningful when length > 0). */
  headTime(): number {
    return this.times[this.head];
  }

  shift(): QdiscPacket | undefined {
    if (this.count === 0) return undefined;
    const pkt = this.pkts[this.head] as QdiscPacket;
    this.pkts[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    this.bytes -= pkt.len;
    return pkt;
  }

  /** Put a packet back at the head (dev_requeue_skb()). */
  unshift(pkt: QdiscPacket, time: number): void {
    if (this.count > this.mask) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.pkts[this.head] = pkt;
    this.times[this.head] = time;
    this.count++;
    this.bytes += pkt.len;
  }

  clear(): void {
    this.pkts.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const pkts = new Array<QdiscPacket | undefined>(cap).fill(undefined);
    const times = new Float64Array(cap);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      pkts[k] = this.pkts[i];
      times[k] = this.times[i];
    }
    this.pkts = pkts;
    this.times = times;
    this.head = 0;
    this.mask = cap - 1;
  }
}
