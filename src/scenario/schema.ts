/**
 * The YAML schema of a scenario file (zod). It checks shapes and reads units — "10ms" → ns,
 * "10gbit" → bit/s, "32k" → bytes, addresses into canonical text — and leaves meaning
 * (does the device exist? is the object's map there?) to the cross-reference pass in parse.ts.
 *
 * Every mapping is strict: an unknown key is an error that lists the keys allowed there.
 * Alternatives are picked by a key (`kind`, or which of counter/map/... an expectation has),
 * never by trying each shape in turn, so a mistake gets one message about the shape meant.
 */
import { z } from 'zod';
import { parseCidr, parseIp, parseMacText } from './addr.ts';
import { flattenZodIssues, typeMismatch } from './errors.ts';
import { CMP_OPS, HOOKS, type CmpOp, type DevRef, type Hook, type Qdisc } from './model.ts';
import type { RawBytes } from './objects.ts';
import { makeFqCodel, makeHtb, makeHtbClass, makeTbf } from './qdisc.ts';
import { parseBitRate, parseDuration, parseFraction, parseRate, parseSize, show, type Parsed } from './units.ts';

// --- building blocks --------------------------------------------------------------------------

/** An object schema that reports unknown keys (at the key) and still checks the known ones. */
export function strict<S extends z.ZodRawShape>(shape: S): z.ZodObject<S, z.core.$strip> {
  const keys = Object.keys(shape);
  // Typed as a plain object: the extra keys it lets through are always reported as errors.
  return z.looseObject(shape).superRefine(
    (v, ctx) => {
      // Runs even when the value failed (to report every unknown key), so it may not be a mapping.
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
      for (const k of Object.keys(v)) {
        if (!keys.includes(k)) {
          ctx.addIssue({ code: 'custom', message: `unknown key ${JSON.stringify(k)} (expected one of: ${keys.join(', ')})`, path: [k], params: { atKey: true } });
        }
      }
    },
    { when: () => true },
  ) as unknown as z.ZodObject<S, z.core.$strip>;
}

/** A value read by a units parser. */
function unit<T>(parse: (v: unknown) => Parsed<T>) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) {
      const r = parse('');
      ctx.addIssue({ code: 'custom', message: `missing (${r.ok ? 'a value is required' : r.error.replace(/, got .*$/, '')})` });
      return z.NEVER;
    }
    const r = parse(v);
    if (!r.ok) {
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    }
    return r.value;
  });
}

/** Alternatives (a union) with one description for "missing" and "wrong type" messages. */
function described<T>(label: string, schema: z.ZodType<T>) {
  return z.unknown().transform((v, ctx): T => {
    if (v === undefined) return issue(ctx, `missing (expected ${label})`);
    const r = schema.safeParse(v, { reportInput: true });
    if (r.success) return r.data;
    const top = r.error.issues;
    if (top.length === 1 && top[0].code === 'invalid_union' && top[0].errors.every(typeMismatch)) return issue(ctx, `expected ${label}, got ${show(v)}`);
    return reissue(ctx, top);
  });
}

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const name = z.string().min(1);

const ip = unit((v): Parsed<string> => {
  const r = typeof v === 'string' ? parseIp(v) : undefined;
  return r ? { ok: true, value: r.text } : { ok: false, error: `expected an IP address like 10.0.0.1 or fd00::1, got ${show(v)}` };
});
const cidr = unit((v): Parsed<string> => {
  const r = typeof v === 'string' && v.includes('/') ? parseCidr(v) : undefined;
  return r ? { ok: true, value: r.cidr } : { ok: false, error: `expected an address with its prefix like 10.0.0.1/24 or fd00::1/64, got ${show(v)}` };
});
const mac = unit((v): Parsed<string> => {
  const r = typeof v === 'string' ? parseMacText(v) : undefined;
  return r ? { ok: true, value: r } : { ok: false, error: `expected a MAC address like 02:00:00:00:00:01, got ${show(v)}` };
});
const duration = unit(parseDuration);
const bitRate = unit(parseBitRate);
const rate = unit(parseRate);
const size = unit(parseSize);
const fraction = unit(parseFraction);

/** "host/dev" or {host, dev}. */
const devRef = unit((v): Parsed<DevRef> => {
  if (typeof v === 'string') {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(v);
    if (m) return { ok: true, value: { host: m[1], dev: m[2] } };
  } else if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.host === 'string' && typeof o.dev === 'string' && Object.keys(o).length === 2) return { ok: true, value: { host: o.host, dev: o.dev } };
  }
  return { ok: false, error: `expected a device like "h1/eth0" or {host: h1, dev: eth0}, got ${show(v)}` };
});

/**
 * Dispatch on a discriminating key: `pick` names the variant (or says what is wrong), and the
 * variant's own schema reports its issues with paths relative to this value.
 */
function keyed<T>(pick: (v: Record<string, unknown>) => { variant: z.ZodType<T> } | { error: string; path?: (string | number)[] }, what: string) {
  return z.unknown().transform((v, ctx): T => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${show(v)}` });
      return z.NEVER;
    }
    const p = pick(v as Record<string, unknown>);
    if ('error' in p) {
      ctx.addIssue({ code: 'custom', message: p.error, path: p.path ?? [] });
      return z.NEVER;
    }
    const r = p.variant.safeParse(v, { reportInput: true });
    if (!r.success) return reissue(ctx, r.error.issues);
    return r.data;
  });
}

/** Issues of a nested parse, re-raised relative to the current value. */
function reissue(ctx: z.RefinementCtx, issues: readonly z.core.$ZodIssue[]): never {
  for (const f of flattenZodIssues(issues)) ctx.addIssue({ code: 'custom', message: f.message, path: f.path, params: { atKey: f.atKey } });
  return z.NEVER;
}

function byKind<T>(variants: Record<string, z.ZodType<T>>, what: string) {
  return keyed<T>((v) => {
    const kinds = Object.keys(variants);
    if (v.kind === undefined) return { error: `missing "kind" (one of: ${kinds.map((k) => show(k)).join(', ')})` };
    const variant = typeof v.kind === 'string' ? variants[v.kind] : undefined;
    if (!variant) return { error: `expected one of ${kinds.map((k) => show(k)).join(', ')}, got ${show(v.kind)}`, path: ['kind'] };
    return { variant };
  }, what);
}

// --- topology ---------------------------------------------------------------------------------

export const qdiscSchema: z.ZodType<Qdisc> = z.lazy(() =>
  byKind<Qdisc>(
    {
      pfifo_fast: strict({ kind: z.literal('pfifo_fast'), handle: z.string().optional() }).transform((q) => withHandle({ kind: 'pfifo_fast' }, q.handle)),
      noqueue: strict({ kind: z.literal('noqueue'), handle: z.string().optional() }).transform((q) => withHandle({ kind: 'noqueue' }, q.handle)),
      pfifo: strict({ kind: z.literal('pfifo'), handle: z.string().optional(), limit: int(1, 0xffffffff).optional() }).transform((q) =>
        withHandle(q.limit === undefined ? { kind: 'pfifo' } : { kind: 'pfifo', limit: q.limit }, q.handle),
      ),
      bfifo: strict({ kind: z.literal('bfifo'), handle: z.string().optional(), limit: size.optional() }).transform((q) =>
        withHandle(q.limit === undefined ? { kind: 'bfifo' } : { kind: 'bfifo', limit: q.limit }, q.handle),
      ),
      tbf: strict({
        kind: z.literal('tbf'),
        handle: z.string().optional(),
        rate: bitRate,
        burst: size,
        limit: size.optional(),
        latency: duration.optional(),
        peakrate: bitRate.optional(),
        mtu: size.optional(),
        child: qdiscSchema.optional(),
      }).transform((q, ctx) => {
        const r = makeTbf({ handle: q.handle, rateBps: q.rate, burstBytes: q.burst, limitBytes: q.limit, latencyNs: q.latency, peakrateBps: q.peakrate, mtuBytes: q.mtu, child: q.child });
        return typeof r === 'string' ? issue(ctx, r) : r;
      }),
      fq_codel: strict({
        kind: z.literal('fq_codel'),
        handle: z.string().optional(),
        limit: int(1, 0xffffffff).optional(),
        flows: int(1, 65536).optional(),
        target: duration.optional(),
        interval: duration.optional(),
        quantum: size.optional(),
        ecn: z.boolean().optional(),
        ceThreshold: duration.optional(),
        memoryLimit: size.optional(),
      }).transform((q, ctx) => {
        const r = makeFqCodel({
          handle: q.handle, limit: q.limit, flows: q.flows, targetNs: q.target, intervalNs: q.interval, quantum: q.quantum,
          ecn: q.ecn, ceThresholdNs: q.ceThreshold, memoryLimit: q.memoryLimit,
        });
        return typeof r === 'string' ? issue(ctx, r) : r;
      }),
      htb: strict({
        kind: z.literal('htb'),
        handle: z.string().optional(),
        default: z.union([z.string(), z.number()]).optional(),
        r2q: int(1, 0xffffffff).optional(),
        classes: z.array(htbClassSchema).optional(),
      }).transform((q, ctx) => {
        let defaultMinor: number | undefined;
        if (q.default !== undefined) {
          // As tc: the minor id is hex ("default 20" is class :20); "1:20" is accepted too.
          const m = /^(?:[0-9a-f]{1,4}:)?([0-9a-f]{1,4})$/i.exec(String(q.default));
          if (!m) return issue(ctx, `expected a default class like 20 or "1:20" (hex, as tc reads it), got ${show(q.default)}`, ['default']);
          defaultMinor = parseInt(m[1], 16);
        }
        if (q.classes?.length && q.handle === undefined) return issue(ctx, 'an htb with classes needs a handle, e.g. handle: "1:"', ['handle']);
        return makeHtb({ handle: q.handle, defaultMinor, r2q: q.r2q, classes: q.classes });
      }),
    },
    'a qdisc like {kind: tbf, rate: 1gbit, burst: 32k, latency: 50ms}',
  ),
);

const htbClassSchema = z.lazy(() =>
  strict({
    classid: z.string(),
    parent: z.string().optional(),
    rate: bitRate,
    ceil: bitRate.optional(),
    burst: size.optional(),
    cburst: size.optional(),
    prio: int(0, 7).optional(),
    quantum: size.optional(),
    qdisc: qdiscSchema.optional(),
  }).transform((c, ctx) => {
    const r = makeHtbClass({ classid: c.classid, parent: c.parent ?? '', rateBps: c.rate, ceilBps: c.ceil, burstBytes: c.burst, cburstBytes: c.cburst, prio: c.prio, quantum: c.quantum, qdisc: c.qdisc });
    return typeof r === 'string' ? issue(ctx, r) : r;
  }),
);

function withHandle<T extends Qdisc>(q: T, handle: string | undefined): T {
  if (handle !== undefined) q.handle = handle;
  return q;
}

function issue(ctx: z.RefinementCtx, message: string, path: (string | number)[] = []): never {
  ctx.addIssue({ code: 'custom', message, path });
  return z.NEVER;
}

const ringSchema = described('a ring size like 1024 or {rx: 1024, tx: 512}', z.union([int(1, 1 << 16), strict({ rx: int(1, 1 << 16).optional(), tx: int(1, 1 << 16).optional() })]));

export const deviceSchema = strict({
  kind: z.enum(['nic', 'veth', 'lo', 'bridge']).optional(),
  mac: mac.optional(),
  mtu: int(68, 65536).optional(),
  up: z.boolean().optional(),
  master: name.optional(),
  addresses: z.array(cidr).optional(),
  qdisc: qdiscSchema.optional(),
  clsact: z.boolean().optional(),
  // nic
  rate: bitRate.optional(),
  rxQueues: int(1, 1024).optional(),
  txQueues: int(1, 1024).optional(),
  ring: ringSchema.optional(),
  rss: z.array(int(0, 4095)).min(1).optional(),
  // veth: "veth1" (same host), "h2/veth1" or {host, dev}
  peer: described('a peer like veth1, h2/veth1 or {host: h2, dev: veth1}', z.union([z.string(), strict({ host: name, dev: name })])).optional(),
});
export type DeviceInput = z.output<typeof deviceSchema>;

export const routeSchema = strict({
  dst: z.string(),
  via: ip.optional(),
  dev: name.optional(),
  src: ip.optional(),
  metric: int(0, 0xffffffff).optional(),
});
export type RouteInput = z.output<typeof routeSchema>;

export const neighbourSchema = strict({ ip, lladdr: mac, dev: name });

const hostShape = {
  cpus: int(1, 4096).optional(),
  forwarding: described('true, false or {ipv4: true, ipv6: false}', z.union([z.boolean(), strict({ ipv4: z.boolean().optional(), ipv6: z.boolean().optional() })])).optional(),
  devices: z.record(z.string(), deviceSchema.nullable()).optional(),
  routes: z.array(routeSchema).optional(),
  neighbours: z.array(neighbourSchema).optional(),
};
export const hostSchema = strict(hostShape);
export type HostInput = z.output<typeof hostSchema>;

export const linkSchema = strict({ a: devRef, b: devRef, delay: duration.optional(), rate: bitRate.optional(), loss: fraction.optional() });
export type LinkInput = z.output<typeof linkSchema>;

// --- eBPF -------------------------------------------------------------------------------------

/** "host/dev/hook", "host/hook" (socket, cgroup, sk hooks) or a mapping. */
const attachSchema = described('an attach point like "h1/eth0/xdp" or {host, dev, hook}', z.union([
  z.string().transform((s, ctx) => {
    const parts = s.split('/');
    const hook = parts[parts.length - 1] as Hook;
    if ((parts.length !== 3 && parts.length !== 2) || parts.some((p) => p === '') || !HOOKS.includes(hook)) {
      return issue(ctx, `expected an attach point like "h1/eth0/xdp" (hooks: ${HOOKS.join(', ')}), got ${show(s)}`);
    }
    return parts.length === 3 ? { host: parts[0], dev: parts[1], hook } : { host: parts[0], hook };
  }),
  strict({
    host: name,
    dev: name.optional(),
    hook: z.enum(HOOKS),
    priority: int(1, 0xffff).optional(),
    directAction: z.boolean().optional(),
    map: name.optional(),
  }),
]));

export const programSchema = strict({
  object: name.optional(),
  source: name.optional(),
  program: name.optional(),
  section: name.optional(),
  attach: attachSchema.optional(),
  pin: name.optional(),
});
export type ProgramInput = z.output<typeof programSchema>;

/**
 * Key or value bytes: hex text ("0a 00 00 01"), an integer (little-endian, the map's size),
 * a list of byte values, {ifindex: "h1/eth0"}, or a mapping of struct fields (laid out by BTF).
 * A devmap value may carry an entry program ({ifindex: "h1/eth0", program: NAME}), a cpumap
 * value too ({qsize: N, program: NAME}); "programObject" names the program's object when it is
 * not the map's.
 */
export const bytesSchema = z.unknown().transform((v, ctx): RawBytes => {
  if (typeof v === 'string') return { hex: v };
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return issue(ctx, `expected an integer, got ${v}`);
    return { int: v };
  }
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'number')) return issue(ctx, 'expected a list of byte values (0..255)');
    return { list: v as number[] };
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A devmap/cpumap entry's program: {ifindex: host/dev, program: NAME} or {qsize: N, program: NAME}.
    const prog = (): { program: string; programObject?: string } | string | undefined => {
      if (!('program' in o)) return 'programObject' in o ? '"programObject" goes with "program: NAME"' : undefined;
      if (typeof o.program !== 'string' || o.program === '') return `expected "program" to be a program name, got ${show(o.program)}`;
      if ('programObject' in o && (typeof o.programObject !== 'string' || o.programObject === '')) return `expected "programObject" to be an object path, got ${show(o.programObject)}`;
      return { program: o.program, ...(typeof o.programObject === 'string' ? { programObject: o.programObject } : {}) };
    };
    if ('ifindex' in o) {
      const r = devRef.safeParse(o.ifindex);
      const p = prog();
      if (typeof p === 'string') return issue(ctx, p);
      const extra = Object.keys(o).filter((k) => !['ifindex', 'program', 'programObject'].includes(k));
      if (!r.success || extra.length) return issue(ctx, 'expected {ifindex: "host/dev"} or {ifindex: "host/dev", program: NAME}');
      return p ? { ifindex: r.data, program: p } : { ifindex: r.data };
    }
    if ('program' in o || 'programObject' in o) {
      const p = prog();
      if (typeof p === 'string') return issue(ctx, p);
      const extra = Object.keys(o).filter((k) => !['qsize', 'program', 'programObject'].includes(k));
      if (!('qsize' in o) || extra.length) return issue(ctx, 'a program goes in a devmap value {ifindex: "host/dev", program: NAME} or a cpumap value {qsize: N, program: NAME}');
      if (typeof o.qsize !== 'number' || !Number.isSafeInteger(o.qsize) || o.qsize < 0) return issue(ctx, `expected "qsize" to be a queue size (an integer), got ${show(o.qsize)}`);
      return { qsize: o.qsize, program: p! };
    }
    return { struct: o };
  }
  return issue(ctx, `expected hex bytes like "0a 00 00 01", an integer or a mapping of struct fields, got ${show(v)}`);
});

export const mapSchema = strict({
  object: name.optional(),
  map: name.optional(),
  pinned: name.optional(),
  entries: z.array(strict({ key: bytesSchema, value: bytesSchema })).min(1),
});
export type MapInput = z.output<typeof mapSchema>;

export const tailCallSchema = strict({
  object: name.optional(),
  map: name,
  index: int(0, 0xffffffff),
  program: name,
  programObject: name.optional(),
});
export type TailCallInput = z.output<typeof tailCallSchema>;

// --- traffic ----------------------------------------------------------------------------------

const addrRange = described('an IP address or {base, count}', z.union([
  z.string().transform((s, ctx) => {
    const r = parseIp(s);
    return r ? { base: r.text, count: 1 } : issue(ctx, `expected an IP address or {base, count}, got ${show(s)}`);
  }),
  strict({ base: ip, count: int(1, 1 << 24).optional() }).transform((r) => ({ base: r.base, count: r.count ?? 1 })),
]));

const portRange = described('a port, a range like "1000-1015" or {base, count}', z.union([
  int(0, 65535).transform((p) => ({ base: p, count: 1 })),
  z.string().transform((s, ctx) => {
    const m = /^(\d+)-(\d+)$/.exec(s.trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2]) : NaN;
    if (!(lo <= hi && hi <= 65535)) return issue(ctx, `expected a port, a range like "1000-1015" or {base, count}, got ${show(s)}`);
    return { base: lo, count: hi - lo + 1 };
  }),
  strict({ base: int(0, 65535), count: int(1, 65536).optional() }).transform((r) => ({ base: r.base, count: r.count ?? 1 })),
]));

const flowsSchema = strict({
  n: int(1, 1 << 24).optional(),
  dist: z.enum(['uniform', 'zipf', 'roundRobin']).optional(),
  s: z.number().positive().optional(),
  template: strict({
    proto: z.enum(['udp', 'tcp']).optional(),
    src: addrRange,
    dst: addrRange,
    sport: portRange.optional(),
    dport: portRange.optional(),
  }),
});
export type FlowsInput = z.output<typeof flowsSchema>;

const sizeSchema = described('a frame size in bytes (14..65535), "imix" or {dist: [[bytes, weight], ...]}', z.union([
  int(14, 65535).transform((bytes) => ({ kind: 'fixed' as const, bytes })),
  z.literal('imix').transform(() => ({ kind: 'imix' as const })),
  strict({ dist: z.array(z.tuple([int(14, 65535), int(1, 1 << 20)])).min(1) }).transform((d) => ({ kind: 'weighted' as const, table: d.dist })),
]));

const trafficCommon = {
  name: name.optional(),
  from: devRef,
  start: duration.optional(),
  stop: duration.optional(),
  count: int(1, Number.MAX_SAFE_INTEGER).optional(),
  srcMac: mac.optional(),
  dstMac: mac.optional(),
  vlan: int(0, 4095).optional(),
};
const generated = { rate, flows: flowsSchema, size: sizeSchema.optional() };

const retime = described('"original", a rate like "100kpps" or {speed: 2}', z.union([
  z.literal('original').transform(() => 'original' as const),
  rate,
  strict({ speed: z.number().positive() }),
]));

const trafficVariants = {
  constant: strict({ kind: z.literal('constant'), ...trafficCommon, ...generated }),
  poisson: strict({ kind: z.literal('poisson'), ...trafficCommon, ...generated }),
  onoff: strict({ kind: z.literal('onoff'), ...trafficCommon, ...generated, on: duration, off: duration }),
  pcap: strict({ kind: z.literal('pcap'), ...trafficCommon, pcap: name, retime: retime.optional(), loops: int(1, 1 << 20).optional() }),
};
export type TrafficInput = z.output<(typeof trafficVariants)[keyof typeof trafficVariants]>;

export const trafficSchema = byKind<TrafficInput>(
  trafficVariants as Record<string, z.ZodType<TrafficInput>>,
  'a traffic source like {kind: constant, from: h1/eth0, rate: 1mpps, ...}',
);

// --- expectations -----------------------------------------------------------------------------

const OP_WORDS: Record<string, CmpOp> = { eq: '==', ne: '!=', ge: '>=', le: '<=', gt: '>', lt: '<', approx: '~', '=': '==' };

const opSchema = z.unknown().transform((v, ctx): CmpOp => {
  if (typeof v === 'string' && (CMP_OPS as readonly string[]).includes(v)) return v as CmpOp;
  if (typeof v === 'string' && OP_WORDS[v]) return OP_WORDS[v];
  const hint = v === null ? ' (quote "~": YAML reads a bare ~ as null)' : '';
  return issue(ctx, `expected one of ${CMP_OPS.map((o) => JSON.stringify(o)).join(', ')} (quote them in YAML), got ${show(v)}${hint}`);
});

const tolerance = described('a tolerance like 10 or "5%"', z.union([
  z.number().nonnegative().transform((abs) => ({ abs })),
  z.string().transform((s, ctx) => {
    const m = /^\s*([0-9.]+)\s*%\s*$/.exec(s);
    return m ? { pct: Number(m[1]) } : issue(ctx, `expected a tolerance like 10 or "5%", got ${show(s)}`);
  }),
]));

const flowMatchObject = strict({
  protocol: z.enum(['udp', 'tcp', 'icmp', 'icmpv6']).optional(),
  src: ip.optional(),
  dst: ip.optional(),
  sport: int(0, 65535).optional(),
  dport: int(0, 65535).optional(),
});

/** "udp 10.0.0.1:1000 > 10.0.0.2:53" (the form flowTupleString prints) or a mapping. */
const flowMatch = described('a flow like "udp 10.0.0.1:1000 > 10.0.0.2:53" or {protocol, src, dst, sport, dport}', z.union([
  z.string().transform((s, ctx) => {
    const m = /^\s*(udp|tcp)\s+\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s*>\s*\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s*$/.exec(s);
    const src = m ? parseIp(m[2]) : undefined;
    const dst = m ? parseIp(m[4]) : undefined;
    if (!m || !src || !dst) return issue(ctx, `expected a flow like "udp 10.0.0.1:1000 > 10.0.0.2:53", got ${show(s)}`);
    return { protocol: m[1] as 'udp' | 'tcp', src: src.text, dst: dst.text, sport: Number(m[3]), dport: Number(m[5]) };
  }),
  flowMatchObject,
]));

const matchSchema = strict({ host: name.optional(), dev: name.optional(), traffic: name.optional(), flow: flowMatch.optional() });
export type MatchInput = z.output<typeof matchSchema>;

const counted = { op: opSchema.optional(), tolerance: tolerance.optional() };

export const EXPECT_KINDS = ['counter', 'map', 'delivered', 'dropped', 'latency', 'path'] as const;

const expectVariants = {
  counter: strict({ counter: z.string(), value: z.number(), ...counted }),
  map: strict({ map: name, object: name.optional(), key: bytesSchema, value: bytesSchema.optional(), absent: z.literal(true).optional(), ...counted }),
  delivered: strict({ delivered: matchSchema, count: z.number().nonnegative(), ...counted }),
  dropped: strict({ dropped: matchSchema, reason: name.optional(), count: z.number().nonnegative(), ...counted }),
  latency: strict({
    latency: strict({
      p: z.number().gt(0).max(100),
      max: duration.optional(),
      min: duration.optional(),
      value: duration.optional(),
      tolerance: tolerance.optional(),
      traffic: name.optional(),
      host: name.optional(),
      dev: name.optional(),
      flow: flowMatch.optional(),
    }),
  }),
  path: strict({ path: strict({ packet: int(0, Number.MAX_SAFE_INTEGER), traffic: name.optional(), hops: z.array(z.string()).min(1), exact: z.boolean().optional() }) }),
};

export const expectSchema = keyed((v) => {
  const found = EXPECT_KINDS.filter((k) => k in v);
  if (found.length === 0) return { error: `expected one of the keys ${EXPECT_KINDS.join(', ')} (what to check)` };
  if (found.length > 1) return { error: `one check per item: found ${found.join(' and ')}` };
  return { variant: expectVariants[found[0]] as z.ZodType<ExpectInput> };
}, 'an expectation like {counter: "h1/eth0/xdp/XDP_DROP", op: ">=", value: 1}');

export type ExpectInput =
  | z.output<(typeof expectVariants)['counter']>
  | z.output<(typeof expectVariants)['map']>
  | z.output<(typeof expectVariants)['delivered']>
  | z.output<(typeof expectVariants)['dropped']>
  | z.output<(typeof expectVariants)['latency']>
  | z.output<(typeof expectVariants)['path']>;

// --- steps and the file -----------------------------------------------------------------------

const STEP_KEYS = ['host', 'link', 'program', 'mapUpdate', 'tailCall'] as const;
const stepVariants = {
  host: strict({ host: strict({ name, ...hostShape }) }),
  link: strict({ link: linkSchema }),
  program: strict({ program: programSchema }),
  mapUpdate: strict({ mapUpdate: mapSchema }),
  tailCall: strict({ tailCall: tailCallSchema }),
};

export type StepInput =
  | string
  | z.output<(typeof stepVariants)['host']>
  | z.output<(typeof stepVariants)['link']>
  | z.output<(typeof stepVariants)['program']>
  | z.output<(typeof stepVariants)['mapUpdate']>
  | z.output<(typeof stepVariants)['tailCall']>;

const structuredStep = keyed((v) => {
  const keys = Object.keys(v);
  // "tc class add ... parent 1: classid 1:10 ..." is a mapping to YAML, because of ": ".
  if (keys.length === 1 && /^(sudo\s+)?(ip|tc|bpftool|sysctl)\s/.test(keys[0])) {
    return { error: `YAML read this command as a mapping because of the ": " in it; quote the whole command, or write the steps as a block (steps: |)` };
  }
  const found = STEP_KEYS.filter((k) => k in v);
  if (found.length !== 1) return { error: `a step is a command string, or a mapping with one of the keys ${STEP_KEYS.join(', ')}` };
  return { variant: stepVariants[found[0]] as z.ZodType<StepInput> };
}, 'a command string or a structured step');

const stepSchema = z.unknown().transform((v, ctx): StepInput => {
  if (typeof v === 'string') return v;
  const r = structuredStep.safeParse(v, { reportInput: true });
  if (!r.success) return reissue(ctx, r.error.issues);
  return r.data;
});

export const scenarioSchema = strict({
  name,
  description: z.string().optional(),
  seed: int(0, 0xffffffff).optional(),
  duration,
  cpus: int(1, 4096).optional(),
  hosts: z.record(z.string(), hostSchema.nullable()).optional(),
  links: z.array(linkSchema).optional(),
  programs: z.array(programSchema).optional(),
  maps: z.array(mapSchema).optional(),
  tailCalls: z.array(tailCallSchema).optional(),
  traffic: z.array(trafficSchema).optional(),
  expect: z.array(expectSchema).optional(),
  steps: described('a list of steps, or a block of commands (steps: |)', z.union([z.string(), z.array(stepSchema)])).optional(),
});
export type ScenarioInput = z.output<typeof scenarioSchema>;
