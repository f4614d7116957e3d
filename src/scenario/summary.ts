/**
 * What a run did, for `chainlab run`: packets and verdicts per node and hook, drops by reason,
 * deliveries and throughput, latency percentiles, CPU use per core. Deterministic: every list is
 * sorted, so the same run prints the same summary.
 */
import { fmtNs } from '../trace/histogram.ts';
import type { LatencyStats } from '../trace/latency.ts';
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
  drops: { where: string; reason: string; count: number }[];
  delivered: Record<string, number>;
  throughput: { deliveredPps: number };
  /** Nearest-rank percentiles of every packet that finished; `approximate` (only present, true) once
   *  there were too many distinct latencies to keep: then within 0.05% (see trace/latency.ts). */
  latency: Omit<LatencyStats, 'exact'> & { approximate?: true };
  cpus: { cpu: number; busyNs: number; utilisation: number }[];
}

const VERDICT_HOOKS = new Set(['xdp', 'xdp-devmap', 'xdp-cpumap', 'tc-ingress', 'tc-egress']);

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
    throughput: { deliveredPps: secs > 0 ? totalDelivered / secs : 0 },
    latency: latencyOf(b),
    cpus: b.net.cpus.map((cpu) => ({ cpu: cpu.id, busyNs: cpu.busyNs, utilisation: simulatedNs > 0 ? cpu.busyNs / simulatedNs : 0 })),
  };
}

function latencyOf(b: Built): RunSummary['latency'] {
  const { exact, ...s } = b.net.latency.summary();
  return exact ? s : { ...s, approximate: true };
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function formatSummary(s: RunSummary): string[] {
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
  out.push('devices (packets rx/tx)');
  for (const [node, d] of Object.entries(s.devices)) out.push(`  ${node.padEnd(28)} rx ${String(d.rx_packets).padStart(9)}  tx ${String(d.tx_packets).padStart(9)}`);
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
  const a = l.approximate ? '≈' : '';
  out.push(l.count ? `latency (${l.count} packets${a ? ', percentiles within 0.05%' : ''})  p50 ${a}${fmtNs(l.p50 ?? 0)}  p90 ${a}${fmtNs(l.p90 ?? 0)}  p99 ${a}${fmtNs(l.p99 ?? 0)}  max ${fmtNs(l.max ?? 0)}` : 'latency: no packet reached a host or left the network');
  out.push('');
  out.push('CPU use');
  for (const c of s.cpus) out.push(`  cpu${c.cpu}  ${(c.utilisation * 100).toFixed(1).padStart(5)}%  busy ${fmtNs(c.busyNs)}`);
  return out;
}
