/**
 * The object layer: a clang-built BPF ELF object → a deterministic ObjectSpec (programs
 * linked with their subprograms, map definitions, relocations, line info), the way libbpf's
 * bpf_object__open() and relocation steps read it. Nothing live is created here.
 */
export { loadObject } from './load.ts';
export { loadObjectFile } from './file.ts';
export { LoadError, type LoadErrorContext } from './errors.ts';
export { programTypeForSection, type SectionProgType } from './sections.ts';
export { internalMapName, objectName } from './maps.ts';
export { progTag } from './tag.ts';
export {
  ATTACH_TYPES,
  MAP_TYPES,
  PROG_TYPES,
  BPF_F_MMAPABLE,
  BPF_F_RDONLY_PROG,
  BPF_F_SLEEPABLE,
  BPF_F_XDP_HAS_FRAGS,
  kernelId,
} from './kernel-names.ts';
export {
  lineAt,
  funcAt,
  type ObjectSpec,
  type ProgramSpec,
  type MapSpec,
  type MapRef,
  type FuncRef,
  type LineInfoEntry,
  type CoreReloEntry,
  type InitialSlot,
} from './spec.ts';
