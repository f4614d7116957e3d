/**
 * The event core: integer-ns virtual time, an event queue ordered by (time, insertion seq)
 * with lazy cancellation, and named seeded random streams. Imports nothing from the repo.
 */
export { Simulator, type RunOptions, type RunResult, type SimulatorOptions, type SimulatorStats, type StopReason } from './simulator.ts';
export type { Scheduler } from './scheduler.ts';
export type { EventHandle } from './event.ts';
export { type Random, RandomStream, streamState } from './random.ts';
export { ZipfSampler } from './zipf.ts';
export { NS_PER_US, NS_PER_MS, NS_PER_S, MAX_TIME_NS, us, ms, seconds, formatNs, assertTimeNs } from './time.ts';
