import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSuite } from '../../../src/ebpf/conformance/suite.ts';
import { defaultSharedDir } from '../../../src/cli/paths.ts';

const dir = defaultSharedDir('conformance');
const present = existsSync(join(dir, 'ASSEMBLED.jsonl'));
if (!present) console.warn(`SKIPPED: bpf_conformance suite not found at ${dir}`);

describe.skipIf(!present)('bpf_conformance suite (cpu v4) on the reference interpreter', () => {
  const results = present ? runSuite(dir) : [];
  it('covers every case of the suite', () => {
    // 313 assembled cases and the negative folder with its UNUSED_FIELDS list.
    expect(results.filter((r) => !r.file.startsWith('negative/')).length).toBeGreaterThanOrEqual(313);
    expect(results.filter((r) => r.file.startsWith('negative/UNUSED_FIELDS/')).length).toBe(45);
  });
  it.each(results.map((r) => [r.file, r] as const))('%s', (_f, r) => {
    expect(r.passed, r.detail).toBe(true);
  });
});
