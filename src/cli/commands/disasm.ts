/** `chainlab disasm <file.o | file.bin>`: llvm-objdump-style disassembly with names, relocations and source lines. */
import type { Command } from 'commander';
import { lineAt } from '../../ebpf/elf/index.ts';
import { disasm, formatObjdump } from '../../ebpf/isa/disasm.ts';
import { layout } from '../../ebpf/isa/insn.ts';
import { isElf, readInput } from '../io.ts';
import { openBytecode, parseObject, pickProgram } from '../object.ts';

interface Opts {
  prog?: string;
  syntax: 'llvm' | 'ubpf';
  source?: boolean;
  raw?: boolean;
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
    .addHelpText('after', '\nExamples:\n  $ chainlab disasm test/fixtures/xdp_proto_count.o\n  $ chainlab disasm prog.bin --syntax ubpf')
    .action((file: string, opts: Opts) => {
      const bytes = readInput(file, 'input');
      if (!isElf(bytes)) {
        const insns = layout(openBytecode(file));
        for (const line of disasm(insns, { syntax: opts.syntax })) console.log(line);
        return;
      }
      const spec = parseObject(bytes, file);
      const progs = opts.prog ? [pickProgram(spec, opts.prog)] : spec.programs;
      console.log(`\n${file}:\tfile format elf64-bpf`);
      for (const p of progs) {
        console.log(`\nDisassembly of section ${p.section}:`);
        const names = new Map(p.funcs.map((f) => [f.pc, f.name]));
        const relocs = new Map<number, string>();
        for (const r of p.mapRefs) relocs.set(r.pc, `R_BPF_64_64\t${r.map}${r.offset ? `+0x${r.offset.toString(16)}` : ''}`);
        for (const r of p.funcRefs) relocs.set(r.pc, `${r.kind === 'call' ? 'R_BPF_64_32' : 'R_BPF_64_64'}\t${r.func}`);
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
        // Show map loads as the object file holds them (`r1 = 0 ll` + relocation), as llvm-objdump -dr does.
        const mapPcs = new Set(p.mapRefs.map((r) => r.pc));
        const insns = p.insns.map((i) => (mapPcs.has(i.pc) ? { ...i, src: 0 } : i));
        const out = formatObjdump(insns, {
          names: (pc) => names.get(pc),
          relocs: (pc) => relocs.get(pc),
          lines,
          rawInsn: opts.raw ?? false,
          syntax: opts.syntax,
        });
        for (const l of out) console.log(l);
      }
    });
}
