/**
 * Event-core and packet benchmarks (each figure the median of 5 timed runs):
 * - events/s of the simulator in ns-3's "hold" model (utils/bench-scheduler.cc): 1M events
 *   through a queue holding 1000, each event scheduling the next at a random delay — how a
 *   running simulation uses the queue;
 * - events/s with 1M events scheduled up front, then run (a deep heap);
 * - frames/s through decode() (a mix of UDP/TCP over IPv4/IPv6, with and without VLAN) and
 *   through flowKey() + the Toeplitz RSS hash, the per-packet work of a NIC model;
 * - frames/s of a UDP traffic generator driven by the simulator (building every frame).
 *
 * Times are this process's CPU time (user + system), not wall time, so that other work on a
 * shared machine does not distort the figures; GC threads count against us.
 */
import { type LayerSpec, ToeplitzHasher, buildPacket, decode, flowKey } from '../src/net/packet/index.ts';
import { FlowSet, TrafficGenerator, constantRate, imix } from '../src/net/traffic/index.ts';
import { Simulator } from '../src/sim/index.ts';

export interface SimBenchFigure {
  name: string;
  value: number;
  unit: string;
}

const RUNS = 5;
const N_EVENTS = 1_000_000;

/** CPU ms used by this process so far. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median rate (items per second) of `runs` runs of `fn`, which returns how many items it did. */
function rate(fn: () => { items: number; ms: number }, runs = RUNS): number {
  fn(); // warm-up: let V8 optimise before timing
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { items, ms } = fn();
    rates.push((items / ms) * 1000);
  }
  return median(rates);
}

function holdModel(): { items: number; ms: number } {
  const sim = new Simulator({ seed: 1 });
  const rng = sim.rng('bench');
  let left = N_EVENTS;
  const step = (): void => {
    if (--left > 0) sim.schedule(rng.int(1, 2000), step);
  };
  for (let i = 0; i < 1000; i++) sim.schedule(rng.int(0, 2000), step);
  const t0 = cpuMs();
  sim.run();
  return { items: sim.stats.processed, ms: cpuMs() - t0 };
}

function bulk(): { items: number; ms: number } {
  const sim = new Simulator({ seed: 1 });
  const rng = sim.rng('bench');
  const delays = new Float64Array(N_EVENTS);
  for (let i = 0; i < N_EVENTS; i++) delays[i] = rng.int(0, 1_000_000_000);
  let n = 0;
  const fn = (): void => void n++;
  const t0 = cpuMs();
  for (let i = 0; i < N_EVENTS; i++) sim.schedule(delays[i], fn);
  sim.run();
  return { items: n, ms: cpuMs() - t0 };
}

function sampleFrames(): Uint8Array[] {
  const eth = { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;
  const v4 = { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' } as const;
  const v6 = { kind: 'ipv6', src: '2001:db8::1', dst: '2001:db8::2' } as const;
  const tcp = { kind: 'tcp', sport: 40000, dport: 443, flags: 0x18, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: 1, tsecr: 2 }] } as const;
  const specs: LayerSpec[][] = [
    [eth, v4, { kind: 'udp', sport: 1234, dport: 53 }, { kind: 'raw', bytes: new Uint8Array(18) }],
    [eth, v4, tcp, { kind: 'raw', bytes: new Uint8Array(1448) }],
    [eth, v6, { kind: 'udp', sport: 1234, dport: 53 }, { kind: 'raw', bytes: new Uint8Array(64) }],
    [eth, { kind: 'vlan', vid: 10 }, v4, tcp, { kind: 'raw', bytes: new Uint8Array(100) }],
  ];
  return specs.map((s) => buildPacket(s));
}

function decodeFrames(frames: Uint8Array[], n: number): { items: number; ms: number } {
  let sink = 0;
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) sink += decode(frames[i & 3]).length;
  const ms = cpuMs() - t0;
  if (sink === 0) throw new Error('unreachable');
  return { items: n, ms };
}

function hashFrames(frames: Uint8Array[], n: number): { items: number; ms: number } {
  const h = new ToeplitzHasher();
  let acc = 0;
  const t0 = cpuMs();
  for (let i = 0; i < n; i++) {
    const k = flowKey(frames[i & 3]);
    if (k !== null) acc ^= h.hashFlow(k);
  }
  const ms = cpuMs() - t0;
  return { items: n + (acc & 0), ms };
}

function generate(n: number): { items: number; ms: number } {
  const sim = new Simulator({ seed: 1 });
  const flows = new FlowSet({ count: 1000, src: { base: '10.0.0.1', count: 100 }, dst: '10.1.0.1', pick: { zipf: 1.1 } });
  let bytes = 0;
  const g = new TrafficGenerator(sim, { arrivals: constantRate({ pps: 1e7 }), flows, sizes: imix(), rng: sim.rng('gen'), count: n }, (_t, f) => {
    bytes += f.length;
  });
  g.start();
  const t0 = cpuMs();
  sim.run();
  return { items: g.sent + (bytes & 0), ms: cpuMs() - t0 };
}

export function runSimBench(): SimBenchFigure[] {
  const frames = sampleFrames();
  return [
    { name: 'sim.events_hold_1M', value: rate(holdModel), unit: 'events/s' },
    { name: 'sim.events_bulk_1M', value: rate(bulk), unit: 'events/s' },
    { name: 'packet.decode', value: rate(() => decodeFrames(frames, 500_000)), unit: 'frames/s' },
    { name: 'packet.flowkey_rss', value: rate(() => hashFrames(frames, 2_000_000)), unit: 'frames/s' },
    { name: 'traffic.udp_imix_gen', value: rate(() => generate(200_000)), unit: 'frames/s' },
  ];
}
