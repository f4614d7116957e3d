/**
 * The verifier log's spelling of instructions and states, after kernel/bpf/log.c
 * (print_verifier_state(), print_reg_state(), print_scalar_ranges(), reg_type_str()) and
 * kernel/bpf/disasm.c (print_bpf_insn(): "r2 = *(u32 *)(r1 +0)", "if r4 > r3 goto pc+2").
 */
import { imm64, type Insn } from '../isa/insn.ts';
import { ALU_SYMBOL, JMP_SYMBOL } from '../isa/disasm.ts';
import { BPF_CMPXCHG, BPF_FETCH, BPF_K, BPF_PSEUDO_FUNC, BPF_TO_BE, BPF_XCHG } from '../isa/opcodes.ts';
import { helperName } from './helpers.ts';
import { type RegState, S32_MAX, S32_MIN, S64_MAX, S64_MIN, u32 } from './reg.ts';
import { STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, type FuncState, type VState } from './state.ts';
import { tnumIsConst, tnumIsUnknown, tnumStr, U32_MAX, U64_MAX } from './tnum.ts';

/** is_snum_decimal() / is_unum_decimal(): S16 and U16 values print in decimal, others in hex. */
const snumDecimal = (v: bigint): boolean => v >= -32768n && v <= 32767n;
const snum = (v: bigint): string => (snumDecimal(v) ? v.toString() : '0x' + BigInt.asUintN(64, v).toString(16));
const unum = (v: bigint): string => (v <= 65535n ? v.toString() : '0x' + v.toString(16));

/** reg_type_str(): base name with the flag prefixes and the _or_null suffix. */
export function regTypeStr(r: Pick<RegState, 'type' | 'maybeNull' | 'rdonly' | 'alloc'>): string {
  if (r.type === 'not_init') return '?';
  const base = r.type === 'mem' && r.alloc ? 'ringbuf_mem' : r.type;
  return `${r.rdonly ? 'rdonly_' : ''}${base}${r.maybeNull ? '_or_null' : ''}`;
}

function scalarRanges(r: RegState, parts: string[]): void {
  const mm: { name: string; val: bigint; omit: boolean; signed: boolean }[] = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN, signed: true },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX, signed: true },
    { name: 'umin', val: r.umin, omit: r.umin === 0n, signed: false },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX, signed: false },
    { name: 'smin32', val: snumDecimal(r.s32min) ? r.s32min : u32(r.s32min), omit: r.s32min === S32_MIN, signed: true },
    { name: 'smax32', val: snumDecimal(r.s32max) ? r.s32max : u32(r.s32max), omit: r.s32max === S32_MAX, signed: true },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n, signed: false },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX, signed: false },
  ];
  for (let a = 0; a < mm.length; a++) {
    const m1 = mm[a];
    if (m1.omit) continue;
    const neg1 = m1.signed && m1.val < 0n;
    let s = `${m1.name}=`;
    for (let b = a + 2; b < mm.length; b += 2) {
      const m2 = mm[b];
      if (m2.omit || m2.val !== m1.val) continue;
      if ((m2.signed && m2.val < 0n) !== neg1) continue;
      m2.omit = true;
      s += `${m2.name}=`;
    }
    parts.push(s + (m1.signed ? snum(m1.val) : unum(m1.val)));
  }
}

/** print_reg_state(). */
export function regStr(r: RegState, frameno = 0): string {
  if (r.type === 'scalar' && tnumIsConst(r.var)) return snum(BigInt.asIntN(64, r.var.value));
  let s = regTypeStr(r);
  if (r.type === 'fp') {
    if (r.frameno !== frameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.var)) return s + snum(BigInt.asIntN(64, r.var.value) + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}${r.addConst ? (r.delta >= 0 ? `+${r.delta}` : `${r.delta}`) : ''}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'map_ptr' || r.type === 'map_value' || r.type === 'map_key') && r.map) {
    if (r.map.name) parts.push(`map=${r.map.name}`);
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'scalar' && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${unum(BigInt.asUintN(64, BigInt(r.range)))}`);
  if (r.type === 'mem') parts.push(`sz=${unum(BigInt(r.memSize))}`);
  if (tnumIsConst(r.var)) {
    if (r.var.value) parts.push(`imm=${snum(BigInt.asIntN(64, r.var.value))}`);
  } else {
    scalarRanges(r, parts);
    if (!tnumIsUnknown(r.var)) parts.push(`var_off=${tnumStr(r.var)}`);
  }
  return `${s}(${parts.join(',')})`;
}

const SLOT_CHAR: Record<number, string> = { [STACK_INVALID]: '?', [STACK_SPILL]: 'r', [STACK_MISC]: 'm', [STACK_ZERO]: '0' };

/** print_verifier_state() for one frame: every register (or only `regs`) and stack slot. */
export function frameStr(f: FuncState, regs?: number, slots?: ReadonlySet<number>): string {
  let s = f.frameno ? ` frame${f.frameno}:` : '';
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i];
    if (r.type === 'not_init') continue;
    if (regs !== undefined && !(regs & (1 << i))) continue;
    s += ` R${i}=${regStr(r, f.frameno)}`;
  }
  for (let spi = 0; spi < f.depth / 8; spi++) {
    if (slots && !slots.has(spi)) continue;
    let buf = '';
    let valid = false;
    for (let j = 0; j < 8; j++) {
      const t = f.stype[spi * 8 + j];
      if (t !== STACK_INVALID) valid = true;
      buf += SLOT_CHAR[t];
    }
    if (!valid) continue;
    const off = -(spi + 1) * 8;
    const sp = f.spills[spi];
    if (f.stype[spi * 8 + 7] === STACK_SPILL && sp) {
      let rest = '';
      for (let j = 0; j < 8; j++) if (f.stype[spi * 8 + j] !== STACK_SPILL) rest += SLOT_CHAR[f.stype[spi * 8 + j]];
      s += ` fp${off}=${rest}${regStr(sp, f.frameno)}`;
    } else {
      s += ` fp${off}=${buf}`;
    }
  }
  if (f.callback) s += ' cb';
  return s;
}

export function stateStr(st: VState, regs?: number, slots?: ReadonlySet<number>, all = false): string {
  const frames = all ? st.frames : [st.frames[st.frames.length - 1]];
  let s = frames.map((f) => frameStr(f, regs, slots)).join('');
  if (st.refs.length > 0) s += ` refs=${st.refs.map((r) => r.id).join(',')}`;
  return s;
}

const memOff = (reg: number, off: number): string => `(r${reg} ${off < 0 ? '-' : '+'}${Math.abs(off)})`;
const SIZE_NAME: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/** print_bpf_insn(): the kernel's disassembly, e.g. "(61) r2 = *(u32 *)(r1 +0)". */
export function kernelInsnText(i: Insn, subprogName?: (pc: number) => string | undefined): string {
  const o = i.op;
  const code = `(${o.code.toString(16).padStart(2, '0')})`;
  const w = o.is32 ? 'w' : 'r';
  let t: string;
  switch (o.kind) {
    case 'alu':
      t = `${w}${i.dst} ${o.offIs === 1 ? 's' : ''}${ALU_SYMBOL.get(o.op)}= ${o.srcKind === BPF_K ? i.imm : `${w}${i.src}`}`;
      break;
    case 'neg':
      t = `${w}${i.dst} = -${w}${i.dst}`;
      break;
    case 'mov':
      t = `${w}${i.dst} = ${o.srcKind === BPF_K ? i.imm : `${w}${i.src}`}`;
      break;
    case 'movsx':
      t = `${w}${i.dst} = (s${o.width})${w}${i.src}`;
      break;
    case 'end':
      t = o.is32 ? `r${i.dst} = ${o.srcKind === BPF_TO_BE ? 'be' : 'le'}${o.width} r${i.dst}` : `r${i.dst} = bswap${o.width} r${i.dst}`;
      break;
    case 'ja':
      t = o.is32 ? `gotol pc${fmtRel(i.imm)}` : `goto pc${fmtRel(i.off)}`;
      break;
    case 'jcond':
      t = `if ${w}${i.dst} ${JMP_SYMBOL.get(o.op)} ${o.srcKind === BPF_K ? `0x${(i.imm >>> 0).toString(16)}` : `${w}${i.src}`} goto pc${fmtRel(i.off)}`;
      if (o.srcKind === BPF_K && i.imm >= -512 && i.imm <= 512 && i.imm >= 0) t = t.replace(`0x${(i.imm >>> 0).toString(16)}`, `0x${i.imm.toString(16)}`);
      break;
    case 'call':
      t = `call ${helperName(i.imm)}#${i.imm}`;
      break;
    case 'call_local':
      t = `call pc${fmtRel(i.imm)}`;
      if (subprogName) {
        const n = subprogName(i.pc + 1 + i.imm);
        if (n) t = `call ${n}#${i.pc + 1 + i.imm}`;
      }
      break;
    case 'call_kfunc':
      t = `call kernel-function#${i.imm}`;
      break;
    case 'callx':
      t = `callx r${i.dst}`;
      break;
    case 'exit':
      t = 'exit';
      break;
    case 'ldx':
      t = `r${i.dst} = *(${SIZE_NAME[o.width]} *)${memOff(i.src, i.off)}`;
      break;
    case 'ldxsx':
      t = `r${i.dst} = *(s${o.width * 8} *)${memOff(i.src, i.off)}`;
      break;
    case 'st':
      t = `*(${SIZE_NAME[o.width]} *)${memOff(i.dst, i.off)} = ${i.imm}`;
      break;
    case 'stx':
      t = `*(${SIZE_NAME[o.width]} *)${memOff(i.dst, i.off)} = r${i.src}`;
      break;
    case 'atomic': {
      const sz = SIZE_NAME[o.width];
      const x = o.is32 ? 'w' : 'r';
      if (o.op === BPF_XCHG) t = `${x}${i.src} = atomic${o.is32 ? '' : '64'}_xchg(${sz} *)${memOff(i.dst, i.off)}, ${x}${i.src})`;
      else if (o.op === BPF_CMPXCHG) t = `${x}0 = atomic${o.is32 ? '' : '64'}_cmpxchg((${sz} *)${memOff(i.dst, i.off)}, ${x}0, ${x}${i.src})`;
      else if (o.op & BPF_FETCH) t = `${x}${i.src} = atomic${o.is32 ? '' : '64'}_fetch_${o.mnemonic.split(' ')[2].replace('32', '')}((${sz} *)${memOff(i.dst, i.off)}, ${x}${i.src})`;
      else t = `lock *(${sz} *)${memOff(i.dst, i.off)} ${ALU_SYMBOL.get(o.op)}= r${i.src}`;
      break;
    }
    case 'lddw':
      // A callback (BPF_PSEUDO_FUNC) shows its relative offset as the kernel does; maps have no address here.
      t = i.src === 0 || i.src === BPF_PSEUDO_FUNC ? `r${i.dst} = 0x${imm64(i).toString(16)}` : `r${i.dst} = map[id:${i.imm}]`;
      break;
    case 'ldabs':
      t = `r0 = *(${SIZE_NAME[o.width]} *)skb[${i.imm}]`;
      break;
    case 'ldind':
      t = `r0 = *(${SIZE_NAME[o.width]} *)skb[r${i.src} + ${i.imm}]`;
      break;
  }
  return `${code} ${t}`;
}

function fmtRel(v: number): string {
  return v < 0 ? `${v}` : `+${v}`;
}

/** Column of the "; state" comment after an instruction (vlog_alignment). */
export function alignComment(text: string): string {
  const pos = text.length + 1;
  const col = Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - 1;
  return text + ' '.repeat(Math.max(1, col - pos));
}
