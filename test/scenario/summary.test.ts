import { describe, expect, it } from 'vitest';
import { buildScenarioAsync } from '../../src/scenario/build.ts';
import { fmtBps, formatSummary, summarize, type RunSummary } from '../../src/scenario/summary.ts';
import { parse, y } from './helpers.ts';

const base: RunSummary = {
  scenario: 's', seed: 1, simulatedNs: 1e6, events: 10, sent: {}, hooks: {}, devices: {}, drops: [], delivered: {},
  qdiscs: {}, throughput: { deliveredPps: 0, devices: {} }, latency: { count: 3, min: 1000, p50: 2000, p90: 3000, p99: 3000, p999: 3000, max: 3000 },
  latencyByTraffic: {}, latencyHistogram: [], cpus: [],
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

describe('summarize a run', () => {
  // A router shapes 2 × 20 Mbit/s of 1000-byte frames to 10 Mbit/s with a tbf.
  const TEXT = y(
    'name: sum',
    'duration: 20ms',
    'hosts:',
    '  r:',
    '    forwarding: true',
    '    devices:',
    '      eth0: { kind: nic, addresses: [10.0.0.1/24] }',
    '      eth1: { kind: nic, rate: 1gbit, addresses: [10.0.1.1/24], qdisc: { kind: tbf, rate: 10mbit, burst: 10k, latency: 5ms } }',
    '  s:',
    '    devices:',
    '      eth0: { kind: nic, rate: 1gbit, addresses: [10.0.1.2/24], mac: 02:00:00:00:01:02 }',
    'links:',
    '  - { a: r/eth1, b: s/eth0 }',
    'steps: |',
    '  ip -n r neigh add 10.0.1.2 lladdr 02:00:00:00:01:02 dev eth1',
    'traffic:',
    '  - { name: a, kind: constant, from: r/eth0, rate: 20mbit, size: 1000, flows: { n: 1, template: { proto: udp, src: 10.0.0.9, dst: 10.0.1.2, dport: 9 } } }',
    '  - { name: b, kind: constant, from: r/eth0, rate: 20mbit, size: 1000, flows: { n: 1, template: { proto: udp, src: 10.0.0.8, dst: 10.0.1.2, dport: 9 } } }',
  );

  it('has the qdisc as tc -s counts it, per-device bit rates, latency per traffic and a histogram', async () => {
    const b = await buildScenarioAsync(parse(TEXT));
    b.sim.run({ until: b.scenario.durationNs });
    const s = summarize(b, b.scenario.durationNs);
    const q = s.qdiscs['r/eth1'];
    expect(q.kind).toBe('tbf');
    expect(q.sent + q.dropped + q.qlen).toBe(s.devices['r/eth0'].rx_packets);
    expect(q.dropped).toBeGreaterThan(0);
    expect(s.hooks['r/eth1'].qdisc).toEqual({ sent: q.sent, 'drop QDISC_OVERLIMIT': q.dropped, ...(q.qlen ? { queued: q.qlen } : {}) });
    // tbf passes 10 Mbit/s of frames (plus its 10 KiB burst) out of eth1.
    expect(s.throughput.devices['r/eth1'].txBps).toBeGreaterThan(10e6);
    expect(s.throughput.devices['r/eth1'].txBps).toBeLessThan(10e6 + (10 * 1024 * 8) / 0.02 + 1e5);
    expect(Object.keys(s.latencyByTraffic)).toEqual(['a', 'b']);
    expect(s.latencyByTraffic.a.count + s.latencyByTraffic.b.count).toBe(s.latency.count);
    expect(s.latencyHistogram.reduce((n, h) => n + h.count, 0)).toBe(s.latency.count);
    const text = formatSummary(s, { histogram: true });
    expect(text).toContain('verdicts per node and hook');
    expect(text.find((l) => l.startsWith('  r/eth1 qdisc'))).toMatch(/^ {2}r\/eth1 qdisc\s+sent \d+ {2}drop QDISC_OVERLIMIT \d+/);
    expect(text.find((l) => l.startsWith('  r/eth1 ') && l.includes('tbf'))).toMatch(/tbf \S+\s+sent \d+ pkt {2}dropped \d+ {2}overlimits \d+ {2}requeues 0 {2}backlog \d+b \d+p$/);
    expect(text.find((l) => l.startsWith('  r/eth1 ') && l.includes('rx '))).toMatch(/tx \d+(\.\d+)? Mbit\/s$/);
    expect(text.filter((l) => /^ {2}[ab] +\(\d+ packets\) {2}p50 /.test(l))).toHaveLength(2);
    expect(text.some((l) => /^ {2}\[[\d.]+[mun]?s, [\d.]+[mun]?s\)\s+\d+ \|@*\s*\|$/.test(l))).toBe(true);
    expect(formatSummary(s).some((l) => l.includes('|@'))).toBe(false);
    expect(fmtBps(1.5e9)).toBe('1.5 Gbit/s');
    expect(fmtBps(800)).toBe('800 bit/s');
  });
});
