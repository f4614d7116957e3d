/**
 * A set of N flows (5-tuples enumerated from address and port ranges) and how packets choose
 * among them: uniformly, round-robin, or Zipf-skewed (a few elephants, many mice), which is
 * what stresses RSS spreading and flow tables.
 */
import type { Random } from '../../sim/index.ts';
import { formatIp4, formatIp6, parseIp4, parseIp6 } from '../packet/addr.ts';

export type FlowPick = 'uniform' | 'roundRobin' | { zipf: number };

export interface AddrRange {
  base: string;
  /** Consecutive addresses from base (default 1). */
  count?: number;
}

export interface PortRange {
  base: number;
  count?: number;
}

export interface FlowSetOptions {
  count: number;
  protocol?: 'udp' | 'tcp';
  /** IPv4 or IPv6 (both ends the same family). */
  src: string | AddrRange;
  dst: string | AddrRange;
  /** Default: 10000 + flow index, over 50000 ports. */
  sport?: number | PortRange;
  /** Default 5001 (iperf's). */
  dport?: number | PortRange;
  pick?: FlowPick;
}

export interface FlowTuple {
  index: number;
  family: 4 | 6;
  protocol: 'udp' | 'tcp';
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
}

const addrRange = (r: string | AddrRange): AddrRange => (typeof r === 'string' ? { base: r } : r);
const portRange = (r: number | PortRange): PortRange => (typeof r === 'number' ? { base: r } : r);

/** base + n, carried through the address bytes (big-endian). */
function addAddr(base: Uint8Array, n: number): Uint8Array {
  const out = base.slice();
  let carry = n;
  for (let i = out.length - 1; i >= 0 && carry > 0; i--) {
    const v = out[i] + (carry % 256);
    out[i] = v & 0xff;
    carry = Math.floor(carry / 256) + (v > 255 ? 1 : 0);
  }
  return out;
}

export class FlowSet {
  readonly flows: readonly FlowTuple[];
  readonly pick: FlowPick;
  private rr = 0;

  constructor(opts: FlowSetOptions) {
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new RangeError(`flow count must be a positive integer, got ${opts.count}`);
    const src = addrRange(opts.src);
    const dst = addrRange(opts.dst);
    const family = src.base.includes(':') ? 6 : 4;
    if ((dst.base.includes(':') ? 6 : 4) !== family) throw new RangeError(`flow source ${src.base} and destination ${dst.base} differ in address family`);
    const parse = family === 4 ? parseIp4 : parseIp6;
    const srcBase = parse(src.base);
    const dstBase = parse(dst.base);
    const sport = opts.sport === undefined ? { base: 10000, count: 50000 } : portRange(opts.sport);
    const dport = opts.dport === undefined ? { base: 5001 } : portRange(opts.dport);
    for (const p of [sport, dport]) {
      if (!(p.base >= 0 && p.base + (p.count ?? 1) - 1 <= 65535)) throw new RangeError(`port range ${p.base}+${p.count ?? 1} leaves 0..65535`);
    }
    const flows: FlowTuple[] = [];
    for (let i = 0; i < opts.count; i++) {
      flows.push({
        index: i,
        family,
        protocol: opts.protocol ?? 'udp',
        src: addAddr(srcBase, i % (src.count ?? 1)),
        dst: addAddr(dstBase, i % (dst.count ?? 1)),
        sport: sport.base + (i % (sport.count ?? 1)),
        dport: dport.base + (i % (dport.count ?? 1)),
      });
    }
    this.flows = flows;
    this.pick = opts.pick ?? 'uniform';
  }

  get size(): number {
    return this.flows.length;
  }

  /** The flow for the next packet. Zipf gives rank 1 (flow 0) the most packets. */
  next(rng: Random): FlowTuple {
    const n = this.flows.length;
    if (this.pick === 'roundRobin') return this.flows[this.rr++ % n];
    if (this.pick === 'uniform') return this.flows[rng.int(0, n)];
    return this.flows[rng.zipf(n, this.pick.zipf) - 1];
  }
}

export function flowTupleString(f: FlowTuple): string {
  const a = (b: Uint8Array): string => (f.family === 4 ? formatIp4(b) : `[${formatIp6(b)}]`);
  return `${f.protocol} ${a(f.src)}:${f.sport} > ${a(f.dst)}:${f.dport}`;
}
