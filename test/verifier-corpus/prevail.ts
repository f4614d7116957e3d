/**
 * PREVAIL's verifier test cases (../shared/verifier-cases, MIT) as kernel-loadable programs.
 *
 * A PREVAIL case states a precondition on registers and stack ("r1.type=packet",
 * "r2.svalue=[0, 10]") and a code fragment. Each convertible case becomes an XDP program:
 * a prologue builds the precondition from the context (unknown numbers are made from two
 * 32-bit context fields and narrowed by branches to an exit), then the fragment runs and the
 * program returns 0. The kernel is the judge; PREVAIL's own expectation is not used.
 * Cases whose precondition cannot be built this way (relations between registers, type
 * sets, map descriptors, big-endian) are skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { assemble } from '../../src/ebpf/isa/asm.ts';
import type { Insn } from '../../src/ebpf/isa/insn.ts';
import type { VerifierMapDef } from '../../src/ebpf/verifier/index.ts';
import { type CorpusCase, kernelInputFor } from './corpus.ts';

export const PREVAIL_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'verifier-cases');

interface PrevailDoc {
  'test-case': string;
  pre?: string[];
  code?: Record<string, string>;
  options?: string[];
  post?: string[];
}

interface Range {
  lo: bigint;
  hi: bigint;
}

interface RegPre {
  type?: string;
  svalue?: Range;
  uvalue?: Range;
  stackOffset?: number;
  ctxOffset?: number;
  packetOffset?: number | 'end';
  sharedOffset?: number;
  sharedSize?: number;
}

class Skip extends Error {}

function parseRange(v: string): Range {
  const s = v.trim();
  const m = /^\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\]$/.exec(s);
  if (m) return { lo: BigInt(m[1]), hi: BigInt(m[2]) };
  if (/^-?\d+$/.test(s)) return { lo: BigInt(s), hi: BigInt(s) };
  throw new Skip(`range ${v}`);
}

const num = (v: string): number => {
  if (!/^-?\d+$/.test(v.trim())) throw new Skip(`number ${v}`);
  return Number(v);
};

interface StackPre {
  first: number;
  last: number;
  value?: bigint;
}

function parsePre(pre: readonly string[]): { regs: Map<number, RegPre>; stack: StackPre[]; packetSize?: Range; metaOffset?: number } {
  const regs = new Map<number, RegPre>();
  const stack = new Map<string, StackPre>();
  let packetSize: Range | undefined;
  let metaOffset: number | undefined;
  const reg = (n: number): RegPre => {
    const r = regs.get(n) ?? {};
    regs.set(n, r);
    return r;
  };
  for (const p of pre) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new Skip(p);
    const lhs = p.slice(0, eq).trim();
    const rhs = p.slice(eq + 1).trim();
    if (lhs === 'packet_size') {
      packetSize = parseRange(rhs);
      continue;
    }
    if (lhs === 'meta_offset') {
      metaOffset = num(rhs);
      continue;
    }
    let m = /^r(\d+)\.(\w+)$/.exec(lhs);
    if (m) {
      const r = reg(Number(m[1]));
      switch (m[2]) {
        case 'type':
          if (!['number', 'ctx', 'stack', 'packet', 'shared'].includes(rhs)) throw new Skip(p);
          r.type = rhs;
          break;
        case 'svalue':
          if (/^r\d+\.uvalue$/.test(rhs)) break;
          r.svalue = parseRange(rhs);
          break;
        case 'uvalue':
          if (rhs === `r${m[1]}.svalue`) break;
          r.uvalue = parseRange(rhs);
          break;
        case 'stack_offset':
          r.stackOffset = num(rhs);
          break;
        case 'ctx_offset':
          r.ctxOffset = num(rhs);
          break;
        case 'packet_offset':
          r.packetOffset = rhs === 'packet_size' ? 'end' : num(rhs);
          break;
        case 'shared_offset':
          r.sharedOffset = num(rhs);
          break;
        case 'shared_region_size':
          r.sharedSize = num(rhs);
          break;
        case 'stack_numeric_size':
          break;
        default:
          throw new Skip(p);
      }
      continue;
    }
    m = /^s\[(\d+)(?:\.\.\.(\d+))?\]\.(\w+)$/.exec(lhs);
    if (m) {
      const key = `${m[1]}-${m[2] ?? m[1]}`;
      const s = stack.get(key) ?? { first: Number(m[1]), last: Number(m[2] ?? m[1]) };
      stack.set(key, s);
      if (m[3] === 'type') {
        if (rhs !== 'number') throw new Skip(p);
      } else if (m[3] === 'svalue' || m[3] === 'uvalue') {
        const r = parseRange(rhs);
        if (r.lo === r.hi) s.value = r.lo;
      } else {
        throw new Skip(p);
      }
      continue;
    }
    throw new Skip(p);
  }
  return { regs, stack: [...stack.values()], packetSize, metaOffset };
}

const U64 = (1n << 64n) - 1n;
const fits32 = (v: bigint): boolean => v >= -(1n << 31n) && v < 1n << 31n;

/** A move of a 64-bit constant. */
function movConst(r: number, v: bigint): string {
  return fits32(v) ? `r${r} = ${v}` : `r${r} = ${BigInt.asIntN(64, v)} ll`;
}

/** The prologue building the precondition; ctx is in r1 and kept in r9 until the end. */
function prologue(pre: ReturnType<typeof parsePre>, maps: VerifierMapDef[]): string[] {
  const out: string[] = ['r9 = r1'];
  const jump = (cond: string): void => {
    out.push(`if ${cond} goto pre_fail`);
  };
  const needsPacket = [...pre.regs.values()].some((r) => r.type === 'packet') || pre.packetSize !== undefined;
  if (needsPacket) {
    // r8 = data, r7 = data_end; the packet holds at least packet_size bytes.
    out.push('r8 = *(u32 *)(r9 + 0)', 'r7 = *(u32 *)(r9 + 4)');
    const min = pre.packetSize ? Number(pre.packetSize.lo < 0n ? 0n : pre.packetSize.lo) : 0;
    if (min > 0) {
      out.push('r6 = r8', `r6 += ${min}`);
      jump('r6 > r7');
    }
  }
  // Stack bytes first (they use r0 as scratch).
  for (const s of pre.stack) {
    const size = s.last - s.first + 1;
    const off = s.first - 512;
    if (s.value !== undefined) {
      const v = BigInt.asUintN(64, s.value);
      if ([1, 2, 4, 8].includes(size) && off % size === 0 && (size < 8 || fits32(BigInt.asIntN(64, v)))) {
        out.push(`*(u${size * 8} *)(r10 ${off < 0 ? '-' : '+'} ${Math.abs(off)}) = ${BigInt.asIntN(size * 8, v)}`);
      } else {
        for (let i = 0; i < size; i++) out.push(`*(u8 *)(r10 - ${-(off + i)}) = ${Number((v >> BigInt(8 * i)) & 0xffn)}`);
      }
    } else {
      out.push('r0 = *(u32 *)(r9 + 12)');
      for (let i = 0; i < size; i++) out.push(`*(u8 *)(r10 - ${-(off + i)}) = r0`);
    }
  }
  const order = [...pre.regs.keys()].sort((a, b) => (a === 9 ? 1 : b === 9 ? -1 : a - b));
  for (const n of order) {
    const r = pre.regs.get(n) as RegPre;
    if (n === 10) {
      if (r.type !== 'stack' || (r.stackOffset ?? 512) !== 512) throw new Skip('r10');
      continue;
    }
    switch (r.type) {
      case 'number': {
        const s = r.svalue;
        const u = r.uvalue;
        const one = s && s.lo === s.hi ? s.lo : u && u.lo === u.hi ? u.lo : undefined;
        if (one !== undefined) {
          out.push(movConst(n, one));
          break;
        }
        // An unknown 64-bit number: two 32-bit context fields.
        out.push(`r${n} = *(u32 *)(r9 + 12)`, `r${n} <<= 32`, 'r0 = *(u32 *)(r9 + 16)', `r${n} |= r0`);
        if (u) {
          const lo = BigInt.asUintN(64, u.lo);
          const hi = BigInt.asUintN(64, u.hi);
          if (lo > 0n) {
            out.push(movConst(0, lo));
            jump(`r${n} < r0`);
          }
          if (hi < U64) {
            out.push(movConst(0, hi));
            jump(`r${n} > r0`);
          }
        }
        if (s) {
          if (s.lo > -(1n << 63n)) {
            out.push(movConst(0, s.lo));
            jump(`r${n} s< r0`);
          }
          if (s.hi < (1n << 63n) - 1n) {
            out.push(movConst(0, s.hi));
            jump(`r${n} s> r0`);
          }
        }
        break;
      }
      case 'ctx':
        if (r.ctxOffset === undefined) throw new Skip('ctx offset');
        out.push(`r${n} = r9`);
        if (r.ctxOffset) out.push(`r${n} += ${r.ctxOffset}`);
        break;
      case 'stack':
        if (r.stackOffset === undefined) throw new Skip('stack offset');
        out.push(`r${n} = r10`, `r${n} += ${r.stackOffset - 512}`);
        break;
      case 'packet':
        if (r.packetOffset === 'end') out.push(`r${n} = r7`);
        else if (r.packetOffset !== undefined) {
          out.push(`r${n} = r8`);
          if (r.packetOffset) out.push(`r${n} += ${r.packetOffset}`);
        } else throw new Skip('packet offset');
        break;
      case 'shared': {
        if (r.sharedSize === undefined || r.sharedOffset === undefined || r.sharedSize <= 0) throw new Skip('shared');
        const name = `shared${maps.length}`;
        maps.push({ name, type: 'BPF_MAP_TYPE_ARRAY', keySize: 4, valueSize: r.sharedSize, maxEntries: 1 });
        // A constant key 0 into a one-entry array: never null.
        out.push('*(u32 *)(r10 - 4) = 0', 'r2 = r10', 'r2 += -4', `r1 = ${name} ll`, 'call 1', `r${n} = r0`);
        if (r.sharedOffset) out.push(`r${n} += ${r.sharedOffset}`);
        if (n >= 1 && n <= 5) throw new Skip('shared pointer in a caller-saved register');
        break;
      }
      default:
        throw new Skip(`type ${r.type}`);
    }
  }
  return out;
}

/** PREVAIL's code fragment in llvm syntax with `<label>` jump targets. */
function fragment(code: Record<string, string>): string[] {
  const out: string[] = [];
  const label = (l: string): string => `L_${l.replace(/[<>]/g, '').replace(/[^A-Za-z0-9_]/g, '_')}`;
  for (const [name, text] of Object.entries(code)) {
    if (name !== '<start>') out.push(`${label(name)}:`);
    for (let line of text.split('\n')) {
      line = line.replace(/;.*$/, '').trim();
      if (!line) continue;
      line = line.replace(/<[A-Za-z0-9_]+>/g, (m) => label(m));
      out.push(line);
    }
  }
  return out;
}

function convert(d: PrevailDoc): { insns: Insn[]; maps: VerifierMapDef[]; refs: Map<number, string> } {
  if (!d.code || !d.pre) throw new Skip('no code');
  if (d.options?.includes('big_endian')) throw new Skip('big endian');
  const pre = parsePre(d.pre);
  const maps: VerifierMapDef[] = [];
  const lines = [...prologue(pre, maps), ...fragment(d.code)];
  const last = lines[lines.length - 1];
  if (last !== 'exit' && !/^goto /.test(last)) lines.push('r0 = 0', 'exit');
  if (lines.some((l) => l.endsWith('goto pre_fail'))) lines.push('pre_fail:', 'r0 = 0', 'exit');
  // Map names in `rN = name ll` become LD_IMM64 map loads.
  const refs = new Map<number, string>();
  const text = lines.join('\n');
  let insns: Insn[];
  try {
    insns = assemble(text.replace(/^r(\d) = (shared\d+) ll$/gm, 'r$1 = 0 ll'));
  } catch {
    throw new Skip('does not assemble');
  }
  // Mark the map loads: every `= sharedN ll` in order.
  const ldPcs = insns.filter((i) => i.op.kind === 'lddw').map((i) => i.pc);
  const ldLines = lines.filter((l) => !l.endsWith(':')).map((l, idx) => ({ l, idx })).filter((x) => / ll$/.test(x.l));
  for (let j = 0; j < ldLines.length && j < ldPcs.length; j++) {
    const m = /= (shared\d+) ll$/.exec(ldLines[j].l);
    if (m) {
      const insn = insns.find((i) => i.pc === ldPcs[j]) as Insn;
      insn.src = 1;
      refs.set(insn.pc, m[1]);
    }
  }
  return { insns, maps, refs };
}

let cache: CorpusCase[] | undefined;

export function prevailCases(): CorpusCase[] {
  if (cache) return cache;
  const out: CorpusCase[] = [];
  let files: string[];
  try {
    files = readdirSync(PREVAIL_DIR).filter((f) => f.endsWith('.yaml') && f !== 'test-schema.yaml').sort();
  } catch {
    return (cache = out);
  }
  const seen = new Set<string>();
  for (const f of files) {
    const docs = parseAllDocuments(readFileSync(join(PREVAIL_DIR, f), 'utf8'));
    for (const doc of docs) {
      const d = doc.toJS() as PrevailDoc | null;
      if (!d || !d['test-case']) continue;
      let conv;
      try {
        conv = convert(d);
      } catch (e) {
        if (e instanceof Skip) continue;
        throw e;
      }
      const stem = f.replace(/\.yaml$/, '');
      let name = d['test-case'].replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toLowerCase();
      while (seen.has(`${stem}/${name}`)) name += '_';
      seen.add(`${stem}/${name}`);
      out.push({
        id: `prevail/${stem}/${name}`,
        kind: 'prevail',
        rule: `prevail_${stem}`,
        program: { insns: conv.insns, progType: 'BPF_PROG_TYPE_XDP', maps: conv.maps, mapRefs: conv.refs, name },
        kernelInput: kernelInputFor(conv.insns, 'BPF_PROG_TYPE_XDP', 0, conv.maps, conv.refs),
      });
    }
  }
  return (cache = out);
}
