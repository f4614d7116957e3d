/**
 * Build a qdisc from a plain spec that mirrors `tc qdisc add dev X root <kind> <params>` (the
 * option names are tc's; values take tc's units or plain numbers in bytes, bits/s and ns), or from
 * the tc argument string itself: createQdisc('tbf rate 1gbit burst 32k latency 50ms', sched).
 * Like tc, a misspelt option is an error that names it, never silently ignored.
 */
import type { Scheduler } from '../../sim/scheduler.ts';
import type { Qdisc } from './base.ts';
import { Bfifo, Noqueue, Pfifo } from './fifo.ts';
import { FqCodel } from './fq-codel.ts';
import { Htb, type HtbClassOptions } from './htb.ts';
import { parseHandle } from './packet.ts';
import { PfifoFast } from './pfifo-fast.ts';
import { Tbf } from './tbf.ts';
import { parseRate, parseSize, parseTime } from './units.ts';

type Rate = string | number;
type Size = string | number;
type Time = string | number;
type Handle = string | number;

export interface HtbClassSpec {
  classid: Handle;
  parent?: Handle;
  rate: Rate;
  ceil?: Rate;
  burst?: Size;
  cburst?: Size;
  prio?: number;
  quantum?: Size;
  mtu?: Size;
  mpu?: Size;
  overhead?: number;
  /** Leaf qdisc (tc qdisc add ... parent <classid> ...); default pfifo. */
  qdisc?: QdiscSpec;
}

export type QdiscSpec =
  | { kind: 'pfifo_fast'; handle?: Handle }
  | { kind: 'pfifo'; handle?: Handle; limit?: number }
  | { kind: 'bfifo'; handle?: Handle; limit?: Size }
  | { kind: 'noqueue'; handle?: Handle }
  | {
      kind: 'tbf'; handle?: Handle; rate: Rate; burst: Size; limit?: Size; latency?: Time;
      peakrate?: Rate; mtu?: Size; mpu?: Size; overhead?: number; qdisc?: QdiscSpec;
    }
  | {
      kind: 'fq_codel'; handle?: Handle; limit?: number; flows?: number; quantum?: Size; target?: Time;
      interval?: Time; ecn?: boolean; ce_threshold?: Time; drop_batch?: number; memory_limit?: Size;
    }
  | { kind: 'htb'; handle?: Handle; default?: Handle; r2q?: number; direct_qlen?: number; classes?: HtbClassSpec[] };

/** The device the qdisc sits on: what tc's defaults read from it. */
export interface QdiscDevice {
  /** dev->tx_queue_len (default 1000). */
  txqueuelen?: number;
  /** dev->mtu (default 1500); psched_mtu() adds the 14-byte Ethernet header. */
  mtu?: number;
}

export class QdiscSpecError extends Error {
  constructor(readonly where: string, detail: string, options?: { cause?: unknown }) {
    super(`${where}: ${detail}`, options);
    this.name = 'QdiscSpecError';
  }
}

const KEYS: Record<QdiscSpec['kind'], readonly string[]> = {
  pfifo_fast: [],
  pfifo: ['limit'],
  bfifo: ['limit'],
  noqueue: [],
  tbf: ['rate', 'burst', 'limit', 'latency', 'peakrate', 'mtu', 'mpu', 'overhead', 'qdisc'],
  fq_codel: ['limit', 'flows', 'quantum', 'target', 'interval', 'ecn', 'ce_threshold', 'drop_batch', 'memory_limit'],
  htb: ['default', 'r2q', 'direct_qlen', 'classes'],
};
const CLASS_KEYS = ['classid', 'parent', 'rate', 'ceil', 'burst', 'cburst', 'prio', 'quantum', 'mtu', 'mpu', 'overhead', 'qdisc'];

function checkKeys(where: string, obj: object, allowed: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (k === 'kind' || k === 'handle' || allowed.includes(k)) continue;
    throw new QdiscSpecError(where, `unknown option "${k}" (${allowed.length ? `known: ${allowed.join(', ')}` : 'takes no options'})`);
  }
}

/** Run a unit parser, naming the option in the error. */
function opt<T>(where: string, key: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new QdiscSpecError(where, `${key}: ${(e as Error).message}`, { cause: e });
  }
}

function int(where: string, key: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new QdiscSpecError(where, `${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

export function createQdisc(spec: QdiscSpec | string, sched: Scheduler, dev: QdiscDevice = {}): Qdisc {
  const s = typeof spec === 'string' ? parseQdiscArgs(spec) : spec;
  try {
    return build(s, sched, dev);
  } catch (e) {
    if (e instanceof QdiscSpecError) throw e;
    // a model's own configuration check (TbfConfigError, HtbConfigError, RangeError)
    const msg = (e as Error).message.replace(new RegExp(`^${s.kind}: `), '');
    throw new QdiscSpecError(`qdisc ${s.kind}`, msg, { cause: e });
  }
}

function build(s: QdiscSpec, sched: Scheduler, dev: QdiscDevice): Qdisc {
  const where = `qdisc ${s.kind}`;
  if (!(s.kind in KEYS)) throw new QdiscSpecError('qdisc', `unknown kind "${(s as { kind: string }).kind}" (known: ${Object.keys(KEYS).join(', ')})`);
  checkKeys(where, s, KEYS[s.kind]);
  const handle = s.handle !== undefined ? opt(where, 'handle', () => parseHandle(s.handle as Handle)) : undefined;
  const txqueuelen = dev.txqueuelen ?? 1000;
  const mtu = dev.mtu ?? 1500;
  switch (s.kind) {
    case 'pfifo_fast':
      return new PfifoFast(sched, { txqueuelen, handle });
    case 'noqueue':
      return new Noqueue(sched, handle ?? 0);
    case 'pfifo':
      return new Pfifo(sched, { limit: s.limit !== undefined ? int(where, 'limit', s.limit) : undefined, txqueuelen, handle });
    case 'bfifo':
      return new Bfifo(sched, { limit: s.limit !== undefined ? opt(where, 'limit', () => parseSize(s.limit as Size)) : undefined, txqueuelen, mtu, handle });
    case 'tbf': {
      if (s.rate === undefined || s.burst === undefined) throw new QdiscSpecError(where, 'both "rate" and "burst" are required');
      return new Tbf(sched, {
        rate: opt(where, 'rate', () => parseRate(s.rate)),
        burst: opt(where, 'burst', () => parseSize(s.burst)),
        limit: s.limit !== undefined ? opt(where, 'limit', () => parseSize(s.limit as Size)) : undefined,
        latency: s.latency !== undefined ? opt(where, 'latency', () => parseTime(s.latency as Time)) : undefined,
        peakrate: s.peakrate !== undefined ? opt(where, 'peakrate', () => parseRate(s.peakrate as Rate)) : undefined,
        mtu: s.mtu !== undefined ? opt(where, 'mtu', () => parseSize(s.mtu as Size)) : undefined,
        mpu: s.mpu !== undefined ? opt(where, 'mpu', () => parseSize(s.mpu as Size)) : undefined,
        overhead: s.overhead,
        child: s.qdisc !== undefined ? createQdisc(s.qdisc, sched, dev) : undefined,
        handle,
      });
    }
    case 'fq_codel':
      return new FqCodel(sched, {
        limit: s.limit !== undefined ? int(where, 'limit', s.limit, 1) : undefined,
        flows: s.flows !== undefined ? int(where, 'flows', s.flows, 1) : undefined,
        quantum: s.quantum !== undefined ? opt(where, 'quantum', () => parseSize(s.quantum as Size)) : undefined,
        target: s.target !== undefined ? opt(where, 'target', () => parseTime(s.target as Time)) : undefined,
        interval: s.interval !== undefined ? opt(where, 'interval', () => parseTime(s.interval as Time)) : undefined,
        ecn: s.ecn,
        ceThreshold: s.ce_threshold !== undefined ? opt(where, 'ce_threshold', () => parseTime(s.ce_threshold as Time)) : undefined,
        dropBatchSize: s.drop_batch !== undefined ? int(where, 'drop_batch', s.drop_batch, 1) : undefined,
        memoryLimit: s.memory_limit !== undefined ? opt(where, 'memory_limit', () => parseSize(s.memory_limit as Size)) : undefined,
        mtu,
        handle,
      });
    case 'htb': {
      const q = new Htb(sched, {
        handle: handle ?? 0x10000,
        // tc reads "default" with get_u32(..., 16): hex
        defaultClass: s.default === undefined ? 0 : typeof s.default === 'number' ? s.default : opt(where, 'default', () => parseHexMinor(s.default as string)),
        r2q: s.r2q,
        directQlen: s.direct_qlen ?? txqueuelen,
      });
      for (const c of s.classes ?? []) q.addClass(htbClass(q, c, sched, dev));
      return q;
    }
  }
}

function parseHexMinor(v: string): number {
  if (!/^(0x)?[0-9a-fA-F]+$/.test(v)) throw new Error(`invalid default class "${v}" (a hex minor id, as tc reads it)`);
  return parseInt(v, 16);
}

function htbClass(q: Htb, c: HtbClassSpec, sched: Scheduler, dev: QdiscDevice): HtbClassOptions {
  const where = `htb class ${String(c.classid)}`;
  checkKeys(where, c, CLASS_KEYS);
  if (c.rate === undefined) throw new QdiscSpecError(where, '"rate" is required');
  const o: HtbClassOptions = {
    classid: opt(where, 'classid', () => parseHandle(c.classid)),
    parent: c.parent !== undefined ? opt(where, 'parent', () => parseHandle(c.parent as Handle)) : q.handle,
    rate: opt(where, 'rate', () => parseRate(c.rate)),
  };
  if (c.ceil !== undefined) o.ceil = opt(where, 'ceil', () => parseRate(c.ceil as Rate));
  if (c.burst !== undefined) o.burst = opt(where, 'burst', () => parseSize(c.burst as Size));
  if (c.cburst !== undefined) o.cburst = opt(where, 'cburst', () => parseSize(c.cburst as Size));
  if (c.prio !== undefined) o.prio = int(where, 'prio', c.prio);
  if (c.quantum !== undefined) o.quantum = opt(where, 'quantum', () => parseSize(c.quantum as Size));
  if (c.mtu !== undefined) o.mtu = opt(where, 'mtu', () => parseSize(c.mtu as Size));
  if (c.mpu !== undefined) o.mpu = opt(where, 'mpu', () => parseSize(c.mpu as Size));
  if (c.overhead !== undefined) o.overhead = int(where, 'overhead', c.overhead);
  if (c.qdisc !== undefined) o.leaf = createQdisc(c.qdisc, sched, dev);
  return o;
}

const FLAG_OPTS: Record<string, [string, unknown]> = { ecn: ['ecn', true], noecn: ['ecn', false] };
// counts tc reads with get_u32(); a "limit" with a unit (tbf, bfifo) stays a size string
const NUMERIC_OPTS = new Set(['limit', 'flows', 'drop_batch', 'r2q', 'direct_qlen', 'overhead', 'prio']);
const ALIASES: Record<string, string> = { buffer: 'burst', maxburst: 'burst', minburst: 'mtu' };

/** 'tbf rate 10mbit burst 10k latency 50ms' → { kind: 'tbf', rate: '10mbit', burst: '10k', latency: '50ms' }. */
export function parseQdiscArgs(args: string): QdiscSpec {
  const words = args.trim().split(/\s+/);
  const kind = words.shift();
  if (kind === undefined || kind === '') throw new QdiscSpecError('qdisc', 'empty specification');
  const spec: Record<string, unknown> = { kind };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const flag = FLAG_OPTS[w];
    if (flag !== undefined) {
      spec[flag[0]] = flag[1];
      continue;
    }
    const key = ALIASES[w] ?? w;
    const v = words[++i];
    if (v === undefined) throw new QdiscSpecError(`qdisc ${kind}`, `option "${w}" needs a value`);
    spec[key] = NUMERIC_OPTS.has(key) && /^\d+$/.test(v) ? Number(v) : v;
  }
  return spec as unknown as QdiscSpec;
}
