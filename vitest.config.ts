import { defineConfig } from 'vitest/config';

// CI asks for a JSON report too (CHAINLAB_JSON_REPORT=path) to print "N passed, N failed".
const json = process.env.CHAINLAB_JSON_REPORT;
const BROWSER = ['test/web/viewer.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
    // The browser tests run last, on their own: chromium paces its page by the wall clock, so
    // they should not share the two cores with the verifier and kernel tests.
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: BROWSER, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'browser', include: BROWSER, sequence: { groupOrder: 1 } } },
    ],
  },
});
