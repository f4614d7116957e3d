/**
 * What a run did, for `chainlab run`: packets and verdicts per node and hook (programs' verdicts,
 * and qdiscs as `tc -s qdisc` counts them), drops by reason, deliveries and throughput, latency
 * percentiles (all packets, and per traffic source) with a log2 histogram, CPU use per core.
 * Deterministic: every list is sorted, so the same run prints the same summary.
 */
import { fmtNs, formatHistogram } from '../trace/histogram.ts';
import { LatencyRecorder, type LatencyStats } from '../trace/latency.ts';
import type { Built } from './build.ts';

export interface RunSummary {
  scenario: string;
  seed: number;
  simulatedNs: number;
  events: number;
  sent: Record<string, number>;
  /** "host/dev" → hook → verdict → count. */
  hooks: Record<string, Record<string, Record<string, number>>>;
  devices: Record<string, { rx_packets: number; tx_packets: number; rx_bytes: number; tx_bytes: number }>;
  /** Root qdiscs that saw traffic, by "host/dev": what `tc -s qdisc` prints (backlog at the end). */
  qdiscs: Record<string, { kind: string; handle: string; sent: number; dropped: number; overlimits: number; requeues: number; backlogBytes: number; qlen: number }>;
  drops: { where: string; reason: string; count: number }[];
  delivered: Record<string, number>;
  /** Delivered packets per second of simulated time; frame bits per second through each device. */
  throughput: { deliveredPps: number; devices: Record<string, { rxBps: number; txBps: number }> };
  /** Nearest-rank percentiles of every packet that finished; `approximate` (only present, true) once
   *  there were too many distinct latencies to keep: then within 0.05% (see trace/latency.ts). */
  latency: Omit<LatencyStats, 'exact'> & { approximate?: true };
  /** The same per traffic source (delivered packets). */
  latencyByTraffic: Record<string, Omit<LatencyStats, 'exact'> & { approximate?: true }>;
  /** Buckets [lo, hi) ns of every packet's latency. */
  latencyHistogram: { lo: number; hi: number; count: number }[];
  cpus: { cpu: number; busyNs: number; utilisation: number }[];
}

const VERDICT_HOOKS = new Set(['xdp', 'xdp-devmap', 'xdp-cpumap', 'tc-ingress', 'tc-egress']);

function stats(l: LatencyRecorder): Omit<LatencyStats, 'exact'> & { approximate?: true } {
  const { exact, ...s } = l.summary();
  return exact ? s : { ...s, approximate: true };
}

export function summarize(b: Built, simulatedNs: number): RunSummary {
  const c = b.net.counters.snapshot();
  const hooks: RunSummary['hooks'] = {};
  const devices: RunSummary['devices'] = {};
  for (const [k, v] of Object.entries(c)) {
    const parts = k.split('/');
    if (parts.length === 4 && VERDICT_HOOKS.has(parts[2])) {
      const node = `${parts[0]}/${parts[1]}`;
      ((hooks[node] ??= {})[parts[2]] ??= {})[parts[3]] = v;
    }
    if (parts.length === 5 && parts[2] === 'qdisc' && parts[3] === 'drop') {
      // host/dev/qdisc/drop/REASON: the qdisc's drops by kernel reason, next to the programs' verdicts.
      ((hooks[`${parts[0]}/${parts[1]}`] ??= {}).qdisc ??= {})[`drop ${parts[4]}`] = v;
    }
    if (parts.length === 3 && /^(rx|tx)_(packets|bytes)$/.test(parts[2])) {
      const node = `${parts[0]}/${parts[1]}`;
      devices[node] ??= { rx_packets: 0, tx_packets: 0, rx_bytes: 0, tx_bytes: 0 };
      devices[node][parts[2] as 'rx_packets'] = v;
    }
  }
  const dropMap = new Map<string, number>();
  const delivered: Record<string, number> = {};
  for (const l of b.net.ledger.values()) {
    if (l.outcome === 'dropped') {
      const k = `${l.host}/${l.dev}\u0000${l.reason ?? '?'}`;
      dropMap.set(k, (dropMap.get(k) ?? 0) + l.count);
    } else if (l.outcome === 'delivered') delivered[l.host] = (delivered[l.host] ?? 0) + l.count;
  }
  const drops = [...dropMap.entries()]
    .map(([k, count]) => {
      const [where, reason] = k.split('\u0000');
      return { where, reason, count };
    })
    .sort((a, x) => x.count - a.count || (a.where + a.reason < x.where + x.reason ? -1 : 1));
  const totalDelivered = Object.values(delivered).reduce((s, n) => s + n, 0);
  const secs = simulatedNs / 1e9;
  const qdiscs: RunSummary['qdiscs'] = {};
  for (const h of b.net.hosts.values()) {
    for (const d of h.devices.values()) {
      const q = d.qdisc?.stats();
      if (!q || q.packets + q.drops + q.qlen === 0) continue;
      const node = `${h.name}/${d.name}`;
      qdiscs[node] = { kind: q.kind, handle: q.handle, sent: q.packets, dropped: q.drops, overlimits: q.overlimits, requeues: q.requeues, backlogBytes: q.backlog, qlen: q.qlen };
      const row = ((hooks[node] ??= {}).qdisc ??= {});
      hooks[node].qdisc = { sent: q.packets, ...row, ...(q.qlen ? { queued: q.qlen } : {}) };
    }
  }
  const byTraffic = new Map<string, LatencyRecorder>();
  for (const [k, l] of b.net.latencyBy) {
    const traffic = k.split('|')[1];
    if (!traffic) continue;
    let r = byTraffic.get(traffic);
    if (!r) byTraffic.set(traffic, (r = new LatencyRecorder()));
    r.merge(l);
  }
  const rate = (bytes: number): number => (secs > 0 ? (bytes * 8) / secs : 0);
  return {
    scenario: b.scenario.name,
    seed: b.sim.seed,
    simulatedNs,
    events: b.sim.stats.processed,
    sent: b.sent(),
    hooks,
    devices,
    drops,
    delivered: Object.fromEntries(Object.entries(delivered).sort(([a], [x]) => (a < x ? -1 : 1))),
    qdiscs: sortKeys(qdiscs),
    throughput: {
      deliveredPps: secs > 0 ? totalDelivered / secs : 0,
      devices: Object.fromEntries(Object.entries(devices).map(([k, d]) => [k, { rxBps: rate(d.rx_bytes), txBps: rate(d.tx_bytes) }])),
    },
    latency: stats(b.net.latency),
    latencyByTraffic: Object.fromEntries([...byTraffic.entries()].sort(([a], [x]) => (a < x ? -1 : 1)).map(([k, l]) => [k, stats(l)])),
    latencyHistogram: b.net.latency.log2Histogram(),
    cpus: b.net.cpus.map((cpu) => ({ cpu: cpu.id, busyNs: cpu.busyNs, utilisation: simulatedNs > 0 ? cpu.busyNs / simulatedNs : 0 })),
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [x]) => (a < x ? -1 : 1)));
}

/** "1.5 Gbit/s", "12.3 Mbit/s", "800 kbit/s". */
export function fmtBps(bps: number): string {
  if (bps >= 1e9) return `${+(bps / 1e9).toFixed(2)} Gbit/s`;
  if (bps >= 1e6) return `${+(bps / 1e6).toFixed(2)} Mbit/s`;
  if (bps >= 1e3) return `${+(bps / 1e3).toFixed(2)} kbit/s`;
  return `${Math.round(bps)} bit/s`;
}

function latencyLine(l: RunSummary['latency']): string {
  const a = l.approximate ? '≈' : '';
  return `(${l.count} packets${a ? ', percentiles within 0.05%' : ''})  p50 ${a}${fmtNs(l.p50 ?? 0)}  p90 ${a}${fmtNs(l.p90 ?? 0)}  p99 ${a}${fmtNs(l.p99 ?? 0)}  max ${fmtNs(l.max ?? 0)}`;
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** The summary as text; `histogram` adds the latency histogram (bpftrace's hist() style). */
export function formatSummary(s: RunSummary, o: { histogram?: boolean } = {}): string[] {
  const out: string[] = [];
  out.push(`scenario ${s.scenario}  seed ${s.seed}  simulated ${fmtNs(s.simulatedNs)}  ${s.events} events`);
  out.push('');
  out.push('traffic sent');
  for (const [k, v] of Object.entries(s.sent)) out.push(`  ${k.padEnd(28)} ${String(v).padStart(10)} packets`);
  if (Object.keys(s.hooks).length) {
    out.push('');
    out.push('verdicts per node and hook');
    for (const [node, hooks] of Object.entries(s.hooks)) {
      for (const [hook, verdicts] of Object.entries(hooks)) {
        out.push(`  ${`${node} ${hook}`.padEnd(28)} ${Object.entries(verdicts).map(([v, n]) => `${v} ${n}`).join('  ')}`);
      }
    }
  }
  out.push('');
  out.push('devices (packets rx/tx, frame bits per second)');
  for (const [node, d] of Object.entries(s.devices)) {
    const r = s.throughput.devices?.[node];
    out.push(`  ${node.padEnd(28)} rx ${String(d.rx_packets).padStart(9)}  tx ${String(d.tx_packets).padStart(9)}${r ? `   rx ${fmtBps(r.rxBps)}  tx ${fmtBps(r.txBps)}` : ''}`);
  }
  const qs = Object.entries(s.qdiscs ?? {});
  if (qs.length) {
    out.push('');
    out.push('qdiscs (as tc -s qdisc)');
    for (const [node, q] of qs) out.push(`  ${node.padEnd(20)} ${`${q.kind} ${q.handle}`.padEnd(12)} sent ${q.sent} pkt  dropped ${q.dropped}  overlimits ${q.overlimits}  requeues ${q.requeues}  backlog ${q.backlogBytes}b ${q.qlen}p`);
  }
  out.push('');
  out.push('delivered');
  if (Object.keys(s.delivered).length === 0) out.push('  (none)');
  for (const [h, n] of Object.entries(s.delivered)) out.push(`  ${h.padEnd(28)} ${String(n).padStart(10)} packets`);
  out.push(`  throughput ${num(s.throughput.deliveredPps)} packets/s delivered`);
  out.push('');
  out.push('drops by reason');
  if (s.drops.length === 0) out.push('  (none)');
  for (const d of s.drops.slice(0, 20)) out.push(`  ${d.where.padEnd(20)} ${String(d.count).padStart(9)}  ${d.reason}`);
  if (s.drops.length > 20) out.push(`  … ${s.drops.length - 20} more reasons (use --json)`);
  out.push('');
  const l = s.latency;
  out.push(l.count ? `latency ${latencyLine(l)}` : 'latency: no packet reached a host or left the network');
  const per = Object.entries(s.latencyByTraffic ?? {});
  if (per.length > 1) for (const [t, lt] of per) out.push(`  ${t.padEnd(18)} ${latencyLine(lt)}`);
  if (o.histogram && s.latencyHistogram?.length) for (const line of formatHistogram(s.latencyHistogram)) out.push(`  ${line}`);
  out.push('');
  out.push('CPU use');
  for (const c of s.cpus) out.push(`  cpu${c.cpu}  ${(c.utilisation * 100).toFixed(1).padStart(5)}%  busy ${fmtNs(c.busyNs)}`);
  return out;
}
