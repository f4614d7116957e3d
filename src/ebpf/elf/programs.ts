/**
 * Programs of an object and their relocation (models libbpf's bpf_object__add_programs(),
 * bpf_object__collect_prog_relos() / bpf_program__record_reloc(), bpf_object__relocate_core()
 * and bpf_object__reloc_code()):
 *
 *  1. every STT_FUNC symbol in an executable section is a function; those outside `.text`
 *     are programs, those in `.text` are subprograms;
 *  2. each relocation is recorded against its instruction: a call or callback address into
 *     `.text`, a map reference, or a global-data reference;
 *  3. CO-RE relocations are applied to each function (against the object's own BTF);
 *  4. each program is linked: subprograms it reaches are appended once, depth first, in
 *     first-use order, and call/callback immediates are rewritten for that layout; map
 *     loads get BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE.
 */
import { describeCoreRelo, resolveCoreRelo, coreKindName } from '../btf/core.ts';
import type { Btf, BtfExt, CoreRelo, LineInfo } from '../btf/types.ts';
import { decode, IsaError, type Insn } from '../isa/insn.ts';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_K, INSN_SIZE } from '../isa/opcodes.ts';
import { LoadFailure } from './errors.ts';
import type { CollectedMaps, MapDef } from './maps.ts';
import {
  R_BPF_64_32,
  R_BPF_64_64,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_PROGBITS,
  STB_LOCAL,
  STT_FUNC,
  STT_SECTION,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from './reader.ts';
import { programTypeForSection } from './sections.ts';
import type { CoreReloEntry, FuncRef, LineInfoEntry, MapRef, ProgramSpec } from './spec.ts';

const TEXT = '.text';

type Relo =
  | { kind: 'call'; sym: ElfSymbol }
  | { kind: 'func_addr'; sym: ElfSymbol }
  | { kind: 'map'; def: MapDef }
  | { kind: 'data'; def: MapDef; symOff: number };

/** One STT_FUNC symbol: a program or a `.text` subprogram. */
interface Func {
  name: string;
  section: ElfSection;
  /** Byte offset of the function in its section. */
  offset: number;
  size: number;
  insns: Insn[];
  byPc: Map<number, Insn>;
  /** Relocations by function-relative slot. */
  relos: Map<number, Relo>;
  core: CoreReloEntry[];
  lines: LineInfoEntry[];
}

const isExec = (s: ElfSection): boolean => s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0;

function collectFuncs(elf: ElfFile): Func[] {
  const funcs: Func[] = [];
  for (const sec of elf.sections) {
    if (!isExec(sec) || sec.size === 0) continue;
    const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT_FUNC).sort((a, b) => a.value - b.value || a.index - b.index);
    for (const sym of syms) {
      const ctx = { section: sec.name, symbol: sym.name };
      if (sym.value % INSN_SIZE !== 0 || sym.size % INSN_SIZE !== 0) {
        throw new LoadFailure(`section '${sec.name}': function '${sym.name}' at offset ${sym.value}, size ${sym.size} is not instruction-aligned`, ctx, 'collect programs');
      }
      if (sym.value + sym.size > sec.size) {
        throw new LoadFailure(`section '${sec.name}': program '${sym.name}' at offset ${sym.value} (size ${sym.size}) crosses the section end (${sec.size} bytes)`, ctx, 'collect programs');
      }
      if (sym.size === 0) continue;
      if (sec.name !== TEXT && sym.bind === STB_LOCAL) {
        throw new LoadFailure(`section '${sec.name}': program '${sym.name}' is static; programs must be global functions`, ctx, 'collect programs');
      }
      let insns: Insn[];
      try {
        insns = decode(sec.data.subarray(sym.value, sym.value + sym.size));
      } catch (e) {
        if (e instanceof IsaError) {
          throw new LoadFailure(`section '${sec.name}': function '${sym.name}' insn ${e.pc} (section offset ${sym.value + e.pc * INSN_SIZE}): ${e.message}`, ctx, 'decode instructions');
        }
        throw e;
      }
      funcs.push({ name: sym.name, section: sec, offset: sym.value, size: sym.size, insns, byPc: new Map(insns.map((i) => [i.pc, i])), relos: new Map(), core: [], lines: [] });
    }
  }
  const names = new Set<string>();
  for (const f of funcs) {
    if (names.has(f.name)) throw new LoadFailure(`two functions are named '${f.name}'`, { section: f.section.name, symbol: f.name }, 'collect programs');
    names.add(f.name);
  }
  return funcs;
}

function funcAtOffset(funcs: Func[], shndx: number, off: number): Func | undefined {
  return funcs.find((f) => f.section.index === shndx && off >= f.offset && off < f.offset + f.size);
}

/** bpf_program__record_reloc(): what each relocation in an executable section means. */
function recordRelocations(elf: ElfFile, funcs: Func[], maps: CollectedMaps, textShndx: number): void {
  const step = 'load relocations';
  for (const [shndx, rel] of elf.rels) {
    if (!isExec(rel.target)) continue;
    const relName = rel.section.name;
    rel.entries.forEach((r, i) => {
      const where = `${relName} entry ${i}`;
      const sym = elf.symbols[r.symbol];
      if (!sym) throw new LoadFailure(`${where}: symbol #${r.symbol} not found (symbol table has ${elf.symbols.length} entries)`, { section: relName }, step);
      const ctx = { section: relName, symbol: sym.name };
      const func = funcAtOffset(funcs, shndx, r.offset);
      if (!func) throw new LoadFailure(`${where}: offset ${r.offset} against '${sym.name}' is not inside any function of '${rel.target.name}'`, ctx, step);
      if ((r.offset - func.offset) % INSN_SIZE !== 0) throw new LoadFailure(`${where}: offset ${r.offset} is not instruction-aligned`, ctx, step);
      const pc = (r.offset - func.offset) / INSN_SIZE;
      const insn = func.byPc.get(pc);
      const at = `${where} (${func.name} insn ${pc})`;
      if (!insn) throw new LoadFailure(`${at}: points into the middle of an LD_IMM64`, ctx, step);
      if (sym.shndx === SHN_UNDEF) {
        // A call to an undefined symbol is libbpf's extern kfunc call (RELO_EXTERN_CALL).
        if (insn.op.kind.startsWith('call')) throw new LoadFailure(`${at}: '${sym.name}' is an extern kernel function: kfuncs are not supported`, ctx, step);
        throw new LoadFailure(`${at}: symbol '${sym.name}' not found (undefined in this object; extern ksyms and kconfig variables are not supported)`, ctx, step);
      }
      const isCall = insn.op.kind === 'call_local';
      const isLd = insn.op.kind === 'lddw';
      if (!isCall && !isLd) throw new LoadFailure(`${at}: relocation against '${sym.name}' on ${insn.op.name}, which is neither a bpf-to-bpf call nor an LD_IMM64`, ctx, step);
      if (isCall) {
        if (r.type !== R_BPF_64_32) throw new LoadFailure(`${at}: call relocation type ${r.type} is not R_BPF_64_32`, ctx, step);
        if (sym.shndx !== textShndx) {
          const secName = elf.sections[sym.shndx]?.name ?? `#${sym.shndx}`;
          throw new LoadFailure(`${at}: call to '${sym.name}' in section '${secName}'; subprograms must be in .text`, ctx, step);
        }
        if (sym.value % INSN_SIZE !== 0) throw new LoadFailure(`${at}: call target offset ${sym.value} is not instruction-aligned`, ctx, step);
        func.relos.set(pc, { kind: 'call', sym });
        return;
      }
      if (r.type !== R_BPF_64_64) throw new LoadFailure(`${at}: LD_IMM64 relocation type ${r.type} is not R_BPF_64_64`, ctx, step);
      if (sym.shndx === textShndx && (sym.type === STT_SECTION || sym.type === STT_FUNC)) {
        if ((sym.value + insn.imm) % INSN_SIZE !== 0) throw new LoadFailure(`${at}: function address .text+${sym.value + insn.imm} is not instruction-aligned`, ctx, step);
        func.relos.set(pc, { kind: 'func_addr', sym });
        return;
      }
      if (sym.shndx === maps.legacyShndx || sym.shndx === maps.btfShndx) {
        const off = sym.value + (sym.type === STT_SECTION ? insn.imm : 0);
        const def = maps.defs.find((d) => d.shndx === sym.shndx && d.offset === off && d.spec.source !== 'data');
        if (!def) throw new LoadFailure(`${at}: no map defined at '${elf.sections[sym.shndx].name}'+${off} (symbol '${sym.name}')`, ctx, step);
        func.relos.set(pc, { kind: 'map', def });
        return;
      }
      const data = maps.data.get(sym.shndx);
      if (data) {
        func.relos.set(pc, { kind: 'data', def: data, symOff: sym.value });
        return;
      }
      const secName = elf.sections[sym.shndx]?.name ?? `#${sym.shndx}`;
      throw new LoadFailure(`${at}: LD_IMM64 refers to '${sym.name}' in section '${secName}', which is neither a map, global data nor .text`, ctx, step);
    });
  }
}

/** bpf_core_patch_insn(): put a CO-RE result into the instruction, checking the old value. */
function patchCore(insn: Insn, value: number, what: string): void {
  const k = insn.op.kind;
  let old: number;
  if ((k === 'alu' || k === 'mov') && insn.op.srcKind === BPF_K) {
    old = insn.imm;
    insn.imm = value | 0;
  } else if (k === 'ldx' || k === 'ldxsx' || k === 'st' || k === 'stx' || k === 'atomic') {
    if (value > 0x7fff) throw new LoadFailure(`${what}: offset ${value} does not fit the instruction's 16-bit offset`);
    old = insn.off;
    insn.off = value;
  } else if (k === 'lddw') {
    old = insn.imm2 === 0 ? insn.imm >>> 0 : NaN;
    insn.imm = value | 0;
    insn.imm2 = 0;
  } else {
    throw new LoadFailure(`${what}: cannot patch ${insn.op.name}`);
  }
  // Local and target BTF are the same here, so clang's value must already be right.
  if (old !== value) throw new LoadFailure(`${what}: instruction holds ${old}, but the BTF layout gives ${value}`);
}

function applyCore(btf: Btf | undefined, ext: BtfExt | undefined, funcs: Func[]): void {
  if (!ext) return;
  const step = 'CO-RE relocations';
  for (const sec of ext.coreRelos) {
    sec.records.forEach((relo: CoreRelo, i) => {
      const pcInSec = relo.insnOff / INSN_SIZE;
      const func = funcs.find((f) => f.section.name === sec.section && relo.insnOff >= f.offset && relo.insnOff < f.offset + f.size);
      const ctx = { section: sec.section, symbol: func?.name };
      if (!btf) throw new LoadFailure(`section '${sec.section}' relocation #${i}: CO-RE relocations need .BTF`, ctx, step);
      const where = `${describeCoreRelo(btf, relo)}, section '${sec.section}', insn ${pcInSec}${func ? ` (${func.name} insn ${(relo.insnOff - func.offset) / INSN_SIZE})` : ''}`;
      if (!func) throw new LoadFailure(`${where}: not inside any function`, ctx, step);
      const pc = (relo.insnOff - func.offset) / INSN_SIZE;
      const insn = func.byPc.get(pc);
      if (!insn) throw new LoadFailure(`${where}: not at an instruction boundary`, ctx, step);
      let res;
      try {
        res = resolveCoreRelo(btf, relo);
      } catch (e) {
        // resolveCoreRelo's messages start with the relocation; add where it is.
        const msg = e instanceof Error ? e.message : String(e);
        throw new LoadFailure(`${msg.replace(describeCoreRelo(btf, relo), where)}`, ctx, step);
      }
      try {
        patchCore(insn, res.value, where);
      } catch (e) {
        if (e instanceof LoadFailure) throw new LoadFailure(e.detail, ctx, step);
        throw e;
      }
      func.core.push({ pc, kind: coreKindName(relo.kind), field: res.field, access: relo.access, value: res.value });
    });
  }
}

function attachLines(ext: BtfExt | undefined, funcs: Func[]): void {
  if (!ext) return;
  for (const sec of ext.lineInfo) {
    for (const li of sec.records as LineInfo[]) {
      const f = funcs.find((fn) => fn.section.name === sec.section && li.insnOff >= fn.offset && li.insnOff < fn.offset + fn.size);
      if (!f) continue;
      f.lines.push({ pc: (li.insnOff - f.offset) / INSN_SIZE, file: li.file, line: li.line, col: li.col, text: li.text });
    }
  }
  for (const f of funcs) f.lines.sort((a, b) => a.pc - b.pc);
}

/** bpf_object__reloc_code() for one program: append reachable subprograms and fix calls. */
function link(main: Func, text: Func[], textShndx: number | undefined): ProgramSpec {
  const step = 'link subprograms';
  const insns: Insn[] = [];
  const placed = new Map<Func, number>();
  const funcs: { pc: number; name: string }[] = [];
  const funcRefs: FuncRef[] = [];
  const mapRefs: MapRef[] = [];
  const lineInfo: LineInfoEntry[] = [];
  const coreRelos: CoreReloEntry[] = [];
  let nextPc = 0;

  const place = (f: Func): number => {
    const base = nextPc;
    placed.set(f, base);
    funcs.push({ pc: base, name: f.name });
    const copies = f.insns.map((i) => ({ ...i, pc: i.pc + base }));
    insns.push(...copies);
    nextPc += f.size / INSN_SIZE;
    for (const l of f.lines) lineInfo.push({ ...l, pc: l.pc + base });
    for (const c of f.core) coreRelos.push({ ...c, pc: c.pc + base });
    for (const copy of copies) fixup(f, base, copy);
    return base;
  };

  const fixup = (f: Func, base: number, insn: Insn): void => {
    const local = insn.pc - base;
    const relo = f.relos.get(local);
    const ctx = { section: f.section.name, symbol: f.name };
    if (relo?.kind === 'map' || relo?.kind === 'data') {
      const isData = relo.kind === 'data';
      const offset = isData ? insn.imm + relo.symOff : 0;
      if (isData && (offset < 0 || offset >= relo.def.size)) {
        throw new LoadFailure(`${f.name} insn ${local}: offset ${offset} is outside '${relo.def.spec.name}' (${relo.def.size} bytes)`, ctx, 'load relocations');
      }
      insn.src = isData ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD;
      insn.imm = 0;
      insn.imm2 = offset;
      mapRefs.push({ pc: insn.pc, map: relo.def.spec.name, kind: isData ? 'value' : 'fd', offset });
      return;
    }
    const isCall = insn.op.kind === 'call_local';
    const isAddr = relo?.kind === 'func_addr';
    if (!isCall && !isAddr) return;
    // Target slot in .text, by libbpf's rules: a call's imm is relative to the next insn;
    // a section-symbol relocation adds the symbol's offset; a function address is absolute.
    let targetSlot: number;
    if (relo?.kind === 'call') targetSlot = relo.sym.value / INSN_SIZE + insn.imm + 1;
    else if (relo?.kind === 'func_addr') targetSlot = (relo.sym.value + insn.imm) / INSN_SIZE;
    else if (f.section.index === textShndx) targetSlot = f.offset / INSN_SIZE + local + insn.imm + 1;
    else throw new LoadFailure(`${f.name} insn ${local}: bpf-to-bpf call without a relocation outside .text`, ctx, step);
    const target = text.find((t) => t.offset / INSN_SIZE === targetSlot);
    if (!target) throw new LoadFailure(`${f.name} insn ${local}: ${isCall ? 'call' : 'function address'} to .text+${targetSlot * INSN_SIZE}, which is not the start of a function`, ctx, step);
    const start = placed.get(target) ?? place(target);
    insn.imm = start - insn.pc - 1;
    if (isAddr) {
      insn.src = BPF_PSEUDO_FUNC;
      insn.imm2 = 0;
    } else {
      insn.src = BPF_PSEUDO_CALL;
    }
    funcRefs.push({ pc: insn.pc, func: target.name, kind: isCall ? 'call' : 'callback', target: start });
  };

  place(main);
  const byPc = <T extends { pc: number }>(a: T, b: T): number => a.pc - b.pc;
  const st = programTypeForSection(main.section.name);
  const spec: ProgramSpec = {
    name: main.name,
    section: main.section.name,
    progType: st.progType,
    flags: st.flags,
    insns,
    mapRefs: mapRefs.sort(byPc),
    funcRefs: funcRefs.sort(byPc),
    lineInfo,
    funcs,
    coreRelos: coreRelos.sort(byPc),
  };
  if (st.attachType) spec.attachType = st.attachType;
  if (st.attachTarget !== undefined) spec.attachTarget = st.attachTarget;
  return spec;
}

export interface CollectedPrograms {
  programs: ProgramSpec[];
  /** Whether a symbol is one of the programs (for PROG_ARRAY initialisation). */
  isProgram(shndx: number, name: string): boolean;
}

/** Programs of the object, relocated and linked, by section then offset. */
export function collectPrograms(elf: ElfFile, btf: Btf | undefined, ext: BtfExt | undefined, maps: CollectedMaps): CollectedPrograms {
  const textShndx = elf.sections.find((s) => s.name === TEXT && isExec(s))?.index;
  const funcs = collectFuncs(elf);
  recordRelocations(elf, funcs, maps, textShndx ?? -1);
  applyCore(btf, ext, funcs);
  attachLines(ext, funcs);
  const text = funcs.filter((f) => f.section.index === textShndx);
  const mains = funcs.filter((f) => f.section.index !== textShndx);
  const programs = mains.map((f) => link(f, text, textShndx));
  const mainKeys = new Set(mains.map((f) => `${f.section.index}/${f.name}`));
  return { programs, isProgram: (shndx, name) => mainKeys.has(`${shndx}/${name}`) };
}
