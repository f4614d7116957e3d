import { describe, expect, it } from 'vitest';
import { CoreReloError, resolveCoreRelo } from '../../../src/ebpf/btf/core.ts';
import { parseBtf } from '../../../src/ebpf/btf/parse.ts';
import { findType } from '../../../src/ebpf/btf/query.ts';
import { LoadError } from '../../../src/ebpf/elf/errors.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import { parseElf } from '../../../src/ebpf/elf/reader.ts';
import { fixtureBytes } from '../elf/fixture-files.ts';

const btfOf = (name: string) => parseBtf(parseElf(fixtureBytes(name)).sections.find((s) => s.name === '.BTF')!.data).btf;

describe('CO-RE relocations against the object BTF', () => {
  it('core_uapi.o: field offsets, sizes and existence on uapi structs', () => {
    const spec = loadObject(fixtureBytes('core_uapi'), 'core_uapi.o');
    const p = spec.programs[0];
    const seen = p.coreRelos.map((r) => `${r.kind} ${r.field}=${r.value}`).sort();
    expect(seen).toEqual(
      [
        'FIELD_BYTE_OFFSET struct ethhdr___core::h_proto=12',
        'FIELD_BYTE_OFFSET struct iphdr___core::protocol=9',
        'FIELD_BYTE_OFFSET struct iphdr___core::tot_len=2',
        'FIELD_BYTE_OFFSET struct udphdr___core::len=4',
        'FIELD_BYTE_SIZE struct iphdr___core::daddr=4',
        'FIELD_BYTE_SIZE struct udphdr___core::dest=2',
        'FIELD_EXISTS struct iphdr___core::tos=1',
      ].sort(),
    );
    // Each patched instruction holds the value.
    for (const r of p.coreRelos) {
      const insn = p.insns.find((i) => i.pc === r.pc)!;
      const k = insn.op.kind;
      expect(k === 'ldx' ? insn.off : insn.imm, `${r.kind} at ${r.pc}`).toBe(r.value);
    }
  });

  it('resolves array steps and unions', () => {
    const btf = btfOf('btf_kinds');
    const kinds = findType(btf, 'STRUCT', 'kinds')!;
    // kinds.addr.bytes[3]: member 7 (addr), union member 1 (bytes), index 3.
    expect(resolveCoreRelo(btf, { insnOff: 0, typeId: kinds.id, access: '0:7:1:3', kind: 0 })).toEqual({ value: 44 + 3, field: 'struct kinds::addr::bytes[3]' });
    expect(resolveCoreRelo(btf, { insnOff: 0, typeId: kinds.id, access: '0:7', kind: 1 }).value).toBe(16);
    // ptr[2].ratio
    expect(resolveCoreRelo(btf, { insnOff: 0, typeId: kinds.id, access: '2:4', kind: 0 }).value).toBe(2 * 96 + 24);
  });

  it.each([
    ['bitfield offset', '0:6:1', 0, /struct kinds::flags::mid is a bitfield/],
    ['type-based kind', '0', 8, /TYPE_EXISTS \(kind 8\) on struct kinds .*not supported/],
    ['signedness', '0:0', 3, /FIELD_SIGNED \(kind 3\)/],
    ['member out of range', '0:40', 0, /has no member #40/],
    ['malformed access', '0:x', 0, /malformed access string/],
  ])('refuses %s, naming the relocation', (_, access, kind, msg) => {
    const btf = btfOf('btf_kinds');
    const kinds = findType(btf, 'STRUCT', 'kinds')!;
    expect(() => resolveCoreRelo(btf, { insnOff: 0, typeId: kinds.id, access, kind })).toThrow(CoreReloError);
    expect(() => resolveCoreRelo(btf, { insnOff: 0, typeId: kinds.id, access, kind })).toThrow(msg);
  });

  it('core_unsupported.o: the loader names kind, type, access, section and instruction', () => {
    const load = () => loadObject(fixtureBytes('core_unsupported'), 'core_unsupported.o');
    expect(load).toThrow(LoadError);
    expect(load).toThrow(
      'core_unsupported.o: CO-RE relocations: TYPE_EXISTS (kind 8) on struct sk_buff___probe [19], access "0", section \'tc\', insn 0 (core_type_probe insn 0): not supported',
    );
  });
});
