/**
 * The simulator's trace source: models call `emit()` for every hop. With no subscriber it costs
 * one property check (ns-3's trace sources, RxJS's `Subject.observed`): callers test `bus.on`
 * before building a record. RxJS stays at the edge (src/trace/stream.ts), not in the event loop.
 */
import type { TraceRecord } from './records.ts';

export type TraceListener = (r: TraceRecord) => void;

export class TraceBus {
  private listeners: TraceListener[] = [];

  /** True when someone listens: build records only then. */
  get on(): boolean {
    return this.listeners.length > 0;
  }

  subscribe(fn: TraceListener): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  emit(r: TraceRecord): void {
    for (const l of this.listeners) l(r);
  }
}
