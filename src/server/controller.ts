/**
 * Drives a simulation's virtual clock for a live viewer: play (advance `speed` simulated ns per
 * wall second), pause, single-step (one event, or events until the next packet hop), and a
 * StatsRecord boundary every `statsIntervalNs` of simulated time. The clock is advanced in slices
 * that end at those boundaries — slicing `run({until})` does not change what the model does —
 * and each tick has a wall-time budget: when the model cannot keep up, the clock falls behind
 * (and says so) instead of piling up debt. Wall time enters only through `tick(dtSeconds)`.
 */
import type { Simulator } from '../sim/index.ts';

/** Events per run() slice between wall-clock budget checks. */
const CHUNK = 2000;
/** A single hop-step gives up after this many events without a hop. */
const MAX_EVENTS_PER_HOP_STEP = 100_000;
/** Stats boundaries in a stretch without events beyond this many become one longer sample. */
const IDLE_SAMPLES = 10;

export interface ControllerOptions {
  /** Simulated ns per wall second (default 1 ms per second). */
  speed?: number;
  /** Fixed ns between stats samples; absent: a fifth of the speed, rounded to 1/2/5·10^k. */
  statsIntervalNs?: number;
  /** Pause once when the clock reaches this time (the scenario's duration). */
  pauseAtNs?: number;
  /** Wall clock in ms for the per-tick budget (the server passes performance.now). */
  wallMs?: () => number;
  /** Called at each stats boundary with the clock exactly there. */
  onStats?: (t: number, intervalNs: number) => void;
  /** How many hop records the model has emitted so far (for hop-steps). */
  hops?: () => number;
}

/** 1, 2 or 5 times a power of ten, at least `v` (and at least 1). */
export function niceCeil(v: number): number {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export class Controller {
  playing = false;
  behind = false;
  private speedNs: number;
  private intervalNs: number;
  private nextStatsAt: number;
  private lastStatsAt: number;
  private pauseAt: number | undefined;
  private readonly fixedInterval: number | undefined;
  private readonly wallMs: () => number;

  constructor(
    readonly sim: Simulator,
    private readonly opts: ControllerOptions = {},
  ) {
    this.speedNs = opts.speed ?? 1_000_000;
    this.fixedInterval = opts.statsIntervalNs;
    this.intervalNs = this.deriveInterval();
    this.nextStatsAt = sim.now + this.intervalNs;
    this.lastStatsAt = sim.now;
    this.pauseAt = opts.pauseAtNs;
    this.wallMs = opts.wallMs ?? (() => 0);
  }

  get speed(): number {
    return this.speedNs;
  }

  get statsIntervalNs(): number {
    return this.intervalNs;
  }

  setSpeed(ns: number): void {
    if (!(Number.isFinite(ns) && ns >= 1 && ns <= 1e12)) throw new RangeError(`speed must be between 1 and 1e12 simulated ns per second, got ${ns}`);
    this.speedNs = Math.round(ns);
    const next = this.deriveInterval();
    if (next !== this.intervalNs) {
      this.intervalNs = next;
      this.nextStatsAt = this.sim.now + next;
    }
  }

  play(): void {
    this.playing = true;
  }

  pause(): void {
    this.playing = false;
  }

  /**
   * One timer tick: advance by speed × dt (when playing) within `budgetMs` of wall time.
   * Returns true when it got as far as asked.
   */
  tick(dtSeconds: number, budgetMs = 40): boolean {
    if (!this.playing) return true;
    let target = this.sim.now + Math.max(1, Math.round(this.speedNs * dtSeconds));
    if (this.pauseAt !== undefined && this.sim.now < this.pauseAt && target >= this.pauseAt) target = this.pauseAt;
    const done = this.advanceTo(target, this.wallMs() + budgetMs);
    this.behind = !done;
    if (done && this.pauseAt !== undefined && this.sim.now >= this.pauseAt) {
      this.pauseAt = undefined;
      this.playing = false;
    }
    return done;
  }

  /** Run every event up to `target` (and the stats boundaries on the way); false if the deadline came first. */
  advanceTo(target: number, deadlineMs = Infinity): boolean {
    while (this.sim.now < target) {
      this.skipIdle(target);
      const stop = Math.min(target, this.nextStatsAt);
      const r = this.sim.run({ until: stop, maxEvents: CHUNK });
      if (r.reason !== 'maxEvents' && r.reason !== 'stopped') this.statsBoundary();
      // Checked after boundaries too: a short stats interval costs a sample per boundary.
      if (this.wallMs() > deadlineMs && this.sim.now < target) return false;
    }
    return true;
  }

  /** Run exactly one event (after the stats boundaries before it); false when the queue is empty. */
  stepEvent(): boolean {
    const t = this.sim.peekNextTime();
    if (t === undefined) return false;
    this.skipIdle(t - 1);
    while (this.nextStatsAt < t) {
      this.sim.run({ until: this.nextStatsAt });
      this.statsBoundary();
    }
    this.sim.run({ maxEvents: 1 });
    this.statsBoundary();
    return true;
  }

  /** Run events until the model emits a packet hop; false when it ran out of events first. */
  stepHop(): boolean {
    const count = this.opts.hops;
    if (!count) return this.stepEvent();
    const before = count();
    for (let i = 0; i < MAX_EVENTS_PER_HOP_STEP; i++) {
      if (!this.stepEvent()) return false;
      if (count() > before) return true;
    }
    return false;
  }

  private statsBoundary(): void {
    if (this.sim.now < this.nextStatsAt) return;
    const t = this.nextStatsAt;
    this.opts.onStats?.(t, t - this.lastStatsAt);
    this.lastStatsAt = t;
    this.nextStatsAt = t + this.intervalNs;
  }

  /**
   * The stats boundaries up to `limit` that come before the next event see nothing happen: past
   * IDLE_SAMPLES of them, they make one sample over the whole stretch (an idle second at 1 µs
   * intervals is one record, not a million). The sample's interval is the time it covers.
   */
  private skipIdle(limit: number): void {
    const next = this.sim.peekNextTime();
    const end = next === undefined ? limit : Math.min(limit, next - 1);
    if (end < this.nextStatsAt) return;
    const n = Math.floor((end - this.nextStatsAt) / this.intervalNs) + 1;
    if (n <= IDLE_SAMPLES) return;
    const last = this.nextStatsAt + (n - 1) * this.intervalNs;
    this.sim.run({ until: last });
    this.nextStatsAt = last;
    this.statsBoundary();
  }

  private deriveInterval(): number {
    return this.fixedInterval ?? niceCeil(this.speedNs / 5);
  }
}
