import { describe, expect, it } from 'vitest';
import {
  BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG,
  BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, E2BIG, EBADF, EINVAL, ENOTSUPP, MapError, NR_CPUS, createMap, mapFromHandle,
  type MapDef,
} from '../../../src/ebpf/maps/index.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { def, make } from './util.ts';

function createErrno(d: MapDef, nCpus = 2): number {
  try {
    createMap(d, new Memory(), { nCpus });
    return 0;
  } catch (e) {
    if (e instanceof MapError) return e.errno;
    throw e;
  }
}

const inner = def('HASH', 4, 8, 4);

// [what, definition, expected errno (0: created)]
const cases: [string, MapDef, number][] = [
  ['hash', def('HASH', 4, 8, 4), 0],
  ['hash key 0', def('HASH', 0, 8, 4), -EINVAL],
  ['hash value 0', def('HASH', 4, 0, 4), -EINVAL],
  ['hash max_entries 0', def('HASH', 4, 8, 0), -EINVAL],
  ['hash BPF_F_ZERO_SEED', def('HASH', 4, 8, 4, BPF_F_ZERO_SEED), 0],
  ['hash BPF_F_NO_PREALLOC', def('HASH', 4, 8, 4, BPF_F_NO_PREALLOC), 0],
  ['hash BPF_F_NO_COMMON_LRU', def('HASH', 4, 8, 4, BPF_F_NO_COMMON_LRU), -EINVAL],
  ['hash unknown flag', def('HASH', 4, 8, 4, 1 << 20), -EINVAL],
  ['hash RDONLY_PROG|WRONLY_PROG', def('HASH', 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG), -EINVAL],
  ['hash RDONLY|WRONLY', def('HASH', 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY), -EINVAL],
  ['hash key+value too big', def('HASH', 4, 4 << 20, 4), -E2BIG],
  ['percpu hash value 32768', def('PERCPU_HASH', 4, 32768, 4), 0],
  ['percpu hash value 32769', def('PERCPU_HASH', 4, 32769, 4), -E2BIG],
  ['lru hash', def('LRU_HASH', 4, 8, 4), 0],
  ['lru hash BPF_F_NO_COMMON_LRU', def('LRU_HASH', 4, 8, 4, BPF_F_NO_COMMON_LRU), 0],
  ['lru hash BPF_F_NO_PREALLOC', def('LRU_HASH', 4, 8, 4, BPF_F_NO_PREALLOC), -ENOTSUPP],
  ['lru percpu hash', def('LRU_PERCPU_HASH', 4, 8, 4, BPF_F_NO_COMMON_LRU), 0],
  ['array', def('ARRAY', 4, 8, 4), 0],
  ['array key 8', def('ARRAY', 8, 8, 4), -EINVAL],
  ['array value 0', def('ARRAY', 4, 0, 4), -EINVAL],
  ['array BPF_F_MMAPABLE', def('ARRAY', 4, 8, 4, BPF_F_MMAPABLE), 0],
  ['array BPF_F_INNER_MAP', def('ARRAY', 4, 8, 4, BPF_F_INNER_MAP), 0],
  ['array BPF_F_NO_PREALLOC', def('ARRAY', 4, 8, 4, BPF_F_NO_PREALLOC), -EINVAL],
  ['array BPF_F_PRESERVE_ELEMS', def('ARRAY', 4, 8, 4, BPF_F_PRESERVE_ELEMS), -EINVAL],
  ['percpu array BPF_F_MMAPABLE', def('PERCPU_ARRAY', 4, 8, 4, BPF_F_MMAPABLE), -EINVAL],
  ['percpu array value 32769', def('PERCPU_ARRAY', 4, 32769, 4), -E2BIG],
  ['array too big for a u32 index', def('ARRAY', 4, 1, 2 ** 31 + 1), -E2BIG],
  ['lpm trie', def('LPM_TRIE', 8, 4, 4, BPF_F_NO_PREALLOC), 0],
  ['lpm trie without BPF_F_NO_PREALLOC', def('LPM_TRIE', 8, 4, 4), -EINVAL],
  ['lpm trie key 4', def('LPM_TRIE', 4, 4, 4, BPF_F_NO_PREALLOC), -EINVAL],
  ['lpm trie key 260', def('LPM_TRIE', 260, 4, 4, BPF_F_NO_PREALLOC), 0],
  ['lpm trie key 261', def('LPM_TRIE', 261, 4, 4, BPF_F_NO_PREALLOC), -EINVAL],
  ['prog array', def('PROG_ARRAY', 4, 4, 4), 0],
  ['prog array value 8', def('PROG_ARRAY', 4, 8, 4), -EINVAL],
  ['prog array BPF_F_RDONLY_PROG', def('PROG_ARRAY', 4, 4, 4, BPF_F_RDONLY_PROG), -EINVAL],
  ['perf event array BPF_F_PRESERVE_ELEMS', def('PERF_EVENT_ARRAY', 4, 4, 2, BPF_F_PRESERVE_ELEMS), 0],
  ['perf event array value 8', def('PERF_EVENT_ARRAY', 4, 8, 2), -EINVAL],
  ['devmap ifindex', def('DEVMAP', 4, 4, 4), 0],
  ['devmap ifindex + prog', def('DEVMAP', 4, 8, 4), 0],
  ['devmap value 6', def('DEVMAP', 4, 6, 4), -EINVAL],
  ['devmap BPF_F_RDONLY_PROG', def('DEVMAP', 4, 4, 4, BPF_F_RDONLY_PROG), -EINVAL],
  ['devmap hash key 8', def('DEVMAP_HASH', 8, 4, 4), -EINVAL],
  ['cpumap', def('CPUMAP', 4, 4, 4), 0],
  ['cpumap value 12', def('CPUMAP', 4, 12, 4), -EINVAL],
  ['cpumap above NR_CPUS', def('CPUMAP', 4, 4, NR_CPUS + 1), -E2BIG],
  ['xskmap', def('XSKMAP', 4, 4, 4), 0],
  ['xskmap value 8', def('XSKMAP', 4, 8, 4), -EINVAL],
  ['sockmap value 8', def('SOCKMAP', 4, 8, 4), 0],
  ['sockmap key 8', def('SOCKMAP', 8, 4, 4), -EINVAL],
  ['sockhash key 12', def('SOCKHASH', 12, 8, 4), 0],
  ['sockhash key 0', def('SOCKHASH', 0, 8, 4), -EINVAL],
  ['sockhash key 513', def('SOCKHASH', 513, 8, 4), -E2BIG],
  ['ringbuf 4096', def('RINGBUF', 0, 0, 4096), 0],
  ['ringbuf 65536', def('RINGBUF', 0, 0, 65536), 0],
  ['ringbuf 4095', def('RINGBUF', 0, 0, 4095), -EINVAL],
  ['ringbuf 2048 (not a page multiple)', def('RINGBUF', 0, 0, 2048), -EINVAL],
  ['ringbuf 12288 (not a power of 2)', def('RINGBUF', 0, 0, 12288), -EINVAL],
  ['ringbuf key 4', def('RINGBUF', 4, 0, 4096), -EINVAL],
  ['queue', def('QUEUE', 0, 4, 4), 0],
  ['queue key 4', def('QUEUE', 4, 4, 4), -EINVAL],
  ['stack value 0', def('STACK', 0, 0, 4), -EINVAL],
  ['stack BPF_F_NO_PREALLOC', def('STACK', 0, 4, 4, BPF_F_NO_PREALLOC), -EINVAL],
  ['array of maps', def('ARRAY_OF_MAPS', 4, 4, 4, 0, { innerMap: inner }), 0],
  ['hash of maps', def('HASH_OF_MAPS', 4, 4, 4, 0, { innerMap: inner }), 0],
  ['array of maps without inner', def('ARRAY_OF_MAPS', 4, 4, 4), -EBADF],
  ['array of maps value 8', def('ARRAY_OF_MAPS', 4, 8, 4, 0, { innerMap: inner }), -EINVAL],
  ['array of prog arrays', def('ARRAY_OF_MAPS', 4, 4, 4, 0, { innerMap: def('PROG_ARRAY', 4, 4, 4) }), -ENOTSUPP],
  ['array of arrays of maps', def('ARRAY_OF_MAPS', 4, 4, 4, 0, { innerMap: def('ARRAY_OF_MAPS', 4, 4, 4, 0, { innerMap: inner }) }), -EINVAL],
  ['array of invalid maps', def('ARRAY_OF_MAPS', 4, 4, 4, 0, { innerMap: def('HASH', 0, 4, 4) }), -EINVAL],
  ['hash of maps BPF_F_WRONLY_PROG', def('HASH_OF_MAPS', 4, 4, 4, BPF_F_WRONLY_PROG, { innerMap: inner }), 0],
  ['stack trace (not modelled)', def('STACK_TRACE', 4, 8, 4), -EINVAL],
  ['unknown type', def('NO_SUCH', 4, 8, 4), -EINVAL],
  ['name too long', { ...def('HASH', 4, 8, 4), name: 'sixteen_chars_xx' }, -EINVAL],
  ['name with a dash', { ...def('HASH', 4, 8, 4), name: 'a-b' }, -EINVAL],
  ['global data name', { ...def('ARRAY', 4, 8, 1), name: 'xdp_prog.rodata' }, 0],
];

describe('createMap validates definitions as map_create() does', () => {
  it.each(cases)('%s', (_what, d, errno) => {
    expect(createErrno(d)).toBe(errno);
  });

  it('names the map, the type and the reason in its message', () => {
    expect(() => createMap(def('LPM_TRIE', 8, 4, 4), new Memory(), { nCpus: 1 })).toThrow(
      /map 'm' \(BPF_MAP_TYPE_LPM_TRIE\): LPM tries must be created with BPF_F_NO_PREALLOC \(EINVAL: Invalid argument\)/,
    );
  });

  it('rounds BPF_F_NO_COMMON_LRU max_entries to a multiple of the CPU count', () => {
    expect(make(def('LRU_HASH', 4, 8, 5, BPF_F_NO_COMMON_LRU), { nCpus: 4 }).m.def.maxEntries).toBe(8);
    expect(make(def('LRU_HASH', 4, 8, 5), { nCpus: 4 }).m.def.maxEntries).toBe(5);
  });

  it('marks device and CPU maps read-only for programs, as the kernel does', () => {
    expect(make(def('DEVMAP', 4, 4, 4)).m.def.flags).toBe(BPF_F_RDONLY_PROG);
    expect(make(def('CPUMAP', 4, 4, 4)).m.def.flags).toBe(BPF_F_RDONLY_PROG);
  });
});

describe('map handles', () => {
  it('resolve back to the map and are opaque to loads and stores', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    expect(mapFromHandle(mem, m.handle)).toBe(m);
    expect(mapFromHandle(mem, m.handle + 1n)).toBeUndefined();
    expect(mapFromHandle(mem, 0n)).toBeUndefined();
    expect(m.region.kind).toBe('map');
    expect(() => mem.read(m.handle, 1)).toThrow(/map 'm'/);
    expect(() => mem.writable(m.handle, 1)).toThrow(/map 'm'/);
  });

  it('are freed with the map', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    m.destroy();
    expect(mapFromHandle(mem, m.handle)).toBeUndefined();
  });

  it('a value region is not a map handle', () => {
    const { m, mem } = make(def('ARRAY', 4, 8, 4));
    expect(mapFromHandle(mem, m.lookupElemAddr(new Uint8Array(4), 0))).toBeUndefined();
  });
});
