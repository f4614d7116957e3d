/**
 * The trace pipeline at the edge: a simulation's TraceBus as an RxJS Observable, operators to
 * filter by packet, flow, node or hook, to sample and to window statistics, and a bounded
 * hand-off for slow (asynchronous) consumers that drops and counts instead of growing memory.
 * Nothing here runs unless someone subscribes (the bus checks `on` before building a record).
 */
import { filter, Observable, type OperatorFunction } from 'rxjs';
import type { TraceBus } from './bus.ts';
import type { Hook, HopRecord, StatsRecord, TraceRecord } from './records.ts';

export function traceStream(bus: TraceBus): Observable<TraceRecord> {
  return new Observable<TraceRecord>((sub) => bus.subscribe((r) => sub.next(r)));
}

export const hopsOnly = (): OperatorFunction<TraceRecord, HopRecord> => filter((r): r is HopRecord => r.type === 'hop');

/** Hops of one packet and of every packet derived from it (clones, encapsulations). */
export function byPacket(id: number): OperatorFunction<TraceRecord, HopRecord> {
  const family = new Set([id]);
  return (src) =>
    src.pipe(
      hopsOnly(),
      filter((r) => {
        if (r.parent !== undefined && family.has(r.parent)) family.add(r.pkt);
        return family.has(r.pkt);
      }),
    );
}

/**
 * Hops of the packets whose flow text (on their first hop, e.g. "udp 10.0.0.1:1234 > 10.0.0.2:53")
 * contains `flow`, and of every packet derived from them. A flow is recorded as the packet was
 * sent: a NAT rewrite later does not move the packet to another flow.
 */
export function byFlow(flow: string): OperatorFunction<TraceRecord, HopRecord> {
  const family = new Set<number>();
  return (src) =>
    src.pipe(
      hopsOnly(),
      filter((r) => {
        if (r.flow !== undefined && r.flow.includes(flow)) family.add(r.pkt);
        else if (r.parent !== undefined && family.has(r.parent)) family.add(r.pkt);
        return family.has(r.pkt);
      }),
    );
}

/** Hops at a node: "host" or "host/dev". */
export function byNode(node: string): OperatorFunction<TraceRecord, HopRecord> {
  const [host, dev] = node.split('/');
  return (src) => src.pipe(hopsOnly(), filter((r) => r.host === host && (dev === undefined || r.dev === dev)));
}

export function byHook(...hooks: Hook[]): OperatorFunction<TraceRecord, HopRecord> {
  const set = new Set(hooks);
  return (src) => src.pipe(hopsOnly(), filter((r) => set.has(r.hook)));
}

/** Every n-th packet (by id), all of its hops: sampling that keeps whole packet paths. */
export function samplePackets(n: number): OperatorFunction<TraceRecord, TraceRecord> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`samplePackets: n must be a positive integer, got ${n}`);
  return filter((r) => r.type !== 'hop' || r.pkt % n === 0);
}

/**
 * Counters per window of simulated time: hops per hook+verdict and drops, emitted as a
 * StatsRecord when a record arrives past the window's end (and once at completion). Hops come in
 * the order they were emitted, which may trail simulated time by a hop's cost: a late hop counts
 * in the window that is open when it arrives.
 */
export function windowStats(windowNs: number): OperatorFunction<TraceRecord, StatsRecord> {
  return (src) =>
    new Observable<StatsRecord>((sub) => {
      let start = 0;
      let counters: Record<string, number> = {};
      const flush = (t: number): void => {
        sub.next({ type: 'stats', t, counters });
        counters = {};
      };
      return src.subscribe({
        next: (r) => {
          if (r.type !== 'hop') return;
          while (r.t >= start + windowNs) {
            flush(start + windowNs);
            start += windowNs;
          }
          const k = `${r.host}/${r.dev ?? '-'}/${r.hook}/${r.verdict ?? r.reason ?? '-'}`;
          counters[k] = (counters[k] ?? 0) + 1;
        },
        error: (e) => sub.error(e),
        complete: () => {
          if (Object.keys(counters).length) flush(start + windowNs);
          sub.complete();
        },
      });
    });
}

/** What a slow consumer gets: the records queued since its last batch, and how many were dropped. */
export interface Batch<T> {
  items: T[];
  dropped: number;
}

/**
 * Hands a fast, synchronous stream to a consumer that takes batches when `ticks` fires (a timer,
 * a socket that drained). At most `capacity` records wait; the rest are dropped and counted in
 * the next batch, so a slow consumer never grows memory. The last batch comes at completion.
 */
export function boundedBatches<T>(capacity: number, ticks: Observable<unknown>): OperatorFunction<T, Batch<T>> {
  return (src) =>
    new Observable<Batch<T>>((sub) => {
      const buf = new BoundedBuffer<T>(capacity);
      const emit = (): void => {
        if (buf.length > 0 || buf.dropped > 0) sub.next(buf.drain());
      };
      const tickSub = ticks.subscribe(emit);
      const srcSub = src.subscribe({
        next: (r) => buf.push(r),
        error: (e) => sub.error(e),
        complete: () => {
          emit();
          sub.complete();
        },
      });
      return () => {
        tickSub.unsubscribe();
        srcSub.unsubscribe();
      };
    });
}

/**
 * A bounded queue between the simulation (which never waits) and a consumer that drains
 * asynchronously (a WebSocket). When full, new records are dropped and counted; the consumer
 * learns how many it missed from `dropped`.
 */
export class BoundedBuffer<T> {
  private items: T[] = [];
  dropped = 0;
  constructor(readonly capacity: number) {}

  push(item: T): boolean {
    if (this.items.length >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.items.push(item);
    return true;
  }

  /** Take everything queued (and reset the drop count the caller has now reported). */
  drain(): { items: T[]; dropped: number } {
    const out = { items: this.items, dropped: this.dropped };
    this.items = [];
    this.dropped = 0;
    return out;
  }

  get length(): number {
    return this.items.length;
  }
}
