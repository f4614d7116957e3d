/**
 * The port models depend on (STYLE.md §9): read the clock, schedule work, draw randomness.
 * `Simulator` implements it; a model never needs the concrete class, so tests can hand it any
 * Scheduler and models cannot start or stop a run behind their owner's back.
 */
import type { EventHandle } from './event.ts';
import type { Random } from './random.ts';

export interface Scheduler {
  /** Current virtual time in integer ns. */
  readonly now: number;
  /** Run `fn` after `delayNs` (a non-negative integer) from now. */
  schedule(delayNs: number, fn: () => void): EventHandle;
  /** Run `fn` at absolute time `timeNs` (not in the past). */
  scheduleAt(timeNs: number, fn: () => void): EventHandle;
  /** The named random stream of this run: same seed and name, same sequence. */
  rng(name: string): Random;
}
