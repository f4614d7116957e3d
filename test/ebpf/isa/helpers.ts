/**
 * Shared by the ISA tests: where the shared conformance corpus lives, a representative set of
 * instructions for every OpSpec, external tools, and a minimal ELF section/symbol/relocation
 * reader (just enough to line our disassembly up with llvm-objdump's; the real loader is
 * src/ebpf/elf).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { make, type Insn } from '../../../src/ebpf/isa/insn.ts';
import { BPF_PSEUDO_MAP_IDX_VALUE, type OpSpec } from '../../../src/ebpf/isa/opcodes.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const conformanceDir = path.join(sharedDir, 'conformance');
export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** `-- name` sections of a bpf_conformance .data file. */
export function dataSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^-- (.*)$/.exec(line);
    if (m) {
      if (name !== undefined) out.set(name, body.join('\n'));
      name = m[1].trim();
      body = [];
    } else if (name !== undefined) {
      body.push(line);
    }
  }
  if (name !== undefined) out.set(name, body.join('\n'));
  return out;
}

export interface AssembledEntry {
  file: string;
  code?: string;
  assembler_error?: string;
  skipped?: boolean;
}

export function readAssembled(dir: string): Map<string, AssembledEntry> {
  const lines = readFileSync(path.join(dir, 'ASSEMBLED.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  return new Map(lines.map((l) => {
    const e = JSON.parse(l) as AssembledEntry;
    return [e.file, e];
  }));
}

const IMMS = [17, -3, 0, 0x7fffffff, -0x80000000, 0xffff];
const OFFS = [4, -8, 0, 32767, -32768, 1];

/**
 * A few instructions per op exercising its fields: signs, extremes, every register, and for
 * LD_IMM64 every pseudo kind. Unused fields stay zero so the instruction is valid.
 */
export function representatives(op: OpSpec): Insn[] {
  const out: Insn[] = [];
  const u = op.uses;
  for (let i = 0; i < IMMS.length; i++) {
    const f = {
      dst: u.dst ? (i * 3 + 1) % 11 : 0,
      src: u.src ? (i * 7 + 2) % 11 : 0,
      off: u.off ? OFFS[i] : 0,
      imm: u.imm ? IMMS[i] : 0,
    };
    if (op.kind === 'lddw') {
      // src 0 is a plain constant; 1..6 are the pseudo kinds, whose second slot is data too.
      out.push(make(op, { dst: f.dst, src: 0, imm: f.imm, imm2: IMMS[(i + 2) % IMMS.length] }));
      if (i + 1 <= BPF_PSEUDO_MAP_IDX_VALUE) out.push(make(op, { dst: f.dst, src: i + 1, imm: f.imm, imm2: i % 2 === 0 ? 0 : 8 }));
      continue;
    }
    if (op.kind === 'call_local' || op.kind === 'call_kfunc' || op.kind === 'call') {
      out.push(make(op, { imm: f.imm }));
      continue;
    }
    out.push(make(op, f));
  }
  return out;
}

/** A tool on PATH (or an absolute path) that answers `--version`; its first output line. */
export function toolVersion(cmd: string): string | undefined {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n').find((l) => /version/i.test(l))?.trim() ?? r.stdout.trim();
}

/** LLVM major version of a tool, from its `--version` text. */
export function llvmMajor(cmd: string): number | undefined {
  const v = toolVersion(cmd);
  const m = v ? /version (\d+)/i.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

export const exists = (p: string): boolean => existsSync(p);

// --- minimal ELF64 little-endian reader ------------------------------------------------------

const SHT_SYMTAB = 2;
const SHT_REL = 9;
const STT_SECTION = 3;
const STT_FILE = 4;

/** Relocation type names of the BPF backend (llvm/BinaryFormat/ELFRelocs/BPF.def). */
const R_BPF: Readonly<Record<number, string>> = {
  0: 'R_BPF_NONE',
  1: 'R_BPF_64_64',
  2: 'R_BPF_64_ABS64',
  3: 'R_BPF_64_ABS32',
  4: 'R_BPF_64_NODYLD32',
  10: 'R_BPF_64_32',
};

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  bytes: Uint8Array;
  link: number;
  info: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  shndx: number;
  type: number;
}

export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  byName(name: string): ElfSection | undefined;
  /** Symbols naming code in a section (no section/file symbols), by byte offset. */
  labels(section: ElfSection): Map<number, string>;
  /** `R_BPF_64_64\tmy_map`-style relocation texts by byte offset, for llvm-objdump -r. */
  relocs(section: ElfSection): Map<number, string[]>;
}

export function readElf(file: Uint8Array): ElfFile {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0) !== 0x7f454c46 || file[4] !== 2 || file[5] !== 1) throw new Error('not an ELF64 little-endian file');
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const b = shoff + i * shentsize;
    const offset = Number(dv.getBigUint64(b + 24, true));
    const size = Number(dv.getBigUint64(b + 32, true));
    return {
      nameOff: dv.getUint32(b, true),
      type: dv.getUint32(b + 4, true),
      bytes: file.subarray(offset, offset + size),
      link: dv.getUint32(b + 40, true),
      info: dv.getUint32(b + 44, true),
    };
  });
  const cstr = (tab: Uint8Array, off: number): string => {
    let end = off;
    while (end < tab.length && tab[end] !== 0) end++;
    return new TextDecoder().decode(tab.subarray(off, end));
  };
  const sections: ElfSection[] = raw.map((s, index) => ({
    index,
    name: cstr(raw[shstrndx].bytes, s.nameOff),
    type: s.type,
    bytes: s.type === 8 ? new Uint8Array(0) : s.bytes,
    link: s.link,
    info: s.info,
  }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    const sdv = new DataView(symtab.bytes.buffer, symtab.bytes.byteOffset, symtab.bytes.byteLength);
    const strtab = sections[symtab.link].bytes;
    for (let b = 0; b + 24 <= symtab.bytes.length; b += 24) {
      symbols.push({
        name: cstr(strtab, sdv.getUint32(b, true)),
        type: sdv.getUint8(b + 4) & 0xf,
        shndx: sdv.getUint16(b + 6, true),
        value: Number(sdv.getBigUint64(b + 8, true)),
      });
    }
  }
  return {
    sections,
    symbols,
    byName: (name) => sections.find((s) => s.name === name),
    labels(section) {
      const m = new Map<number, string>();
      for (const s of symbols) {
        if (s.shndx !== section.index || s.type === STT_SECTION || s.type === STT_FILE || s.name === '') continue;
        if (!m.has(s.value)) m.set(s.value, s.name);
      }
      return m;
    },
    relocs(section) {
      const m = new Map<number, string[]>();
      for (const rel of sections.filter((s) => s.type === SHT_REL && s.info === section.index)) {
        const rdv = new DataView(rel.bytes.buffer, rel.bytes.byteOffset, rel.bytes.byteLength);
        for (let b = 0; b + 16 <= rel.bytes.length; b += 16) {
          const off = Number(rdv.getBigUint64(b, true));
          const info = rdv.getBigUint64(b + 8, true);
          const sym = symbols[Number(info >> 32n)];
          const type = Number(info & 0xffffffffn);
          const name = sym.type === STT_SECTION ? sections[sym.shndx].name : sym.name;
          const l = m.get(off) ?? [];
          l.push(`${R_BPF[type] ?? `unknown(${type})`}\t${name}`);
          m.set(off, l);
        }
      }
      return m;
    },
  };
}

/** llvm-objdump -d output split into its sections' lines (after the blank line under each title). */
export function objdumpSections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^Disassembly of section (.*):$/.exec(line);
    if (m) {
      cur = [];
      out.set(m[1], cur);
      continue;
    }
    cur?.push(line);
  }
  for (const [k, lines] of out) {
    while (lines.length > 0 && lines[0] === '') lines.shift();
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    out.set(k, lines);
  }
  return out;
}
