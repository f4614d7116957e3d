/**
 * BPF_MAP_TYPE_LRU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH; models kernel/bpf/hashtab.c:
 * htab_lru_map_update_elem(), __htab_lru_percpu_map_update_elem(), prealloc_lru_pop(), and the
 * lists of kernel/bpf/bpf_lru_list.c.
 *
 * Like the kernel, an update takes a free node *before* it looks at the key and flags, so a full
 * map evicts even when the update then fails (BPF_EXIST on a missing key) or replaces the key.
 * Eviction here is strictly least-recently-used by a logical clock: a program's lookup or update
 * marks an element used; a user-space lookup does not (the kernel's lookup_elem_sys_only). With
 * BPF_F_NO_COMMON_LRU each CPU has its own list of max_entries / nCPUs nodes, and a node stays
 * on the list of the CPU that took it. User-space updates run on CPU 0.
 *
 * Where this differs from Linux: the kernel's LRU is approximate — active/inactive lists with
 * reference bits (a used element gets a second chance rather than moving to the front), per-CPU
 * local free lists filled in batches, and with BPF_F_NO_COMMON_LRU a shrink that frees up to
 * PERCPU_FREE_TARGET (4) nodes at once, so the kernel may evict several elements where chainlab
 * evicts one. For the common list, seeded random user-space sequences on one CPU agree with
 * Linux 6.18 (test/ebpf/maps/kernel.test.ts); per-CPU lists and reference bits can differ.
 */
import type { Memory } from '../vm/memory.ts';
import { BPF_EXIST, BPF_F_NO_COMMON_LRU } from './constants.ts';
import { EINVAL } from './errno.ts';
import { HashMap, checkFlags, type HashElem } from './hash.ts';
import { keyString } from './base.ts';
import type { CreateOptions, MapDef } from './types.ts';

/** htab_map_alloc(): with per-CPU lists, max_entries rounds to a multiple of the CPU count. */
export function lruMaxEntries(def: MapDef, nCpus: number): number {
  if ((def.flags & BPF_F_NO_COMMON_LRU) === 0) return def.maxEntries;
  const up = Math.ceil(def.maxEntries / nCpus) * nCpus;
  return up <= 0xffff_ffff ? up : Math.floor(def.maxEntries / nCpus) * nCpus;
}

export class LruHashMap extends HashMap {
  /** One recency list (common LRU) or one per CPU; each Map iterates least recent first. */
  private readonly lists: Map<string, HashElem>[];
  private readonly perList: number;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    const maxEntries = lruMaxEntries(def, opts.nCpus);
    super({ ...def, maxEntries }, mem, opts);
    const perCpuLists = (def.flags & BPF_F_NO_COMMON_LRU) !== 0;
    this.lists = Array.from({ length: perCpuLists ? opts.nCpus : 1 }, () => new Map<string, HashElem>());
    this.perList = maxEntries / this.lists.length;
  }

  protected override progLookup(key: Uint8Array): HashElem | undefined {
    const e = this.table.get(key);
    if (e !== undefined) this.touch(e);
    return e;
  }

  override deleteElem(key: Uint8Array, cpu: number): number {
    const e = this.table.get(key);
    if (e !== undefined) this.lists[e.lru].delete(keyString(e.key));
    return super.deleteElem(key, cpu);
  }

  protected override doUpdate(key: Uint8Array, values: Uint8Array[], flags: bigint, cpu: number, onAllCpus: boolean): number {
    // LRU maps take no BPF_F_LOCK.
    if (flags > BPF_EXIST) return -EINVAL;
    const list = this.lists.length === 1 ? 0 : cpu % this.lists.length;
    // The per-CPU flavour updates in place, so BPF_EXIST needs no new node.
    if (!(this.percpu && flags === BPF_EXIST)) this.takeNode(list);
    const old = this.table.get(key);
    const err = checkFlags(old, flags);
    if (err !== 0) return err;
    if (this.percpu) {
      if (old !== undefined) {
        this.touch(old);
        this.writePercpu(old, values, cpu, onAllCpus);
      } else {
        this.link(this.insert(key, this.initPercpu(values, cpu, onAllCpus), list));
      }
      return 0;
    }
    if (old !== undefined) this.lists[old.lru].delete(keyString(old.key));
    this.link(this.insert(key, [this.freshValue(values[0])], list));
    return 0;
  }

  protected override releaseValues(): void {
    super.releaseValues();
    for (const l of this.lists) l.clear();
  }

  /** prealloc_lru_pop(): a free node, evicting the least recently used element of the list when none is left. */
  private takeNode(list: number): void {
    const l = this.lists[list];
    if (l.size < this.perList) return;
    const victim = l.values().next().value as HashElem;
    super.deleteElem(victim.key, 0);
    l.delete(keyString(victim.key));
  }

  private link(e: HashElem): void {
    this.lists[e.lru].set(keyString(e.key), e);
  }

  private touch(e: HashElem): void {
    const l = this.lists[e.lru];
    const k = keyString(e.key);
    l.delete(k);
    l.set(k, e);
  }
}
