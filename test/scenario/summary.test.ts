import { describe, expect, it } from 'vitest';
import { formatSummary, type RunSummary } from '../../src/scenario/summary.ts';

const base: RunSummary = {
  scenario: 's', seed: 1, simulatedNs: 1e6, events: 10, sent: {}, hooks: {}, devices: {}, drops: [], delivered: {},
  throughput: { deliveredPps: 0 }, latency: { count: 3, min: 1000, p50: 2000, p90: 3000, p99: 3000, p999: 3000, max: 3000 }, cpus: [],
};
const latencyLine = (s: RunSummary): string | undefined => formatSummary(s).find((l) => l.startsWith('latency'));

describe('formatSummary latency line', () => {
  it('exact percentiles print as before', () => {
    expect(latencyLine(base)).toBe('latency (3 packets)  p50 2us  p90 3us  p99 3us  max 3us');
  });
  it('approximate percentiles (the recorder folded into buckets) are marked ≈', () => {
    expect(latencyLine({ ...base, latency: { ...base.latency, approximate: true } })).toBe('latency (3 packets, percentiles within 0.05%)  p50 ≈2us  p90 ≈3us  p99 ≈3us  max 3us');
  });
});
