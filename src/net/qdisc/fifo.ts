/**
 * pfifo and bfifo: models net/sched/sch_fifo.c: pfifo_enqueue() (limit in packets, default
 * txqueuelen) and bfifo_enqueue() (limit in bytes, default txqueuelen × psched_mtu()), tail drop
 * with SKB_DROP_REASON_QDISC_OVERLIMIT. Also the "noop" qdisc (sch_generic.c: noop_enqueue()),
 * which drops everything: what tbf holds when given limit 0.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import { Qdisc } from './base.ts';
import type { QdiscPacket } from './packet.ts';
import { PacketQueue } from './queue.ts';

export const DEFAULT_TXQUEUELEN = 1000;
/** psched_mtu() of an Ethernet device with MTU 1500: mtu + hard_header_len. */
export const DEFAULT_PSCHED_MTU = 1514;

abstract class FifoBase extends Qdisc {
  protected readonly q = new PacketQueue();
  readonly limit: number;

  constructor(sched: Scheduler, limit: number, handle: number) {
    super(sched, handle);
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`${this.constructor.name}: limit must be a non-negative integer, got ${limit}`);
    this.limit = limit;
  }

  protected doDequeue(): QdiscPacket | undefined {
    if (this.q.length === 0) return undefined;
    this.lastSojourn = this.sched.now - this.q.headTime();
    return this.q.shift();
  }

  protected override doPeek(): QdiscPacket | undefined {
    return this.q.peek();
  }
}

export class Pfifo extends FifoBase {
  readonly kind = 'pfifo';

  constructor(sched: Scheduler, opts: { limit?: number; txqueuelen?: number; handle?: number } = {}) {
    super(sched, opts.limit ?? Math.max(opts.txqueuelen ?? DEFAULT_TXQUEUELEN, 1), opts.handle ?? 0);
  }

  protected doEnqueue(pkt: QdiscPacket): string | undefined {
    if (this.q.length >= this.limit) return 'QDISC_OVERLIMIT';
    this.q.push(pkt, this.sched.now);
    return undefined;
  }
}

export class Bfifo extends FifoBase {
  readonly kind = 'bfifo';

  constructor(sched: Scheduler, opts: { limit?: number; txqueuelen?: number; mtu?: number; handle?: number } = {}) {
    const dflt = Math.max(opts.txqueuelen ?? DEFAULT_TXQUEUELEN, 1) * ((opts.mtu ?? 1500) + 14);
    super(sched, opts.limit ?? dflt, opts.handle ?? 0);
  }

  protected doEnqueue(pkt: QdiscPacket): string | undefined {
    if (this.q.bytes + pkt.len > this.limit) return 'QDISC_OVERLIMIT';
    this.q.push(pkt, this.sched.now);
    return undefined;
  }
}

/** noop_qdisc: accepts nothing. */
export class Noop extends Qdisc {
  readonly kind = 'noop';

  protected doEnqueue(): string | undefined {
    return 'QDISC_DROP';
  }

  protected doDequeue(): QdiscPacket | undefined {
    return undefined;
  }

  protected override doPeek(): QdiscPacket | undefined {
    return undefined;
  }
}

/**
 * noqueue: models sch_generic.c: noqueue_qdisc_ops, the default of veth and loopback
 * (IFF_NO_QUEUE). It has no enqueue function: __dev_queue_xmit() hands the packet straight to the
 * driver. `bypass` tells the device to do so; calling enqueue() anyway means the device was busy,
 * and the kernel then drops ("Virtual device asks to queue packet!").
 */
export class Noqueue extends Qdisc {
  readonly kind = 'noqueue';
  override readonly bypass = true;

  protected doEnqueue(): string | undefined {
    return 'DEV_READY';
  }

  protected doDequeue(): QdiscPacket | undefined {
    return undefined;
  }

  protected override doPeek(): QdiscPacket | undefined {
    return undefined;
  }
}
