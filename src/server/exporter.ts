/**
 * Map values as Prometheus metrics, configured the way cloudflare's ebpf_exporter does it: each
 * metric names a map, and the map's key bytes are cut into labels (`size`, `padding`), each
 * decoded by a chain of decoders — `uint` (little-endian, 1/2/4/8 bytes), `inet_ip` (4 or 16
 * bytes), `ifname` (u32 ifindex → device name in the simulated hosts), `hex`, `string` (up to
 * NUL), `static_map` (value → name, "unknown:<v>" unless `allow_unknown`), `regexp` (a label set
 * that matches none of `regexps` is skipped). The value is an unsigned little-endian integer (its
 * first 8 bytes), summed over CPUs for per-CPU maps; counters and gauges as in ebpf_exporter.
 *
 *   metrics:
 *     counters:
 *       - name: xdp_proto_packets_total       # exported as chainlab_<name>
 *         help: Packets seen by the XDP counter, by protocol slot
 *         map: proto_count                    # default: the metric's name, as in ebpf_exporter
 *         object: xdp_proto_count.o           # needed only when several objects have the map
 *         labels:
 *           - name: proto
 *             size: 4
 *             decoders:
 *               - name: uint
 *               - name: static_map
 *                 static_map: {2: ipv4, 4: tcp, 5: udp}
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIp4, formatIp6 } from '../net/packet/addr.ts';
import type { Network } from '../net/network.ts';
import { isPerCpu, type MapCatalog } from './maps.ts';

const decoderSchema = z
  .object({
    name: z.enum(['uint', 'inet_ip', 'ifname', 'hex', 'string', 'static_map', 'regexp']),
    static_map: z.record(z.string(), z.string()).optional(),
    allow_unknown: z.boolean().optional(),
    regexps: z.array(z.string()).optional(),
    /** ifname: the host (namespace) whose ifindex it is; absent: the one host that has it. */
    host: z.string().optional(),
  })
  .strict();

const labelSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name'),
    size: z.number().int().min(1),
    padding: z.number().int().min(0).optional(),
    decoders: z.array(decoderSchema).min(1),
  })
  .strict();

const metricSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name'),
    help: z.string().default(''),
    map: z.string().optional(),
    object: z.string().optional(),
    labels: z.array(labelSchema).default([]),
  })
  .strict();

export const exporterConfigSchema = z
  .object({
    metrics: z
      .object({
        counters: z.array(metricSchema).default([]),
        gauges: z.array(metricSchema).default([]),
      })
      .strict(),
  })
  .strict();

export type ExporterConfig = z.output<typeof exporterConfigSchema>;
export type MetricConfig = z.output<typeof metricSchema>;
export type LabelConfig = z.output<typeof labelSchema>;
type DecoderConfig = z.output<typeof decoderSchema>;

export class ExporterConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExporterConfigError';
  }
}

export function parseExporterConfig(raw: unknown, file = 'metrics config'): ExporterConfig {
  const r = exporterConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ExporterConfigError(`${file}: at ${i.path.join('.') || 'top level'}: ${i.message}`);
  }
  return r.data;
}

/** A YAML or JSON file (JSON is YAML). */
export function loadExporterConfig(path: string): ExporterConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ExporterConfigError(`${path}: cannot read the metrics config: ${(e as Error).message}`);
  }
  return parseExporterConfig(raw, path);
}

/** The label set is to be left out (a regexp decoder matched nothing). */
const SKIP = Symbol('skip');

function leUint(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = Math.min(b.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

function decodeStep(input: Uint8Array | string, d: DecoderConfig, net: Network): string | typeof SKIP {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  switch (d.name) {
    case 'uint':
      if (![1, 2, 4, 8].includes(bytes.length)) throw new Error(`uint: unknown value length ${bytes.length}`);
      return leUint(bytes).toString();
    case 'inet_ip':
      if (bytes.length === 4) return formatIp4(bytes);
      if (bytes.length === 16) return formatIp6(bytes);
      throw new Error(`inet_ip: ${bytes.length} bytes (4 or 16 expected)`);
    case 'ifname':
      return ifname(net, Number(leUint(bytes.slice(0, 4))), d.host);
    case 'hex':
      return Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');
    case 'string': {
      const nul = bytes.indexOf(0);
      return new TextDecoder().decode(nul < 0 ? bytes : bytes.slice(0, nul));
    }
    case 'static_map': {
      if (!d.static_map) return 'empty mapping';
      const v = d.static_map[text];
      if (v !== undefined) return v;
      return d.allow_unknown ? text : `unknown:${text}`;
    }
    case 'regexp':
      return (d.regexps ?? []).some((r) => new RegExp(r).test(text)) ? text : SKIP;
  }
}

function ifname(net: Network, ifindex: number, host?: string): string {
  const hosts = host ? [net.hosts.get(host)].filter((h) => h !== undefined) : [...net.hosts.values()];
  const found = hosts.flatMap((h) => [...h.devices.values()].filter((d) => d.ifindex === ifindex));
  if (found.length === 1) return found[0].name;
  return found.length === 0 ? `unknown:${ifindex}` : `ambiguous:${ifindex}`;
}

/** Label values for a key, or undefined when the label set is skipped. */
export function decodeLabels(key: Uint8Array, labels: readonly LabelConfig[], net: Network, metric: string): string[] | undefined {
  const total = labels.reduce((s, l) => s + l.size + (l.padding ?? 0), 0);
  if (labels.length > 0 && total !== key.length) throw new ExporterConfigError(`${metric}: the labels cover ${total} bytes, the map's key has ${key.length}`);
  const out: string[] = [];
  let off = 0;
  for (const l of labels) {
    let v: Uint8Array | string = key.slice(off, off + l.size);
    for (const d of l.decoders) {
      const r = decodeStep(v, d, net);
      if (r === SKIP) return undefined;
      v = r;
    }
    out.push(typeof v === 'string' ? v : new TextDecoder().decode(v));
    off += l.size + (l.padding ?? 0);
  }
  return out;
}

export interface MapSample {
  labels: Record<string, string>;
  value: number;
}

/** Every sample of one configured metric, read from its map now. */
export function readMapMetric(m: MetricConfig, catalog: MapCatalog, net: Network): MapSample[] {
  const mapName = m.map ?? m.name;
  const candidates = [...catalog.objects].filter(([name, obj]) => obj.maps.has(mapName) && (m.object === undefined || name === m.object));
  if (candidates.length === 0) throw new ExporterConfigError(`${m.name}: no loaded object has a map '${mapName}'${m.object ? ` in ${m.object}` : ''}`);
  if (candidates.length > 1) throw new ExporterConfigError(`${m.name}: several objects have a map '${mapName}' (${candidates.map(([n]) => n).join(', ')}); say which with 'object'`);
  const map = candidates[0][1].maps.get(mapName);
  if (!map) return [];
  const perCpu = isPerCpu(map);
  const out: MapSample[] = [];
  for (const e of map.entries()) {
    const values = perCpu ? (e.values ?? []) : [e.value ?? new Uint8Array()];
    const labels = decodeLabels(e.key, m.labels, net, m.name);
    if (!labels) continue;
    const value = Number(values.reduce((s, v) => s + leUint(v), 0n));
    out.push({ labels: Object.fromEntries(m.labels.map((l, i) => [l.name, labels[i]])), value });
  }
  return out;
}
