/**
 * `chainlab disasm <file.o | file.bin>`: llvm-objdump-style disassembly with names, relocations and source lines.
 *
 * An object is shown per program, as libbpf links it (the program, then the subprograms it calls), numbered
 * from 0 as `prog dump` and run-time errors count. Every slot shows what the object file holds there — its
 * bytes, the symbols (functions and clang's LBB labels) and relocations `llvm-objdump -dr` prints — except
 * bpf-to-bpf calls and callback addresses, whose immediates point into the linked layout. A program alone
 * at the start of its section without subprograms therefore prints exactly as `llvm-objdump -dr` does.
 * An object the loader refuses (e.g. for an unsupported CO-RE relocation) is shown per section instead.
 */
import type { Command } from 'commander';
import { LoadError, lineAt, loadObject, type ProgramSpec } from '../../ebpf/elf/index.ts';
import { LoadFailure } from '../../ebpf/elf/errors.ts';
import { parseElf, SHF_EXECINSTR, STT_FILE, STT_FUNC, STT_SECTION, type ElfFile, type ElfSection } from '../../ebpf/elf/reader.ts';
import { disasm, formatObjdump, type ObjdumpOptions } from '../../ebpf/isa/disasm.ts';
import { decode, IsaError, layout, type Insn } from '../../ebpf/isa/insn.ts';
import { INSN_SIZE } from '../../ebpf/isa/opcodes.ts';
import { CliError } from '../errors.ts';
import { isElf, readInput } from '../io.ts';
import { openBytecode, pickProgram } from '../object.ts';

interface Opts {
  prog?: string;
  syntax: 'llvm' | 'ubpf';
  source?: boolean;
  raw?: boolean;
}

// Relocation type names as llvm-objdump prints them (llvm/BinaryFormat/ELFRelocs/BPF.def).
const R_BPF: Record<number, string> = {
  0: 'R_BPF_NONE',
  1: 'R_BPF_64_64',
  2: 'R_BPF_64_ABS64',
  3: 'R_BPF_64_ABS32',
  4: 'R_BPF_64_NODYLD32',
  10: 'R_BPF_64_32',
};

/** Symbols, relocations and instructions of an object's ELF sections, looked up by (section, byte offset). */
class ElfIndex {
  private readonly labels = new Map<number, Map<number, string>>();
  private readonly relocs = new Map<number, Map<number, string[]>>();
  private readonly decoded = new Map<number, Map<number, Insn>>();

  constructor(
    readonly elf: ElfFile,
    readonly path: string,
  ) {
    for (const s of elf.symbols) {
      if (s.type === STT_SECTION || s.type === STT_FILE || s.name === '' || s.shndx === 0 || s.shndx >= elf.sections.length) continue;
      const m = this.labels.get(s.shndx) ?? new Map<number, string>();
      if (!m.has(s.value)) m.set(s.value, s.name); // the first symbol at an address, as llvm-objdump shows it
      this.labels.set(s.shndx, m);
    }
    for (const [target, rs] of elf.rels) {
      const m = new Map<number, string[]>();
      for (const r of rs.entries) {
        const sym = elf.symbols[r.symbol];
        const l = m.get(r.offset) ?? [];
        l.push(`${R_BPF[r.type] ?? `unknown(${r.type})`}\t${sym?.name ?? `symbol ${r.symbol}`}`);
        m.set(r.offset, l);
      }
      this.relocs.set(target, m);
    }
  }

  label(section: number, off: number): string | undefined {
    return this.labels.get(section)?.get(off);
  }

  reloc(section: number, off: number): string[] | undefined {
    return this.relocs.get(section)?.get(off);
  }

  /** The instructions of an executable section by byte offset; bytes that do not decode are a user error. */
  insns(section: ElfSection): Map<number, Insn> {
    let m = this.decoded.get(section.index);
    if (!m) {
      let insns: Insn[];
      try {
        insns = decode(section.data);
      } catch (e) {
        if (e instanceof IsaError) throw new CliError(`${this.path}: section ${section.name}, instruction ${e.pc} (byte offset ${e.pc * INSN_SIZE}): ${e.message}`);
        throw e;
      }
      m = new Map(insns.map((i) => [i.pc * INSN_SIZE, i]));
      this.decoded.set(section.index, m);
    }
    return m;
  }

  /** Where a function starts in the file: its STT_FUNC symbol (in `section` first, for the program itself). */
  func(name: string, section?: string): { section: ElfSection; off: number } | undefined {
    const cands = this.elf.symbols.filter((s) => s.name === name && s.type === STT_FUNC && s.shndx > 0 && s.shndx < this.elf.sections.length);
    const sym = cands.find((s) => this.elf.sections[s.shndx].name === section) ?? cands[0];
    return sym && { section: this.elf.sections[sym.shndx], off: sym.value };
  }
}

/** One linked program: per slot, the object's instruction, labels and relocations at the slot's origin. */
function programView(p: ProgramSpec, idx: ElfIndex): Pick<ObjdumpOptions, 'names' | 'relocs'> & { insns: Insn[] } {
  const names = new Map<number, string>();
  const relocs = new Map<number, string[]>();
  const insns: Insn[] = [];
  const linked = new Set(p.funcRefs.map((r) => r.pc));
  const bounds = [...p.funcs.map((f) => f.pc), Infinity];
  const origins: ({ section: ElfSection; off: number } | undefined)[] = p.funcs.map((f, i) => idx.func(f.name, i === 0 ? p.section : undefined));
  const originOf = (pc: number): { section: ElfSection; off: number } | undefined => {
    let f = 0;
    while (f + 1 < p.funcs.length && p.funcs[f + 1].pc <= pc) f++;
    const o = origins[f];
    return o && pc < bounds[f + 1] ? { section: o.section, off: o.off + (pc - p.funcs[f].pc) * INSN_SIZE } : undefined;
  };
  for (const f of p.funcs) names.set(f.pc, f.name);
  for (const i of p.insns) {
    const o = originOf(i.pc);
    const file = o && idx.insns(o.section).get(o.off);
    // Calls and callback addresses keep their linked immediates; everything else is shown as the file holds it.
    insns.push(file && !linked.has(i.pc) && file.op === i.op ? { ...file, pc: i.pc } : i);
    if (!o) continue;
    const label = idx.label(o.section.index, o.off);
    if (label !== undefined && !names.has(i.pc)) names.set(i.pc, label);
    const r = idx.reloc(o.section.index, o.off);
    if (r) relocs.set(i.pc, r);
  }
  return { insns, names: (pc) => names.get(pc), relocs: (pc) => relocs.get(pc) };
}

/** The object's executable sections as llvm-objdump -dr prints them (no program structure needed). */
function printSections(idx: ElfIndex, opts: Opts, only?: string): void {
  const code = idx.elf.sections.filter((s) => s.flags & SHF_EXECINSTR && s.data.length > 0);
  // --prog names a section, or a function whose section is shown.
  const wanted = only === undefined ? undefined : (idx.func(only)?.section.name ?? only);
  if (wanted !== undefined && !code.some((s) => s.name === wanted)) {
    throw new CliError(`${idx.path}: no section or function named '${only}'; code sections: ${code.map((s) => s.name).join(', ')}`);
  }
  for (const s of code) {
    if (wanted !== undefined && s.name !== wanted) continue;
    console.log(`\nDisassembly of section ${s.name}:\n`);
    const insns = [...idx.insns(s).values()];
    const out = formatObjdump(insns, {
      section: s.name,
      names: (pc) => idx.label(s.index, pc * INSN_SIZE),
      relocs: (pc) => idx.reloc(s.index, pc * INSN_SIZE),
      rawInsn: opts.raw ?? false,
      syntax: opts.syntax,
    });
    for (const l of out) console.log(l);
  }
}

export function register(program: Command): void {
  program
    .command('disasm')
    .description('disassemble a BPF object (per program, with function names, relocations and C lines) or raw bytecode')
    .argument('<file>', 'a clang-built BPF object (.o) or raw bytecode (.bin, binary or hex text)')
    .option('--prog <name>', 'only this program (function or section name)')
    .option('--syntax <syntax>', 'llvm (llvm-objdump -d) or ubpf (bpf_conformance)', 'llvm')
    .option('--no-source', 'do not interleave C source lines from BTF line info')
    .option('--raw', 'show the instruction bytes, as llvm-objdump does by default')
    .addHelpText(
      'after',
      '\nPrograms are shown as libbpf links them (subprograms appended), numbered from 0 as run-time errors and\n' +
        '`prog dump` count; instructions, symbols and relocations are the object file\'s, as `llvm-objdump -dr`\n' +
        'prints them (`prog dump` shows the relocated instructions that run).\n' +
        '\nExamples:\n  $ chainlab disasm test/fixtures/xdp_proto_count.o\n  $ chainlab disasm test/fixtures/tc_nat.o --raw --no-source   # compare with llvm-objdump -dr\n  $ chainlab disasm prog.bin --syntax ubpf',
    )
    .action((file: string, opts: Opts) => {
      if (opts.syntax !== 'llvm' && opts.syntax !== 'ubpf') throw new CliError(`--syntax ${String(opts.syntax)}: use llvm or ubpf`);
      const bytes = readInput(file, 'input');
      if (!isElf(bytes)) {
        const insns = layout(openBytecode(file));
        for (const line of disasm(insns, { syntax: opts.syntax })) console.log(line);
        return;
      }
      let elf: ElfFile;
      try {
        elf = parseElf(bytes);
      } catch (e) {
        if (e instanceof LoadFailure) throw new CliError(`${file}: ${e.step ?? 'read ELF'}: ${e.detail}`);
        throw e;
      }
      const idx = new ElfIndex(elf, file);
      let spec;
      try {
        spec = loadObject(bytes, file);
      } catch (e) {
        if (!(e instanceof LoadError)) throw e;
        console.error(`chainlab: ${e.message}\nchainlab: showing the object's sections as they are, without program structure or source lines`);
        console.log(`\n${file}:\tfile format elf64-bpf`);
        printSections(idx, opts, opts.prog);
        return;
      }
      const progs = opts.prog ? [pickProgram(spec, opts.prog)] : spec.programs;
      console.log(`\n${file}:\tfile format elf64-bpf`);
      for (const p of progs) {
        console.log(`\nDisassembly of section ${p.section}:\n`);
        let lastLine: string | undefined;
        const lines = (pc: number): string | undefined => {
          if (opts.source === false) return undefined;
          const li = lineAt(p, pc);
          if (!li || li.line === 0) return undefined;
          const text = `${li.text.trim()}  [${li.file}:${li.line}]`;
          if (text === lastLine) return undefined;
          lastLine = text;
          return text;
        };
        const view = programView(p, idx);
        const out = formatObjdump(view.insns, { names: view.names, relocs: view.relocs, lines, rawInsn: opts.raw ?? false, syntax: opts.syntax });
        // A linked call or callback address names its function (the file's relocation may only name `.text`).
        const callees = new Map(p.funcRefs.map((r) => [r.pc, r.func]));
        for (const l of out) {
          const pc = /^ +(\d+):\t/.exec(l)?.[1];
          const callee = pc === undefined || opts.syntax === 'ubpf' ? undefined : callees.get(Number(pc));
          console.log(callee === undefined ? l : `${l} <${callee}>`);
        }
      }
    });
}
