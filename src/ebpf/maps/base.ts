/**
 * Bookkeeping shared by every map type (ns-3 style: the base class does it, a subclass cannot
 * forget it): the map's handle region, the bpf() syscall's permission and flag checks in front
 * of every user-side operation (kernel/bpf/syscall.c: map_lookup_elem(), map_update_elem(),
 * map_delete_elem(), map_get_next_key(), map_freeze()), and value regions in engine memory.
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG } from './constants.ts';
import { EBUSY, EINVAL, ENOTSUPP, EOPNOTSUPP, EPERM } from './errno.ts';
import { MapError, type BpfMap, type CreateOptions, type MapDef, type MapEntry, type MapHost, type MapResult, type MapValue } from './types.ts';

export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

export abstract class BaseMap implements BpfMap {
  readonly def: MapDef;
  readonly id: number;
  readonly handle: bigint;
  readonly region: Region;
  readonly nCpus: number;
  protected readonly mem: Memory;
  protected readonly host: MapHost;
  private isFrozen = false;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    this.def = def;
    this.mem = mem;
    this.nCpus = opts.nCpus;
    this.host = opts.host ?? {};
    // A map pointer is opaque to programs: any load or store through it faults.
    this.region = mem.add('map', `map '${def.name}'`, new Uint8Array(0), { readable: false, writable: false, owner: this });
    this.handle = Memory.addr(this.region, 0);
    this.id = opts.id ?? this.region.tag;
  }

  get frozen(): boolean {
    return this.isFrozen;
  }

  // ---- program side: types that support an operation override it ----

  lookupElemAddr(_key: Uint8Array, _cpu: number): bigint {
    return 0n;
  }

  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: bigint, _cpu: number): number {
    return -EOPNOTSUPP;
  }

  deleteElem(_key: Uint8Array, _cpu: number): number {
    return -EOPNOTSUPP;
  }

  // ---- user side: syscall checks, then the type's own operation ----

  tryLookup(key: Uint8Array, flags = 0n): MapResult<MapValue> {
    if (flags & ~BPF_F_LOCK) return { err: -EINVAL };
    if (!this.sysReadable()) return { err: -EPERM };
    if (flags & BPF_F_LOCK && this.def.spinLockOff === undefined) return { err: -EINVAL };
    this.checkKey(key);
    return this.sysLookup(key, flags);
  }

  lookup(key: Uint8Array): MapValue | undefined {
    return this.tryLookup(key).data;
  }

  update(key: Uint8Array, value: MapValue, flags = 0n): number {
    if (!this.sysWritable()) return -EPERM;
    if (flags & BPF_F_LOCK && this.def.spinLockOff === undefined) return -EINVAL;
    this.checkKey(key);
    return this.sysUpdate(key, value, flags);
  }

  delete(key: Uint8Array): number {
    if (!this.sysWritable()) return -EPERM;
    this.checkKey(key);
    return this.sysDelete(key);
  }

  tryNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    if (!this.sysReadable()) return { err: -EPERM };
    if (key !== undefined) this.checkKey(key);
    return this.sysNextKey(key);
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    return this.tryNextKey(key).data;
  }

  /** BPF_MAP_FREEZE: user space may no longer write; programs still may unless BPF_F_RDONLY_PROG. */
  freeze(): number {
    if (this.def.spinLockOff !== undefined) return -ENOTSUPP;
    if (!this.sysWritable()) return -EPERM;
    if (this.isFrozen) return -EBUSY;
    this.isFrozen = true;
    return 0;
  }

  abstract entries(): MapEntry[];

  destroy(): void {
    this.releaseValues();
    this.mem.remove(this.region);
  }

  protected abstract sysLookup(key: Uint8Array, flags: bigint): MapResult<MapValue>;
  protected abstract sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number;
  protected abstract sysNextKey(key?: Uint8Array): MapResult<Uint8Array>;
  /** Most types delete from the syscall exactly as from a program. */
  protected sysDelete(key: Uint8Array): number {
    return this.deleteElem(key, 0);
  }
  protected abstract releaseValues(): void;

  // ---- helpers for subclasses ----

  /** map_get_sys_perms(): BPF_F_RDONLY and freezing take away write; BPF_F_WRONLY takes away read. */
  protected sysWritable(): boolean {
    return (this.def.flags & BPF_F_RDONLY) === 0 && !this.isFrozen;
  }

  protected sysReadable(): boolean {
    return (this.def.flags & BPF_F_WRONLY) === 0;
  }

  protected checkKey(key: Uint8Array): void {
    if (key.length !== this.def.keySize) {
      throw new MapError(-EINVAL, `map '${this.def.name}': key must be ${this.def.keySize} bytes, got ${key.length}`);
    }
  }

  protected checkValue(value: Uint8Array, size = this.def.valueSize): void {
    if (value.length !== size) {
      throw new MapError(-EINVAL, `map '${this.def.name}': value must be ${size} bytes, got ${value.length}`);
    }
  }

  protected single(value: MapValue): Uint8Array {
    if (Array.isArray(value)) throw new MapError(-EINVAL, `map '${this.def.name}' is not per-CPU: give one value`);
    this.checkValue(value);
    return value;
  }

  /**
   * A user-side per-CPU value: one buffer set on every CPU, one buffer per CPU, or the syscall's
   * flat layout (nCpus slots of round_up(value_size, 8) bytes).
   */
  protected perCpu(value: MapValue): Uint8Array[] {
    const size = this.def.valueSize;
    const step = roundUp8(size);
    if (Array.isArray(value)) {
      if (value.length !== this.nCpus) {
        throw new MapError(-EINVAL, `map '${this.def.name}': ${this.nCpus} per-CPU values expected, got ${value.length}`);
      }
      return value.map((v) => {
        if (v.length !== size && v.length !== step) this.checkValue(v);
        return v.subarray(0, size);
      });
    }
    if (value.length === size || value.length === step) return Array.from({ length: this.nCpus }, () => value.subarray(0, size));
    if (value.length === step * this.nCpus) return Array.from({ length: this.nCpus }, (_, c) => value.subarray(c * step, c * step + size));
    this.checkValue(value);
    return [];
  }

  /** A value region in engine memory, with the program-side permissions of the map's flags. */
  protected newValueRegion(bytes: Uint8Array, cpu?: number): Region {
    const name = `map '${this.def.name}' value${cpu === undefined ? '' : ` (cpu ${cpu})`}`;
    return this.mem.add('map_value', name, bytes, {
      readable: (this.def.flags & BPF_F_WRONLY_PROG) === 0,
      writable: (this.def.flags & BPF_F_RDONLY_PROG) === 0,
      owner: this,
    });
  }

  protected freeRegion(r: Region): void {
    this.mem.remove(r);
  }

  /** Copy a value into place, leaving the bpf_spin_lock word alone (copy_map_value()). */
  protected copyValue(dst: Uint8Array, src: Uint8Array): void {
    const lock = this.def.spinLockOff;
    if (lock === undefined) {
      dst.set(src.subarray(0, dst.length));
      return;
    }
    dst.set(src.subarray(0, lock), 0);
    dst.set(src.subarray(lock + 4, dst.length), lock + 4);
  }

  /** A copy of a value for user space, the spin lock word zeroed (check_and_init_map_value()). */
  protected readValue(src: Uint8Array): Uint8Array {
    const out = src.slice(0, this.def.valueSize);
    const lock = this.def.spinLockOff;
    if (lock !== undefined) out.fill(0, lock, lock + 4);
    return out;
  }
}

/** Little-endian u32 of a 4-byte key. */
export const u32Key = (key: Uint8Array): number => (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) >>> 0;

export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** Lexicographic order of byte strings (dump order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A Map key for a byte string. */
/**
 * A key's bytes as a string, the index key of a hash table: two bytes per UTF-16 code unit (an
 * odd last byte alone). Injective for keys of one length, which is all one map holds.
 */
export function keyString(b: Uint8Array): string {
  const n = b.length;
  // The common sizes in one call each (u32, 8-byte tuples, 5-tuples): no intermediate strings.
  if (n === 4) return String.fromCharCode(b[0] | (b[1] << 8), b[2] | (b[3] << 8));
  if (n === 8) return String.fromCharCode(b[0] | (b[1] << 8), b[2] | (b[3] << 8), b[4] | (b[5] << 8), b[6] | (b[7] << 8));
  if (n <= 64) {
    let s = '';
    for (let i = 0; i + 1 < n; i += 2) s += String.fromCharCode(b[i] | (b[i + 1] << 8));
    if (n & 1) s += String.fromCharCode(b[n - 1]);
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset, n).toString('latin1');
}
