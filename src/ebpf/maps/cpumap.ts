/**
 * BPF_MAP_TYPE_CPUMAP, which bpf_redirect_map() uses to hand XDP frames to another CPU;
 * models kernel/bpf/cpumap.c: cpu_map_alloc(), cpu_map_update_elem(), cpu_map_delete_elem(),
 * cpu_map_get_next_key().
 *
 * A value is `struct bpf_cpumap_val`: the queue size and (8-byte values) a program fd to run on
 * the remote CPU. A zero qsize empties the entry; keys must be simulated CPUs (-ENODEV).
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey } from './array.ts';
import { extraFlags, fail } from './check.ts';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY_PROG, BPF_NOEXIST, NR_CPUS } from './constants.ts';
import { E2BIG, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, EOVERFLOW } from './errno.ts';
import { objectId, progAttachType, progType } from './objects.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

/** cpu_map_alloc()'s checks. */
export function checkCpumap(def: MapDef): void {
  if (def.maxEntries === 0 || def.keySize !== 4 || (def.valueSize !== 4 && def.valueSize !== 8)) {
    fail(-EINVAL, def, 'key_size must be 4, value_size 4 (qsize) or 8 (qsize + prog fd), max_entries non-zero');
  }
  if (def.flags & ~BPF_F_NUMA_NODE) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, BPF_F_NUMA_NODE)}`);
  if (def.maxEntries > NR_CPUS) fail(-E2BIG, def, `max_entries above NR_CPUS (${NR_CPUS})`);
}

/** A CPU that redirected frames are queued to. */
export interface CpuTarget {
  readonly cpu: number;
  readonly qsize: number;
  readonly prog?: unknown;
}

interface CpuEntry extends CpuTarget {
  readonly value: Region;
}

export class CpuMap extends BaseMap {
  private readonly slots: (CpuEntry | undefined)[];

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super({ ...def, flags: def.flags | BPF_F_RDONLY_PROG }, mem, opts);
    this.slots = new Array<CpuEntry | undefined>(def.maxEntries).fill(undefined);
  }

  target(key: number): CpuTarget | undefined {
    return this.slots[key >>> 0];
  }

  /** The typed form of an update: queue size and an optional program object. */
  setTarget(cpu: number, qsize: number, prog?: unknown, flags = 0n): number {
    return this.store(cpu >>> 0, qsize, prog === undefined ? undefined : { prog }, flags);
  }

  override lookupElemAddr(key: Uint8Array, _cpu: number): bigint {
    const e = this.slots[u32Key(key)];
    return e === undefined ? 0n : Memory.addr(e.value, 0);
  }

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const e = this.slots[u32Key(key)];
    return e === undefined ? { err: -ENOENT } : { err: 0, data: e.value.bytes.slice() };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    const fd = v.length >= 8 ? view.getInt32(4, true) : 0;
    return this.store(u32Key(key), view.getUint32(0, true), fd > 0 ? { fd } : undefined, flags);
  }

  /** cpu_map_delete_elem(): always succeeds inside the map. */
  protected override sysDelete(key: Uint8Array): number {
    const k = u32Key(key);
    if (k >= this.def.maxEntries) return -EINVAL;
    this.replace(k, undefined);
    return 0;
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    return arrayNextKey(key, this.def.maxEntries);
  }

  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    this.slots.forEach((e, i) => {
      if (e !== undefined) out.push({ key: u32Bytes(i), value: e.value.bytes.slice() });
    });
    return out;
  }

  protected releaseValues(): void {
    for (const e of this.slots) if (e !== undefined) this.freeRegion(e.value);
    this.slots.fill(undefined);
  }

  private store(cpu: number, qsize: number, p: { fd?: number; prog?: unknown } | undefined, flags: bigint): number {
    if (flags > BPF_EXIST) return -EINVAL;
    if (cpu >= this.def.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    // The kernel's sanity limit on the ptr_ring size.
    if (qsize > 16384) return -EOVERFLOW;
    if (cpu >= this.nCpus) return -ENODEV;
    if (qsize === 0) {
      this.replace(cpu, undefined);
      return 0;
    }
    let prog: unknown;
    if (p !== undefined) {
      prog = p.prog;
      if (p.fd !== undefined) {
        const entry = this.host.fd?.(p.fd);
        // __cpu_map_entry_alloc() fails as a whole, so a bad program reads as -ENOMEM.
        if (entry === undefined || entry.kind !== 'prog') return -ENOMEM;
        prog = entry.obj;
      }
      // A program object that says nothing of its type is taken as fitting.
      const type = progType(prog);
      const attach = progAttachType(prog);
      if ((type !== undefined || attach !== undefined) && (type !== 'BPF_PROG_TYPE_XDP' || attach !== 'BPF_XDP_CPUMAP')) return -ENOMEM;
    }
    const bytes = new Uint8Array(this.def.valueSize);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, qsize, true);
    if (bytes.length >= 8) view.setUint32(4, prog === undefined ? 0 : objectId(prog), true);
    this.replace(cpu, { cpu, qsize, prog, value: this.newValueRegion(bytes) });
    return 0;
  }

  private replace(k: number, e: CpuEntry | undefined): void {
    const old = this.slots[k];
    if (old !== undefined) this.freeRegion(old.value);
    this.slots[k] = e;
  }
}
