import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_NO_PREALLOC, BPF_NOEXIST, EEXIST, EINVAL, ENOENT, ENOSPC, type BpfMap } from '../../../src/ebpf/maps/index.ts';
import { def, make, readU32, u32, walk } from './util.ts';

/** struct bpf_lpm_trie_key_u8: host-order prefix length, then the address bytes. */
function key(prefixlen: number, addr: number[], dataSize: number): Uint8Array {
  const k = new Uint8Array(4 + dataSize);
  new DataView(k.buffer).setUint32(0, prefixlen, true);
  k.set(addr, 4);
  return k;
}

const v4 = (cidr: string): Uint8Array => {
  const [ip, len] = cidr.split('/');
  return key(Number(len ?? 32), ip.split('.').map(Number), 4);
};

function v6(cidr: string): Uint8Array {
  const [ip, len] = cidr.split('/');
  const [head, tail] = ip.split('::');
  const words = (s: string | undefined): number[] => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return key(Number(len ?? 128), all.flatMap((w) => [w >> 8, w & 0xff]), 16);
}

const show = (k: Uint8Array): string => `${[...k.subarray(4)].join('.')}/${readU32(k)}`;

function lpm(dataSize: number, maxEntries = 64): BpfMap {
  return make(def('LPM_TRIE', 4 + dataSize, 4, maxEntries, BPF_F_NO_PREALLOC)).m;
}

const found = (m: BpfMap, k: Uint8Array): number | undefined => {
  const v = m.lookup(k);
  return v === undefined ? undefined : readU32(v as Uint8Array);
};

describe('LPM_TRIE: longest prefix match', () => {
  const routes: [string, number][] = [
    ['10.0.0.0/8', 1],
    ['10.1.0.0/16', 2],
    ['10.1.2.0/24', 3],
    ['192.168.0.0/16', 4],
    ['0.0.0.0/0', 5],
    ['10.1.2.3/32', 6],
  ];
  const lookups: [string, number | undefined][] = [
    ['10.1.2.3/32', 6],
    ['10.1.2.4/32', 3],
    ['10.1.9.9/32', 2],
    ['10.9.9.9/32', 1],
    ['192.168.200.1/32', 4],
    ['8.8.8.8/32', 5],
    // The lookup key's prefix length caps the match.
    ['10.1.2.3/16', 2],
    ['10.1.2.3/0', 5],
    ['10.1.2.3/33', undefined],
  ];

  it.each(lookups)('IPv4 %s', (addr, expected) => {
    const m = lpm(4);
    for (const [cidr, v] of routes) expect(m.update(v4(cidr), u32(v))).toBe(0);
    expect(found(m, v4(addr))).toBe(expected);
    expect(m.lookupElemAddr(v4(addr), 0) !== 0n).toBe(expected !== undefined);
  });

  const routes6: [string, number][] = [
    ['2001:db8::/32', 1],
    ['2001:db8:1::/48', 2],
    ['2001:db8:1:2::/64', 3],
    ['::/0', 4],
    ['fe80::/10', 5],
  ];
  const lookups6: [string, number | undefined][] = [
    ['2001:db8:1:2::1/128', 3],
    ['2001:db8:1:3::1/128', 2],
    ['2001:db8:ffff::1/128', 1],
    ['2001:db9::1/128', 4],
    ['fe80::1/128', 5],
    ['febf:ffff::1/128', 5],
    ['fec0::1/128', 4],
  ];
  it.each(lookups6)('IPv6 %s', (addr, expected) => {
    const m = lpm(16);
    for (const [cidr, v] of routes6) expect(m.update(v6(cidr), u32(v))).toBe(0);
    expect(found(m, v6(addr))).toBe(expected);
  });

  it('a removed default route leaves no match', () => {
    const m = lpm(4);
    for (const [cidr, v] of routes) m.update(v4(cidr), u32(v));
    expect(m.delete(v4('0.0.0.0/0'))).toBe(0);
    expect(found(m, v4('8.8.8.8'))).toBeUndefined();
    expect(found(m, v4('10.200.0.1'))).toBe(1);
  });
});

describe('LPM_TRIE: exact update and delete', () => {
  it('flags and errors (trie_update_elem, trie_check_add_elem, trie_delete_elem)', () => {
    const m = lpm(4, 2);
    expect(m.update(v4('10.0.0.0/8'), u32(1), BPF_EXIST)).toBe(-ENOENT);
    expect(m.update(v4('10.0.0.0/8'), u32(1), BPF_NOEXIST)).toBe(0);
    expect(m.update(v4('10.0.0.0/8'), u32(2), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(v4('10.0.0.0/8'), u32(3), BPF_EXIST)).toBe(0);
    expect(m.update(v4('10.0.0.0/33'), u32(1))).toBe(-EINVAL);
    expect(m.update(v4('10.0.0.0/8'), u32(1), 3n)).toBe(-EINVAL);
    expect(m.update(v4('11.0.0.0/8'), u32(1))).toBe(0);
    // Full: a new prefix is -ENOSPC (not -E2BIG), replacing one still works.
    expect(m.update(v4('12.0.0.0/8'), u32(1))).toBe(-ENOSPC);
    expect(m.update(v4('11.0.0.0/8'), u32(9), BPF_ANY)).toBe(0);
    expect(m.delete(v4('10.0.0.0/9'))).toBe(-ENOENT);
    expect(m.delete(v4('10.0.0.0/7'))).toBe(-ENOENT);
    expect(m.delete(v4('10.0.0.0/33'))).toBe(-EINVAL);
    expect(m.delete(v4('10.0.0.0/8'))).toBe(0);
    expect(m.delete(v4('10.0.0.0/8'))).toBe(-ENOENT);
    expect(m.update(v4('12.0.0.0/8'), u32(1))).toBe(0);
  });

  it('a branching point turned into a real prefix counts as a new entry', () => {
    const m = lpm(4, 3);
    m.update(v4('10.0.0.0/16'), u32(1));
    m.update(v4('10.128.0.0/16'), u32(2));
    // 10.0.0.0/8 is now the trie's intermediate node.
    expect(m.update(v4('10.0.0.0/8'), u32(3), BPF_EXIST)).toBe(-ENOENT);
    expect(m.update(v4('10.0.0.0/8'), u32(3), BPF_NOEXIST)).toBe(0);
    expect(m.update(v4('11.0.0.0/8'), u32(4))).toBe(-ENOSPC);
  });

  it('bits past the prefix length do not make a different key; the last stored key is kept', () => {
    const m = lpm(4);
    m.update(v4('10.1.2.3/8'), u32(1));
    expect(m.update(v4('10.9.9.9/8'), u32(2), BPF_NOEXIST)).toBe(-EEXIST);
    m.update(v4('10.9.9.9/8'), u32(2));
    expect(walk(m).map(show)).toEqual(['10.9.9.9/8']);
    expect(m.delete(v4('10.0.0.0/8'))).toBe(0);
  });

  it('deleting a prefix with two more specific ones keeps both, and lookups fall back', () => {
    const m = lpm(4);
    m.update(v4('10.0.0.0/8'), u32(1));
    m.update(v4('0.0.0.0/0'), u32(9));
    m.update(v4('10.0.0.0/16'), u32(2));
    m.update(v4('10.128.0.0/16'), u32(3));
    expect(m.delete(v4('10.0.0.0/8'))).toBe(0);
    expect(found(m, v4('10.0.1.1'))).toBe(2);
    expect(found(m, v4('10.128.1.1'))).toBe(3);
    expect(found(m, v4('10.64.1.1'))).toBe(9);
    expect(walk(m).map(show)).toEqual(['10.0.0.0/16', '10.128.0.0/16', '0.0.0.0/0']);
  });

  it('program-side pointers write through, and deleted prefixes free their regions', () => {
    const { m, mem } = make(def('LPM_TRIE', 8, 4, 8, BPF_F_NO_PREALLOC));
    m.update(v4('10.0.0.0/8'), u32(1));
    m.update(v4('10.1.0.0/16'), u32(2));
    const p = m.lookupElemAddr(v4('10.1.1.1'), 0);
    mem.writable(p, 4).set(u32(22));
    expect(found(m, v4('10.1.0.0/16'))).toBe(22);
    expect(() => mem.read(p + 4n, 1)).toThrow(/out of bounds/);
    expect(m.deleteElem(v4('10.1.0.0/16'), 0)).toBe(0);
    expect(m.updateElem(v4('10.2.0.0/16'), u32(3), BPF_ANY, 0)).toBe(0);
    m.delete(v4('10.0.0.0/8'));
    m.delete(v4('10.2.0.0/16'));
    expect(mem.regions.filter((r) => r?.kind === 'map_value')).toHaveLength(0);
  });
});

describe('LPM_TRIE: get_next_key', () => {
  it("walks postorder: more specific prefixes first (lpm_trie.c's own example)", () => {
    const m = lpm(4);
    for (const c of ['192.168.0.0/16', '192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24']) m.update(v4(c), u32(1));
    expect(walk(m).map(show)).toEqual(['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16']);
  });

  it('a key not in the trie restarts at the leftmost prefix; an empty trie is -ENOENT', () => {
    const m = lpm(4);
    expect(m.tryNextKey().err).toBe(-ENOENT);
    for (const c of ['10.0.0.0/8', '10.0.0.0/16', '9.0.0.0/8']) m.update(v4(c), u32(1));
    expect(show(m.nextKey(v4('10.0.0.0/12')) as Uint8Array)).toBe('9.0.0.0/8');
    expect(show(m.nextKey(v4('10.0.0.0/99')) as Uint8Array)).toBe('9.0.0.0/8');
    expect(show(m.nextKey(v4('10.0.0.0/16')) as Uint8Array)).toBe('10.0.0.0/8');
    expect(m.tryNextKey(v4('10.0.0.0/8')).err).toBe(-ENOENT);
  });

  it('entries() are sorted by key bytes', () => {
    const m = lpm(4);
    for (const c of ['10.0.0.0/8', '9.0.0.0/24', '10.0.0.0/16']) m.update(v4(c), u32(1));
    expect(m.entries().map((e) => show(e.key))).toEqual(['10.0.0.0/8', '10.0.0.0/16', '9.0.0.0/24']);
  });
});
