/**
 * BPF_MAP_TYPE_PROG_ARRAY, the table bpf_tail_call() jumps through; models kernel/bpf/arraymap.c:
 * bpf_fd_array_map_update_elem(), fd_array_map_delete_elem(), prog_fd_array_get_ptr() and the
 * owner check of __bpf_prog_map_compatible() (all programs of one array share a program type).
 *
 * Slots hold program handles: whatever object the runtime uses for a loaded program. User space
 * sees a slot as the program's id (`id` property of the object).
 */
import type { Memory } from '../vm/memory.ts';
import { BaseMap, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey } from './array.ts';
import { BPF_ANY } from './constants.ts';
import { E2BIG, EBADF, EINVAL, ENOENT } from './errno.ts';
import { objectId, progType } from './objects.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

export class ProgArrayMap extends BaseMap {
  private readonly slots: unknown[];
  /** Program type of the first program stored or of the first program that uses the map. */
  private ownerType: string | undefined;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.slots = new Array<unknown>(def.maxEntries).fill(undefined);
  }

  /** The program in slot `index`, for bpf_tail_call (undefined: the tail call falls through). */
  getSlot(index: number): unknown {
    return index >>> 0 < this.slots.length ? this.slots[index >>> 0] : undefined;
  }

  /** Store a program handle (BPF_ANY update with the program's fd); undefined clears the slot. */
  setSlot(index: number, prog: unknown): number {
    if (prog === undefined) return this.clearSlot(index);
    if (index >>> 0 >= this.slots.length) return -E2BIG;
    if (!this.compatible(progType(prog))) return -EINVAL;
    this.slots[index >>> 0] = prog;
    return 0;
  }

  /** fd_array_map_delete_elem(). */
  clearSlot(index: number): number {
    if (index >>> 0 >= this.slots.length) return -E2BIG;
    if (this.slots[index >>> 0] === undefined) return -ENOENT;
    this.slots[index >>> 0] = undefined;
    return 0;
  }

  /** May a program of this type use (or be stored in) this array? The first one claims it. */
  compatible(type: string | undefined): boolean {
    if (type === undefined) return true;
    this.ownerType ??= type;
    return this.ownerType === type;
  }

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const prog = this.getSlot(u32Key(key));
    return prog === undefined ? { err: -ENOENT } : { err: 0, data: u32Bytes(objectId(prog)) };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    if (flags !== BPF_ANY) return -EINVAL;
    if (u32Key(key) >= this.slots.length) return -E2BIG;
    const entry = this.host.fd?.(u32Key(v));
    if (entry === undefined) return -EBADF;
    if (entry.kind !== 'prog') return -EINVAL;
    return this.setSlot(u32Key(key), entry.obj);
  }

  protected override sysDelete(key: Uint8Array): number {
    return this.clearSlot(u32Key(key));
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    return arrayNextKey(key, this.def.maxEntries);
  }

  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    this.slots.forEach((p, i) => {
      if (p !== undefined) out.push({ key: u32Bytes(i), value: u32Bytes(objectId(p)) });
    });
    return out;
  }

  protected releaseValues(): void {
    this.slots.fill(undefined);
  }
}
