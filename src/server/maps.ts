/**
 * The maps of a session's loaded objects, as `bpftool map show/dump/update/delete` would give
 * them: a catalog by (object, map) with short object names for URLs, dumps in hex with an
 * unsigned little-endian reading of small keys and values, and checked edit arguments.
 */
import { basename } from 'node:path';
import { bytesToHex, hexToBytes } from '../ebpf/isa/insn.ts';
import type { BpfMap, MapValue } from '../ebpf/maps/index.ts';
import type { LoadedObject } from '../ebpf/runtime/runtime.ts';
import type { MapDump, MapEditRequest, MapEntryJson, MapInfo } from '../../web/protocol.ts';
import { ApiError } from './errors.ts';

const NOT_DUMPABLE = new Set(['BPF_MAP_TYPE_RINGBUF', 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', 'BPF_MAP_TYPE_QUEUE', 'BPF_MAP_TYPE_STACK']);

export const isPerCpu = (m: BpfMap): boolean => /PERCPU/.test(m.def.type);

/** Unsigned little-endian value of 1–8 bytes, as decimal text. */
export function leUint(b: Uint8Array): string | undefined {
  if (b.length === 0 || b.length > 8) return undefined;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v.toString();
}

/** Sum of per-CPU values read as unsigned little-endian integers. */
export function sumLe(values: readonly Uint8Array[]): string | undefined {
  let s = 0n;
  for (const v of values) {
    const n = leUint(v);
    if (n === undefined) return undefined;
    s += BigInt(n);
  }
  return s.toString();
}

export interface MapRef {
  object: string;
  obj: LoadedObject;
  map: BpfMap;
}

export class MapCatalog {
  /** URL name → object. */
  readonly objects = new Map<string, LoadedObject>();

  constructor(loaded: ReadonlyMap<string, LoadedObject>) {
    const bases = new Map<string, number>();
    for (const id of loaded.keys()) bases.set(basename(id), (bases.get(basename(id)) ?? 0) + 1);
    for (const [id, obj] of loaded) this.objects.set(bases.get(basename(id)) === 1 ? basename(id) : id, obj);
  }

  list(): MapInfo[] {
    const out: MapInfo[] = [];
    for (const [object, obj] of this.objects) for (const map of obj.maps.values()) out.push(this.info(object, obj, map));
    return out;
  }

  find(object: string, name: string): MapRef {
    const obj = this.objects.get(object);
    if (!obj) throw new ApiError(404, `no object '${object}' (objects: ${[...this.objects.keys()].join(', ') || 'none'})`);
    const map = obj.maps.get(name);
    if (!map) throw new ApiError(404, `object ${object} has no map '${name}' (maps: ${[...obj.maps.keys()].join(', ') || 'none'})`);
    return { object, obj, map };
  }

  dump(ref: MapRef, t: number): MapDump {
    const info = this.info(ref.object, ref.obj, ref.map);
    if (NOT_DUMPABLE.has(ref.map.def.type)) return { ...info, t, entries: [], note: `${ref.map.def.type} cannot be dumped (as with bpftool map dump)` };
    const entries: MapEntryJson[] = ref.map.entries().map((e) => {
      const out: MapEntryJson = { key: bytesToHex(e.key), keyNum: leUint(e.key) };
      if (e.values) {
        out.values = e.values.map(bytesToHex);
        out.valueNum = sumLe(e.values);
      } else {
        const v = e.value ?? new Uint8Array();
        out.value = bytesToHex(v);
        out.valueNum = leUint(v);
      }
      return out;
    });
    return { ...info, t, entries };
  }

  private info(object: string, obj: LoadedObject, map: BpfMap): MapInfo {
    const d = map.def;
    return { object, name: d.name, id: map.id, type: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, perCpu: isPerCpu(map), programs: [...obj.programs.keys()] };
  }
}

function hexOf(text: string, size: number, what: string): Uint8Array {
  let b: Uint8Array;
  try {
    b = hexToBytes(text);
  } catch {
    throw new ApiError(400, `${what}: expected hex bytes like "05000000", got ${JSON.stringify(text)}`);
  }
  if (b.length !== size) throw new ApiError(400, `${what}: ${b.length} bytes, the map's ${what === 'key' ? 'key_size' : 'value_size'} is ${size}`);
  return b;
}

export function parseKey(map: BpfMap, text: string): Uint8Array {
  return hexOf(text, map.def.keySize, 'key');
}

/** The value of an edit: one buffer (set on every CPU of a per-CPU map) or one per CPU. */
export function parseValue(map: BpfMap, req: MapEditRequest): MapValue {
  if (typeof req.value === 'string') return hexOf(req.value, map.def.valueSize, 'value');
  if (Array.isArray(req.values)) {
    if (!isPerCpu(map)) throw new ApiError(400, `'values' (one per CPU) is for per-CPU maps; ${map.def.name} is ${map.def.type}: send 'value'`);
    if (req.values.length !== map.nCpus) throw new ApiError(400, `'values' needs one value per CPU (${map.nCpus}), got ${req.values.length}`);
    return req.values.map((v) => hexOf(String(v), map.def.valueSize, 'value'));
  }
  throw new ApiError(400, `send {"value": "<hex>"} (or {"values": ["<hex>", …]} for a per-CPU map)`);
}
