/**
 * Qdisc construction shared by the tc command parser and the YAML schema: the kernel's
 * defaults filled in and tc's own consistency rules, so both forms give equal models.
 * Errors come back as text (the caller knows where they are).
 */
import type { FqCodelQdisc, HtbClass, HtbQdisc, TbfQdisc } from './model.ts';

/** net/sched/sch_fq_codel.c fq_codel_init(): limit 10240 packets, 1024 flows, target 5 ms, interval 100 ms, ECN on, 32 MB. */
export const FQ_CODEL_DEFAULTS = {
  limit: 10240,
  flows: 1024,
  targetNs: 5_000_000,
  intervalNs: 100_000_000,
  ecn: true,
  memoryLimit: 32 << 20,
} as const;

/** tc/q_htb.c: r2q 10. */
export const HTB_DEFAULT_R2Q = 10;

export function makeFqCodel(p: Partial<Omit<FqCodelQdisc, 'kind'>>): FqCodelQdisc | string {
  const q: FqCodelQdisc = {
    kind: 'fq_codel',
    limit: p.limit ?? FQ_CODEL_DEFAULTS.limit,
    flows: p.flows ?? FQ_CODEL_DEFAULTS.flows,
    targetNs: p.targetNs ?? FQ_CODEL_DEFAULTS.targetNs,
    intervalNs: p.intervalNs ?? FQ_CODEL_DEFAULTS.intervalNs,
    ecn: p.ecn ?? FQ_CODEL_DEFAULTS.ecn,
    memoryLimit: p.memoryLimit ?? FQ_CODEL_DEFAULTS.memoryLimit,
  };
  if (p.handle !== undefined) q.handle = p.handle;
  if (p.quantum !== undefined) q.quantum = p.quantum;
  if (p.ceThresholdNs !== undefined) q.ceThresholdNs = p.ceThresholdNs;
  if (q.limit < 1) return 'fq_codel limit must be at least 1 packet';
  if (q.flows < 1 || q.flows > 65536) return 'fq_codel flows must be 1..65536 (the kernel refuses more)';
  if (q.quantum !== undefined && q.quantum < 1) return 'fq_codel quantum must be at least 1 byte';
  return q;
}

export function makeTbf(p: Omit<TbfQdisc, 'kind'>): TbfQdisc | string {
  if (p.limitBytes !== undefined && p.latencyNs !== undefined) return 'tbf: give "limit" or "latency", not both (tc refuses both)';
  if (p.limitBytes === undefined && p.latencyNs === undefined) return 'tbf needs "limit" or "latency" (tc refuses neither)';
  if (p.burstBytes <= 0) return 'tbf needs a burst > 0';
  if (p.peakrateBps !== undefined && p.mtuBytes === undefined) return 'tbf: "peakrate" needs "mtu" as well';
  const q: TbfQdisc = { kind: 'tbf', rateBps: p.rateBps, burstBytes: p.burstBytes };
  if (p.handle !== undefined) q.handle = p.handle;
  if (p.limitBytes !== undefined) q.limitBytes = p.limitBytes;
  if (p.latencyNs !== undefined) q.latencyNs = p.latencyNs;
  if (p.peakrateBps !== undefined) q.peakrateBps = p.peakrateBps;
  if (p.mtuBytes !== undefined) q.mtuBytes = p.mtuBytes;
  if (p.child !== undefined) q.child = p.child;
  return q;
}

export function makeHtb(p: { handle?: string; defaultMinor?: number; r2q?: number; classes?: HtbClass[] }): HtbQdisc {
  const q: HtbQdisc = { kind: 'htb', defaultMinor: p.defaultMinor ?? 0, r2q: p.r2q ?? HTB_DEFAULT_R2Q, classes: p.classes ?? [] };
  if (p.handle !== undefined) q.handle = p.handle;
  return q;
}

export function makeHtbClass(p: Omit<HtbClass, 'ceilBps' | 'prio'> & { ceilBps?: number; prio?: number }): HtbClass | string {
  const c: HtbClass = { classid: p.classid, parent: p.parent, rateBps: p.rateBps, ceilBps: p.ceilBps ?? p.rateBps, prio: p.prio ?? 0 };
  if (p.burstBytes !== undefined) c.burstBytes = p.burstBytes;
  if (p.cburstBytes !== undefined) c.cburstBytes = p.cburstBytes;
  if (p.quantum !== undefined) c.quantum = p.quantum;
  if (p.qdisc !== undefined) c.qdisc = p.qdisc;
  if (c.prio > 7) return 'htb prio must be 0..7';
  if (c.ceilBps < c.rateBps) return `htb ceil (${c.ceilBps} bit/s) is below the rate (${c.rateBps} bit/s)`;
  return c;
}
