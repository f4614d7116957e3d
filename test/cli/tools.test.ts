import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSharedDir } from '../../src/cli/paths.ts';
import { cli, FIX } from './run-cli.ts';

const suite = defaultSharedDir('conformance');

describe('chainlab disasm', () => {
  it('prints llvm-objdump syntax per program with relocations and C lines', () => {
    const r = cli(['disasm', join(FIX, 'xdp_proto_count.o')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Disassembly of section xdp:');
    expect(r.stdout).toMatch(/<xdp_proto_count>:/);
    expect(r.stdout).toMatch(/r1 = 0 ll\n\s+[0-9a-f]+:\s+R_BPF_64_64\tproto_count/);
    expect(r.stdout).toMatch(/r\d = \*\(u32 \*\)\(r1 \+ 4\)/);
    expect(r.stdout).toMatch(/^; .*\[\.\/xdp_proto_count\.c:\d+\]$/m);
  });

  it('disassembles raw bytecode in both syntaxes', () => {
    const r = cli(['disasm', join(FIX, '..', 'cli', 'data', 'prog.hex')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('r0 = 2');
    expect(cli(['disasm', join(FIX, '..', 'cli', 'data', 'prog.hex'), '--syntax', 'ubpf']).stdout).toMatch(/mov %r0, 2/);
  });

  it('names the instruction of undecodable bytecode', () => {
    const r = cli(['disasm', join(FIX, '..', 'cli', 'data', 'bad.hex')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/instruction 1 \(byte offset 8\): .*reserved fields/);
  });
});

describe.skipIf(!existsSync(suite))('chainlab conformance and plugin', () => {
  it('runs the suite and ends with the N passed, N failed line', () => {
    const r = cli(['conformance', suite]);
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').pop();
    expect(last).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('answers the bpf_conformance plugin protocol', () => {
    // mov32 r0, 2; exit
    expect(cli(['plugin'], { input: 'b400000002000000' + '9500000000000000\n' }).stdout.trim()).toBe('2');
    // ldxw r0, [r1+0] with memory 01020304: r0 = 0x04030201
    expect(cli(['plugin', '01020304'], { input: '6110000000000000' + '9500000000000000\n' }).stdout.trim()).toBe('4030201');
    // mov r0, r2 (memory length)
    expect(cli(['plugin', 'aabbccdd'], { input: 'bf20000000000000' + '9500000000000000\n' }).stdout.trim()).toBe('4');
    const bad = cli(['plugin'], { input: '4fa0000000000000' + '9500000000000000\n' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('R0 !read_ok');
  });
});
