import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, MAP_TYPES } from '../../../src/ebpf/elf/kernel-names.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import { internalMapName, objectName } from '../../../src/ebpf/elf/maps.ts';
import type { MapSpec, ObjectSpec } from '../../../src/ebpf/elf/spec.ts';
import { typeName } from '../../../src/ebpf/btf/query.ts';
import { fixtureBytes } from './fixture-files.ts';

const load = (name: string): ObjectSpec => loadObject(fixtureBytes(name), `test/fixtures/${name}.o`);
const map = (o: ObjectSpec, name: string): MapSpec => {
  const m = o.maps.find((x) => x.name === name);
  if (!m) throw new Error(`no map ${name}`);
  return m;
};

describe('BTF-defined maps (.maps)', () => {
  it('reads flags, pinning and key/value BTF types', () => {
    const o = load('maps_user');
    const lpm = map(o, 'allow_v4');
    expect(lpm.flags).toBe(1); // BPF_F_NO_PREALLOC
    expect(typeName(o.btf!, lpm.btfKeyType!)).toBe('struct lpm_v4_key');
    expect(map(o, 'blocked_ports').pinning).toBe('by_name');
    expect(map(o, 'flows').pinning).toBe('none');
    expect(typeName(o.btf!, map(o, 'flows').btfValueType!)).toBe('struct flow_stats');
    // No __type(): sizes only, no BTF ids.
    expect(map(o, 'perf_events')).toMatchObject({ keySize: 4, valueSize: 4 });
    expect(map(o, 'perf_events').btfKeyType).toBeUndefined();
  });

  it('PROG_ARRAY static initialisation names the programs by slot', () => {
    const chain = map(load('tail_chain'), 'chain');
    expect(chain.initialSlots).toEqual([
      { index: 0, progName: 'stage_one' },
      { index: 1, progName: 'stage_two' },
    ]);
  });

  it('map-in-map: inner template and initial slots', () => {
    const o = load('map_in_map');
    const outer = map(o, 'by_parity');
    expect(outer.innerMap).toMatchObject({ name: 'by_parity.inner', type: 'BPF_MAP_TYPE_ARRAY', keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(outer.initialSlots).toEqual([
      { index: 0, mapName: 'even_counter' },
      { index: 1, mapName: 'odd_counter' },
    ]);
    const tenants = map(o, 'tenants');
    expect(tenants.innerMap).toMatchObject({ type: 'BPF_MAP_TYPE_HASH', keySize: 4, valueSize: 4, maxEntries: 16 });
    expect(tenants.initialSlots).toBeUndefined();
  });
});

describe('legacy maps section', () => {
  it('reads struct bpf_map_def and the version section', () => {
    const o = load('legacy_maps');
    expect(o.maps.map((m) => [m.name, m.source, m.flags])).toEqual([
      ['pkt_count', 'legacy', 0],
      ['proto_seen', 'legacy', 1],
    ]);
    expect(o.version).toBe(0x050a00);
  });
});

describe('global data', () => {
  const o = load('global_data');

  it('one single-entry ARRAY per section, with initial bytes', () => {
    expect(map(o, '.data').initial).toEqual(Uint8Array.of(0x0d, 0xf0, 0xed, 0xfe));
    expect(map(o, '.rodata').initial).toEqual(Uint8Array.of(100, 0, 0, 0, 3));
    expect(map(o, '.bss').initial).toEqual(new Uint8Array(20));
    expect(new TextDecoder().decode(map(o, '.rodata.str1.1').initial)).toBe('big packet %u\n\0');
  });

  it('rodata is frozen and read-only for programs; every global-data map is mmapable', () => {
    for (const m of o.maps) {
      const ro = m.name.startsWith('.rodata');
      expect(m.frozen ?? false, m.name).toBe(ro);
      expect(m.flags, m.name).toBe(BPF_F_MMAPABLE | (ro ? BPF_F_RDONLY_PROG : 0));
    }
  });

  it('kernel names follow libbpf (checked against bpftool map show on this object)', () => {
    expect(o.maps.map((m) => m.kernelName)).toEqual(['global_d.data', 'global_d.rodata', '.data.tuning', 'global_d.bss', '.rodata.str1.1']);
    expect(objectName('a/b/xdp_proto_count.bpf.o')).toBe('xdp_proto_count');
    expect(internalMapName('xdp_proto_count', '.rodata')).toBe('xdp_prot.rodata');
    expect(internalMapName('x', '.bss')).toBe('x.bss');
    expect(internalMapName('xdp_proto_count', '.rodata.a_very_long_name')).toBe('.rodata.a_very_');
  });

  it('value references carry the variable offset', () => {
    const p = o.programs[0];
    const refs = p.mapRefs.map((r) => [r.map, r.kind, r.offset]);
    expect(refs).toContainEqual(['.data', 'value', 0]); // magic
    expect(refs).toContainEqual(['.rodata', 'value', 4]); // mode
    expect(refs).toContainEqual(['.bss', 'value', 8]); // bytes_total
    expect(refs).toContainEqual(['.bss', 'value', 16]); // static `calls`, relocated via the section symbol
    expect(refs).toContainEqual(['.rodata.str1.1', 'value', 0]);
    for (const r of p.mapRefs) {
      const insn = p.insns.find((i) => i.pc === r.pc)!;
      expect([insn.imm, insn.imm2]).toEqual([0, r.offset]);
    }
  });

  it('the BTF DATASECs get their real sizes and offsets (libbpf btf_fixup_datasec)', () => {
    const ds = o.btf!.types.find((t) => t.kind === 'DATASEC' && t.name === '.bss');
    expect(ds?.kind === 'DATASEC' && [ds.size, ds.vars.map((v) => [o.btf!.types[v.type].name, v.offset])]).toEqual([
      20,
      [
        ['seen', 0],
        ['bytes_total', 8],
        ['calls', 16],
      ],
    ]);
  });
});

const tsv = join(import.meta.dirname, '../../../../shared/reference/map_types.tsv');
describe.skipIf(!existsSync(tsv))('map type names', () => {
  it('agree with shared/reference/map_types.tsv', () => {
    const byId = new Map<number, string[]>();
    for (const l of readFileSync(tsv, 'utf8').split('\n').slice(1)) {
      const [id, name] = l.split('\t');
      if (name) byId.set(Number(id), [...(byId.get(Number(id)) ?? []), name]);
    }
    MAP_TYPES.forEach((name, id) => expect(byId.get(id), name).toContain(name));
  });
});
