/**
 * `GET /metrics`: the simulation as Prometheus sees a host — packets by outcome, drops by place
 * and reason, verdicts per hook, device packets and bytes, CPU busy time, every raw counter —
 * plus the configured map metrics (exporter.ts). Values are read at scrape time (prom-client
 * `collect`), so nothing is kept between scrapes; all counters are cumulative since the start.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Network } from '../net/network.ts';
import { percentile } from '../trace/histogram.ts';
import { readMapMetric, type ExporterConfig, type MetricConfig } from './exporter.ts';
import type { MapCatalog } from './maps.ts';

/** Latency quantiles are computed over the most recent deliveries only. */
const LATENCY_WINDOW = 10_000;

export interface MetricsSource {
  net: Network;
  catalog: MapCatalog;
  /** Events the simulator has run. */
  events: () => number;
  /** Records pages missed because they were slow. */
  viewerDropped: () => number;
  viewerClients: () => number;
}

const HOOK_COUNTER = /^([^/]+)\/([^/]+)\/(xdp|tc-ingress|tc-egress)\/([A-Za-z_]+)$/;
const DEV_COUNTER = /^([^/]+)\/([^/]+)\/(rx|tx)_(packets|bytes)$/;

function counter(reg: Registry, name: string, help: string, labelNames: string[], fill: (c: Counter<string>) => void): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      fill(this);
    },
  });
}

function gauge(reg: Registry, name: string, help: string, labelNames: string[], fill: (g: Gauge<string>) => void): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [reg],
    collect() {
      this.reset();
      fill(this);
    },
  });
}

function builtins(reg: Registry, s: MetricsSource): void {
  const { net } = s;
  gauge(reg, 'chainlab_sim_time_seconds', 'Simulated time', [], (g) => g.set(net.sim.now / 1e9));
  counter(reg, 'chainlab_events_total', 'Simulator events run', [], (c) => c.inc(s.events()));
  counter(reg, 'chainlab_packets_total', 'Packets by outcome (injected, delivered, dropped, left the network)', ['outcome'], (c) => {
    const by: Record<string, number> = { injected: net.counters.get('injected'), delivered: 0, dropped: 0, left: 0 };
    for (const e of net.ledger.values()) by[e.outcome] += e.count;
    for (const [outcome, n] of Object.entries(by)) c.inc({ outcome }, n);
  });
  counter(reg, 'chainlab_drops_total', 'Dropped packets by host, device and reason', ['host', 'dev', 'reason'], (c) => {
    for (const e of net.ledger.values()) if (e.outcome === 'dropped') c.inc({ host: e.host, dev: e.dev, reason: e.reason ?? 'unknown' }, e.count);
  });
  const snapshot = (): [string, number][] => Object.entries(net.counters.snapshot());
  counter(reg, 'chainlab_hook_verdicts_total', 'Program verdicts per device and hook', ['host', 'dev', 'hook', 'verdict'], (c) => {
    for (const [k, v] of snapshot()) {
      const m = HOOK_COUNTER.exec(k);
      if (m) c.inc({ host: m[1], dev: m[2], hook: m[3], verdict: m[4] }, v);
    }
  });
  for (const unit of ['packets', 'bytes'] as const) {
    counter(reg, `chainlab_device_${unit}_total`, `Device ${unit} received and sent`, ['host', 'dev', 'direction'], (c) => {
      for (const [k, v] of snapshot()) {
        const m = DEV_COUNTER.exec(k);
        if (m && m[4] === unit) c.inc({ host: m[1], dev: m[2], direction: m[3] }, v);
      }
    });
  }
  counter(reg, 'chainlab_cpu_busy_seconds_total', 'Simulated CPU busy time per core', ['cpu'], (c) => {
    for (const cpu of net.cpus) c.inc({ cpu: String(cpu.id) }, cpu.busyNs / 1e9);
  });
  counter(reg, 'chainlab_counter_total', 'Every datapath counter by its name', ['name'], (c) => {
    for (const [name, v] of snapshot()) c.inc({ name }, v);
  });
  gauge(reg, 'chainlab_latency_seconds', `Latency of the last ${LATENCY_WINDOW} packets that finished`, ['quantile'], (g) => {
    const recent = net.recent.last(LATENCY_WINDOW).sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const v = percentile(recent, q * 100);
      if (v !== undefined) g.set({ quantile: String(q) }, v / 1e9);
    }
  });
  gauge(reg, 'chainlab_viewer_clients', 'Pages connected to the live viewer', [], (g) => g.set(s.viewerClients()));
  counter(reg, 'chainlab_viewer_dropped_records_total', 'Trace records pages missed because they read too slowly', [], (c) => c.inc(s.viewerDropped()));
}

function mapMetric(reg: Registry, m: MetricConfig, type: 'counter' | 'gauge', s: MetricsSource): void {
  const name = `chainlab_${m.name}`;
  const labelNames = m.labels.map((l) => l.name);
  const help = m.help || `map ${m.map ?? m.name}`;
  const fill = (set: (labels: Record<string, string>, v: number) => void): void => {
    for (const x of readMapMetric(m, s.catalog, s.net)) set(x.labels, x.value);
  };
  if (type === 'counter') counter(reg, name, help, labelNames, (c) => fill((l, v) => c.inc(l, v)));
  else gauge(reg, name, help, labelNames, (g) => fill((l, v) => g.set(l, v)));
}

/** A registry with the built-in metrics and the configured map metrics (checked now). */
export function metricsRegistry(s: MetricsSource, config?: ExporterConfig): Registry {
  const reg = new Registry();
  builtins(reg, s);
  for (const m of config?.metrics.counters ?? []) {
    readMapMetric(m, s.catalog, s.net);
    mapMetric(reg, m, 'counter', s);
  }
  for (const m of config?.metrics.gauges ?? []) {
    readMapMetric(m, s.catalog, s.net);
    mapMetric(reg, m, 'gauge', s);
  }
  return reg;
}
