/**
 * pfifo_fast, the classic default qdisc: models net/sched/sch_generic.c: pfifo_fast_enqueue(),
 * pfifo_fast_dequeue() and prio2band[]. Three bands picked by skb->priority & TC_PRIO_MAX, band 0
 * served first. Since Linux 4.16 each band is a lockless skb_array (include/linux/ptr_ring.h) of
 * txqueuelen slots, so the limit is per band, and the consumer frees slots lazily in batches
 * (__ptr_ring_discard_one()): a full band can refuse a packet although a few slots were consumed.
 * That is modelled too, so overflow counts match the kernel's.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import { Qdisc } from './base.ts';
import { DEFAULT_TXQUEUELEN } from './fifo.ts';
import { TC_PRIO_MAX, type QdiscPacket } from './packet.ts';

/** sch_generic.c: prio2band[TC_PRIO_MAX + 1]. */
export const PRIO2BAND: readonly number[] = [1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
export const PFIFO_FAST_BANDS = 3;
/** SMP_CACHE_BYTES (64 on x86-64) * 2 / sizeof(void *). */
const PTR_RING_BATCH = 16;

/** include/linux/ptr_ring.h, single producer and consumer. */
export class PtrRing {
  private readonly queue: (QdiscPacket | undefined)[];
  private readonly times: Float64Array;
  private producer = 0;
  private consumerHead = 0;
  private consumerTail = 0;
  private readonly batch: number;
  count = 0;

  constructor(readonly size: number) {
    this.queue = new Array<QdiscPacket | undefined>(size).fill(undefined);
    this.times = new Float64Array(size);
    // __ptr_ring_set_size(): no batching when the ring is small.
    this.batch = PTR_RING_BATCH > size / 2 ? 1 : PTR_RING_BATCH;
  }

  /** __ptr_ring_produce(): false (-ENOSPC) when the producer's slot is still occupied. */
  produce(pkt: QdiscPacket, time: number): boolean {
    if (this.size === 0 || this.queue[this.producer] !== undefined) return false;
    this.queue[this.producer] = pkt;
    this.times[this.producer] = time;
    if (++this.producer >= this.size) this.producer = 0;
    this.count++;
    return true;
  }

  peek(): QdiscPacket | undefined {
    return this.count === 0 ? undefined : this.queue[this.consumerHead];
  }

  headTime(): number {
    return this.times[this.consumerHead];
  }

  /** __ptr_ring_consume() with __ptr_ring_discard_one()'s batched zeroing. */
  consume(): QdiscPacket | undefined {
    if (this.count === 0) return undefined;
    const pkt = this.queue[this.consumerHead] as QdiscPacket;
    let consumerHead = this.consumerHead;
    let head = consumerHead++;
    // Consumed slots stay "occupied" (non-NULL) for the producer until a batch is complete.
    if (consumerHead - this.consumerTail >= this.batch || consumerHead >= this.size) {
      while (head >= this.consumerTail) this.queue[head--] = undefined;
      this.consumerTail = consumerHead;
    }
    if (consumerHead >= this.size) {
      consumerHead = 0;
      this.consumerTail = 0;
    }
    this.consumerHead = consumerHead;
    this.count--;
    return pkt;
  }
}

export class PfifoFast extends Qdisc {
  readonly kind = 'pfifo_fast';
  readonly bands: PtrRing[];

  constructor(sched: Scheduler, opts: { txqueuelen?: number; handle?: number } = {}) {
    super(sched, opts.handle ?? 0);
    const qlen = opts.txqueuelen ?? DEFAULT_TXQUEUELEN;
    // pfifo_fast_init(): "guard against zero length rings".
    if (!Number.isInteger(qlen) || qlen <= 0) throw new RangeError(`pfifo_fast: txqueuelen must be a positive integer, got ${qlen}`);
    this.bands = [new PtrRing(qlen), new PtrRing(qlen), new PtrRing(qlen)];
  }

  protected doEnqueue(pkt: QdiscPacket): string | undefined {
    const band = PRIO2BAND[pkt.priority & TC_PRIO_MAX];
    return this.bands[band].produce(pkt, this.sched.now) ? undefined : 'QDISC_DROP';
  }

  protected doDequeue(): QdiscPacket | undefined {
    for (let band = 0; band < PFIFO_FAST_BANDS; band++) {
      const ring = this.bands[band];
      if (ring.count === 0) continue;
      this.lastSojourn = this.sched.now - ring.headTime();
      return ring.consume();
    }
    return undefined;
  }

  protected override doPeek(): QdiscPacket | undefined {
    for (let band = 0; band < PFIFO_FAST_BANDS; band++) {
      const p = this.bands[band].peek();
      if (p !== undefined) return p;
    }
    return undefined;
  }
}
