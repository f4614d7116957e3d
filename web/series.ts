/**
 * StatsRecords folded into what the page draws: time series for the charts (throughput, drops
 * by reason, latency percentiles, CPU use per core) over the last `capacity` samples, and the
 * latest rate and running drop count of every device and link.
 */
import type { StatsRecord } from '../src/trace/records.ts';

export interface Point {
  /** Simulated time, ns. */
  t: number;
  v: number;
}

export interface Line {
  name: string;
  points: Point[];
}

export interface DeviceRate {
  rxPps: number;
  txPps: number;
  /** Drops in the last sample, per second. */
  dropPps: number;
  /** Drops since the start. */
  drops: number;
}

/** Packets a device dropped, from the ledger (each drop once, whichever hook made it). */
const DEV_DROPS = /^devdrops\/([^/]+)\/([^/]+)$/;
const DEV_COUNTER = /^([^/]+)\/([^/]+)\/(rx|tx)_packets$/;

export class Series {
  readonly throughput = new Map<string, Point[]>();
  readonly drops = new Map<string, Point[]>();
  readonly latency = new Map<string, Point[]>();
  readonly cpu = new Map<string, Point[]>();
  readonly devices = new Map<string, DeviceRate>();
  lastT = -1;

  constructor(readonly capacity = 300) {}

  add(rec: StatsRecord): void {
    if (rec.t <= this.lastT) return;
    this.lastT = rec.t;
    const c = rec.counters;
    const interval = c.interval_ns || 1;
    const perSec = (n: number | undefined): number => ((n ?? 0) * 1e9) / interval;
    const t = rec.t;
    this.push(this.throughput, 'injected', t, perSec(c['pkts/injected']));
    this.push(this.throughput, 'delivered', t, perSec(c['pkts/delivered']));
    this.push(this.throughput, 'dropped', t, perSec(c['pkts/dropped']));
    this.push(this.throughput, 'left', t, perSec(c['pkts/left']));

    const reasons = new Set([...this.drops.keys(), ...Object.keys(c).filter((k) => k.startsWith('drops/')).map((k) => k.slice(6))]);
    for (const r of reasons) this.push(this.drops, r, t, perSec(c[`drops/${r}`]));

    if (c['lat/count']) for (const p of ['p50', 'p90', 'p99']) this.push(this.latency, p, t, c[`lat/${p}`] ?? 0);

    const cpus = new Set([...this.cpu.keys(), ...Object.keys(c).filter((k) => /^cpu\/\d+\/busy_ns$/.test(k)).map((k) => `cpu${k.split('/')[1]}`)]);
    for (const name of cpus) this.push(this.cpu, name, t, Math.min(100, (100 * (c[`cpu/${name.slice(3)}/busy_ns`] ?? 0)) / interval));

    for (const d of this.devices.values()) {
      d.rxPps = 0;
      d.txPps = 0;
      d.dropPps = 0;
    }
    for (const [k, v] of Object.entries(c)) {
      const m = DEV_COUNTER.exec(k);
      if (m) this.device(`${m[1]}/${m[2]}`)[m[3] === 'rx' ? 'rxPps' : 'txPps'] = perSec(v);
      const d = DEV_DROPS.exec(k);
      if (d) {
        const dev = this.device(`${d[1]}/${d[2]}`);
        dev.dropPps += perSec(v);
        dev.drops += v;
      }
    }
  }

  /** Packets per second over a link: what both ends sent in the last sample. */
  linkPps(a: string, b: string): number {
    return (this.devices.get(a)?.txPps ?? 0) + (this.devices.get(b)?.txPps ?? 0);
  }

  /** The time the kept samples cover (throughput has a point in every sample). */
  span(): [number, number] | undefined {
    const pts = this.throughput.get('injected');
    return pts && pts.length > 0 ? [pts[0].t, pts[pts.length - 1].t] : undefined;
  }

  lines(which: 'throughput' | 'drops' | 'latency' | 'cpu'): Line[] {
    return [...this[which].entries()].map(([name, points]) => ({ name, points }));
  }

  private device(id: string): DeviceRate {
    let d = this.devices.get(id);
    if (!d) this.devices.set(id, (d = { rxPps: 0, txPps: 0, dropPps: 0, drops: 0 }));
    return d;
  }

  private push(m: Map<string, Point[]>, name: string, t: number, v: number): void {
    let pts = m.get(name);
    if (!pts) m.set(name, (pts = []));
    pts.push({ t, v });
    if (pts.length > this.capacity) pts.splice(0, pts.length - this.capacity);
  }
}
