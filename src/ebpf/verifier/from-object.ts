/**
 * A program of a parsed object (ObjectSpec) as verify() takes it: maps, map references, line
 * info, and its functions described through the object's BTF — what libbpf hands the kernel.
 */
import type { Btf } from '../btf/index.ts';
import { resolveType } from '../btf/index.ts';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../elf/spec.ts';
import { describeFuncs } from './btf-funcs.ts';
import type { VerifierMapDef, VerifierProgram } from './verify.ts';

/** Offset of a top-level struct bpf_spin_lock in a map's value (btf_find_spin_lock). */
function spinLockOff(btf: Btf | undefined, m: MapSpec): number | undefined {
  if (!btf || m.btfValueType === undefined) return undefined;
  try {
    const t = resolveType(btf, m.btfValueType);
    if (t.kind !== 'STRUCT') return undefined;
    for (const mem of t.members) {
      const mt = resolveType(btf, mem.type);
      if (mt.kind === 'STRUCT' && mt.name === 'bpf_spin_lock') return mem.bitOffset / 8;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function mapDef(btf: Btf | undefined, m: MapSpec): VerifierMapDef {
  return { ...m, innerMap: m.innerMap ? mapDef(btf, m.innerMap) : undefined, spinLockOff: spinLockOff(btf, m) };
}

export function programFromObject(spec: ObjectSpec, p: ProgramSpec): VerifierProgram {
  return {
    insns: p.insns,
    progType: p.progType,
    attachType: p.attachType,
    name: p.name,
    lineInfo: p.lineInfo,
    maps: spec.maps.map((m) => mapDef(spec.btf, m)),
    mapRefs: p.mapRefs,
    funcInfo: spec.btf !== undefined,
    funcs: describeFuncs(spec.btf, p.funcs, p.progType),
    license: spec.license,
  };
}
