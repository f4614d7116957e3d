/**
 * A program of a parsed object (ObjectSpec) as verify() takes it: maps, map references, line
 * info, and its functions described through the object's BTF — what libbpf hands the kernel.
 */
import type { ObjectSpec, ProgramSpec } from '../elf/spec.ts';
import { describeFuncs } from './btf-funcs.ts';
import type { VerifierProgram } from './verify.ts';

export function programFromObject(spec: ObjectSpec, p: ProgramSpec): VerifierProgram {
  return {
    insns: p.insns,
    progType: p.progType,
    attachType: p.attachType,
    name: p.name,
    lineInfo: p.lineInfo,
    maps: spec.maps,
    mapRefs: p.mapRefs,
    funcInfo: spec.btf !== undefined,
    funcs: describeFuncs(spec.btf, p.funcs, p.progType),
    license: spec.license,
  };
}
