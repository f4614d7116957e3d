/**
 * Packets in flight on the picture: each shown packet is a track through the devices its hops
 * visited, walked one device-to-device segment per `hopMs` of animation time, coloured by the
 * verdicts it has met so far, and left at its last device for `lingerMs` before it goes. The
 * animation clock is the page's (it stops while the simulation is paused, so a paused packet
 * stays where it is to be clicked). Pure: positions are computed from the clock, not stored.
 */
import type { HopRecord } from '../src/trace/records.ts';
import { foldClass, type VerdictClass } from './verdict.ts';

interface Track {
  pkt: number;
  /** Device ids in visiting order (consecutive hops at one device are one stop). */
  stops: string[];
  /** Colour after each stop. */
  cls: VerdictClass[];
  born: number;
}

export interface PacketDot {
  pkt: number;
  x: number;
  y: number;
  cls: VerdictClass;
  /** Index of the stop the dot is at or leaving. */
  stop: number;
}

export interface TrackOptions {
  hopMs?: number;
  lingerMs?: number;
  /** Tracks on screen at most; the oldest go first. */
  max?: number;
}

export class PacketTracks {
  private readonly tracks = new Map<number, Track>();
  readonly hopMs: number;
  readonly lingerMs: number;
  readonly max: number;

  constructor(o: TrackOptions = {}) {
    this.hopMs = o.hopMs ?? 500;
    this.lingerMs = o.lingerMs ?? 1200;
    this.max = o.max ?? 250;
  }

  get size(): number {
    return this.tracks.size;
  }

  /** Add a hop of a shown packet at animation time `now`. */
  add(h: HopRecord, now: number): void {
    const dev = `${h.host}/${h.dev ?? ''}`;
    let t = this.tracks.get(h.pkt);
    if (!t) {
      t = { pkt: h.pkt, stops: [], cls: [], born: now };
      this.tracks.set(h.pkt, t);
      if (this.tracks.size > this.max) this.tracks.delete(this.tracks.keys().next().value as number);
    }
    const last = t.stops.length - 1;
    if (last >= 0 && t.stops[last] === dev) {
      t.cls[last] = foldClass(t.cls[last], h);
      return;
    }
    // A packet that already stood still at its last stop walks on from now.
    const arrived = t.born + last * this.hopMs;
    if (last >= 0 && now > arrived) t.born += now - arrived;
    t.stops.push(dev);
    t.cls.push(foldClass(last >= 0 ? t.cls[last] : 'pass', h));
  }

  /** Where every packet is at animation time `now`; finished tracks are dropped. */
  dots(now: number, pos: (dev: string) => { x: number; y: number } | undefined): PacketDot[] {
    const out: PacketDot[] = [];
    for (const t of this.tracks.values()) {
      const k = Math.max(0, (now - t.born) / this.hopMs);
      const lastStop = t.stops.length - 1;
      if (k > lastStop + this.lingerMs / this.hopMs) {
        this.tracks.delete(t.pkt);
        continue;
      }
      const i = Math.min(Math.floor(k), lastStop);
      const a = pos(t.stops[i]);
      const b = pos(t.stops[Math.min(i + 1, lastStop)]);
      if (!a || !b) continue;
      const f = i >= lastStop ? 0 : k - i;
      out.push({ pkt: t.pkt, x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f, cls: t.cls[i], stop: i });
    }
    return out;
  }

  clear(): void {
    this.tracks.clear();
  }
}
