/**
 * Small helpers for the map_alloc_check() functions of each family: each family validates a
 * definition the way its kernel file does and throws a MapError with the kernel's errno.
 */
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from './constants.ts';
import { MapError, type MapDef } from './types.ts';

export function fail(errno: number, def: MapDef, why: string): never {
  throw new MapError(errno, `map '${def.name}' (${def.type}): ${why}`);
}

/** bpf_map_flags_access_ok(): a map cannot be both read-only and write-only for programs. */
export const accessOk = (flags: number): boolean =>
  (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);

/** Names of the flags set in `flags` that are not in `allowed`, for messages. */
export function extraFlags(flags: number, allowed: number): string {
  return '0x' + ((flags & ~allowed) >>> 0).toString(16);
}
