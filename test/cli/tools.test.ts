import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSharedDir } from '../../src/cli/paths.ts';
import { cli, FIX, ROOT } from './run-cli.ts';

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

  // llvm-objdump 19 (decimal immediates) reads every instruction; 14 cannot decode cpu v4.
  const objdump = [['llvm-objdump-19', '--no-print-imm-hex'], ['llvm-objdump']].find(([cmd]) => spawnSync(cmd, ['--version']).status === 0);
  const dump = (obj: string): string => spawnSync(objdump![0], ['-dr', ...objdump!.slice(1), join(FIX, obj)], { encoding: 'utf8' }).stdout;
  const ours = (obj: string): string => cli(['disasm', join(FIX, obj), '--raw', '--no-source']).stdout;
  // Lines without addresses, sorted: the same bytes, text, symbols and relocations wherever a program sits.
  const content = (text: string): string[] =>
    text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('Disassembly of section') && !l.includes('file format'))
      .map((l) => l.replace(/^ +\d+:\t/, '').replace(/^\t\t[0-9a-f]+: {2}/, 'reloc ').replace(/^[0-9a-f]{16} </, '<'))
      .sort();

  describe.skipIf(!objdump)('against llvm-objdump -dr', () => {
    it.each(['xdp_proto_count.o', 'global_data.o', 'socket_ldabs.o', 'maps_user.o', ...(objdump?.[0] === 'llvm-objdump-19' ? ['cpu_v4.o'] : [])])(
      '%s: identical (program at its section start, no subprograms)',
      (obj) => {
        expect(ours(obj)).toBe(dump(obj));
      },
    );

    it.each(['tc_nat.o', 'xdp_redirect.o', 'xdp_encap.o'])('%s: the same lines, several programs per section numbered from 0', (obj) => {
      expect(content(ours(obj))).toEqual(content(dump(obj)));
    });

    it('shows an object the loader refuses section by section, as llvm-objdump does', () => {
      const r = cli(['disasm', join(FIX, 'core_unsupported.o'), '--raw']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/CO-RE relocations: .*not supported/);
      // LLVM 19 adds its own CO-RE notes from .BTF.ext, which a section-by-section view has no BTF for.
      expect(r.stdout).toBe(dump('core_unsupported.o').replace(/^\t\t[0-9a-f]+: {2}CO-RE .*\n/gm, ''));
      expect(cli(['disasm', join(FIX, 'core_unsupported.o'), '--raw', '--prog', 'core_type_probe']).stdout).toBe(r.stdout);
      const none = cli(['disasm', join(FIX, 'core_unsupported.o'), '--prog', 'nope']);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("no section or function named 'nope'; code sections: tc");
    });
  });

  it('appends linked subprograms with their names; a call names its callee and keeps the object\'s relocation', () => {
    const out = cli(['disasm', join(FIX, 'bpf_calls.o'), '--no-source', '--prog', 'calls_check']).stdout;
    const lines = out.split('\n');
    const calls = lines.flatMap((l, i) => {
      const m = /^ +(\d+):\tcall (-?\d+) <(\w+)>$/.exec(l);
      return m ? [{ pc: Number(m[1]), imm: Number(m[2]), callee: m[3], reloc: lines[i + 1] }] : [];
    });
    expect(calls.map((c) => c.callee)).toEqual(expect.arrayContaining(['fib', 'square_of_fib']));
    for (const c of calls) {
      // The callee's header sits at the call's linked target, and the relocation is the file's
      // (a call inside .text was resolved by clang and has none).
      const at = (c.pc + 1 + c.imm) * 8;
      expect(out).toContain(`${at.toString(16).padStart(16, '0')} <${c.callee}>:`);
      if (c.reloc.startsWith('\t\t')) expect(c.reloc).toMatch(/^\t\t[0-9a-f]{16}: {2}R_BPF_64_32\t(\.text|\w+)$/);
    }
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
    const lines = r.stdout.trim().split('\n');
    expect(lines.pop()).toMatch(/^\d+ passed, 0 failed$/);
    expect(lines.pop()).toMatch(/^negative cases: \d{3} refused, 1 ran and differed from their claimed result$/);
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

  // bpf_conformance.cc: bytes as hex each followed by two spaces, memory only when there is some,
  // --plugin_options after it (older runners: always, empty when unset), --elf last.
  const spaced = (hex: string): string => hex.replace(/../g, '$&  ');
  const plugin = (args: string[], stdin: string) => {
    const r = spawnSync(join(ROOT, 'bin', 'chainlab-plugin.mjs'), args, { input: stdin + '\n', encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
  };

  it('runs as the upstream runner calls a plugin (bin/chainlab-plugin.mjs)', () => {
    // ldxh r0, [r1+2] on aa bb 11 22 cc dd (ldxh.data)
    expect(plugin([spaced('aabb1122ccdd')], spaced('69100200000000009500000000000000'))).toMatchObject({ code: 0, stdout: '2211' });
    expect(plugin([spaced('aabb1122ccdd'), ''], spaced('69100200000000009500000000000000'))).toMatchObject({ code: 0, stdout: '2211' });
    expect(plugin([], spaced('b7000000020000009500000000000000'))).toMatchObject({ code: 0, stdout: '2' });
    const bogus = plugin(['', 'bogus'], 'b7000000020000009500000000000000');
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("unknown plugin option 'bogus'");
    const kfunc = plugin([], '8520000001000000b70000000000000095000000000000009500000000000000');
    expect(kfunc.code).toBe(1);
    expect(kfunc.stdout).toBe('');
    expect(kfunc.stderr).toContain('kfuncs are not supported');
  });

  const mc = ['llvm-mc-19', 'llvm-mc'].find((c) => spawnSync(c, ['--version']).status === 0);
  it.skipIf(!mc)('--elf runs the runner\'s object: the function main in .text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chainlab-plugin-'));
    try {
      // main calls a helper function after it in .text (a call clang's assembler resolves).
      const src = '.text\n.globl main\n.type main,@function\nmain:\n call twice\n exit\ntwice:\n r0 = *(u16 *)(r1 + 2)\n r0 *= 2\n exit\n';
      writeFileSync(join(dir, 'm.s'), src);
      expect(spawnSync(mc!, ['-triple', 'bpfel', '-filetype=obj', join(dir, 'm.s'), '-o', join(dir, 'm.o')]).status).toBe(0);
      const elf = Buffer.from(readFileSync(join(dir, 'm.o'))).toString('hex');
      expect(plugin([spaced('aabb0100'), '--elf'], spaced(elf))).toMatchObject({ code: 0, stdout: '2' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
