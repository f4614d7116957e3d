/** Paths the CLI resolves relative to the chainlab checkout. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is src/cli/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared/<name>` beside the checkout, where the project's shared material lives. */
export const defaultSharedDir = (name: string): string => join(repoRoot, '..', 'shared', name);
