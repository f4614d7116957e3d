import { describe, expect, it } from 'vitest';
import { parseBtf, parseBtfExt } from '../../../src/ebpf/btf/parse.ts';
import { sizeOf, typeName, resolveType, findType } from '../../../src/ebpf/btf/query.ts';
import { BtfError } from '../../../src/ebpf/btf/types.ts';
import { parseElf } from '../../../src/ebpf/elf/reader.ts';
import { FIXTURE_OBJECTS, fixtureBytes, golden } from '../elf/fixture-files.ts';
import { bpftoolDump } from './bpftool-format.ts';

function sectionOf(name: string, sec: string): Uint8Array {
  const s = parseElf(fixtureBytes(name)).sections.find((x) => x.name === sec);
  if (!s) throw new Error(`${name} has no ${sec}`);
  return s.data;
}

describe('BTF parser against bpftool btf dump file', () => {
  it.each(FIXTURE_OBJECTS)('%s.o: every type reads as bpftool reads it', (name) => {
    const { btf } = parseBtf(sectionOf(name, '.BTF'));
    expect(bpftoolDump(btf)).toBe(golden(name, 'btf'));
  });
});

describe('BTF kinds (btf_kinds.o)', () => {
  const { btf } = parseBtf(sectionOf('btf_kinds', '.BTF'));
  const kinds = new Set(btf.types.map((t) => t.kind));

  it('has every kind clang emits', () => {
    for (const k of ['INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG']) {
      expect(kinds, k).toContain(k);
    }
  });

  it('reads bitfields, signed enums, 64-bit enum values and tags', () => {
    const flags = findType(btf, 'STRUCT', 'flags_word');
    expect(flags?.kind === 'STRUCT' && flags.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([
      ['low', 0, 4],
      ['mid', 4, 12],
      ['high', 16, 16],
    ]);
    const color = findType(btf, 'ENUM', 'color');
    expect(color?.kind === 'ENUM' && color.values).toEqual([
      { name: 'RED', value: -1 },
      { name: 'GREEN', value: 1 },
      { name: 'BLUE', value: 2 },
    ]);
    const wide = findType(btf, 'ENUM64', 'wide');
    expect(wide?.kind === 'ENUM64' && wide.values[1]).toEqual({ name: 'WIDE_BIG', value: String(0x1234567890) });
    const tags = btf.types.filter((t) => t.kind === 'DECL_TAG').map((t) => t.kind === 'DECL_TAG' && [t.name, btf.types[t.type].name, t.componentIdx]);
    expect(tags).toEqual([
      ['struct_tag', 'kinds', -1],
      ['member_tag', 'kinds', 0],
      ['func_tag', 'pick', -1],
    ]);
  });

  it('answers size and name questions', () => {
    const kinds = findType(btf, 'STRUCT', 'kinds');
    expect(kinds && sizeOf(btf, kinds.id)).toBe(96);
    const m = kinds?.kind === 'STRUCT' ? kinds.members : [];
    const byName = (n: string): number => m.find((x) => x.name === n)?.type ?? -1;
    expect(typeName(btf, byName('cv'))).toBe('const volatile __u16');
    expect(typeName(btf, byName('opaque'))).toBe('struct opaque *');
    expect(typeName(btf, byName('tagged'))).toBe('int __tag(user) *');
    expect(typeName(btf, byName('callback'))).toBe('long (__u32, void *) *');
    expect(sizeOf(btf, byName('addr'))).toBe(16);
    expect(resolveType(btf, byName('ifindex')).name).toBe('unsigned int');
  });
});

describe('malformed BTF', () => {
  const good = sectionOf('xdp_proto_count', '.BTF');
  const patched = (f: (dv: DataView, b: Uint8Array) => void, bytes = good.slice()): Uint8Array => {
    f(new DataView(bytes.buffer), bytes);
    return bytes;
  };

  it.each([
    ['empty', new Uint8Array(0), /BTF header: needs bytes \[0, 24\)/],
    ['bad magic', patched((dv) => dv.setUint16(0, 0x1234, true)), /bad BTF magic 0x1234/],
    ['big endian', patched((dv) => dv.setUint16(0, 0x9feb, true)), /big endian/],
    ['version 2', patched((_, b) => (b[2] = 2)), /unsupported BTF version 2/],
    ['type section past the end', patched((dv) => dv.setUint32(12, 1 << 20, true)), /BTF type section: needs bytes/],
    ['truncated', good.slice(0, good.length - 100), /string section: needs bytes/],
    ['unknown kind', patched((dv) => dv.setUint32(24 + 4, 31 << 24, true)), /BTF type \[1\] at offset 0: unknown kind 31/],
    ['dangling type id', patched((dv) => dv.setUint32(24 + 8, 99999, true)), /refers to type \[99999\]/],
    ['string offset outside', patched((dv) => dv.setUint32(24, 1 << 24, true)), /string offset 16777216 is outside/],
  ])('%s', (_, bytes, msg) => {
    expect(() => parseBtf(bytes)).toThrow(BtfError);
    expect(() => parseBtf(bytes)).toThrow(msg);
  });

  it('a truncated .BTF.ext names the block', () => {
    const { strings } = parseBtf(good);
    const ext = sectionOf('xdp_proto_count', '.BTF.ext');
    expect(() => parseBtfExt(ext.slice(0, 40), strings)).toThrow(/BTF.ext func_info: needs bytes/);
    const bad = ext.slice();
    new DataView(bad.buffer).setUint16(0, 0xbeef, true);
    expect(() => parseBtfExt(bad, strings)).toThrow(/bad BTF.ext magic 0xbeef/);
  });
});
