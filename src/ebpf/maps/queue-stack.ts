/**
 * BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO); models kernel/bpf/queue_stack_maps.c:
 * queue_stack_map_alloc_check(), queue_stack_map_push_elem(), __queue_map_get(),
 * __stack_map_get().
 *
 * Elements sit in a ring of max_entries + 1 slots, as in the kernel. Push with BPF_EXIST makes
 * room in a full map by dropping the oldest element (for a stack too: its bottom). From user
 * space, lookup peeks, update pushes, lookupAndDelete pops; delete and get_next_key are -EINVAL.
 */
import type { Memory } from '../vm/memory.ts';
import { BaseMap } from './base.ts';
import { accessOk, extraFlags, fail } from './check.ts';
import { BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_NUMA_NODE, BPF_NOEXIST, KMALLOC_MAX_SIZE } from './constants.ts';
import { E2BIG, EINVAL, ENOENT, ENOMEM, EPERM } from './errno.ts';
import { MAX_MAP_BYTES } from './array.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

export function checkQueueStack(def: MapDef): void {
  if (def.maxEntries === 0 || def.keySize !== 0 || def.valueSize === 0) fail(-EINVAL, def, 'key_size must be 0, value_size and max_entries non-zero');
  if (def.flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !accessOk(def.flags)) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, QUEUE_STACK_CREATE_FLAG_MASK)}`);
  if (def.valueSize > KMALLOC_MAX_SIZE) fail(-E2BIG, def, 'value_size too large');
  if ((def.maxEntries + 1) * def.valueSize > MAX_MAP_BYTES) fail(-ENOMEM, def, 'map does not fit chainlab\'s 1 GiB limit');
}

export class QueueStackMap extends BaseMap {
  readonly lifo: boolean;
  private readonly elements: Uint8Array;
  private readonly size: number;
  private head = 0;
  private tail = 0;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.lifo = def.type === 'BPF_MAP_TYPE_STACK';
    this.size = def.maxEntries + 1;
    this.elements = new Uint8Array(this.size * def.valueSize);
  }

  get count(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  /** bpf_map_push_elem(). */
  push(value: Uint8Array, flags = 0n): number {
    this.checkValue(value);
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -EINVAL;
    if (this.count === this.def.maxEntries) {
      if (!(flags & BPF_EXIST)) return -E2BIG;
      this.tail = (this.tail + 1) % this.size;
    }
    this.elements.set(value, this.head * this.def.valueSize);
    this.head = (this.head + 1) % this.size;
    return 0;
  }

  /** bpf_map_pop_elem(): on -ENOENT the kernel zeroes the program's buffer; `data` is that zeroed value. */
  pop(): MapResult<Uint8Array> {
    return this.get(true);
  }

  /** bpf_map_peek_elem(). */
  peek(): MapResult<Uint8Array> {
    return this.get(false);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM from user space. */
  lookupAndDelete(): MapResult<Uint8Array> {
    if (!this.sysReadable() || !this.sysWritable()) return { err: -EPERM };
    return this.pop();
  }

  /** queue_stack_map_update_elem(): programs push instead. */
  override updateElem(_key: Uint8Array, _value: Uint8Array, _flags: bigint, _cpu: number): number {
    return -EINVAL;
  }

  override deleteElem(_key: Uint8Array, _cpu: number): number {
    return -EINVAL;
  }

  protected sysLookup(): MapResult<MapValue> {
    const r = this.peek();
    return r.err === 0 ? r : { err: r.err };
  }

  protected sysUpdate(_key: Uint8Array, value: MapValue, flags: bigint): number {
    return this.push(this.single(value), flags);
  }

  protected sysNextKey(): MapResult<Uint8Array> {
    return { err: -EINVAL };
  }

  /** Elements in the order they would be popped, with empty keys. */
  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = this.lifo ? (this.head - 1 - i + this.size) % this.size : (this.tail + i) % this.size;
      out.push({ key: new Uint8Array(0), value: this.slot(slot).slice() });
    }
    return out;
  }

  protected releaseValues(): void {
    this.head = this.tail = 0;
  }

  private get(remove: boolean): MapResult<Uint8Array> {
    if (this.count === 0) return { err: -ENOENT, data: new Uint8Array(this.def.valueSize) };
    let index: number;
    if (this.lifo) {
      index = (this.head - 1 + this.size) % this.size;
      if (remove) this.head = index;
    } else {
      index = this.tail;
      if (remove) this.tail = (this.tail + 1) % this.size;
    }
    return { err: 0, data: this.slot(index).slice() };
  }

  private slot(i: number): Uint8Array {
    return this.elements.subarray(i * this.def.valueSize, (i + 1) * this.def.valueSize);
  }
}
