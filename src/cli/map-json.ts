/**
 * The JSON shapes `prog run --json` and `--map-init` share with the kernel oracle:
 * `{"<map>": [{"key": "<hex>", "value": "<hex>"}, …]}`, per-CPU maps as `{"key", "values": [hex per CPU]}`,
 * entries sorted by key, global-data maps by section name (.data, .bss, .rodata).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bytesToHex, hexToBytes } from '../ebpf/isa/insn.ts';
import { errnoName, strerror } from '../ebpf/maps/index.ts';
import type { LoadedObject } from '../ebpf/runtime/runtime.ts';
import { CliError } from './errors.ts';

export type MapDumpEntry = { key: string; value: string } | { key: string; values: string[] };

const NOT_DUMPABLE = new Set(['BPF_MAP_TYPE_RINGBUF', 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', 'BPF_MAP_TYPE_QUEUE', 'BPF_MAP_TYPE_STACK']);

export function dumpMaps(obj: LoadedObject): Record<string, MapDumpEntry[]> {
  const out: Record<string, MapDumpEntry[]> = {};
  for (const [name, map] of [...obj.maps.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (NOT_DUMPABLE.has(map.def.type)) continue;
    out[name] = map.entries().map((e) => (e.values ? { key: bytesToHex(e.key), values: e.values.map(bytesToHex) } : { key: bytesToHex(e.key), value: bytesToHex(e.value ?? new Uint8Array()) }));
  }
  return out;
}

const hex = z.string().regex(/^([0-9a-fA-F]{2})*$/, 'an even number of hex digits');
const MapInitSchema = z.record(z.string(), z.array(z.object({ key: hex, value: hex }).strict()));
export type MapInit = z.infer<typeof MapInitSchema>;

export function readMapInit(path: string): MapInit {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`${path}: cannot read map contents: ${(e as Error).message}`);
  }
  const r = MapInitSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CliError(`${path}: at ${i.path.join('.') || 'top level'}: ${i.message}; expected {"<map>": [{"key": "<hex>", "value": "<hex>"}, …]}`);
  }
  return r.data;
}

/** Fill maps as a loader would with `bpftool map update` (a per-CPU value is set on every CPU). */
export function applyMapInit(obj: LoadedObject, init: MapInit, path: string): void {
  for (const [name, entries] of Object.entries(init)) {
    const map = obj.maps.get(name);
    if (!map) throw new CliError(`${path}: no map named '${name}' in ${obj.spec.path}; it has ${[...obj.maps.keys()].join(', ')}`);
    entries.forEach((e, i) => {
      const key = hexToBytes(e.key);
      const value = hexToBytes(e.value);
      if (key.length !== map.def.keySize) throw new CliError(`${path}: ${name}[${i}]: key has ${key.length} bytes, the map's key_size is ${map.def.keySize}`);
      if (value.length !== map.def.valueSize) throw new CliError(`${path}: ${name}[${i}]: value has ${value.length} bytes, the map's value_size is ${map.def.valueSize}`);
      const err = map.update(key, value);
      if (err !== 0) throw new CliError(`${path}: ${name}[${i}]: update failed: ${strerror(err)} (${errnoName(err)})`);
    });
  }
}
