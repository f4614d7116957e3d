/**
 * A small ELF64 reader for BPF relocatable objects (the part of libelf that libbpf's
 * bpf_object__elf_init()/bpf_object__elf_collect() use): header, section headers, symbols,
 * REL relocations and string tables.
 *
 * Why not an npm package: the maintained ELF parsers on npm (elfy and friends) read
 * headers and program segments of executables; none decodes SHT_REL entries or symbol
 * tables the way a BPF loader needs, and none reports malformed input as a located error.
 * Every read here is range-checked first, so a truncated or corrupt file gives a message
 * naming the offset instead of a RangeError.
 */
import { LoadFailure } from './errors.ts';

export const EM_BPF = 247;
export const ET_REL = 1;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

// Relocation types of the BPF backend (llvm/BinaryFormat/ELFRelocs/BPF.def).
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

const MACHINES: Record<number, string> = { 3: 'EM_386', 40: 'EM_ARM', 62: 'EM_X86_64', 183: 'EM_AARCH64', 243: 'EM_RISCV' };

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents (meaningless for SHT_NOBITS). */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** Contents; empty for SHT_NOBITS (.bss), whose size is `size`. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  /** For STT_SECTION symbols, the section's name. */
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  visibility: number;
  shndx: number;
}

export interface ElfRel {
  /** Byte offset in the target section. */
  offset: number;
  symbol: number;
  type: number;
}

export interface ElfRelSection {
  section: ElfSection;
  target: ElfSection;
  entries: ElfRel[];
}

export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocation sections by target section index. */
  rels: Map<number, ElfRelSection>;
}

class View {
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  inside(off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= this.bytes.length;
  }
  u8(o: number): number {
    return this.dv.getUint8(o);
  }
  u16(o: number): number {
    return this.dv.getUint16(o, true);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, true);
  }
  /** A u64 that must fit a JS number (offsets and sizes always do in a sane object). */
  u64(o: number, what: string, step: string): number {
    const v = this.dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new LoadFailure(`${what} 0x${v.toString(16)} is impossibly large`, {}, step);
    return Number(v);
  }
}

function cstring(data: Uint8Array, off: number, what: string, step: string): string {
  if (off >= data.length) throw new LoadFailure(`${what}: name offset ${off} is outside its string table (${data.length} bytes)`, {}, step);
  const end = data.indexOf(0, off);
  if (end < 0) throw new LoadFailure(`${what}: name at offset ${off} is not NUL-terminated`, {}, step);
  return new TextDecoder().decode(data.subarray(off, end));
}

/** Check the identification and header; refuse anything that is not little-endian ELF64 EM_BPF. */
function readHeader(v: View): { shoff: number; shnum: number; shstrndx: number } {
  const step = 'read ELF header';
  if (v.length < 16) throw new LoadFailure(`file is ${v.length} bytes, too short to be an ELF object`, {}, step);
  if (v.u8(0) !== 0x7f || v.u8(1) !== 0x45 || v.u8(2) !== 0x4c || v.u8(3) !== 0x46) {
    throw new LoadFailure('not an ELF file (no \\x7fELF magic)', {}, step);
  }
  const cls = v.u8(4);
  if (cls !== 2) throw new LoadFailure(`ELF class ${cls} is not ELFCLASS64; BPF objects are ELF64`, {}, step);
  const data = v.u8(5);
  if (data === 2) throw new LoadFailure('big-endian BPF objects are not supported; rebuild with -target bpfel', {}, step);
  if (data !== 1) throw new LoadFailure(`unknown ELF data encoding ${data}`, {}, step);
  if (v.length < EHDR_SIZE) throw new LoadFailure(`file is ${v.length} bytes, too short for the 64-byte ELF64 header (truncated?)`, {}, step);
  const type = v.u16(16);
  const machine = v.u16(18);
  if (machine !== EM_BPF) {
    const name = MACHINES[machine] ? ` (${MACHINES[machine]})` : '';
    throw new LoadFailure(`machine ${machine}${name} is not EM_BPF (247): not a BPF object (build with clang -target bpf)`, {}, step);
  }
  if (type !== ET_REL) throw new LoadFailure(`ELF type ${type} is not ET_REL: expected a relocatable object (clang -c)`, {}, step);
  const shoff = v.u64(0x28, 'section header offset', step);
  const shentsize = v.u16(0x3a);
  let shnum = v.u16(0x3c);
  let shstrndx = v.u16(0x3e);
  if (shoff === 0) throw new LoadFailure('object has no section header table', {}, step);
  if (shentsize !== SHDR_SIZE) throw new LoadFailure(`section header size ${shentsize} is not ${SHDR_SIZE}`, {}, step);
  // Extended numbering: the real counts live in section 0.
  if (shnum === 0 || shstrndx === SHN_XINDEX) {
    if (!v.inside(shoff, SHDR_SIZE)) throw new LoadFailure(`section header table at 0x${shoff.toString(16)} lies outside the file (${v.length} bytes)`, {}, step);
    if (shnum === 0) shnum = v.u64(shoff + 0x20, 'section count', step);
    if (shstrndx === SHN_XINDEX) shstrndx = v.u32(shoff + 0x28);
  }
  if (!v.inside(shoff, shnum * SHDR_SIZE)) {
    throw new LoadFailure(`section header table [0x${shoff.toString(16)}, +${shnum}×${SHDR_SIZE}) lies outside the file (${v.length} bytes; truncated?)`, {}, step);
  }
  if (shstrndx >= shnum) throw new LoadFailure(`section name table index ${shstrndx} is out of range (${shnum} sections)`, {}, step);
  return { shoff, shnum, shstrndx };
}

function readSections(v: View, shoff: number, shnum: number, shstrndx: number): ElfSection[] {
  const step = 'read sections';
  const raw: { nameOff: number; type: number; flags: number; offset: number; size: number; link: number; info: number; entsize: number }[] = [];
  for (let i = 0; i < shnum; i++) {
    const b = shoff + i * SHDR_SIZE;
    raw.push({
      nameOff: v.u32(b),
      type: v.u32(b + 4),
      // Only the low flag bits (WRITE/ALLOC/EXECINSTR...) matter.
      flags: v.u32(b + 8),
      offset: v.u64(b + 0x18, `section ${i} offset`, step),
      size: v.u64(b + 0x20, `section ${i} size`, step),
      link: v.u32(b + 0x28),
      info: v.u32(b + 0x2c),
      entsize: v.u64(b + 0x38, `section ${i} entsize`, step),
    });
  }
  const dataOf = (i: number): Uint8Array => {
    const s = raw[i];
    if (s.type === SHT_NOBITS || s.type === SHT_NULL) return new Uint8Array(0);
    if (!v.inside(s.offset, s.size)) {
      throw new LoadFailure(
        `section ${i} data [0x${s.offset.toString(16)}, 0x${(s.offset + s.size).toString(16)}) lies outside the file (${v.length} bytes; truncated or corrupt)`,
        {},
        step,
      );
    }
    return v.bytes.subarray(s.offset, s.offset + s.size);
  };
  const shstr = dataOf(shstrndx);
  return raw.map((s, index) => {
    const name = index === 0 ? '' : cstring(shstr, s.nameOff, `section ${index}`, step);
    let data: Uint8Array;
    try {
      data = dataOf(index);
    } catch (e) {
      if (e instanceof LoadFailure) throw new LoadFailure(e.detail.replace(`section ${index}`, `section ${index} (${name})`), { section: name }, step);
      throw e;
    }
    return { index, name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize, data };
  });
}

function readSymbols(sections: ElfSection[]): ElfSymbol[] {
  const step = 'read symbols';
  const tabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (tabs.length === 0) throw new LoadFailure('object has no symbol table (was it stripped?)', {}, step);
  if (tabs.length > 1) throw new LoadFailure(`object has ${tabs.length} symbol tables`, {}, step);
  const symtab = tabs[0];
  if (symtab.data.length % SYM_SIZE !== 0) throw new LoadFailure(`${symtab.name}: size ${symtab.data.length} is not a multiple of ${SYM_SIZE}`, { section: symtab.name }, step);
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) throw new LoadFailure(`${symtab.name}: linked string table ${symtab.link} is not a string table`, { section: symtab.name }, step);
  const sv = new View(symtab.data);
  const out: ElfSymbol[] = [];
  for (let i = 0; i < symtab.data.length / SYM_SIZE; i++) {
    const b = i * SYM_SIZE;
    const info = sv.u8(b + 4);
    const shndx = sv.u16(b + 6);
    if (shndx === SHN_XINDEX) throw new LoadFailure(`symbol ${i}: extended section indices (SHT_SYMTAB_SHNDX) are not supported`, {}, step);
    const type = info & 0xf;
    let name = cstring(strtab.data, sv.u32(b), `symbol ${i}`, step);
    if (type === STT_SECTION && name === '' && shndx < sections.length) name = sections[shndx].name;
    out.push({
      index: i,
      name,
      bind: info >> 4,
      type,
      visibility: sv.u8(b + 5) & 0x3,
      shndx,
      value: sv.u64(b + 8, `symbol ${i} value`, step),
      size: sv.u64(b + 16, `symbol ${i} size`, step),
    });
  }
  return out;
}

function readRels(sections: ElfSection[], symtabIndex: number): Map<number, ElfRelSection> {
  const step = 'read relocations';
  const rels = new Map<number, ElfRelSection>();
  for (const s of sections) {
    if (s.type === SHT_RELA) {
      const target = sections[s.info];
      if (target && target.flags & SHF_EXECINSTR) throw new LoadFailure(`${s.name}: RELA relocations are not used by BPF objects`, { section: s.name }, step);
      continue;
    }
    if (s.type !== SHT_REL) continue;
    const target = sections[s.info];
    if (!target || s.info === 0) throw new LoadFailure(`${s.name}: target section ${s.info} does not exist`, { section: s.name }, step);
    if (s.link !== symtabIndex) throw new LoadFailure(`${s.name}: refers to symbol table ${s.link}, not ${symtabIndex}`, { section: s.name }, step);
    if (s.data.length % REL_SIZE !== 0) throw new LoadFailure(`${s.name}: size ${s.data.length} is not a multiple of ${REL_SIZE}`, { section: s.name }, step);
    const rv = new View(s.data);
    const entries: ElfRel[] = [];
    for (let i = 0; i < s.data.length / REL_SIZE; i++) {
      const b = i * REL_SIZE;
      entries.push({ offset: rv.u64(b, `${s.name} entry ${i} offset`, step), type: rv.u32(b + 8), symbol: rv.u32(b + 12) });
    }
    rels.set(target.index, { section: s, target, entries });
  }
  return rels;
}

/** Parse an ELF64 little-endian EM_BPF relocatable object. Throws LoadFailure on bad input. */
export function parseElf(bytes: Uint8Array): ElfFile {
  const v = new View(bytes);
  const { shoff, shnum, shstrndx } = readHeader(v);
  const sections = readSections(v, shoff, shnum, shstrndx);
  const symbols = readSymbols(sections);
  const symtabIndex = sections.findIndex((s) => s.type === SHT_SYMTAB);
  const rels = readRels(sections, symtabIndex);
  return { sections, symbols, rels };
}
