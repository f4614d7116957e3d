/**
 * The base of every egress qdisc (STYLE.md §7, after ns-3's QueueDisc): the public enqueue(),
 * dequeue(), peek() and requeue() do the bookkeeping that net/sched spreads over
 * include/net/sch_generic.h (qdisc_qstats_drop(), qdisc_bstats_update(), qdisc_qstats_backlog_*,
 * q.qlen, qdisc_peek_dequeued(), dev_requeue_skb()) and emit the trace events; a subclass only
 * places and picks packets in doEnqueue()/doDequeue()/doPeek(). No qdisc can forget a counter.
 *
 * The counters are those `tc -s qdisc show` prints: Sent bytes/pkt, dropped, overlimits,
 * requeues, backlog bytes/packets.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import { formatHandle, type QdiscPacket } from './packet.ts';
import { formatSize } from './units.ts';

export type QdiscEventKind = 'enqueue' | 'dequeue' | 'drop' | 'mark' | 'requeue';

export interface QdiscEvent {
  kind: QdiscEventKind;
  /** Virtual time (ns). */
  t: number;
  pkt: QdiscPacket;
  /** Drop reason in the kernel's words (SKB_DROP_REASON_*: QDISC_DROP, QDISC_OVERLIMIT, QDISC_CONGESTED), or the mark kind. */
  reason?: string;
  /** Queue length (packets) and backlog (bytes) after the event. */
  qlen: number;
  backlog: number;
  /** Time the packet spent queued (dequeue, and AQM drops/marks), when the qdisc keeps enqueue times. */
  sojourn?: number;
}

export type EnqueueVerdict = 'ok' | 'drop';

/** `tc -s qdisc show` fields, plus the qdisc's own xstats. */
export interface QdiscStats {
  kind: string;
  handle: string;
  bytes: number;
  packets: number;
  drops: number;
  overlimits: number;
  requeues: number;
  backlog: number;
  qlen: number;
  xstats?: Record<string, number>;
}

export abstract class Qdisc {
  abstract readonly kind: string;
  /** True for noqueue: the device transmits directly and never calls enqueue(). */
  readonly bypass: boolean = false;
  handle: number;

  /** Trace hook; when unset, enqueue/dequeue build no event objects at all. */
  onEvent: ((ev: QdiscEvent) => void) | undefined = undefined;
  /**
   * Called when a shaper throttles with the time it can send again (qdisc_watchdog_schedule_ns()),
   * so the device can schedule its wake-up; nextReadyTime() answers the same question on demand.
   */
  onWatchdog: ((wakeAt: number) => void) | undefined = undefined;

  protected readonly sched: Scheduler;
  protected qlenCount = 0;
  protected backlogBytes = 0;
  protected sentBytes = 0;
  protected sentPackets = 0;
  protected dropCount = 0;
  protected overlimitCount = 0;
  protected requeueCount = 0;
  /** Sojourn of the packet doDequeue() just returned, when the subclass knows it (else -1). */
  protected lastSojourn = -1;
  /**
   * qdisc_peek_dequeued() semantics: peek() really dequeues (running the shaper/AQM) and parks the
   * packet, still counted in qlen/backlog, until dequeue() takes it (tbf, htb, fq_codel).
   */
  protected peekDequeues = false;
  /** sch->gso_skb: a packet peeked by dequeueing, or requeued by the driver. */
  private parked: QdiscPacket | undefined = undefined;
  private parkedSojourn = -1;
  /** The packet being enqueued, so dropQueued() can tell whether an overflow dropped it. */
  private enqueuing: QdiscPacket | undefined = undefined;
  private enqueuingDropped = false;
  /** Set by the parent that adopted this qdisc. */
  private parentHook: ((pkt: QdiscPacket, reason: string, sojourn: number) => void) | undefined = undefined;

  constructor(sched: Scheduler, handle = 0) {
    this.sched = sched;
    this.handle = handle;
  }

  get qlen(): number {
    return this.qlenCount;
  }

  get backlog(): number {
    return this.backlogBytes;
  }

  /** qdisc_enqueue(): 'drop' when this packet was dropped (then it is counted and traced here). */
  enqueue(pkt: QdiscPacket): EnqueueVerdict {
    this.enqueuing = pkt;
    this.enqueuingDropped = false;
    const reason = this.doEnqueue(pkt);
    if (reason !== undefined) {
      this.enqueuing = undefined;
      this.dropCount++;
      if (this.onEvent !== undefined) this.emit('drop', pkt, reason, -1);
      return 'drop';
    }
    this.qlenCount++;
    this.backlogBytes += pkt.len;
    if (this.onEvent !== undefined) this.emit('enqueue', pkt, undefined, -1);
    this.afterEnqueue(pkt);
    this.enqueuing = undefined;
    return this.enqueuingDropped ? 'drop' : 'ok';
  }

  /** The next packet to transmit, or undefined (empty, or a shaper is throttled). */
  dequeue(): QdiscPacket | undefined {
    let pkt = this.parked;
    let sojourn: number;
    if (pkt !== undefined) {
      this.parked = undefined;
      sojourn = this.parkedSojourn;
    } else {
      if (this.qlenCount === 0) return undefined;
      this.lastSojourn = -1;
      pkt = this.doDequeue();
      if (pkt === undefined) return undefined;
      sojourn = this.lastSojourn;
    }
    this.qlenCount--;
    this.backlogBytes -= pkt.len;
    this.sentBytes += pkt.len;
    this.sentPackets++;
    if (this.onEvent !== undefined) this.emit('dequeue', pkt, undefined, sojourn);
    return pkt;
  }

  /** The packet dequeue() would return next, without taking it. */
  peek(): QdiscPacket | undefined {
    if (this.parked !== undefined) return this.parked;
    if (this.qlenCount === 0) return undefined;
    if (!this.peekDequeues) return this.doPeek();
    this.lastSojourn = -1;
    const pkt = this.doDequeue();
    if (pkt !== undefined) {
      this.parked = pkt;
      this.parkedSojourn = this.lastSojourn;
    }
    return pkt;
  }

  /**
   * dev_requeue_skb(): the driver could not take the packet dequeue() gave it; it goes back to the
   * head and is sent first. Counted in requeues; Sent is corrected so each packet counts once.
   */
  requeue(pkt: QdiscPacket): void {
    if (this.parked !== undefined) throw new Error(`${this.kind}: requeue() while a packet is already parked; dequeue it first`);
    this.parked = pkt;
    this.parkedSojourn = -1;
    this.qlenCount++;
    this.backlogBytes += pkt.len;
    this.sentBytes -= pkt.len;
    this.sentPackets--;
    this.requeueCount++;
    if (this.onEvent !== undefined) this.emit('requeue', pkt, undefined, -1);
  }

  /**
   * When dequeue() could next succeed: undefined when empty, `now` when it can right away, else
   * the time a throttled shaper gets its tokens back (what the kernel arms its watchdog for).
   */
  nextReadyTime(now: number = this.sched.now): number | undefined {
    if (this.qlenCount === 0) return undefined;
    if (this.parked !== undefined) return now;
    return this.doNextReadyTime(now);
  }

  stats(): QdiscStats {
    const s: QdiscStats = {
      kind: this.kind,
      handle: formatHandle(this.handle),
      bytes: this.sentBytes,
      packets: this.sentPackets,
      drops: this.dropCount,
      overlimits: this.overlimitCount,
      requeues: this.requeueCount,
      backlog: this.backlogBytes,
      qlen: this.qlenCount,
    };
    const x = this.xstats();
    if (x !== undefined) s.xstats = x;
    return s;
  }

  /** The two counter lines of `tc -s qdisc show` for this qdisc. */
  formatStats(): string {
    const s = this.stats();
    return (
      ` Sent ${s.bytes} bytes ${s.packets} pkt (dropped ${s.drops}, overlimits ${s.overlimits} requeues ${s.requeues}) \n` +
      ` backlog ${formatSize(s.backlog)} ${s.qlen}p requeues ${s.requeues}`
    );
  }

  /** Place the packet; return a drop reason to refuse it (the base counts and traces the drop). */
  protected abstract doEnqueue(pkt: QdiscPacket): string | undefined;
  /** Pick the next packet (the base updates qlen/backlog/Sent); may drop queued packets via dropQueued(). */
  protected abstract doDequeue(): QdiscPacket | undefined;
  /** The head packet without removing it (work-conserving qdiscs; shapers peek by dequeueing). */
  protected doPeek(): QdiscPacket | undefined {
    throw new Error(`${this.kind}: doPeek() not implemented`);
  }
  /** After a packet has been accepted and counted: overflow handling that drops queued packets. */
  protected afterEnqueue(_pkt: QdiscPacket): void {}
  protected doNextReadyTime(now: number): number | undefined {
    return now;
  }
  protected xstats(): Record<string, number> | undefined {
    return undefined;
  }

  /** Drop a packet that was queued and counted (overflow from the fat flow, an AQM drop). */
  protected dropQueued(pkt: QdiscPacket, reason: string, sojourn = -1): void {
    this.qlenCount--;
    this.backlogBytes -= pkt.len;
    this.dropCount++;
    if (pkt === this.enqueuing) this.enqueuingDropped = true;
    if (this.onEvent !== undefined) this.emit('drop', pkt, reason, sojourn);
    if (this.parentHook !== undefined) this.parentHook(pkt, reason, sojourn);
  }

  /**
   * Make `child` an inner qdisc of this one: packets it drops from its queue after accepting them
   * are taken off this qdisc's counters too (qdisc_tree_reduce_backlog()).
   */
  protected adopt<Q extends Qdisc>(child: Q): Q {
    child.parentHook = (pkt, reason, sojourn) => this.childDropped(child, pkt, reason, sojourn);
    return child;
  }

  /** A child emptied some of its queue by dropping (qlen_notify() for classful qdiscs). */
  protected childQueueDropped(_child: Qdisc): void {}

  private childDropped(child: Qdisc, pkt: QdiscPacket, reason: string, sojourn: number): void {
    // The packet this qdisc is enqueueing right now is not counted here yet: the child's 'drop'
    // verdict makes our own enqueue() count it once.
    if (pkt === this.enqueuing) return;
    this.qlenCount--;
    this.backlogBytes -= pkt.len;
    this.dropCount++;
    if (this.onEvent !== undefined) this.emit('drop', pkt, reason, sojourn);
    this.childQueueDropped(child);
    if (this.parentHook !== undefined) this.parentHook(pkt, reason, sojourn);
  }

  /** Trace an ECN CE mark done instead of a drop. */
  protected emitMark(pkt: QdiscPacket, reason: string, sojourn = -1): void {
    if (this.onEvent !== undefined) this.emit('mark', pkt, reason, sojourn);
  }

  /** qdisc_watchdog_schedule_ns(). */
  protected watchdog(wakeAt: number): void {
    if (this.onWatchdog !== undefined) this.onWatchdog(wakeAt);
  }

  private emit(kind: QdiscEventKind, pkt: QdiscPacket, reason: string | undefined, sojourn: number): void {
    const ev: QdiscEvent = { kind, t: this.sched.now, pkt, qlen: this.qlenCount, backlog: this.backlogBytes };
    if (reason !== undefined) ev.reason = reason;
    if (sojourn >= 0) ev.sojourn = sojourn;
    (this.onEvent as (ev: QdiscEvent) => void)(ev);
  }
}
