import { defineConfig } from 'vitest/config';

// CI asks for a JSON report too (CHAINLAB_JSON_REPORT=path) to print "N passed, N failed".
const json = process.env.CHAINLAB_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
