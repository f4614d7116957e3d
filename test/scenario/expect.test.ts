import { describe, expect, it } from 'vitest';
import { buildScenarioAsync } from '../../src/scenario/build.ts';
import { watchExpectations } from '../../src/scenario/expect.ts';
import { errorsOf, parse, y } from './helpers.ts';

/** A NIC whose XDP program drops UDP and passes TCP, 20 UDP and 10 TCP frames. */
const BASE = [
  'name: e',
  'duration: 1ms',
  'hosts:',
  '  h:',
  '    devices:',
  '      eth0: { kind: nic, addresses: [10.0.0.2/24] }',
  'programs:',
  '  - { object: ../fixtures/xdp_proto_count.o, attach: h/eth0/xdp }',
  'traffic:',
  '  - { name: udp, kind: constant, from: h/eth0, rate: 100kpps, count: 20, flows: { n: 1, template: { proto: udp, src: 10.0.0.1, dst: 10.0.0.2, dport: 53 } } }',
  '  - { name: tcp, kind: constant, from: h/eth0, rate: 100kpps, count: 10, flows: { n: 1, template: { proto: tcp, src: 10.0.0.1, dst: 10.0.0.2, dport: 80 } } }',
  'expect:',
];

async function results(...expectLines: string[]): Promise<{ title: string; passed: boolean; actual: string }[]> {
  const b = await buildScenarioAsync(parse(y(...BASE, ...expectLines)));
  const w = watchExpectations(b);
  b.sim.run({ until: b.scenario.durationNs });
  return w.check().map(({ title, passed, actual }) => ({ title, passed, actual }));
}

describe('path expectations', () => {
  it('a hop may name the start of its verdict; exact: the packet takes these hops and no others', async () => {
    const r = await results(
      '  - { path: { packet: 0, traffic: udp, hops: ["h/eth0/xdp XDP_DROP"] } }',
      '  - { path: { packet: 0, traffic: udp, hops: ["h/eth0/xdp XDP_PASS"] } }',
      '  - { path: { packet: 0, traffic: udp, exact: true, hops: [h/eth0/wire, h/eth0/nic-rx, "h/eth0/xdp XDP_DROP"] } }',
      '  - { path: { packet: 0, traffic: udp, exact: true, hops: [h/eth0/nic-rx, h/eth0/xdp] } }',
      '  - { path: { packet: 2, traffic: tcp, exact: true, hops: [h/eth0/wire, h/eth0/nic-rx, "h/eth0/xdp XDP_PASS", "h/eth0/local deliver"] } }',
      '  - { path: { packet: 2, traffic: tcp, hops: [h/eth0/local, h/eth0/xdp] } }',
    );
    expect(r.map((x) => x.passed)).toEqual([true, false, true, false, true, false]);
    expect(r[2].title).toBe('packet 0 of udp takes exactly h/eth0/wire → h/eth0/nic-rx → h/eth0/xdp XDP_DROP');
    expect(r[1].actual).toMatch(/^h\/eth0\/wire arrive → h\/eth0\/nic-rx rxq 0 → h\/eth0\/xdp XDP_DROP$/);
  });

  it('refuses a hop with an unknown hook or the wrong shape, naming line and key', () => {
    const at = (hops: string): string[] => errorsOf(y(...BASE, `  - { path: { packet: 0, hops: ${hops} } }`));
    expect(at('[h/eth0/xpd]')).toEqual([expect.stringMatching(/^13:\d+: expect\[0\]\.path\.hops\[0\]: no hook "xpd" \(hooks: wire, nic-rx, xdp/)]);
    expect(at('[h/eth0]')).toEqual([expect.stringMatching(/^13:\d+: expect\[0\]\.path\.hops\[0\]: expected a hop like "h1\/eth0\/xdp" or "h1\/eth0\/xdp XDP_DROP"/)]);
    expect(at('[h/eth9/xdp]')).toEqual([expect.stringMatching(/^13:\d+: expect\[0\]\.path\.hops\[0\]: .*eth9/)]);
  });
});

describe('latency expectations', () => {
  it('take a maximum, a minimum, or a value with a tolerance', async () => {
    const r = await results(
      '  - { latency: { p: 50, max: 1ms, traffic: tcp } }',
      '  - { latency: { p: 50, min: 1ns, max: 1ms, traffic: tcp } }',
      '  - { latency: { p: 50, min: 1ms, traffic: tcp } }',
      '  - { latency: { p: 50, value: 1ms, tolerance: "5%", traffic: tcp } }',
    );
    expect(r.map((x) => x.passed)).toEqual([true, true, false, false]);
    const p50 = Number(/^(\d+) ns over 10 packets$/.exec(r[0].actual)?.[1]);
    expect(p50).toBeGreaterThan(0);
    expect(r[3].title).toBe('p50 latency (traffic=tcp) ~ 1000000 ±5% ns');
    // The measured value itself, within 1%, passes; 2% away with a 1% tolerance does not.
    const [near, far] = await results(
      `  - { latency: { p: 50, value: ${p50}ns, tolerance: "1%", traffic: tcp } }`,
      `  - { latency: { p: 50, value: ${Math.round(p50 * 1.02)}ns, tolerance: "1%", traffic: tcp } }`,
    );
    expect([near.passed, far.passed]).toEqual([true, false]);
  });

  it('need a bound, and a tolerance goes with a value', () => {
    expect(errorsOf(y(...BASE, '  - { latency: { p: 99 } }'))).toEqual([expect.stringMatching(/^13:\d+: expect\[0\]\.latency: expected "max", "min" or "value"/)]);
    expect(errorsOf(y(...BASE, '  - { latency: { p: 99, max: 1ms, tolerance: "5%" } }'))).toEqual([expect.stringMatching(/^13:\d+: expect\[0\]\.latency\.tolerance: a tolerance goes with "value"/)]);
  });
});
