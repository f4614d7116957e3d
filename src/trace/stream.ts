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
  return filter((r) => r.type !== 'hop' || r.pkt % n === 0);
}

/**
 * Counters per window of simulated time: hops per hook+verdict and drops, emitted as a
 * StatsRecord when a record arrives past the window's end (and once at completion).
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
