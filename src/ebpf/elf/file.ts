/**
 * loadObjectFile(): the one place the object layer touches the file system, kept apart so
 * that the rest of src/ebpf/elf stays pure.
 */
import { readFileSync } from 'node:fs';
import { LoadError } from './errors.ts';
import { loadObject } from './load.ts';
import type { ObjectSpec } from './spec.ts';

export function loadObjectFile(path: string): ObjectSpec {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : e instanceof Error ? e.message : String(e);
    throw new LoadError(path, 'read file', why, {}, { cause: e });
  }
  return loadObject(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}
