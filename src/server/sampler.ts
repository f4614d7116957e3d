/**
 * Which packets the viewer is shown: whole paths of 1 in `every` packets. A packet is decided at
 * its first hop ('wire', where every injected packet starts); clones and encapsulations follow
 * the packet they came from. `every` adapts once per second of wall time so that about `budget`
 * new packets per second reach the pages (more would only clutter the picture), in steps of
 * 1/2/5·10^k so it does not jitter. Packets injected by hand are always shown. Memory is bounded
 * by `capacity` ids.
 */
import type { HopRecord } from '../trace/records.ts';
import { niceCeil } from './controller.ts';

export class PacketSampler {
  every = 1;
  private readonly sampled = new Set<number>();
  private seenInWindow = 0;
  private windowMs = 0;
  private counter = 0;
  private forced = 0;

  constructor(
    /** New packets per wall second shown. */
    readonly budget = 10,
    readonly capacity = 20_000,
  ) {}

  /** The next `n` packets that start are shown whatever the rate (hand-injected packets). */
  force(n = 1): void {
    this.forced += n;
  }

  /** True when this hop belongs to a shown packet. */
  admit(r: HopRecord): boolean {
    if (this.sampled.has(r.pkt)) return true;
    if (r.parent !== undefined && this.sampled.has(r.parent)) return this.keep(r.pkt);
    if (r.hook !== 'wire') return false;
    this.seenInWindow++;
    if (this.forced > 0) {
      this.forced--;
      return this.keep(r.pkt);
    }
    return this.counter++ % this.every === 0 ? this.keep(r.pkt) : false;
  }

  /** Wall time passed; once a second, choose `every` from how many packets started in it. */
  elapsed(ms: number): void {
    this.windowMs += ms;
    if (this.windowMs < 1000) return;
    this.every = niceCeil((this.seenInWindow * 1000) / this.windowMs / this.budget);
    this.seenInWindow = 0;
    this.windowMs = 0;
  }

  private keep(pkt: number): true {
    this.sampled.add(pkt);
    if (this.sampled.size > this.capacity) {
      const oldest = this.sampled.values().next().value as number;
      this.sampled.delete(oldest);
    }
    return true;
  }
}
