/**
 * Map helpers: kernel/bpf/helpers.c (bpf_map_lookup_elem, bpf_map_update_elem,
 * bpf_map_delete_elem, bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem,
 * bpf_map_lookup_percpu_elem) and kernel/bpf/bpf_iter.c (bpf_for_each_map_elem). The map does
 * the work and returns the kernel's codes; helpers read the key and value through the checked
 * memory model, exactly `key_size` and `value_size` bytes as the verifier sized them.
 */
import type { HelperContext, HelperFn, HelperResult } from '../vm/engine.ts';
import { QueueStackMap } from '../maps/index.ts';
import { envOf, HelperError, mapArg, mapArgOf, readArgBytes, u32 } from './context.ts';
import { EINVAL } from './errno.ts';

function lookup(c: HelperContext): HelperResult {
  const map = mapArg(c, 1, 'bpf_map_lookup_elem');
  if (map.lookupElemRegion !== undefined) {
    // The per-packet path: the key is read in place (not kept) and the pointer set without a BigInt.
    const r = map.lookupElemRegion(c.mem.readHiLo(c.argHi(2), c.argLo(2), map.def.keySize), envOf(c).cpu);
    return c.setR0(0, r === undefined ? 0 : r.tag);
  }
  return map.lookupElemAddr(readArgBytes(c, 2, map.def.keySize), envOf(c).cpu);
}

function update(c: HelperContext): number {
  const map = mapArg(c, 1, 'bpf_map_update_elem');
  const key = readArgBytes(c, 2, map.def.keySize);
  const value = readArgBytes(c, 3, map.def.valueSize);
  return map.updateElem(key, value, c.arg(4), envOf(c).cpu);
}

function del(c: HelperContext): number {
  const map = mapArg(c, 1, 'bpf_map_delete_elem');
  return map.deleteElem(readArgBytes(c, 2, map.def.keySize), envOf(c).cpu);
}

function push(c: HelperContext): number {
  const map = mapArgOf(c, 1, 'bpf_map_push_elem', QueueStackMap, 'a queue or stack');
  return map.push(readArgBytes(c, 2, map.def.valueSize), c.arg(3));
}

/** bpf_map_pop_elem / bpf_map_peek_elem: the value is written out; an empty map writes zeros and gives -ENOENT. */
function popOrPeek(name: string, peek: boolean) {
  return (c: HelperContext): number => {
    const map = mapArgOf(c, 1, name, QueueStackMap, 'a queue or stack');
    const r = peek ? map.peek() : map.pop();
    const out = c.mem.writable(c.arg(2), map.def.valueSize);
    out.fill(0);
    if (r.data !== undefined) out.set(r.data.subarray(0, out.length));
    return r.err;
  };
}

function lookupPercpu(c: HelperContext): bigint {
  const map = mapArg(c, 1, 'bpf_map_lookup_percpu_elem');
  const cpu = u32(c, 3);
  // Per-CPU lookups of a CPU that does not exist give NULL (percpu_array_map_lookup_percpu_elem()).
  if (cpu >= envOf(c).nCpus) return 0n;
  return map.lookupElemAddr(readArgBytes(c, 2, map.def.keySize), cpu);
}

/** Map types with a map_for_each_callback (arraymap.c, hashtab.c). */
const FOR_EACH_TYPES = new Set([
  'BPF_MAP_TYPE_ARRAY',
  'BPF_MAP_TYPE_PERCPU_ARRAY',
  'BPF_MAP_TYPE_HASH',
  'BPF_MAP_TYPE_PERCPU_HASH',
  'BPF_MAP_TYPE_LRU_HASH',
  'BPF_MAP_TYPE_LRU_PERCPU_HASH',
]);

/**
 * bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): call
 * callback_fn(map, &key, &value, callback_ctx) for each element until it returns non-zero;
 * return the number of elements visited. The keys are taken before the walk (like the kernel's
 * bucket walk, deleting the current element is safe); an element deleted meanwhile is skipped.
 * The key is handed over in a read-only scratch region, as the kernel hands a stack copy.
 */
function forEach(c: HelperContext): number {
  const map = mapArg(c, 1, 'bpf_for_each_map_elem');
  if (c.arg(4) !== 0n) return EINVAL;
  if (!FOR_EACH_TYPES.has(map.def.type)) throw new HelperError(`bpf_for_each_map_elem: map '${map.def.name}' (${map.def.type}) cannot be iterated`);
  const env = envOf(c);
  const callback = Number(c.arg(2) & 0xffff_ffffn);
  const keys: Uint8Array[] = [];
  for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) {
    keys.push(k.slice());
    if (keys.length > map.def.maxEntries) break; // a map that never ends its key chain
  }
  let n = 0;
  for (const key of keys) {
    const value = map.lookupElemAddr(key, env.cpu);
    if (value === 0n) continue;
    n++;
    const region = c.mem.add('rodata', `bpf_for_each_map_elem key of '${map.def.name}'`, key.slice(), { writable: false });
    try {
      const keyAddr = (BigInt(region.tag) << 32n) | 0n;
      if (c.callFunction(callback, [map.handle, keyAddr, value, c.arg(3)]) !== 0n) break;
    } finally {
      c.mem.remove(region);
    }
  }
  return n;
}

export const MAP_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [1, lookup],
  [2, update],
  [3, del],
  [87, push],
  [88, popOrPeek('bpf_map_pop_elem', false)],
  [89, popOrPeek('bpf_map_peek_elem', true)],
  [164, forEach],
  [195, lookupPercpu],
]);
