import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSuite } from '../../../src/ebpf/conformance/suite.ts';
import { defaultSharedDir } from '../../../src/cli/paths.ts';

const dir = defaultSharedDir('conformance');
const present = existsSync(join(dir, 'ASSEMBLED.jsonl'));
if (!present) console.warn(`SKIPPED: bpf_conformance suite not found at ${dir}`);

// The suite runs on the interpreter and on the compiled tier (jit-gen.ts): both must pass every case.
for (const [tier, engine] of [
  ['the reference interpreter', { tierUpAfter: Infinity }],
  ['the compiled tier', { tierUpAfter: 0 }],
] as const) {
  describe.skipIf(!present)(`bpf_conformance suite (cpu v4) on ${tier}`, () => {
    const results = present ? runSuite(dir, engine) : [];
    it('covers every case of the suite', () => {
      // 313 assembled cases and the negative folder with its UNUSED_FIELDS list.
      expect(results.filter((r) => !r.file.startsWith('negative/')).length).toBeGreaterThanOrEqual(313);
      expect(results.filter((r) => r.file.startsWith('negative/UNUSED_FIELDS/')).length).toBe(45);
    });
    it('refuses every negative case but the one whose claimed result is wrong on purpose', () => {
      const negative = results.filter((r) => r.file.startsWith('negative/'));
      const ran = negative.filter((r) => !r.detail.startsWith('refused by the '));
      // incorrect_return_value_high_bits.data checks that a runner compares all 64 bits of r0: it must run and differ.
      expect(ran.map((r) => [r.file, r.detail])).toEqual([['negative/incorrect_return_value_high_bits.data', 'r0 = 0x8877665544332211']]);
      expect(negative.length - ran.length).toBeGreaterThanOrEqual(104);
    });
    it.each(results.map((r) => [r.file, r] as const))('%s', (_f, r) => {
      expect(r.passed, r.detail).toBe(true);
    });
  });
}
