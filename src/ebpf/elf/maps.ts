/**
 * Map definitions of an object, in libbpf's order (bpf_object__init_maps()): legacy
 * `maps` section (struct bpf_map_def), BTF-defined `.maps` (parse_btf_map_def()), then one
 * single-entry ARRAY per global-data section (bpf_object__init_global_data_maps()); and
 * the static `.values` initialisation of PROG_ARRAY / map-in-map from `.rel.maps`
 * (bpf_object__collect_map_relos()).
 *
 * Global-data naming: MapSpec.name is the ELF section name ('.data', '.bss', '.rodata',
 * '.rodata.str1.1', '.data.custom'), as cilium/ebpf and bpftool's skeletons call them and
 * as `prog run --json` reports them. MapSpec.kernelName is what libbpf passes to the
 * kernel (internal_map_name()): up to 8 characters of the object name followed by the
 * section name for .data/.bss/.rodata ('xdp_prot.rodata'), the section name alone for
 * sections with a second dot ('.rodata.str1.1'), at most 15 characters.
 * Flags follow the libbpf 1.1 that bpftool here uses: BPF_F_MMAPABLE on every global-data
 * map, plus BPF_F_RDONLY_PROG for .rodata*; .rodata* maps are frozen after initialisation.
 */
import { resolveType, sizeOf, typeName } from '../btf/query.ts';
import type { Btf, BtfStruct } from '../btf/types.ts';
import { LoadFailure } from './errors.ts';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, MAP_TYPES } from './kernel-names.ts';
import {
  R_BPF_64_ABS64,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  STB_LOCAL,
  STT_FUNC,
  STT_SECTION,
  type ElfFile,
  type ElfSection,
} from './reader.ts';
import type { InitialSlot, MapSpec } from './spec.ts';

export const LEGACY_MAPS_SEC = 'maps';
export const BTF_MAPS_SEC = '.maps';

/** A map together with where its definition lives in the object. */
export interface MapDef {
  spec: MapSpec;
  /** Section that holds the definition (or the data, for global data). */
  shndx: number;
  /** Byte offset of the definition in that section (0 for global data). */
  offset: number;
  size: number;
  /** Byte offset of the `values` member inside a BTF map definition. */
  valuesOffset?: number;
}

export interface CollectedMaps {
  defs: MapDef[];
  legacyShndx?: number;
  btfShndx?: number;
  /** Global-data section index → its map. */
  data: Map<number, MapDef>;
}

const BPF_MAP_DEF_SIZE = 20; // type, key_size, value_size, max_entries, map_flags
/** Sanity bound on .bss sizes (nothing backs them in the file); the kernel caps array values at 4 MiB anyway. */
const MAX_BSS_SIZE = 64 << 20;
const OBJ_NAME_LEN = 16; // BPF_OBJ_NAME_LEN, NUL included

const mapTypeName = (id: number, where: string): string => {
  const name = MAP_TYPES[id];
  if (!name || id === 0) throw new LoadFailure(`${where}: unknown map type ${id}`);
  return name;
};

const isMapInMap = (type: string): boolean => type === 'BPF_MAP_TYPE_ARRAY_OF_MAPS' || type === 'BPF_MAP_TYPE_HASH_OF_MAPS';

/** libbpf's object name: the file's base name up to its first dot. */
export function objectName(path: string): string {
  const base = path.split('/').pop() ?? path;
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** libbpf's internal_map_name(): the kernel-visible name of a global-data map. */
export function internalMapName(objName: string, section: string): string {
  let sfxLen = Math.max(7, section.length);
  if (sfxLen >= OBJ_NAME_LEN) sfxLen = OBJ_NAME_LEN - 1;
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.min(OBJ_NAME_LEN - sfxLen - 1, objName.length);
  return (objName.slice(0, pfxLen) + section.slice(0, sfxLen)).replace(/[^A-Za-z0-9_.]/g, '_');
}

export function isGlobalDataSection(s: ElfSection): boolean {
  if (s.flags & SHF_EXECINSTR) return false;
  const is = (base: string): boolean => s.name === base || s.name.startsWith(base + '.');
  if (s.type === SHT_PROGBITS) return is('.data') || is('.rodata');
  if (s.type === SHT_NOBITS) return is('.bss');
  return false;
}

function legacyMaps(elf: ElfFile, sec: ElfSection): MapDef[] {
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT_SECTION).sort((a, b) => a.value - b.value || a.index - b.index);
  if (syms.length === 0) return [];
  if (sec.size === 0 || sec.size % syms.length !== 0) {
    throw new LoadFailure(`section '${sec.name}': cannot tell the map definition size: ${syms.length} maps in ${sec.size} bytes`, { section: sec.name });
  }
  const defSize = sec.size / syms.length;
  if (defSize < BPF_MAP_DEF_SIZE) {
    throw new LoadFailure(`section '${sec.name}': map definitions of ${defSize} bytes are shorter than struct bpf_map_def (${BPF_MAP_DEF_SIZE})`, { section: sec.name });
  }
  const dv = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((sym) => {
    const where = `section '${sec.name}': map '${sym.name}'`;
    if (sym.value % 4 !== 0 || sym.value + defSize > sec.size) {
      throw new LoadFailure(`${where}: definition at offset ${sym.value} does not fit the section (${sec.size} bytes)`, { section: sec.name, symbol: sym.name });
    }
    const u32 = (i: number): number => dv.getUint32(sym.value + 4 * i, true);
    for (let b = BPF_MAP_DEF_SIZE; b < defSize; b++) {
      if (sec.data[sym.value + b] !== 0) {
        throw new LoadFailure(`${where}: non-zero bytes after map_flags (offset ${b}); only struct bpf_map_def's five fields are supported`, { section: sec.name, symbol: sym.name });
      }
    }
    const spec: MapSpec = {
      name: sym.name,
      kernelName: sym.name.slice(0, OBJ_NAME_LEN - 1),
      type: mapTypeName(u32(0), where),
      keySize: u32(1),
      valueSize: u32(2),
      maxEntries: u32(3),
      flags: u32(4),
      pinning: 'none',
      source: 'legacy',
    };
    return { spec, shndx: sec.index, offset: sym.value, size: defSize };
  });
}

interface ParsedDef {
  spec: MapSpec;
  valuesOffset?: number;
}

/** parse_btf_map_def(): read a map definition struct made of __uint/__type/__array members. */
function parseBtfMapDef(btf: Btf, name: string, typeId: number, inner: boolean): ParsedDef {
  const where = `map '${name}'`;
  const st = resolveType(btf, typeId);
  if (st.kind !== 'STRUCT') throw new LoadFailure(`${where}: definition is ${typeName(btf, typeId)}, expected a struct`, { symbol: name });
  const ints = new Map<string, number>();
  let keyType: number | undefined;
  let valueType: number | undefined;
  let values: { offset: number; target: number } | undefined;

  // __uint(name, val) is `int (*name)[val]`: the value is the array's length.
  const uintOf = (m: BtfStruct['members'][number]): number => {
    const p = resolveType(btf, m.type);
    const a = p.kind === 'PTR' ? resolveType(btf, p.type) : undefined;
    if (!a || a.kind !== 'ARRAY') throw new LoadFailure(`${where}: attribute '${m.name}' is ${typeName(btf, m.type)}, expected __uint() (a pointer to an array)`, { symbol: name });
    return a.nelems;
  };
  // __type(name, T) is `typeof(T) *name`.
  const typeOf = (m: BtfStruct['members'][number]): number => {
    const p = resolveType(btf, m.type);
    if (p.kind !== 'PTR') throw new LoadFailure(`${where}: attribute '${m.name}' is ${typeName(btf, m.type)}, expected __type() (a pointer)`, { symbol: name });
    return p.type;
  };

  for (const m of st.members) {
    switch (m.name) {
      case 'type':
      case 'max_entries':
      case 'map_flags':
      case 'numa_node':
      case 'key_size':
      case 'value_size':
      case 'pinning':
      case 'map_extra':
        ints.set(m.name, uintOf(m));
        break;
      case 'key':
        keyType = typeOf(m);
        break;
      case 'value':
        valueType = typeOf(m);
        break;
      case 'values': {
        if (inner) throw new LoadFailure(`${where}: an inner map cannot itself have 'values'`, { symbol: name });
        // __array(values, T) is `typeof(T) *values[]`: a zero-length array of pointers.
        const a = resolveType(btf, m.type);
        const p = a.kind === 'ARRAY' ? resolveType(btf, a.type) : undefined;
        if (a.kind !== 'ARRAY' || a.nelems !== 0 || !p || p.kind !== 'PTR') {
          throw new LoadFailure(`${where}: 'values' is ${typeName(btf, m.type)}, expected __array() (a zero-length array of pointers)`, { symbol: name });
        }
        values = { offset: m.bitOffset / 8, target: p.type };
        break;
      }
      default:
        throw new LoadFailure(`${where}: unknown attribute '${m.name}'`, { symbol: name });
    }
  }

  const typeId0 = ints.get('type');
  if (typeId0 === undefined) throw new LoadFailure(`${where}: no map type (missing __uint(type, ...))`, { symbol: name });
  const type = mapTypeName(typeId0, where);
  const sizeOfType = (id: number, what: string): number => {
    try {
      return sizeOf(btf, id);
    } catch {
      throw new LoadFailure(`${where}: ${what} type ${typeName(btf, id)} has no size`, { symbol: name });
    }
  };
  let keySize = ints.get('key_size') ?? 0;
  if (keyType !== undefined) {
    const sz = sizeOfType(keyType, 'key');
    if (ints.has('key_size') && keySize !== sz) throw new LoadFailure(`${where}: conflicting key size ${keySize} != ${sz}`, { symbol: name });
    keySize = sz;
  }
  let valueSize = ints.get('value_size') ?? 0;
  if (valueType !== undefined) {
    const sz = sizeOfType(valueType, 'value');
    if (ints.has('value_size') && valueSize !== sz) throw new LoadFailure(`${where}: conflicting value size ${valueSize} != ${sz}`, { symbol: name });
    valueSize = sz;
  }
  const pin = ints.get('pinning') ?? 0;
  if (pin > 1) throw new LoadFailure(`${where}: unsupported pinning ${pin} (LIBBPF_PIN_NONE 0 and LIBBPF_PIN_BY_NAME 1 are known)`, { symbol: name });

  const spec: MapSpec = {
    name,
    kernelName: name.slice(0, OBJ_NAME_LEN - 1),
    type,
    keySize,
    valueSize,
    maxEntries: ints.get('max_entries') ?? 0,
    flags: ints.get('map_flags') ?? 0,
    pinning: pin === 1 ? 'by_name' : 'none',
    source: 'btf',
  };
  if (ints.has('numa_node')) spec.numaNode = ints.get('numa_node');
  if (ints.has('map_extra')) spec.mapExtra = ints.get('map_extra');
  if (keyType !== undefined) spec.btfKeyType = keyType;
  if (valueType !== undefined) spec.btfValueType = valueType;

  if (values) {
    const target = resolveType(btf, values.target);
    if (type === 'BPF_MAP_TYPE_PROG_ARRAY') {
      if (target.kind !== 'FUNC_PROTO') throw new LoadFailure(`${where}: PROG_ARRAY 'values' must point to a function type, not ${typeName(btf, target.id)}`, { symbol: name });
    } else if (isMapInMap(type)) {
      if (target.kind !== 'STRUCT') throw new LoadFailure(`${where}: map-in-map 'values' must point to a map definition struct, not ${typeName(btf, target.id)}`, { symbol: name });
      spec.innerMap = parseBtfMapDef(btf, `${name}.inner`, target.id, true).spec;
    } else {
      throw new LoadFailure(`${where}: 'values' is only allowed for PROG_ARRAY and map-in-map, not ${type}`, { symbol: name });
    }
    // The value of a prog array or map-in-map is a u32 fd/id.
    if (spec.valueSize === 0) spec.valueSize = 4;
    if (spec.valueSize !== 4) throw new LoadFailure(`${where}: value size ${spec.valueSize} must be 4 for ${type}`, { symbol: name });
  } else if (isMapInMap(type)) {
    throw new LoadFailure(`${where}: ${type} needs an inner map definition (__array(values, ...))`, { symbol: name });
  }
  return values ? { spec, valuesOffset: values.offset } : { spec };
}

function btfMaps(elf: ElfFile, btf: Btf | undefined, sec: ElfSection): MapDef[] {
  if (!btf) throw new LoadFailure(`section '${sec.name}' needs BTF to describe its maps, but the object has no .BTF (build with -g)`, { section: sec.name });
  const ds = btf.types.find((t) => t.kind === 'DATASEC' && t.name === sec.name);
  if (!ds || ds.kind !== 'DATASEC') throw new LoadFailure(`no BTF DATASEC for section '${sec.name}'`, { section: sec.name });
  const out: MapDef[] = [];
  for (const v of ds.vars) {
    const vt = btf.types[v.type];
    if (vt.kind !== 'VAR') throw new LoadFailure(`DATASEC '${sec.name}': member [${v.type}] is ${vt.kind}, expected VAR`, { section: sec.name });
    const sym = elf.symbols.find((s) => s.shndx === sec.index && s.name === vt.name && s.type !== STT_SECTION);
    if (!sym) throw new LoadFailure(`map '${vt.name}': no ELF symbol in '${sec.name}'`, { section: sec.name, symbol: vt.name });
    if (vt.linkage === 'static') throw new LoadFailure(`map '${vt.name}': static maps are not supported (libbpf refuses them too)`, { section: sec.name, symbol: vt.name });
    const parsed = parseBtfMapDef(btf, vt.name, vt.type, false);
    const def: MapDef = { spec: parsed.spec, shndx: sec.index, offset: sym.value, size: sym.size };
    if (parsed.valuesOffset !== undefined) def.valuesOffset = parsed.valuesOffset;
    out.push(def);
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function dataMap(objName: string, btf: Btf | undefined, sec: ElfSection): MapDef {
  const rodata = sec.name === '.rodata' || sec.name.startsWith('.rodata.');
  const initial = sec.type === SHT_NOBITS ? new Uint8Array(sec.size) : sec.data.slice();
  const spec: MapSpec = {
    name: sec.name,
    kernelName: internalMapName(objName, sec.name),
    type: 'BPF_MAP_TYPE_ARRAY',
    keySize: 4,
    valueSize: sec.size,
    maxEntries: 1,
    flags: BPF_F_MMAPABLE | (rodata ? BPF_F_RDONLY_PROG : 0),
    pinning: 'none',
    source: 'data',
    initial,
  };
  if (rodata) spec.frozen = true;
  const ds = btf?.types.find((t) => t.kind === 'DATASEC' && t.name === sec.name);
  if (ds) spec.btfValueType = ds.id;
  return { spec, shndx: sec.index, offset: 0, size: sec.size };
}

/** Collect every map definition of the object, in libbpf's order. */
export function collectMaps(elf: ElfFile, btf: Btf | undefined, path: string): CollectedMaps {
  const out: CollectedMaps = { defs: [], data: new Map() };
  const legacy = elf.sections.find((s) => s.name === LEGACY_MAPS_SEC && s.type === SHT_PROGBITS);
  if (legacy) {
    out.legacyShndx = legacy.index;
    out.defs.push(...legacyMaps(elf, legacy));
  }
  const btfSec = elf.sections.find((s) => s.name === BTF_MAPS_SEC);
  if (btfSec) {
    out.btfShndx = btfSec.index;
    out.defs.push(...btfMaps(elf, btf, btfSec));
  }
  const objName = objectName(path);
  for (const s of elf.sections) {
    if (!isGlobalDataSection(s) || s.size === 0) continue;
    if (s.type === SHT_NOBITS && s.size > MAX_BSS_SIZE) {
      throw new LoadFailure(`section '${s.name}' claims ${s.size} bytes; global data over ${MAX_BSS_SIZE} bytes is refused as corrupt`, { section: s.name });
    }
    const def = dataMap(objName, btf, s);
    out.data.set(s.index, def);
    out.defs.push(def);
  }
  const seen = new Set<string>();
  for (const d of out.defs) {
    if (seen.has(d.spec.name)) throw new LoadFailure(`two maps are named '${d.spec.name}'`, { symbol: d.spec.name });
    seen.add(d.spec.name);
  }
  return out;
}

/**
 * `.rel.maps`: each R_BPF_64_ABS64 in a map's `values` array fills one slot with a program
 * (PROG_ARRAY) or a map (map-in-map), by index.
 */
export function collectInitialSlots(elf: ElfFile, maps: CollectedMaps, isProgram: (shndx: number, name: string) => boolean): void {
  if (maps.btfShndx === undefined) return;
  const rel = elf.rels.get(maps.btfShndx);
  if (!rel) return;
  const relName = rel.section.name;
  const slots = new Map<MapDef, InitialSlot[]>();
  rel.entries.forEach((r, i) => {
    const where = `${relName} entry ${i}`;
    const sym = elf.symbols[r.symbol];
    if (!sym) throw new LoadFailure(`${where}: symbol #${r.symbol} not found (symbol table has ${elf.symbols.length} entries)`, { section: relName });
    const ctx = { section: relName, symbol: sym.name };
    if (r.type !== R_BPF_64_ABS64) throw new LoadFailure(`${where}: relocation type ${r.type} against '${sym.name}' is not R_BPF_64_ABS64`, ctx);
    const def = maps.defs.find((d) => d.shndx === maps.btfShndx && r.offset >= d.offset && r.offset < d.offset + d.size);
    if (!def) throw new LoadFailure(`${where}: offset ${r.offset} is not inside any map definition`, ctx);
    const map = def.spec;
    if (def.valuesOffset === undefined) throw new LoadFailure(`${where}: map '${map.name}' has no 'values' to initialise`, ctx);
    const rel0 = r.offset - def.offset - def.valuesOffset;
    if (rel0 < 0 || rel0 % 8 !== 0) throw new LoadFailure(`${where}: offset ${r.offset} is not a slot of map '${map.name}' values`, ctx);
    const index = rel0 / 8;
    if (index >= map.maxEntries) throw new LoadFailure(`${where}: map '${map.name}' slot ${index} is beyond max_entries ${map.maxEntries}`, ctx);
    if (sym.shndx === SHN_UNDEF) throw new LoadFailure(`${where}: symbol '${sym.name}' not found (undefined in this object)`, ctx);
    let slot: InitialSlot;
    if (map.type === 'BPF_MAP_TYPE_PROG_ARRAY') {
      if (sym.type !== STT_FUNC || sym.bind === STB_LOCAL || !isProgram(sym.shndx, sym.name)) {
        throw new LoadFailure(`${where}: map '${map.name}' slot ${index}: '${sym.name}' is not a BPF program of this object`, ctx);
      }
      slot = { index, progName: sym.name };
    } else {
      const inner = maps.defs.find((d) => d.shndx === sym.shndx && d.offset === sym.value && d.spec.source === 'btf');
      if (!inner) throw new LoadFailure(`${where}: map '${map.name}' slot ${index}: '${sym.name}' is not a map of this object`, ctx);
      slot = { index, mapName: inner.spec.name };
    }
    const list = slots.get(def) ?? [];
    if (list.some((s) => s.index === index)) throw new LoadFailure(`${where}: map '${map.name}' slot ${index} is initialised twice`, ctx);
    list.push(slot);
    slots.set(def, list);
  });
  for (const [def, list] of slots) def.spec.initialSlots = list.sort((a, b) => a.index - b.index);
}
