/**
 * Soundness of the scalar domain, checked against concrete arithmetic: for random ranges and
 * values inside them, every tnum and ALU result, and every branch refinement, still contains
 * the concrete result (the guarantee kernel/bpf/tnum.c and adjust_scalar_min_max_vals give).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BPF_ADD, BPF_AND, BPF_ARSH, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR } from '../../../src/ebpf/isa/opcodes.ts';
import { scalarAlu, scalarEnd } from '../../../src/ebpf/verifier/alu.ts';
import { isBranchTaken, regSetMinMax } from '../../../src/ebpf/verifier/branch.ts';
import { boundsSync, cloneReg, coerceToSize, coerceToSizeSx, markKnown, type RegState, scalarUnknown } from '../../../src/ebpf/verifier/reg.ts';
import { tnumAdd, tnumAnd, tnumConst, tnumIn, tnumMul, tnumOr, tnumRange, tnumStep, tnumSub, tnumXor, type Tnum } from '../../../src/ebpf/verifier/tnum.ts';

const U64 = (1n << 64n) - 1n;
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: U64 }), fc.bigInt({ min: 0n, max: 300n }), fc.constantFrom(0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 63n, U64, U64 - 1n));

/** An abstract scalar for [lo, hi] (unsigned) and a concrete value inside it. */
const absVal = fc.tuple(u64, u64, fc.bigInt({ min: 0n, max: U64 })).map(([a, b, t]) => {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  const x = lo + (t % (hi - lo + 1n));
  const r = scalarUnknown();
  r.umin = lo;
  r.umax = hi;
  boundsSync(r);
  return { r, x };
});

function contains(r: RegState, x: bigint): boolean {
  const s = BigInt.asIntN(64, x);
  const lo = x & 0xffff_ffffn;
  const s32 = BigInt.asIntN(32, lo);
  return r.umin <= x && x <= r.umax && r.smin <= s && s <= r.smax && r.u32min <= lo && lo <= r.u32max && r.s32min <= s32 && s32 <= r.s32max && tnumIn(r.var, tnumConst(x));
}

const tnumOf = fc.tuple(u64, u64).map(([v, m]) => ({ t: { value: v & ~m & U64, mask: m } as Tnum, pick: (k: bigint): bigint => (v & ~m & U64) | (k & m) }));

describe('tnum', () => {
  it('tnum_step finds the smallest member above z (exhaustive over 6-bit tnums)', () => {
    for (let v = 0; v < 64; v++)
      for (let m = 0; m < 64; m++) {
        if (v & m) continue;
        const members = [...Array(64).keys()].filter((x) => (x & ~m) === v);
        const tmax = v | m;
        for (let z = 0; z < 64; z++) {
          const want = z >= tmax ? tmax : z < v ? v : members.find((x) => x > z);
          expect(Number(tnumStep({ value: BigInt(v), mask: BigInt(m) }, BigInt(z)))).toBe(want);
        }
      }
  });
  it('add, sub, mul, and, or, xor contain the concrete results', () => {
    fc.assert(
      fc.property(tnumOf, tnumOf, u64, u64, (a, b, ka, kb) => {
        const x = a.pick(ka);
        const y = b.pick(kb);
        const chk = (t: Tnum, v: bigint): boolean => tnumIn(t, tnumConst(BigInt.asUintN(64, v)));
        expect(chk(tnumAdd(a.t, b.t), x + y)).toBe(true);
        expect(chk(tnumSub(a.t, b.t), x - y)).toBe(true);
        expect(chk(tnumMul(a.t, b.t), x * y)).toBe(true);
        expect(chk(tnumAnd(a.t, b.t), x & y)).toBe(true);
        expect(chk(tnumOr(a.t, b.t), x | y)).toBe(true);
        expect(chk(tnumXor(a.t, b.t), x ^ y)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('tnum_range covers its range', () => {
    fc.assert(
      fc.property(absVal, ({ r, x }) => {
        expect(tnumIn(tnumRange(r.umin, r.umax), tnumConst(x))).toBe(true);
      }),
    );
  });
});

const ALU_OPS: [number, string][] = [
  [BPF_ADD, 'add'],
  [BPF_SUB, 'sub'],
  [BPF_MUL, 'mul'],
  [BPF_AND, 'and'],
  [BPF_OR, 'or'],
  [BPF_XOR, 'xor'],
  [BPF_LSH, 'lsh'],
  [BPF_RSH, 'rsh'],
  [BPF_ARSH, 'arsh'],
];

function concrete(op: number, x: bigint, y: bigint, is32: boolean): bigint {
  const bits = is32 ? 32 : 64;
  const w = (v: bigint): bigint => BigInt.asUintN(bits, v);
  const a = w(x);
  const b = w(y);
  switch (op) {
    case BPF_ADD:
      return w(a + b);
    case BPF_SUB:
      return w(a - b);
    case BPF_MUL:
      return w(a * b);
    case BPF_AND:
      return a & b;
    case BPF_OR:
      return a | b;
    case BPF_XOR:
      return a ^ b;
    case BPF_LSH:
      return w(a << b);
    case BPF_RSH:
      return a >> b;
    default:
      return w(BigInt.asIntN(bits, a) >> b);
  }
}

describe('scalar ALU (adjust_scalar_min_max_vals)', () => {
  for (const is32 of [false, true]) {
    for (const [op, name] of ALU_OPS) {
      const shift = op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH;
      it(`${name}${is32 ? '32' : ''} is sound`, () => {
        fc.assert(
          fc.property(absVal, absVal, fc.integer({ min: 0, max: is32 ? 31 : 63 }), (d, s, sh) => {
            const src = shift ? (() => {
              const r = scalarUnknown();
              markKnown(r, BigInt(sh));
              return { r, x: BigInt(sh) };
            })() : s;
            const dst = cloneReg(d.r);
            scalarAlu(op, dst, src.r, is32);
            expect(contains(dst, concrete(op, d.x, src.x, is32))).toBe(true);
          }),
          { numRuns: 300 },
        );
      });
    }
  }

  it('byte swaps and truncations are sound', () => {
    fc.assert(
      fc.property(absVal, fc.constantFrom(16, 32, 64), fc.boolean(), ({ r, x }, bits, swap) => {
        const d = cloneReg(r);
        scalarEnd(d, bits, swap);
        let v = x & (bits === 64 ? U64 : (1n << BigInt(bits)) - 1n);
        if (swap) {
          let o = 0n;
          for (let i = 0; i < bits / 8; i++) {
            o = (o << 8n) | (v & 0xffn);
            v >>= 8n;
          }
          v = o;
        }
        expect(contains(d, v)).toBe(true);
      }),
    );
  });

  it('narrow and sign-extending coercions are sound', () => {
    fc.assert(
      fc.property(absVal, fc.constantFrom(1, 2, 4), ({ r, x }, size) => {
        const z = cloneReg(r);
        coerceToSize(z, size);
        expect(contains(z, x & ((1n << BigInt(size * 8)) - 1n))).toBe(true);
        const sx = cloneReg(r);
        coerceToSizeSx(sx, size);
        expect(contains(sx, BigInt.asUintN(64, BigInt.asIntN(size * 8, x)))).toBe(true);
      }),
    );
  });
});

const JMPS: [number, (a: bigint, b: bigint, sa: bigint, sb: bigint) => boolean][] = [
  [BPF_JEQ, (a, b) => a === b],
  [BPF_JNE, (a, b) => a !== b],
  [BPF_JGT, (a, b) => a > b],
  [BPF_JGE, (a, b) => a >= b],
  [BPF_JLT, (a, b) => a < b],
  [BPF_JLE, (a, b) => a <= b],
  [BPF_JSGT, (_a, _b, sa, sb) => sa > sb],
  [BPF_JSGE, (_a, _b, sa, sb) => sa >= sb],
  [BPF_JSLT, (_a, _b, sa, sb) => sa < sb],
  [BPF_JSLE, (_a, _b, sa, sb) => sa <= sb],
  [BPF_JSET, (a, b) => (a & b) !== 0n],
];

describe('branches (is_branch_taken, reg_set_min_max)', () => {
  for (const is32 of [false, true]) {
    for (const [op, holds] of JMPS) {
      it(`op 0x${op.toString(16)}${is32 ? ' (jmp32)' : ''} predicts and narrows soundly`, () => {
        fc.assert(
          fc.property(absVal, absVal, (a, b) => {
            const bits = is32 ? 32 : 64;
            const x = BigInt.asUintN(bits, a.x);
            const y = BigInt.asUintN(bits, b.x);
            const h = holds(x, y, BigInt.asIntN(bits, x), BigInt.asIntN(bits, y));
            const pred = isBranchTaken(a.r, b.r, op, is32);
            if (pred === 1) expect(h).toBe(true);
            if (pred === 0) expect(h).toBe(false);
            if (pred !== -1) return;
            const t1 = cloneReg(a.r);
            const t2 = cloneReg(b.r);
            const f1 = cloneReg(a.r);
            const f2 = cloneReg(b.r);
            const sides = regSetMinMax(t1, t2, f1, f2, op, is32);
            if (h) {
              expect(sides.takenOk).toBe(true);
              expect(contains(t1, a.x) && contains(t2, b.x)).toBe(true);
            } else {
              expect(sides.fallOk).toBe(true);
              expect(contains(f1, a.x) && contains(f2, b.x)).toBe(true);
            }
          }),
          { numRuns: 300 },
        );
      });
    }
  }
});
