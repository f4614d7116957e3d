/** Opening BPF objects and raw bytecode for CLI commands, with user-facing errors. */
import { decode, hexToBytes, IsaError, type Insn } from '../ebpf/isa/insn.ts';
import { LoadError, loadObject, type ObjectSpec, type ProgramSpec } from '../ebpf/elf/index.ts';
import { CliError } from './errors.ts';
import { isElf, isHexText, readInput } from './io.ts';

export function openObject(path: string): ObjectSpec {
  const bytes = readInput(path, 'BPF object');
  if (!isElf(bytes)) throw new CliError(`${path}: not an ELF file; give a BPF object built with clang -target bpf -c, or raw bytecode (.bin)`);
  return parseObject(bytes, path);
}

export function parseObject(bytes: Uint8Array, path: string): ObjectSpec {
  try {
    return loadObject(bytes, path);
  } catch (e) {
    if (e instanceof LoadError) throw new CliError(e.message);
    throw e;
  }
}

/** Raw bytecode: binary, or hex text as the conformance tools write it. */
export function openBytecode(path: string): Insn[] {
  let bytes = readInput(path, 'bytecode');
  if (isHexText(bytes)) bytes = hexToBytes(new TextDecoder().decode(bytes));
  try {
    return decode(bytes);
  } catch (e) {
    if (e instanceof IsaError) throw new CliError(`${path}: instruction ${e.pc} (byte offset ${e.pc * 8}): ${e.message}`);
    throw e;
  }
}

/** Choose a program of an object by name (or the only one). */
export function pickProgram(spec: ObjectSpec, name?: string): ProgramSpec {
  if (spec.programs.length === 0) throw new CliError(`${spec.path}: the object has no programs`);
  if (name === undefined) {
    if (spec.programs.length === 1) return spec.programs[0];
    throw new CliError(`${spec.path}: the object has ${spec.programs.length} programs (${spec.programs.map((p) => p.name).join(', ')}); choose one with --prog NAME`);
  }
  const p = spec.programs.find((x) => x.name === name || x.section === name);
  if (!p) throw new CliError(`${spec.path}: no program named '${name}'; it has ${spec.programs.map((x) => x.name).join(', ')}`);
  return p;
}
