/**
 * Periodic StatsRecords for the viewer's charts and the rates on its links and nodes: at each
 * boundary of simulated time, what changed since the previous one — the network's counters,
 * packets injected/delivered/dropped/left and drops by reason (from the ledger), CPU busy time
 * per core, latency percentiles of the packets that finished, and hops per device, hook and
 * verdict (from the trace). Only non-zero changes are sent.
 *
 * Keys: raw counter names as the network keeps them ("router/eth0/rx_packets"), and
 * "pkts/<outcome>", "drops/<reason>", "devdrops/<host>/<dev>", "cpu/<id>/busy_ns", "lat/<p50|p90|p99|max|count>",
 * "hop/<host>/<dev>/<hook>/<verdict>", "bytes/wire", "interval_ns".
 */
import type { Network } from '../net/network.ts';
import { latencySummary } from '../trace/histogram.ts';
import type { HopRecord, StatsRecord } from '../trace/records.ts';

export class StatsSampler {
  private lastCounters: Record<string, number> = {};
  private lastLedger = new Map<string, number>();
  private lastBusy: number[];
  private latencyIndex = 0;
  private hops = new Map<string, number>();
  private wireBytes = 0;

  constructor(private readonly net: Network) {
    this.lastBusy = net.cpus.map((c) => c.busyNs);
  }

  /** Count one hop (the session feeds every hop record here). */
  onHop(r: HopRecord): void {
    const k = `hop/${r.host}/${r.dev ?? '-'}/${r.hook}/${r.verdict ?? r.reason ?? '-'}`;
    this.hops.set(k, (this.hops.get(k) ?? 0) + 1);
    if (r.hook === 'wire') this.wireBytes += r.len;
  }

  sample(t: number, intervalNs: number): StatsRecord {
    const counters: Record<string, number> = { interval_ns: intervalNs };
    const put = (k: string, v: number): void => {
      if (v !== 0) counters[k] = v;
    };
    const now = this.net.counters.snapshot();
    for (const [k, v] of Object.entries(now)) put(k, v - (this.lastCounters[k] ?? 0));
    this.lastCounters = now;

    const ledger = ledgerTotals(this.net);
    for (const [k, v] of ledger) put(k, v - (this.lastLedger.get(k) ?? 0));
    this.lastLedger = ledger;
    put('pkts/injected', counters.injected ?? 0);

    this.net.cpus.forEach((c, i) => {
      put(`cpu/${c.id}/busy_ns`, c.busyNs - (this.lastBusy[i] ?? 0));
      this.lastBusy[i] = c.busyNs;
    });

    // Percentiles over the interval's packets still in the recent window (all of them unless one
    // interval finished more than its capacity); the count is every packet of the interval.
    const recent = this.net.recent;
    if (recent.total > this.latencyIndex) {
      const s = latencySummary(recent.since(this.latencyIndex));
      put('lat/count', recent.total - this.latencyIndex);
      this.latencyIndex = recent.total;
      put('lat/p50', s.p50 ?? 0);
      put('lat/p90', s.p90 ?? 0);
      put('lat/p99', s.p99 ?? 0);
      put('lat/max', s.max ?? 0);
    }

    for (const [k, v] of [...this.hops.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) put(k, v);
    this.hops = new Map();
    put('bytes/wire', this.wireBytes);
    this.wireBytes = 0;
    return { type: 'stats', t, counters };
  }
}

/**
 * Cumulative packets by outcome ("pkts/delivered"), drops by reason ("drops/XDP_DROP") and by
 * the device that dropped them ("devdrops/router/eth0"): the ledger counts every packet's end
 * once, whatever counter names the hook that dropped it keeps.
 */
export function ledgerTotals(net: Network): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, n: number): void => {
    out.set(k, (out.get(k) ?? 0) + n);
  };
  for (const e of net.ledger.values()) {
    add(`pkts/${e.outcome}`, e.count);
    if (e.outcome === 'dropped') {
      add(`drops/${e.reason ?? 'unknown'}`, e.count);
      add(`devdrops/${e.host}/${e.dev}`, e.count);
    }
  }
  return out;
}
