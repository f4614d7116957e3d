/**
 * HASH and ARRAY against a plain model of the kernel's rules, under random sequences of
 * program- and user-side operations (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, createMap } from '../../../src/ebpf/maps/index.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { def, hex, readU64, u32, u64, walk } from './util.ts';

type Op =
  | { op: 'update'; key: number; value: number; flags: bigint; prog: boolean }
  | { op: 'delete'; key: number; prog: boolean }
  | { op: 'lookup'; key: number; prog: boolean }
  | { op: 'write'; key: number; value: number };

const opArb = (keys: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({
      op: fc.constant('update' as const),
      key: fc.nat(keys),
      value: fc.nat(),
      flags: fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3n),
      prog: fc.boolean(),
    }),
    fc.record({ op: fc.constant('delete' as const), key: fc.nat(keys), prog: fc.boolean() }),
    fc.record({ op: fc.constant('lookup' as const), key: fc.nat(keys), prog: fc.boolean() }),
    // A program writes through the pointer its lookup returned.
    fc.record({ op: fc.constant('write' as const), key: fc.nat(keys), value: fc.nat() }),
  );

describe('property: maps agree with a simple model', () => {
  it('HASH', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(opArb(9), { maxLength: 60 }), (max, ops) => {
        const mem = new Memory();
        const m = createMap(def('HASH', 4, 8, max), mem, { nCpus: 2 });
        const model = new Map<number, bigint>();
        for (const o of ops) {
          const k = u32(o.key);
          if (o.op === 'update') {
            const has = model.has(o.key);
            const want = o.flags > BPF_EXIST ? -EINVAL : o.flags === BPF_NOEXIST && has ? -EEXIST : o.flags === BPF_EXIST && !has ? -ENOENT : !has && model.size >= max ? -E2BIG : 0;
            const got = o.prog ? m.updateElem(k, u64(o.value), o.flags, 0) : m.update(k, u64(o.value), o.flags);
            expect(got).toBe(want);
            if (want === 0) model.set(o.key, BigInt(o.value));
          } else if (o.op === 'delete') {
            expect(o.prog ? m.deleteElem(k, 0) : m.delete(k)).toBe(model.has(o.key) ? 0 : -ENOENT);
            model.delete(o.key);
          } else if (o.op === 'lookup') {
            if (o.prog) {
              const p = m.lookupElemAddr(k, 0);
              expect(p === 0n ? undefined : readU64(mem.read(p, 8))).toBe(model.get(o.key));
            } else {
              const v = m.lookup(k);
              expect(v === undefined ? undefined : readU64(v as Uint8Array)).toBe(model.get(o.key));
            }
          } else {
            const p = m.lookupElemAddr(k, 0);
            expect(p !== 0n).toBe(model.has(o.key));
            if (p !== 0n) {
              mem.writable(p, 8).set(u64(o.value));
              model.set(o.key, BigInt(o.value));
            }
          }
        }
        // Dumps and key walks see exactly the model's keys.
        const sorted = [...model.keys()].map((x) => hex(u32(x))).sort();
        expect(m.entries().map((e) => hex(e.key))).toEqual(sorted);
        expect(walk(m).map(hex).sort()).toEqual(sorted);
        expect(m.entries().map((e) => readU64(e.value as Uint8Array))).toEqual(
          [...model.entries()].sort((a, b) => hex(u32(a[0])).localeCompare(hex(u32(b[0])))).map((e) => e[1]),
        );
        // One value region per element, no leaks.
        expect(mem.regions.filter((r) => r?.kind === 'map_value')).toHaveLength(model.size);
      }),
      { numRuns: 300 },
    );
  });

  it('ARRAY', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(opArb(8), { maxLength: 60 }), (max, ops) => {
        const mem = new Memory();
        const m = createMap(def('ARRAY', 4, 8, max), mem, { nCpus: 2 });
        const model: bigint[] = new Array<bigint>(max).fill(0n);
        for (const o of ops) {
          const k = u32(o.key);
          const inRange = o.key < max;
          if (o.op === 'update') {
            const want = o.flags > BPF_EXIST ? -EINVAL : !inRange ? -E2BIG : o.flags === BPF_NOEXIST ? -EEXIST : 0;
            expect(o.prog ? m.updateElem(k, u64(o.value), o.flags, 0) : m.update(k, u64(o.value), o.flags)).toBe(want);
            if (want === 0) model[o.key] = BigInt(o.value);
          } else if (o.op === 'delete') {
            expect(o.prog ? m.deleteElem(k, 0) : m.delete(k)).toBe(-EINVAL);
          } else if (o.op === 'lookup') {
            const v = m.lookup(k);
            expect(v === undefined ? undefined : readU64(v as Uint8Array)).toBe(inRange ? model[o.key] : undefined);
          } else {
            const p = m.lookupElemAddr(k, 0);
            expect(p !== 0n).toBe(inRange);
            if (p !== 0n) {
              mem.writable(p, 8).set(u64(o.value));
              model[o.key] = BigInt(o.value);
              expect(() => mem.read(p + 8n, 1)).toThrow();
            }
          }
        }
        expect(m.entries().map((e) => readU64(e.value as Uint8Array))).toEqual(model);
        expect(walk(m)).toHaveLength(max);
      }),
      { numRuns: 300 },
    );
  });
});
