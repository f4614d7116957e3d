/**
 * The discrete-event simulator, after ns-3's Simulator/DefaultSimulatorImpl: a clock that
 * jumps from event to event, a (time, seq)-ordered queue, Stop() that takes effect after the
 * current event, and counters of what ran. No wall clock anywhere: `now` moves only here.
 */
import type { EventHandle } from './event.ts';
import { SimEvent } from './event.ts';
import { EventHeap } from './heap.ts';
import { assertSeed, type Random, RandomStream } from './random.ts';
import type { Scheduler } from './scheduler.ts';
import { assertTimeNs, MAX_TIME_NS } from './time.ts';

export interface SimulatorOptions {
  /** Run seed for every named random stream (default 1). */
  seed?: number;
}

export interface RunOptions {
  /** Run events with time ≤ until, then leave the clock at `until`. */
  until?: number;
  /** Stop after this many events in this call (a guard for runaway models). */
  maxEvents?: number;
}

export type StopReason = 'empty' | 'until' | 'stopped' | 'maxEvents';

export interface RunResult {
  reason: StopReason;
  /** Clock when run() returned. */
  now: number;
  /** Events executed by this call. */
  processed: number;
}

export interface SimulatorStats {
  /** Events scheduled since construction. */
  scheduled: number;
  /** Events executed since construction. */
  processed: number;
  /** Events cancelled before they ran. */
  cancelled: number;
  /** Live events waiting in the queue. */
  pending: number;
}

export class Simulator implements Scheduler {
  readonly seed: number;
  /**
   * Optional trace source called before each event runs with its (time, seq). Unobserved it
   * costs one null check per event.
   */
  onEvent: ((time: number, seq: number) => void) | null = null;

  private clock = 0;
  private nextSeq = 0;
  private processedCount = 0;
  private cancelledCount = 0;
  private running = false;
  private stopRequested = false;
  private readonly queue = new EventHeap();
  private readonly streams = new Map<string, RandomStream>();
  private readonly cancelCounter = {
    onCancel: (ev: SimEvent): void => {
      this.cancelledCount++;
      this.queue.onCancel(ev);
    },
  };

  constructor(opts: SimulatorOptions = {}) {
    const seed = opts.seed ?? 1;
    assertSeed(seed);
    this.seed = seed;
  }

  get now(): number {
    return this.clock;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get stats(): SimulatorStats {
    return {
      scheduled: this.nextSeq,
      processed: this.processedCount,
      cancelled: this.cancelledCount,
      pending: this.queue.size,
    };
  }

  schedule(delayNs: number, fn: () => void): EventHandle {
    if (!Number.isSafeInteger(delayNs) || delayNs < 0) {
      throw new RangeError(`schedule: delay must be a non-negative integer of ns, got ${delayNs}`);
    }
    return this.insert(this.clock + delayNs, fn);
  }

  scheduleAt(timeNs: number, fn: () => void): EventHandle {
    assertTimeNs(timeNs, 'scheduleAt: time');
    if (timeNs < this.clock) throw new RangeError(`scheduleAt: ${timeNs} ns is in the past (now ${this.clock} ns)`);
    return this.insert(timeNs, fn);
  }

  /** Run `fn` at the current time, after the events already scheduled for now. */
  scheduleNow(fn: () => void): EventHandle {
    return this.insert(this.clock, fn);
  }

  /** The stream named `name`; asking twice returns the same stream object. */
  rng(name: string): Random {
    let s = this.streams.get(name);
    if (s === undefined) {
      s = new RandomStream(this.seed, name);
      this.streams.set(name, s);
    }
    return s;
  }

  /** Ask the running loop to return after the current event (ns-3 Simulator::Stop()). */
  stop(): void {
    this.stopRequested = true;
  }

  /** Time of the next live event, or undefined if none. */
  peekNextTime(): number | undefined {
    return this.queue.peek()?.time;
  }

  run(opts: RunOptions = {}): RunResult {
    if (this.running) throw new Error('run: the simulator is already running (run() called from an event?)');
    const until = opts.until ?? MAX_TIME_NS;
    assertTimeNs(until, 'run: until');
    if (until < this.clock) throw new RangeError(`run: until ${until} ns is before now (${this.clock} ns)`);
    const maxEvents = opts.maxEvents ?? Infinity;

    this.running = true;
    this.stopRequested = false;
    let processed = 0;
    let reason: StopReason;
    const queue = this.queue;
    try {
      while (true) {
        if (processed >= maxEvents) {
          reason = 'maxEvents';
          break;
        }
        const ev = queue.peek();
        if (ev === undefined) {
          reason = 'empty';
          break;
        }
        if (ev.time > until) {
          reason = 'until';
          break;
        }
        queue.removeTop();
        const fn = ev.fn as () => void;
        ev.fn = null;
        this.clock = ev.time;
        if (this.onEvent !== null) this.onEvent(ev.time, ev.seq);
        processed++;
        this.processedCount++;
        fn();
        if (this.stopRequested) {
          reason = 'stopped';
          break;
        }
      }
    } finally {
      this.running = false;
      this.stopRequested = false;
    }
    if (reason === 'until' || (reason === 'empty' && opts.until !== undefined)) this.clock = until;
    return { reason, now: this.clock, processed };
  }

  /** Drop every pending event (ns-3 Simulator::Destroy's queue part); the clock stays. */
  clear(): void {
    this.queue.clear();
  }

  private insert(time: number, fn: () => void): EventHandle {
    if (time > MAX_TIME_NS) throw new RangeError(`schedule: time ${time} ns is beyond the representable 2^53-1 ns`);
    const ev = new SimEvent(time, this.nextSeq++, fn, this.cancelCounter);
    this.queue.push(ev);
    return ev;
  }
}
