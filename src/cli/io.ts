/** Reading user files for the CLI, with errors that name the file and say what would fix it. */
import { readFileSync } from 'node:fs';
import { CliError } from './errors.ts';

export function readInput(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new CliError(`${path}: cannot read ${what}: ${why}`);
  }
}

/** Text that is nothing but hex digits (and white space), as the conformance tools write bytecode. */
export function isHexText(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  for (const c of b) {
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
    if (!ok) return false;
  }
  return true;
}

export const isElf = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
