/**
 * Qdisc throughput: enqueue+dequeue pairs per second through pfifo_fast, tbf, fq_codel and htb
 * with a standing queue of 64 packets (each pair: one packet in, one out). The clock advances by
 * each packet's time at the shaper's rate, so tbf and htb always find tokens and the figure is the
 * cost of the discipline's own bookkeeping, not of waiting. Median of 5 timed runs.
 * Run alone with `npx tsx bench/qdisc.ts`.
 */
import { createQdisc, type Qdisc, type QdiscPacket, type QdiscSpec } from '../src/net/qdisc/index.ts';
import type { Scheduler } from '../src/sim/scheduler.ts';
import type { EventHandle } from '../src/sim/event.ts';
import type { Random } from '../src/sim/random.ts';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

/** A clock the benchmark moves by hand; qdiscs only read `now`. */
class ManualClock implements Scheduler {
  now = 0;
  schedule(): EventHandle {
    throw new Error('qdisc bench: qdiscs must not schedule events');
  }
  scheduleAt(): EventHandle {
    throw new Error('qdisc bench: qdiscs must not schedule events');
  }
  rng(): Random {
    throw new Error('qdisc bench: qdiscs draw no randomness');
  }
}

class BenchPacket implements QdiscPacket {
  constructor(readonly len: number, readonly flowHash: number, public priority: number, public tcClassid: number) {}
  ecnCapable(): boolean {
    return false;
  }
  markCe(): boolean {
    return false;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const CASES: { name: string; spec: QdiscSpec; nsPerPacket: number }[] = [
  { name: 'pfifo_fast', spec: { kind: 'pfifo_fast' }, nsPerPacket: 100 },
  { name: 'tbf', spec: { kind: 'tbf', rate: '100gbit', burst: '256k', latency: '10ms' }, nsPerPacket: 200 },
  { name: 'fq_codel', spec: { kind: 'fq_codel' }, nsPerPacket: 100 },
  {
    name: 'htb',
    spec: {
      kind: 'htb', default: '20', classes: [
        { classid: '1:1', rate: '100gbit', burst: '256k', cburst: '256k' },
        { classid: '1:10', parent: '1:1', rate: '30gbit', ceil: '100gbit', burst: '256k', cburst: '256k' },
        { classid: '1:20', parent: '1:1', rate: '70gbit', ceil: '100gbit', burst: '256k', cburst: '256k' },
      ],
    },
    nsPerPacket: 200,
  },
];

function pairsPerSecond(spec: QdiscSpec, nsPerPacket: number, pairs: number): number {
  const clock = new ManualClock();
  const q: Qdisc = createQdisc(spec, clock);
  const pkts: BenchPacket[] = [];
  for (let i = 0; i < 1024; i++) pkts.push(new BenchPacket(1000 + (i % 7) * 64, Math.imul(i % 64, 0x9e3779b1) >>> 0, i % 8, i % 2 === 0 ? 0x10 : 0x20));
  for (let i = 0; i < 64; i++) q.enqueue(pkts[i]);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < pairs; i++) {
    clock.now += nsPerPacket;
    q.enqueue(pkts[i & 1023]);
    if (q.dequeue() === undefined) throw new Error(`${spec.kind}: dequeue failed at pair ${i} (bench expects tokens to suffice)`);
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return pairs / secs;
}

export function runQdiscBench(): BenchFigure[] {
  const out: BenchFigure[] = [];
  for (const c of CASES) {
    pairsPerSecond(c.spec, c.nsPerPacket, 200_000); // warm-up (JIT)
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) runs.push(pairsPerSecond(c.spec, c.nsPerPacket, 1_000_000));
    out.push({ name: `qdisc ${c.name}`, value: median(runs), unit: 'enqueue+dequeue/s' });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of runQdiscBench()) console.log(`${f.name.padEnd(20)} ${f.value.toExponential(3).padStart(12)}  ${f.unit}`);
}
