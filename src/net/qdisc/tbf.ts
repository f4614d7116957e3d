/**
 * Token bucket filter: models net/sched/sch_tbf.c: tbf_enqueue(), tbf_dequeue(), tbf_change(),
 * with the parameters iproute2's tc/q_tbf.c derives (limit from latency, TCA_TBF_BURST and
 * TCA_TBF_PBURST in bytes). Tokens are kept in ns, as the kernel keeps them: the bucket holds
 * `buffer` = psched_l2t_ns(rate, burst) ns of credit; a packet of len bytes costs
 * psched_l2t_ns(rate, len). An optional peak-rate bucket of `mtu` bytes limits bursts at a shorter
 * scale. Packets wait in an inner bfifo of `limit` bytes; when the head packet lacks tokens, the
 * qdisc counts an overlimit and arms its watchdog for the moment it will have them.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import { Qdisc } from './base.ts';
import { Bfifo, Noop } from './fifo.ts';
import type { QdiscPacket } from './packet.ts';
import { RateCfg } from './ratecfg.ts';
import { rateBytesPerSec } from './units.ts';

export interface TbfOptions {
  /** Rate in bits per second. */
  rate: number;
  /** Bucket size in bytes (tc's burst/buffer/maxburst). */
  burst: number;
  /** Bytes the inner bfifo may hold; or give latency. */
  limit?: number;
  /** Longest a packet may wait, in ns; tc turns it into limit = rate × latency + burst. */
  latency?: number;
  /** Peak rate in bits per second (needs mtu). */
  peakrate?: number;
  /** Size of the peak-rate bucket in bytes (tc's mtu/minburst). */
  mtu?: number;
  mpu?: number;
  overhead?: number;
  /** Inner qdisc instead of the default bfifo (tc qdisc add ... parent <tbf>:1 ...). */
  child?: Qdisc;
  handle?: number;
}

export class TbfConfigError extends Error {
  constructor(detail: string) {
    super(`tbf: ${detail}`);
    this.name = 'TbfConfigError';
  }
}

export class Tbf extends Qdisc {
  readonly kind = 'tbf';
  readonly rate: RateCfg;
  readonly peak: RateCfg | undefined;
  /** Bucket depth in ns of rate (q->buffer) and peak bucket depth in ns (q->mtu). */
  readonly buffer: number;
  readonly mtu: number;
  /** Largest packet that can ever pass (q->max_size); larger ones are dropped. */
  readonly maxSize: number;
  /** Inner queue limit in bytes. */
  readonly limit: number;
  readonly child: Qdisc;
  private tokens: number;
  private ptokens: number;
  private tC: number;

  constructor(sched: Scheduler, o: TbfOptions) {
    super(sched, o.handle ?? 0);
    if (!(o.rate > 0) || !(o.burst > 0)) throw new TbfConfigError('both "rate" and "burst" are required');
    const rate64 = rateBytesPerSec(o.rate);
    const prate64 = o.peakrate !== undefined ? rateBytesPerSec(o.peakrate) : 0;
    if (prate64 > 0 && !(o.mtu !== undefined && o.mtu > 0)) throw new TbfConfigError('"mtu" is required if "peakrate" is requested');
    if (o.limit !== undefined && o.latency !== undefined) throw new TbfConfigError('give either "limit" or "latency", not both');
    let limit = o.limit;
    if (limit === undefined) {
      if (o.latency === undefined) throw new TbfConfigError('either "limit" or "latency" is required');
      // q_tbf.c: lim = rate*latency/TIME_UNITS_PER_SEC + buffer, latency in whole µs.
      const latencyUs = Math.trunc(o.latency / 1000);
      let lim = (rate64 * latencyUs) / 1e6 + o.burst;
      if (prate64 > 0) lim = Math.min(lim, (prate64 * latencyUs) / 1e6 + (o.mtu as number));
      limit = Math.trunc(lim) >>> 0;
    }
    this.limit = limit;
    this.rate = new RateCfg(rate64, o.overhead ?? 0, o.mpu ?? 0);
    // tbf_change() with TCA_TBF_BURST / TCA_TBF_PBURST.
    let maxSize = o.burst;
    this.buffer = this.rate.l2t(o.burst);
    if (prate64 > 0) {
      this.peak = new RateCfg(prate64, o.overhead ?? 0, o.mpu ?? 0);
      if (this.peak.rateBytesPs <= this.rate.rateBytesPs) throw new TbfConfigError(`peakrate ${prate64} B/s is lower than or equal to rate ${rate64} B/s`);
      maxSize = Math.min(maxSize, o.mtu as number);
      this.mtu = this.peak.l2t(o.mtu as number);
    } else {
      this.peak = undefined;
      this.mtu = 0;
    }
    if (maxSize <= 0) throw new TbfConfigError('burst must be positive');
    this.maxSize = maxSize;
    this.child = this.adopt(o.child ?? (limit > 0 ? new Bfifo(sched, { limit }) : new Noop(sched)));
    this.tokens = this.buffer;
    this.ptokens = this.mtu;
    this.tC = sched.now;
    this.peekDequeues = true;
  }

  protected doEnqueue(pkt: QdiscPacket): string | undefined {
    // GSO segmentation of oversized packets (tbf_segment()) is not modelled: they are dropped.
    if (pkt.len > this.maxSize) return 'QDISC_DROP';
    if (this.child.enqueue(pkt) !== 'ok') return 'QDISC_OVERLIMIT';
    return undefined;
  }

  protected doDequeue(): QdiscPacket | undefined {
    const head = this.child.peek();
    if (head === undefined) return undefined;
    const now = this.sched.now;
    const len = head.len;
    let toks = Math.min(now - this.tC, this.buffer);
    let ptoks = 0;
    if (this.peak !== undefined) {
      ptoks = toks + this.ptokens;
      if (ptoks > this.mtu) ptoks = this.mtu;
      ptoks -= this.peak.l2t(len);
    }
    toks += this.tokens;
    if (toks > this.buffer) toks = this.buffer;
    toks -= this.rate.l2t(len);
    if (toks >= 0 && ptoks >= 0) {
      const pkt = this.child.dequeue() as QdiscPacket;
      this.tC = now;
      this.tokens = toks;
      this.ptokens = ptoks;
      return pkt;
    }
    this.watchdog(now + Math.max(-toks, -ptoks));
    // Reordering a shorter packet ahead "is wrong in principle" (sch_tbf.c): wait for this one.
    this.overlimitCount++;
    return undefined;
  }

  protected override doNextReadyTime(now: number): number | undefined {
    const head = this.child.peek();
    if (head === undefined) return undefined;
    let toks = Math.min(now - this.tC, this.buffer);
    let ptoks = 0;
    if (this.peak !== undefined) ptoks = Math.min(toks + this.ptokens, this.mtu) - this.peak.l2t(head.len);
    toks = Math.min(toks + this.tokens, this.buffer) - this.rate.l2t(head.len);
    return toks >= 0 && ptoks >= 0 ? now : now + Math.max(-toks, -ptoks);
  }
}
