import { describe, expect, it } from 'vitest';
import { parseBtf, parseBtfExt } from '../../../src/ebpf/btf/parse.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import { lineAt } from '../../../src/ebpf/elf/spec.ts';
import { parseElf } from '../../../src/ebpf/elf/reader.ts';
import { FIXTURE_OBJECTS, fixtureBytes, sourceLines } from '../elf/fixture-files.ts';

describe('.BTF.ext line info', () => {
  // core_unsupported.o is refused at load; its BTF is checked by the BTF tests.
  it.each(FIXTURE_OBJECTS.filter((n) => n !== 'core_unsupported'))('%s.o: every line record quotes its source line', (name) => {
    const spec = loadObject(fixtureBytes(name), `${name}.o`);
    let checked = 0;
    for (const p of spec.programs) {
      expect(p.lineInfo.length, p.name).toBeGreaterThan(0);
      expect(p.lineInfo[0].pc, `${p.name}: the first instruction has a line`).toBe(0);
      const slots = p.insns.reduce((n, i) => n + (i.op.kind === 'lddw' ? 2 : 1), 0);
      for (const [k, li] of p.lineInfo.entries()) {
        expect(li.pc).toBeLessThan(slots);
        if (k > 0) expect(li.pc).toBeGreaterThanOrEqual(p.lineInfo[k - 1].pc);
        // Line 0 marks compiler-made code with no source line.
        if (li.line === 0) {
          expect(li.text).toBe('');
          continue;
        }
        // Fixture sources are compiled by relative name; clang stores the line verbatim.
        const src = sourceLines(li.file.replace(/^\.\//, ''));
        if (!src) continue;
        expect(src[li.line - 1], `${li.file}:${li.line}`).toBe(li.text);
        expect(li.col).toBeLessThanOrEqual(li.text.length + 1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('maps an instruction to file, line, column and text', () => {
    const spec = loadObject(fixtureBytes('xdp_proto_count'), 'xdp_proto_count.o');
    const p = spec.programs[0];
    // The program's first loads read ctx->data_end / ctx->data.
    const first = lineAt(p, 0);
    expect(first?.file).toBe('./xdp_proto_count.c'); // -fdebug-prefix-map=$(CURDIR)=.
    expect(first?.text).toMatch(/ctx->data/);
    // The inlined count_l4() keeps its own lines (xdp_proto_count.c:45, the UDP bound check).
    const udp = p.lineInfo.find((l) => l.text.includes('sizeof(struct udphdr)'));
    expect(udp && [udp.line, udp.text.trim()]).toEqual([45, 'if (l4 + sizeof(struct udphdr) > data_end)']);
  });

  it('subprogram lines follow the subprogram into the linked program', () => {
    const spec = loadObject(fixtureBytes('bpf_calls'), 'bpf_calls.o');
    const p = spec.programs.find((x) => x.name === 'calls_check');
    const fib = p?.funcs.find((f) => f.name === 'fib');
    expect(fib).toBeDefined();
    const li = lineAt(p!, fib!.pc);
    expect(li?.pc).toBe(fib!.pc);
    expect(li?.text).toBe('static __noinline __u32 fib(__u32 n)');
  });

  it('func_info names every function by its symbol', () => {
    const elf = parseElf(fixtureBytes('bpf_calls'));
    const btfSec = elf.sections.find((s) => s.name === '.BTF')!;
    const extSec = elf.sections.find((s) => s.name === '.BTF.ext')!;
    const { btf, strings } = parseBtf(btfSec.data);
    const ext = parseBtfExt(extSec.data, strings);
    const names = ext.funcInfo.map((s) => [s.section, s.records.map((r) => btf.types[r.typeId].name)]);
    expect(names).toEqual([
      ['.text', ['mix', 'fib', 'square_of_fib', 'add_index']],
      ['tc', ['calls_check', 'calls_len']],
    ]);
  });
});
