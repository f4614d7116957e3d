/**
 * A hash table laid out like the kernel's: 2^k buckets, each a list with the newest element at
 * its head (hlist_add_head), iterated bucket by bucket. This gives get_next_key the kernel's
 * order (kernel/bpf/hashtab.c: htab_map_get_next_key(); net/core/sock_map.c and
 * kernel/bpf/devmap.c do the same), including its rule that a key not in the map restarts the
 * walk at the first element.
 */
import { compareBytes, keyString } from './base.ts';

export interface Keyed {
  readonly key: Uint8Array;
}

export const roundupPowOfTwo = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

export class BucketTable<E extends Keyed> {
  private readonly buckets = new Map<number, E[]>();
  private readonly index = new Map<string, { elem: E; bucket: number }>();
  /** Sorted indices of non-empty buckets; rebuilt lazily after a bucket empties or fills. */
  private occupied: number[] | undefined = [];

  constructor(
    readonly nBuckets: number,
    private readonly hash: (key: Uint8Array) => number,
  ) {}

  get size(): number {
    return this.index.size;
  }

  get(key: Uint8Array): E | undefined {
    return this.index.get(keyString(key))?.elem;
  }

  /** Insert at the head of its bucket; replaces (and returns) an element with the same key. */
  addHead(elem: E): E | undefined {
    const old = this.remove(elem.key);
    const b = (this.hash(elem.key) >>> 0) % this.nBuckets;
    let list = this.buckets.get(b);
    if (list === undefined) {
      list = [];
      this.buckets.set(b, list);
      this.occupied = undefined;
    }
    list.unshift(elem);
    this.index.set(keyString(elem.key), { elem, bucket: b });
    return old;
  }

  remove(key: Uint8Array): E | undefined {
    const k = keyString(key);
    const hit = this.index.get(k);
    if (hit === undefined) return undefined;
    this.index.delete(k);
    const list = this.buckets.get(hit.bucket) as E[];
    list.splice(list.indexOf(hit.elem), 1);
    if (list.length === 0) {
      this.buckets.delete(hit.bucket);
      this.occupied = undefined;
    }
    return hit.elem;
  }

  /** The element after `key` in bucket order; the first element when `key` is absent or not in the map. */
  next(key?: Uint8Array): E | undefined {
    let from = 0;
    if (key !== undefined) {
      const hit = this.index.get(keyString(key));
      if (hit !== undefined) {
        const list = this.buckets.get(hit.bucket) as E[];
        const after = list[list.indexOf(hit.elem) + 1];
        if (after !== undefined) return after;
        from = hit.bucket + 1;
      }
    }
    const occ = this.occupiedBuckets();
    let lo = 0;
    let hi = occ.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (occ[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < occ.length ? (this.buckets.get(occ[lo]) as E[])[0] : undefined;
  }

  /** Elements in bucket order. */
  *inOrder(): IterableIterator<E> {
    for (const b of this.occupiedBuckets()) yield* this.buckets.get(b) as E[];
  }

  /** Elements sorted by key bytes. */
  sorted(): E[] {
    return [...this.index.values()].map((h) => h.elem).sort((x, y) => compareBytes(x.key, y.key));
  }

  clear(): void {
    this.buckets.clear();
    this.index.clear();
    this.occupied = [];
  }

  private occupiedBuckets(): number[] {
    if (this.occupied === undefined) this.occupied = [...this.buckets.keys()].sort((x, y) => x - y);
    return this.occupied;
  }
}
