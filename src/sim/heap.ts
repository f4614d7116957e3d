/**
 * The event queue: a min-heap ordered by (time, insertion sequence), the ordering of ns-3's
 * HeapScheduler (EventKey: m_ts, then m_uid) and RxJS's VirtualTimeScheduler. Equal times run
 * in the order they were scheduled, which makes runs reproducible.
 *
 * Layout, for speed: a 4-ary heap (half the depth of a binary one) of (time, seq, slot)
 * triples packed in one Float64Array; the event objects sit still in a slot table. Sifting thus
 * touches one contiguous array instead of chasing a pointer per comparison — several times
 * faster than a binary heap of objects once a million events are pending.
 *
 * Cancelled events stay in the heap until they surface (lazy cancellation). If they come to
 * outnumber live ones (a model that arms and cancels many timers), the heap is rebuilt without
 * them so memory stays proportional to the live events.
 */
import type { CancelListener, SimEvent } from './event.ts';

/** Rebuild only past this many cancelled entries: small heaps carry them cheaply. */
const COMPACT_MIN = 1024;
const INITIAL_CAPACITY = 256;
/** Float64 words per heap entry: time, seq, slot. */
const W = 3;

export class EventHeap implements CancelListener {
  /** Heap entries: keys[W*i] = time, keys[W*i+1] = seq, keys[W*i+2] = slot. */
  private keys = new Float64Array(INITIAL_CAPACITY * W);
  /** Events by slot; slots are recycled through `free`. */
  private slots: (SimEvent | undefined)[] = [];
  private free: number[] = [];
  private n = 0;
  private cancelledInHeap = 0;

  /** Live (not cancelled) events in the queue. */
  get size(): number {
    return this.n - this.cancelledInHeap;
  }

  push(ev: SimEvent): void {
    if (this.n * W === this.keys.length) this.grow();
    let slot: number;
    if (this.free.length > 0) {
      slot = this.free.pop() as number;
      this.slots[slot] = ev;
    } else {
      slot = this.slots.length;
      this.slots.push(ev);
    }
    const keys = this.keys;
    const t = ev.time;
    const s = ev.seq;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = keys[p * W];
      if (pt < t || (pt === t && keys[p * W + 1] < s)) break;
      keys[i * W] = pt;
      keys[i * W + 1] = keys[p * W + 1];
      keys[i * W + 2] = keys[p * W + 2];
      i = p;
    }
    keys[i * W] = t;
    keys[i * W + 1] = s;
    keys[i * W + 2] = slot;
  }

  /** The earliest live event, without removing it; drops cancelled events it meets on top. */
  peek(): SimEvent | undefined {
    while (this.n > 0) {
      const top = this.slots[this.keys[2]] as SimEvent;
      if (top.fn !== null) return top;
      this.cancelledInHeap--;
      this.removeTop();
    }
    return undefined;
  }

  /** Remove and return the earliest live event. */
  pop(): SimEvent | undefined {
    const top = this.peek();
    if (top !== undefined) this.removeTop();
    return top;
  }

  /** Remove the top entry; call only right after peek() returned an event. */
  removeTop(): void {
    const keys = this.keys;
    const slot = keys[2];
    this.slots[slot] = undefined; // let the event be collected
    this.free.push(slot);
    const last = --this.n;
    if (last > 0) this.siftDown(0, keys[last * W], keys[last * W + 1], keys[last * W + 2]);
  }

  onCancel(_ev: SimEvent): void {
    this.cancelledInHeap++;
    if (this.cancelledInHeap > COMPACT_MIN && this.cancelledInHeap * 2 > this.n) this.compact();
  }

  /** Drop every event; their handles then report `pending: false`. */
  clear(): void {
    for (const ev of this.slots) if (ev !== undefined) ev.fn = null;
    this.slots = [];
    this.free = [];
    this.n = 0;
    this.cancelledInHeap = 0;
  }

  /** Place entry (t, s, slot) at hole `i` or below it, moving smaller children up. */
  private siftDown(i: number, t: number, s: number, slot: number): void {
    const keys = this.keys;
    const n = this.n;
    while (true) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // the smallest of up to four children
      let c = first;
      let ct = keys[first * W];
      let cs = keys[first * W + 1];
      const end = first + 4 < n ? first + 4 : n;
      for (let j = first + 1; j < end; j++) {
        const jt = keys[j * W];
        if (jt < ct || (jt === ct && keys[j * W + 1] < cs)) {
          c = j;
          ct = jt;
          cs = keys[j * W + 1];
        }
      }
      if (t < ct || (t === ct && s < cs)) break;
      keys[i * W] = ct;
      keys[i * W + 1] = cs;
      keys[i * W + 2] = keys[c * W + 2];
      i = c;
    }
    keys[i * W] = t;
    keys[i * W + 1] = s;
    keys[i * W + 2] = slot;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
  }

  /** Drop cancelled entries and re-heapify bottom-up (Floyd, O(n)). */
  private compact(): void {
    const keys = this.keys;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      const slot = keys[i * W + 2];
      if ((this.slots[slot] as SimEvent).fn === null) {
        this.slots[slot] = undefined;
        this.free.push(slot);
        continue;
      }
      keys[k * W] = keys[i * W];
      keys[k * W + 1] = keys[i * W + 1];
      keys[k * W + 2] = slot;
      k++;
    }
    this.n = k;
    this.cancelledInHeap = 0;
    for (let i = (k - 2) >> 2; i >= 0; i--) this.siftDown(i, keys[i * W], keys[i * W + 1], keys[i * W + 2]);
  }
}
