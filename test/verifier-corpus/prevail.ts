/**
 * PREVAIL's verifier test cases (../shared/verifier-cases, MIT) turned into kernel-loadable
 * programs. Filled in below.
 */
import type { CorpusCase } from './corpus.ts';

export function prevailCases(): CorpusCase[] {
  return [];
}
