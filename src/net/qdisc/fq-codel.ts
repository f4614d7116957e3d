/**
 * Fair Queue CoDel: models net/sched/sch_fq_codel.c: fq_codel_classify(), fq_codel_enqueue(),
 * fq_codel_drop(), __fq_codel_dequeue(). Packets hash into `flows` buckets, each a FIFO with its
 * own CoDel state; deficit round robin with `quantum` bytes serves the new-flows list before the
 * old-flows list, so a sparse flow (a ping, a DNS query) jumps ahead of bulk flows. When the whole
 * qdisc is over `limit` packets or `memory_limit` bytes of truesize, up to `drop_batch_size`
 * packets are dropped from the head of the fattest flow (half its backlog at most), and its CoDel
 * count is raised. ECN marking is on by default.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import { Qdisc } from './base.ts';
import {
  CODEL_DISABLED_THRESHOLD, codelDequeue, codelDuration, CodelVars,
  type CodelParams, type CodelSource, type CodelStats,
} from './codel.ts';
import type { QdiscPacket } from './packet.ts';
import { tcHMaj, tcHMin } from './packet.ts';
import { PacketQueue } from './queue.ts';

export interface FqCodelOptions {
  /** Packets (default 10240). */
  limit?: number;
  /** Hash buckets (default 1024, at most 65536). */
  flows?: number;
  /** DRR quantum in bytes (default psched_mtu() = mtu + 14; at least 256). */
  quantum?: number;
  /** ns (default 5 ms). */
  target?: number;
  /** ns (default 100 ms). */
  interval?: number;
  /** Mark ECT packets instead of dropping them (default true). */
  ecn?: boolean;
  /** Mark CE when sojourn exceeds this (ns); off by default. */
  ceThreshold?: number;
  /** Packets dropped at once on overflow (default 64). */
  dropBatchSize?: number;
  /** Bytes of truesize (default 32 MB). */
  memoryLimit?: number;
  /** Device MTU (default 1500): quantum and CoDel's minimum backlog are mtu + 14. */
  mtu?: number;
  handle?: number;
}

class Flow {
  readonly q = new PacketQueue(4);
  deficit = 0;
  readonly cvars = new CodelVars();
  /** 0: on no list (list_empty(&flow->flowchain)), 1: new_flows, 2: old_flows. */
  list = 0;
  /** Sum of truesize of the queued packets, to give memory back on dequeue. */
  mem = 0;
}

/** A FIFO of flows (the kernel's list_head; fq_codel only takes from the front and adds at the back). */
class FlowList {
  private items: Flow[] = [];
  private head = 0;
  get empty(): boolean {
    return this.head === this.items.length;
  }
  get length(): number {
    return this.items.length - this.head;
  }
  first(): Flow {
    return this.items[this.head];
  }
  shift(): Flow {
    const f = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return f;
  }
  push(f: Flow): void {
    this.items.push(f);
  }
}

/** Rough skb->truesize of a linear skb: SKB_TRUESIZE(kmalloc-rounded head). */
export function estimateTruesize(len: number): number {
  const head = Math.ceil((len + 64) / 64) * 64 + 320; // NET_SKB_PAD + data + skb_shared_info
  let slab = 512;
  while (slab < head) slab <<= 1;
  return slab + 256; // + SKB_DATA_ALIGN(sizeof(struct sk_buff))
}

export class FqCodel extends Qdisc {
  readonly kind = 'fq_codel';
  readonly limit: number;
  readonly flowsCnt: number;
  readonly quantum: number;
  readonly dropBatchSize: number;
  readonly memoryLimit: number;
  readonly cparams: CodelParams;
  readonly cstats: CodelStats = { maxpacket: 0, ecnMark: 0, ceMark: 0 };
  private readonly flows: Flow[];
  private readonly newFlows = new FlowList();
  private readonly oldFlows = new FlowList();
  private memoryUsage = 0;
  private dropOvermemory = 0;
  private dropOverlimit = 0;
  private newFlowCount = 0;
  /** The flow CoDel is pulling from (dequeue_func's container_of(vars)). */
  private cur: Flow | undefined = undefined;

  constructor(sched: Scheduler, o: FqCodelOptions = {}) {
    super(sched, o.handle ?? 0);
    const psched = (o.mtu ?? 1500) + 14;
    this.limit = o.limit ?? 10 * 1024;
    this.flowsCnt = o.flows ?? 1024;
    if (!Number.isInteger(this.flowsCnt) || this.flowsCnt < 1 || this.flowsCnt > 65536) throw new RangeError(`fq_codel: flows must be 1..65536, got ${o.flows}`);
    if (o.quantum !== undefined && o.quantum > 1 << 20) throw new RangeError(`fq_codel: invalid quantum ${o.quantum} (max ${1 << 20})`);
    this.quantum = o.quantum !== undefined ? Math.max(256, o.quantum) : psched;
    this.dropBatchSize = Math.max(1, o.dropBatchSize ?? 64);
    this.memoryLimit = Math.min(2 ** 31, o.memoryLimit ?? 32 * 1024 * 1024);
    // fq_codel_change(): tc sends µs; the kernel keeps (µs × 1000) >> CODEL_SHIFT.
    const us = (ns: number): number => codelDuration(Math.trunc(ns / 1000) * 1000);
    this.cparams = {
      target: o.target !== undefined ? us(o.target) : codelDuration(5_000_000),
      interval: o.interval !== undefined ? us(o.interval) : codelDuration(100_000_000),
      ceThreshold: o.ceThreshold !== undefined ? us(o.ceThreshold) : CODEL_DISABLED_THRESHOLD,
      mtu: psched,
      ecn: o.ecn ?? true,
    };
    this.flows = [];
    for (let i = 0; i < this.flowsCnt; i++) this.flows.push(new Flow());
    this.peekDequeues = true;
  }

  /** fq_codel_classify() without filters: skb->priority major:minor naming a flow, else the hash. */
  classify(pkt: QdiscPacket): number {
    const prio = pkt.priority >>> 0;
    if (tcHMaj(prio) === this.handle && this.handle !== 0 && tcHMin(prio) > 0 && tcHMin(prio) <= this.flowsCnt) return tcHMin(prio) - 1;
    // reciprocal_scale(hash, flows_cnt)
    return Math.floor(((pkt.flowHash >>> 0) * this.flowsCnt) / 4294967296);
  }

  protected doEnqueue(pkt: QdiscPacket): string | undefined {
    const flow = this.flows[this.classify(pkt)];
    flow.q.push(pkt, this.sched.now);
    if (flow.list === 0) {
      this.newFlows.push(flow);
      flow.list = 1;
      this.newFlowCount++;
      flow.deficit = this.quantum;
    }
    const mem = pkt.truesize ?? estimateTruesize(pkt.len);
    flow.mem += mem;
    this.memoryUsage += mem;
    return undefined;
  }

  protected override afterEnqueue(): void {
    const memoryLimited = this.memoryUsage > this.memoryLimit;
    if (this.qlenCount <= this.limit && !memoryLimited) return;
    const before = this.qlenCount;
    this.fqCodelDrop();
    const dropped = before - this.qlenCount;
    this.dropOverlimit += dropped;
    if (memoryLimited) this.dropOvermemory += dropped;
  }

  /** fq_codel_drop(): drop up to half the backlog of the fattest flow, at most dropBatchSize packets. */
  private fqCodelDrop(): void {
    let maxbacklog = 0;
    let idx = 0;
    for (let i = 0; i < this.flowsCnt; i++) {
      const b = this.flows[i].q.bytes;
      if (b > maxbacklog) {
        maxbacklog = b;
        idx = i;
      }
    }
    const threshold = maxbacklog >>> 1;
    const flow = this.flows[idx];
    let len = 0;
    let i = 0;
    const now = this.sched.now;
    do {
      const t = flow.q.headTime();
      const pkt = flow.q.shift() as QdiscPacket;
      len += pkt.len;
      const mem = pkt.truesize ?? estimateTruesize(pkt.len);
      flow.mem -= mem;
      this.memoryUsage -= mem;
      this.dropQueued(pkt, 'QDISC_OVERLIMIT', now - t);
    } while (++i < this.dropBatchSize && len < threshold);
    // Tell codel to increase its signal strength also.
    flow.cvars.count = (flow.cvars.count + i) >>> 0;
  }

  /** dequeue_func / drop_func of sch_fq_codel.c, for codel_dequeue(). */
  private readonly src: CodelSource = {
    poppedAt: 0,
    pop: (): QdiscPacket | undefined => {
      const flow = this.cur as Flow;
      if (flow.q.length === 0) return undefined;
      this.src.poppedAt = flow.q.headTime();
      const pkt = flow.q.shift() as QdiscPacket;
      const mem = pkt.truesize ?? estimateTruesize(pkt.len);
      flow.mem -= mem;
      this.memoryUsage -= mem;
      this.popped += pkt.len;
      return pkt;
    },
    // sch->qstats.backlog, which dequeue_func has already reduced for every popped packet.
    codelBacklog: (): number => this.backlogBytes - this.popped,
    drop: (pkt: QdiscPacket, sojourn: number): void => {
      this.popped -= pkt.len;
      this.dropQueued(pkt, 'QDISC_CONGESTED', sojourn);
    },
    mark: (pkt: QdiscPacket, kind: 'ecn' | 'ce', sojourn: number): void => {
      this.emitMark(pkt, kind === 'ecn' ? 'ECN_CE' : 'CE_THRESHOLD', sojourn);
    },
  };
  /** Bytes popped by CoDel in this dequeue and not dropped (not yet off the base's backlog). */
  private popped = 0;

  protected doDequeue(): QdiscPacket | undefined {
    const now = this.sched.now;
    for (;;) {
      let head = this.newFlows;
      if (head.empty) {
        head = this.oldFlows;
        if (head.empty) return undefined;
      }
      const flow = head.first();
      if (flow.deficit <= 0) {
        flow.deficit += this.quantum;
        head.shift();
        this.oldFlows.push(flow);
        flow.list = 2;
        continue;
      }
      this.cur = flow;
      this.popped = 0;
      const pkt = codelDequeue(this.src, flow.cvars, this.cparams, this.cstats, now);
      this.popped = 0;
      if (pkt === undefined) {
        // Force a pass through old_flows to prevent starvation.
        head.shift();
        if (head === this.newFlows && !this.oldFlows.empty) {
          this.oldFlows.push(flow);
          flow.list = 2;
        } else {
          flow.list = 0;
        }
        continue;
      }
      flow.deficit -= pkt.len;
      this.lastSojourn = now - this.src.poppedAt;
      return pkt;
    }
  }

  protected override xstats(): Record<string, number> {
    return {
      maxpacket: this.cstats.maxpacket,
      drop_overlimit: this.dropOverlimit,
      new_flow_count: this.newFlowCount,
      ecn_mark: this.cstats.ecnMark,
      new_flows_len: this.newFlows.length,
      old_flows_len: this.oldFlows.length,
      ce_mark: this.cstats.ceMark,
      memory_used: this.memoryUsage,
      drop_overmemory: this.dropOvermemory,
    };
  }

  /** Backlog in bytes of flow bucket `i` (0-based), for tests and tracing. */
  flowBacklog(i: number): number {
    return this.flows[i].q.bytes;
  }
}
