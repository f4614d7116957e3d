/**
 * Shared helpers for the object-layer tests: the committed fixtures, their golden dumps
 * (llvm-objdump -dr, bpftool btf dump file; see test/fixtures/Makefile), and byte patching
 * of ELF headers for the malformed-input tests.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf, type ElfFile } from '../../../src/ebpf/elf/reader.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures');

/** Fixture object base names, sorted. */
export const FIXTURE_OBJECTS: string[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.o'))
  .map((f) => f.slice(0, -2))
  .sort();

export const fixturePath = (name: string): string => join(FIXTURES, `${name}.o`);

export function fixtureBytes(name: string): Uint8Array {
  const b = readFileSync(fixturePath(name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function golden(name: string, kind: 'objdump' | 'btf'): string {
  return readFileSync(join(FIXTURES, 'golden', `${name}.${kind}.txt`), 'utf8');
}

export const hasGolden = (name: string): boolean => existsSync(join(FIXTURES, 'golden', `${name}.objdump.txt`));

export function sourceLines(file: string): string[] | undefined {
  const p = join(FIXTURES, file);
  return existsSync(p) ? readFileSync(p, 'utf8').split('\n') : undefined;
}

/** A copy of a fixture with a patcher that knows where its headers are. */
export class Patchable {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly elf: ElfFile;
  readonly shoff: number;

  constructor(name: string) {
    this.bytes = fixtureBytes(name).slice();
    this.dv = new DataView(this.bytes.buffer);
    this.elf = parseElf(this.bytes);
    this.shoff = Number(this.dv.getBigUint64(0x28, true));
  }

  section(name: string): { index: number; header: number } {
    const s = this.elf.sections.find((x) => x.name === name);
    if (!s) throw new Error(`no section ${name}`);
    return { index: s.index, header: this.shoff + s.index * 64 };
  }

  /** Byte offset of symbol table entry `i`. */
  symbol(i: number): number {
    const symtab = this.elf.sections.find((s) => s.type === 2);
    if (!symtab) throw new Error('no symtab');
    return symtab.offset + i * 24;
  }

  symbolIndex(name: string): number {
    const s = this.elf.symbols.find((x) => x.name === name);
    if (!s) throw new Error(`no symbol ${name}`);
    return s.index;
  }
}
