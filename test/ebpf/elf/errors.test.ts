/**
 * Bad input: every failure is a LoadError "<file>: <step>: <what, where>", never a bare
 * RangeError — checked on hand-made corruptions and on seeded random mutations.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoadError } from '../../../src/ebpf/elf/errors.ts';
import { loadObjectFile } from '../../../src/ebpf/elf/file.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import { fixtureBytes, Patchable } from './fixture-files.ts';

function loadError(bytes: Uint8Array, path = 'x.o'): LoadError {
  try {
    loadObject(bytes, path);
  } catch (e) {
    if (e instanceof LoadError) return e;
    throw new Error(`expected a LoadError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected loading to fail');
}

function patched(name: string, f: (p: Patchable) => void): Uint8Array {
  const p = new Patchable(name);
  f(p);
  return p.bytes;
}

/** Patch a relocation entry: [symbol index, type] of `.rel<sec>` entry `i`. */
function patchRel(p: Patchable, target: string, i: number, symbol?: number, type?: number): void {
  const rel = p.elf.rels.get(p.section(target).index)!;
  const at = rel.section.offset + i * 16;
  if (type !== undefined) p.dv.setUint32(at + 8, type, true);
  if (symbol !== undefined) p.dv.setUint32(at + 12, symbol, true);
}

describe('malformed ELF', () => {
  const elf = fixtureBytes('xdp_proto_count');

  it.each([
    ['empty file', new Uint8Array(0), 'x.o: read ELF header: file is 0 bytes, too short to be an ELF object'],
    ['not ELF', new TextEncoder().encode('#!/bin/sh\necho not an object\n'), 'x.o: read ELF header: not an ELF file (no \\x7fELF magic)'],
    ['truncated header', elf.slice(0, 40), 'x.o: read ELF header: file is 40 bytes, too short for the 64-byte ELF64 header (truncated?)'],
    ['big endian', patched('xdp_proto_count', (p) => (p.bytes[5] = 2)), 'x.o: read ELF header: big-endian BPF objects are not supported; rebuild with -target bpfel'],
    ['ELF32', patched('xdp_proto_count', (p) => (p.bytes[4] = 1)), 'x.o: read ELF header: ELF class 1 is not ELFCLASS64; BPF objects are ELF64'],
    ['wrong machine', patched('xdp_proto_count', (p) => p.dv.setUint16(18, 62, true)), 'x.o: read ELF header: machine 62 (EM_X86_64) is not EM_BPF (247): not a BPF object (build with clang -target bpf)'],
    ['not relocatable', patched('xdp_proto_count', (p) => p.dv.setUint16(16, 2, true)), 'x.o: read ELF header: ELF type 2 is not ET_REL: expected a relocatable object (clang -c)'],
  ])('%s', (_, bytes, message) => {
    expect(loadError(bytes).message).toBe(message);
  });

  it('truncated file: the section header table lies outside it', () => {
    const e = loadError(elf.slice(0, 1000));
    expect(e.step).toBe('read ELF header');
    expect(e.message).toMatch(/^x\.o: read ELF header: section header table \[0x[0-9a-f]+, \+\d+×64\) lies outside the file \(1000 bytes; truncated\?\)$/);
  });

  it('bad section offset names the section', () => {
    const bytes = patched('xdp_proto_count', (p) => p.dv.setBigUint64(p.section('xdp').header + 0x18, 0xfffffn, true));
    expect(loadError(bytes).message).toMatch(/^x\.o: read sections: section 3 \(xdp\) data \[0xfffff, 0x[0-9a-f]+\) lies outside the file \(\d+ bytes; truncated or corrupt\)$/);
  });

  it('bad section name offset', () => {
    const bytes = patched('xdp_proto_count', (p) => p.dv.setUint32(p.section('xdp').header, 0xffff, true));
    expect(loadError(bytes).message).toMatch(/^x\.o: read sections: section 3: name offset 65535 is outside its string table/);
  });

  it('corrupt BTF', () => {
    const bytes = patched('xdp_proto_count', (p) => {
      const btf = p.elf.sections.find((s) => s.name === '.BTF')!;
      p.dv.setUint16(btf.offset, 0xdead, true);
    });
    expect(loadError(bytes).message).toBe('x.o: parse BTF: bad BTF magic 0xdead (expected 0xeb9f)');
  });

  it('loadObjectFile names a missing file', () => {
    expect(() => loadObjectFile('/nonexistent/prog.o')).toThrow('/nonexistent/prog.o: read file: no such file');
  });
});

describe('bad relocations and definitions', () => {
  it('a relocation to a symbol index past the table', () => {
    const bytes = patched('xdp_proto_count', (p) => patchRel(p, 'xdp', 3, 9999));
    const e = loadError(bytes, 'xdp_proto_count.o');
    expect(e.message).toMatch(/^xdp_proto_count\.o: load relocations: \.relxdp entry 3: symbol #9999 not found \(symbol table has \d+ entries\)$/);
    expect(e.section).toBe('.relxdp');
  });

  it("a relocation to a symbol the object does not define: symbol 'mix' not found", () => {
    const bytes = patched('bpf_calls', (p) => p.dv.setUint16(p.symbol(p.symbolIndex('mix')) + 6, 0, true));
    const e = loadError(bytes, 'bpf_calls.o');
    expect(e.message).toBe(
      "bpf_calls.o: load relocations: .reltc entry 2 (calls_check insn 20): 'mix' is an extern kernel function: kfuncs are not supported",
    );
    expect([e.step, e.section, e.symbol]).toEqual(['load relocations', '.reltc', 'mix']);
  });

  it('a relocation on an instruction that is neither a call nor an LD_IMM64', () => {
    const bytes = patched('xdp_proto_count', (p) => {
      const rel = p.elf.rels.get(p.section('xdp').index)!;
      p.dv.setBigUint64(rel.section.offset, 0n, true); // entry 0 now points at insn 0, a load
    });
    expect(loadError(bytes).message).toMatch(/^x\.o: load relocations: \.relxdp entry 0 \(xdp_proto_count insn 0\): relocation against 'proto_count' on LDX_MEM_W, which is neither a bpf-to-bpf call nor an LD_IMM64$/);
  });

  it('a wrong relocation type', () => {
    const bytes = patched('xdp_proto_count', (p) => patchRel(p, 'xdp', 0, undefined, 2));
    expect(loadError(bytes).message).toMatch(/\.relxdp entry 0 \(xdp_proto_count insn \d+\): LD_IMM64 relocation type 2 is not R_BPF_64_64$/);
  });

  it('a static program', () => {
    const bytes = patched('tail_chain', (p) => {
      const at = p.symbol(p.symbolIndex('chain_entry')) + 4;
      p.bytes[at] = (p.bytes[at] & 0x0f) | 0x00; // STB_LOCAL
    });
    expect(loadError(bytes, 'tail_chain.o').message).toBe("tail_chain.o: collect programs: section 'xdp': program 'chain_entry' is static; programs must be global functions");
  });

  it('a PROG_ARRAY slot that names a map instead of a program', () => {
    const bytes = patched('tail_chain', (p) => patchRel(p, '.maps', 1, p.symbolIndex('hops')));
    expect(loadError(bytes, 'tail_chain.o').message).toBe(
      "tail_chain.o: static map initialisation: .rel.maps entry 1: map 'chain' slot 1: 'hops' is not a BPF program of this object",
    );
  });

  it('an unknown BTF map attribute', () => {
    const bytes = patched('xdp_proto_count', (p) => {
      const btf = p.elf.sections.find((s) => s.name === '.BTF')!;
      const at = Buffer.from(p.bytes).indexOf('max_entries\0', btf.offset);
      p.bytes.set(new TextEncoder().encode('max_entriez'), at);
    });
    expect(loadError(bytes).message).toBe("x.o: collect maps: map 'proto_count': unknown attribute 'max_entriez'");
  });

  it('an undecodable instruction names the function and instruction', () => {
    const bytes = patched('socket_ldabs', (p) => {
      const sec = p.elf.sections.find((s) => s.name === 'socket')!;
      p.bytes[sec.offset + 8 * 4] = 0xff; // opcode of insn 4
    });
    expect(loadError(bytes, 'socket_ldabs.o').message).toBe(
      "socket_ldabs.o: decode instructions: section 'socket': function 'socket_http' insn 4 (section offset 32): unknown opcode 0xff (off 0, imm 23)",
    );
  });
});

describe('random corruption never escapes as anything but a LoadError', () => {
  const names = ['xdp_proto_count', 'bpf_calls', 'tail_chain', 'global_data', 'map_in_map', 'legacy_maps', 'core_uapi'];

  it('byte mutations', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (name, edits) => {
          const bytes = fixtureBytes(name).slice();
          for (const [pos, val] of edits) bytes[pos % bytes.length] = val;
          try {
            loadObject(bytes, `${name}.o`);
          } catch (e) {
            if (!(e instanceof LoadError)) throw e;
            expect(e.message.startsWith(`${name}.o: `)).toBe(true);
          }
        },
      ),
      { seed: 0x5eed, numRuns: 400 },
    );
  });

  it('truncation at any length', () => {
    const bytes = fixtureBytes('bpf_calls');
    for (let n = 0; n < bytes.length; n += 61) {
      const e = loadError(bytes.slice(0, n), 'bpf_calls.o');
      expect(e.message.startsWith('bpf_calls.o: ')).toBe(true);
    }
  });
});
