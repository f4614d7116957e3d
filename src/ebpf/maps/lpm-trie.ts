/**
 * BPF_MAP_TYPE_LPM_TRIE; models kernel/bpf/lpm_trie.c: trie_alloc(), trie_lookup_elem(),
 * trie_update_elem(), trie_delete_elem(), trie_get_next_key().
 *
 * The key is `struct bpf_lpm_trie_key_u8`: a host-order u32 prefix length, then the data in
 * network order. The trie has the kernel's shape (intermediate nodes where prefixes branch), so
 * get_next_key walks it in the kernel's postorder: more specific prefixes before the prefixes
 * that contain them. Lookups — from programs and from user space alike — return the longest
 * matching prefix; update and delete match the prefix exactly.
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap, compareBytes, u32Key } from './base.ts';
import { accessOk, extraFlags, fail } from './check.ts';
import { BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_NOEXIST, KMALLOC_MAX_SIZE } from './constants.ts';
import { EEXIST, EINVAL, ENOENT, ENOSPC } from './errno.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

const LPM_DATA_SIZE_MAX = 256;
const LPM_KEY_SIZE_MIN = 4 + 1;
const LPM_KEY_SIZE_MAX = 4 + LPM_DATA_SIZE_MAX;
/** KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - sizeof(struct lpm_trie_node). */
const LPM_VAL_SIZE_MAX = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - 32;
const LPM_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** trie_alloc()'s checks: the kernel insists on BPF_F_NO_PREALLOC. */
export function checkLpmTrie(def: MapDef): void {
  if (def.maxEntries === 0) fail(-EINVAL, def, 'max_entries must be non-zero');
  if (!(def.flags & BPF_F_NO_PREALLOC)) fail(-EINVAL, def, 'LPM tries must be created with BPF_F_NO_PREALLOC');
  if (def.flags & ~LPM_CREATE_FLAG_MASK || !accessOk(def.flags)) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, LPM_CREATE_FLAG_MASK)}`);
  if (def.keySize < LPM_KEY_SIZE_MIN || def.keySize > LPM_KEY_SIZE_MAX) fail(-EINVAL, def, `key_size must be 4 + 1..${LPM_DATA_SIZE_MAX} bytes`);
  if (def.valueSize < 1 || def.valueSize > LPM_VAL_SIZE_MAX) fail(-EINVAL, def, 'value_size out of range');
}

interface TrieNode {
  prefixlen: number;
  /** The key's data bytes (network order). */
  data: Uint8Array;
  /** The whole key as last stored, for get_next_key and dumps. */
  key: Uint8Array;
  child: [TrieNode | undefined, TrieNode | undefined];
  /** Intermediate: a branching point that holds no value. */
  im: boolean;
  value?: Region;
}

interface Slot {
  get(): TrieNode | undefined;
  set(n: TrieNode | undefined): void;
}

const bitAt = (data: Uint8Array, index: number): 0 | 1 => ((data[index >> 3] >> (7 - (index & 7))) & 1) as 0 | 1;

export class LpmTrieMap extends BaseMap {
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  private root: TrieNode | undefined;
  private nEntries = 0;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.dataSize = def.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
  }

  get count(): number {
    return this.nEntries;
  }

  // ---- program side (user space uses the same operations) ----

  override lookupElemAddr(key: Uint8Array, _cpu: number): bigint {
    const n = this.longestMatch(key);
    return n?.value === undefined ? 0n : Memory.addr(n.value, 0);
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: bigint, _cpu: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const prefixlen = u32Key(key);
    if (prefixlen > this.maxPrefixlen) return -EINVAL;
    const data = key.slice(4, 4 + this.dataSize);
    const fresh = (): TrieNode => {
      const bytes = new Uint8Array(this.def.valueSize);
      this.copyValue(bytes, value);
      return { prefixlen, data, key: key.slice(), child: [undefined, undefined], im: false, value: this.newValueRegion(bytes) };
    };

    // Walk down while the node's prefix is fully matched and shorter than the new one.
    let slot = this.rootSlot();
    let node = slot.get();
    let matchlen = 0;
    while (node !== undefined) {
      matchlen = this.matchLen(node, prefixlen, data);
      if (node.prefixlen !== matchlen || node.prefixlen === prefixlen) break;
      slot = childSlot(node, bitAt(data, node.prefixlen));
      node = slot.get();
    }

    if (node === undefined) {
      const err = this.checkAdd(flags);
      if (err !== 0) return err;
      slot.set(fresh());
      return 0;
    }

    if (node.prefixlen === matchlen) {
      // Same prefix: replace the node (a real one, or an intermediate becoming real).
      if (!node.im) {
        if (flags === BPF_NOEXIST) return -EEXIST;
      } else {
        const err = this.checkAdd(flags);
        if (err !== 0) return err;
      }
      const n = fresh();
      n.child = node.child;
      slot.set(n);
      if (node.value !== undefined) this.freeRegion(node.value);
      return 0;
    }

    const err = this.checkAdd(flags);
    if (err !== 0) return err;
    const n = fresh();
    if (matchlen === prefixlen) {
      // The new prefix contains the node: it becomes the node's parent.
      n.child[bitAt(node.data, matchlen)] = node;
      slot.set(n);
      return 0;
    }
    // The prefixes diverge at bit `matchlen`: a valueless branching node takes the slot.
    const im: TrieNode = { prefixlen: matchlen, data: node.data.slice(), key: node.key, child: [undefined, undefined], im: true };
    if (bitAt(data, matchlen)) im.child = [node, n];
    else im.child = [n, node];
    slot.set(im);
    return 0;
  }

  override deleteElem(key: Uint8Array, _cpu: number): number {
    const prefixlen = u32Key(key);
    if (prefixlen > this.maxPrefixlen) return -EINVAL;
    const data = key.subarray(4, 4 + this.dataSize);
    let trim = this.rootSlot();
    let trim2 = trim;
    let parent: TrieNode | undefined;
    let node = trim.get();
    let matchlen = 0;
    while (node !== undefined) {
      matchlen = this.matchLen(node, prefixlen, data);
      if (node.prefixlen !== matchlen || node.prefixlen === prefixlen) break;
      parent = node;
      trim2 = trim;
      trim = childSlot(node, bitAt(data, node.prefixlen));
      node = trim.get();
    }
    if (node === undefined || node.prefixlen !== prefixlen || node.prefixlen !== matchlen || node.im) return -ENOENT;

    this.nEntries--;
    if (node.value !== undefined) this.freeRegion(node.value);
    node.value = undefined;
    if (node.child[0] !== undefined && node.child[1] !== undefined) {
      // Two children: the node stays as a branching point.
      node.im = true;
      return 0;
    }
    if (parent !== undefined && parent.im && node.child[0] === undefined && node.child[1] === undefined) {
      // A leaf under a branching point: the branching point goes too, its other child moves up.
      trim2.set(parent.child[0] === node ? parent.child[1] : parent.child[0]);
      return 0;
    }
    trim.set(node.child[0] ?? node.child[1]);
    return 0;
  }

  // ---- user side ----

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const n = this.longestMatch(key);
    return n?.value === undefined ? { err: -ENOENT } : { err: 0, data: this.readValue(n.value.bytes) };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    return this.updateElem(key, this.single(value), flags, 0);
  }

  /** Postorder over real nodes; a key that is not exactly in the trie starts over at the first. */
  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    const order = this.postorder();
    if (order.length === 0) return { err: -ENOENT };
    const at = key === undefined ? -1 : order.indexOf(this.exact(key) as TrieNode);
    const next = order[at + 1];
    return next === undefined ? { err: -ENOENT } : { err: 0, data: next.key.slice() };
  }

  entries(): MapEntry[] {
    return this.postorder()
      .map((n) => ({ key: n.key.slice(), value: this.readValue((n.value as Region).bytes) }))
      .sort((a, b) => compareBytes(a.key, b.key));
  }

  protected releaseValues(): void {
    for (const n of this.postorder()) if (n.value !== undefined) this.freeRegion(n.value);
    this.root = undefined;
    this.nEntries = 0;
  }

  // ---- trie walking ----

  /** trie_check_add_elem(): BPF_EXIST cannot add; a full trie refuses with -ENOSPC. */
  private checkAdd(flags: bigint): number {
    if (flags === BPF_EXIST) return -ENOENT;
    if (this.nEntries === this.def.maxEntries) return -ENOSPC;
    this.nEntries++;
    return 0;
  }

  /** longest_prefix_match(): leading bits that agree, up to the shorter of the two prefixes. */
  private matchLen(node: TrieNode, prefixlen: number, data: Uint8Array): number {
    const limit = Math.min(node.prefixlen, prefixlen);
    let n = 0;
    for (let i = 0; i < this.dataSize && n < limit; i++) {
      const x = node.data[i] ^ data[i];
      if (x === 0) {
        n += 8;
        continue;
      }
      n += Math.clz32(x) - 24;
      break;
    }
    return Math.min(n, limit);
  }

  /** trie_lookup_elem(): the deepest real node whose prefix matches. */
  private longestMatch(key: Uint8Array): TrieNode | undefined {
    const prefixlen = u32Key(key);
    if (prefixlen > this.maxPrefixlen) return undefined;
    const data = key.subarray(4, 4 + this.dataSize);
    let found: TrieNode | undefined;
    let node = this.root;
    while (node !== undefined) {
      const matchlen = this.matchLen(node, prefixlen, data);
      if (matchlen === this.maxPrefixlen) return node;
      if (matchlen < node.prefixlen) break;
      if (!node.im) found = node;
      node = node.child[bitAt(data, node.prefixlen)];
    }
    return found;
  }

  /** The real node with exactly this prefix, if any. */
  private exact(key: Uint8Array): TrieNode | undefined {
    const prefixlen = u32Key(key);
    if (prefixlen > this.maxPrefixlen) return undefined;
    const data = key.subarray(4, 4 + this.dataSize);
    let node = this.root;
    while (node !== undefined) {
      const matchlen = this.matchLen(node, prefixlen, data);
      if (node.prefixlen !== matchlen || node.prefixlen === prefixlen) {
        return node.prefixlen === matchlen && node.prefixlen === prefixlen && !node.im ? node : undefined;
      }
      node = node.child[bitAt(data, node.prefixlen)];
    }
    return undefined;
  }

  private postorder(): TrieNode[] {
    const out: TrieNode[] = [];
    const walk = (n: TrieNode | undefined): void => {
      if (n === undefined) return;
      walk(n.child[0]);
      walk(n.child[1]);
      if (!n.im) out.push(n);
    };
    walk(this.root);
    return out;
  }

  private rootSlot(): Slot {
    return {
      get: () => this.root,
      set: (n) => {
        this.root = n;
      },
    };
  }
}

function childSlot(parent: TrieNode, bit: 0 | 1): Slot {
  return {
    get: () => parent.child[bit],
    set: (n) => {
      parent.child[bit] = n;
    },
  };
}
