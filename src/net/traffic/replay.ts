/**
 * Replays a capture through the scheduler, like tcpreplay: with the capture's own timing
 * (optionally sped up), or retimed to a constant packet or bit rate. Records are sent in file
 * order; a record stamped earlier than its predecessor goes out right after it.
 */
import type { EventHandle, Scheduler } from '../../sim/index.ts';
import { ETH_WIRE_OVERHEAD } from './arrivals.ts';
import type { Capture, CapturedFrame } from './capture.ts';

export type ReplayTiming = 'original' | { speed: number } | { pps: number } | { bps: number };

export interface ReplayOptions {
  timing?: ReplayTiming;
  /** Absolute time of the first packet (default: now at start()). */
  startNs?: number;
  /** Times through the file (default 1). */
  loops?: number;
}

export type ReplaySink = (timeNs: number, frame: Uint8Array, record: CapturedFrame, index: number) => void;

export class CaptureReplay {
  private index = 0;
  private loop = 0;
  private pending: EventHandle | null = null;
  private sentCount = 0;
  /** Original timing: when the current loop's first record went out. Retimed: when the first record did. */
  private base = 0;
  /** Retimed: exact ns since `base` of the next packet. */
  private exact = 0;
  private readonly records: readonly CapturedFrame[];

  constructor(
    private readonly sched: Scheduler,
    capture: Capture | readonly CapturedFrame[],
    private readonly opts: ReplayOptions,
    private readonly sink: ReplaySink,
  ) {
    this.records = 'records' in capture ? capture.records : capture;
    const t = opts.timing ?? 'original';
    if (typeof t === 'object') {
      const v = 'speed' in t ? t.speed : 'pps' in t ? t.pps : t.bps;
      if (!(v > 0)) throw new RangeError(`replay timing ${JSON.stringify(t)}: the value must be > 0`);
    }
  }

  get sent(): number {
    return this.sentCount;
  }

  start(): void {
    if (this.pending !== null || this.records.length === 0) return;
    this.base = Math.max(this.opts.startNs ?? this.sched.now, this.sched.now);
    this.pending = this.sched.scheduleAt(this.base, this.emit);
  }

  stop(): void {
    this.pending?.cancel();
    this.pending = null;
  }

  private readonly emit = (): void => {
    this.pending = null;
    const now = this.sched.now;
    const rec = this.records[this.index];
    this.sink(now, rec.data, rec, this.index);
    this.sentCount++;
    this.index++;
    const timing = this.opts.timing ?? 'original';
    const retimed = timing !== 'original' && !('speed' in timing);
    if (this.index === this.records.length) {
      this.index = 0;
      if (++this.loop >= (this.opts.loops ?? 1)) return;
    }
    let next: number;
    if (retimed) {
      // Accumulate exact gaps and round once, so the rate has no rounding drift.
      this.exact += 'pps' in timing ? 1e9 / timing.pps : ((rec.origLen + ETH_WIRE_OVERHEAD) * 8 * 1e9) / timing.bps;
      next = this.base + Math.round(this.exact);
    } else {
      const speed = timing === 'original' ? 1 : timing.speed;
      const t0 = this.records[0].timeNs;
      if (this.index === 0) {
        // A new loop starts one mean inter-packet gap after the last one.
        const n = this.records.length;
        const mean = n > 1 ? (this.records[n - 1].timeNs - t0) / (n - 1) : 0;
        this.base = now + Math.round(mean / speed);
      }
      next = this.base + Math.round((this.records[this.index].timeNs - t0) / speed);
    }
    this.pending = this.sched.scheduleAt(Math.max(next, now), this.emit);
  };
}
