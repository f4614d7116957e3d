import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/index.ts';
import { type Layer, decode, flowKey, flowKeyString } from '../../../src/net/packet/index.ts';
import {
  FlowSet,
  PcapWriter,
  TrafficGenerator,
  type TrafficOptions,
  constantRate,
  fixedSize,
  flowTupleString,
  imix,
  onOff,
  poisson,
} from '../../../src/net/traffic/index.ts';
import { hasTcpdump, tcpdump } from '../tcpdump.ts';

interface Sent {
  t: number;
  frame: Uint8Array;
  flow: number;
}

function run(opts: Omit<TrafficOptions, 'rng'> & { seed?: number; until?: number }): Sent[] {
  const sim = new Simulator({ seed: opts.seed ?? 1 });
  const out: Sent[] = [];
  const g = new TrafficGenerator(sim, { ...opts, rng: sim.rng('traffic') }, (t, frame, info) => out.push({ t, frame, flow: info.flow }));
  g.start();
  sim.run(opts.until !== undefined ? { until: opts.until } : {});
  return out;
}

const udpFlows = (n: number, pick: FlowSet['pick'] = 'uniform'): FlowSet => new FlowSet({ count: n, src: { base: '10.0.0.1', count: 4 }, dst: '10.1.0.1', pick });
const find = <K extends Layer['kind']>(ls: Layer[], k: K): Extract<Layer, { kind: K }> => ls.find((l) => l.kind === k) as Extract<Layer, { kind: K }>;

describe('arrival processes', () => {
  it('constant pps: exact times without rounding drift', () => {
    const sent = run({ arrivals: constantRate({ pps: 3 }), flows: udpFlows(1), count: 7 });
    expect(sent.map((s) => s.t)).toEqual([0, 333333333, 666666667, 1000000000, 1333333333, 1666666667, 2000000000]);
  });

  it('constant bit rate counts the 24 bytes of wire overhead (10G of 60 B = 14.88 Mpps)', () => {
    const sent = run({ arrivals: constantRate({ bps: 10e9 }), flows: udpFlows(1), sizes: fixedSize(60), count: 14_881 });
    const last = sent[sent.length - 1].t;
    expect(last).toBe(Math.round(14_880 * 67.2)); // 84 B × 8 / 10 Gb/s = 67.2 ns
  });

  it('poisson: mean rate and exponential gaps (CV ≈ 1)', () => {
    const sent = run({ arrivals: poisson({ pps: 1e6 }), flows: udpFlows(1), count: 50_000 });
    const gaps = sent.slice(1).map((s, i) => s.t - sent[i].t);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(Math.abs(mean - 1000)).toBeLessThan(20);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.03);
  });

  it('on/off: bursts at the inner rate separated by silence', () => {
    const sent = run({ arrivals: onOff({ on: 10_000, off: 90_000, rate: { pps: 1e9 / 1000 } }), flows: udpFlows(1), until: 299_999 });
    // Bursts of 10 packets (0..9 µs) every 100 µs.
    const expected = [0, 100_000, 200_000].flatMap((b) => Array.from({ length: 10 }, (_, i) => b + i * 1000));
    expect(sent.map((s) => s.t)).toEqual(expected);
  });

  it('stopNs and count bound a source; start is delayed by startNs', () => {
    expect(run({ arrivals: constantRate({ pps: 1e6 }), flows: udpFlows(1), startNs: 500, stopNs: 5_500 }).map((s) => s.t)).toEqual([500, 1500, 2500, 3500, 4500]);
  });
});

describe('flows and sizes', () => {
  it('enumerates 5-tuples from ranges', () => {
    const fs = new FlowSet({ count: 3, src: { base: '10.0.0.254', count: 3 }, dst: '10.1.0.1', sport: { base: 1000, count: 2 }, dport: 80 });
    expect(fs.flows.map(flowTupleString)).toEqual(['udp 10.0.0.254:1000 > 10.1.0.1:80', 'udp 10.0.0.255:1001 > 10.1.0.1:80', 'udp 10.0.1.0:1000 > 10.1.0.1:80']);
    const v6 = new FlowSet({ count: 2, protocol: 'tcp', src: { base: '2001:db8::ffff', count: 2 }, dst: '2001:db8:1::1' });
    expect(v6.flows.map(flowTupleString)).toEqual(['tcp [2001:db8::ffff]:10000 > [2001:db8:1::1]:5001', 'tcp [2001:db8::1:0]:10001 > [2001:db8:1::1]:5001']);
    expect(() => new FlowSet({ count: 1, src: '10.0.0.1', dst: '::1' })).toThrow(/family/);
  });

  it('uniform spreads packets evenly; zipf concentrates them on the first flows', () => {
    const count = (pick: FlowSet['pick']): number[] => {
      const c = new Array(10).fill(0);
      for (const s of run({ arrivals: constantRate({ pps: 1e6 }), flows: udpFlows(10, pick), count: 20_000 })) c[s.flow]++;
      return c;
    };
    for (const c of count('uniform')) expect(Math.abs(c - 2000)).toBeLessThan(200);
    const z = count({ zipf: 1.2 });
    expect(z[0]).toBeGreaterThan(z[1]);
    expect(z[1]).toBeGreaterThan(z[9]);
    let norm = 0;
    for (let k = 1; k <= 10; k++) norm += k ** -1.2;
    expect(Math.abs(z[0] / 20_000 - 1 / norm)).toBeLessThan(0.02);
    expect(count('roundRobin')).toEqual(new Array(10).fill(2000));
  });

  it('IMIX: 7:4:1 of 60/590/1514-byte frames (64/594/1518 with FCS)', () => {
    const sent = run({ arrivals: constantRate({ pps: 1e6 }), flows: udpFlows(3), sizes: imix(), count: 12_000 });
    const by = new Map<number, number>();
    for (const s of sent) by.set(s.frame.length, (by.get(s.frame.length) ?? 0) + 1);
    expect([...by.keys()].sort((a, b) => a - b)).toEqual([60, 590, 1514]);
    expect(Math.abs(by.get(60)! - 7000)).toBeLessThan(250);
    expect(Math.abs(by.get(590)! - 4000)).toBeLessThan(250);
    expect(Math.abs(by.get(1514)! - 1000)).toBeLessThan(150);
    expect(imix().mean).toBeCloseTo((7 * 60 + 4 * 590 + 1514) / 12, 6);
  });
});

describe('UDP flows', () => {
  it('frames carry flow index and packet counter; checksums are valid', () => {
    const sent = run({ arrivals: constantRate({ pps: 1e6 }), flows: udpFlows(2, 'roundRobin'), sizes: fixedSize(100), link: { vlan: 7 }, count: 4 });
    sent.forEach((s, i) => {
      const ls = decode(s.frame);
      expect(s.frame.length).toBe(100);
      expect(find(ls, 'vlan').vid).toBe(7);
      expect(find(ls, 'ipv4').checksumOk).toBe(true);
      expect(find(ls, 'udp').checksumOk).toBe(true);
      const p = find(ls, 'payload');
      const v = new DataView(s.frame.buffer, s.frame.byteOffset + p.offset);
      expect([v.getUint32(0), v.getUint32(4)]).toEqual([i % 2, Math.floor(i / 2)]);
    });
    expect(flowKeyString(flowKey(sent[1].frame)!)).toBe('udp 10.0.0.2:10001 > 10.1.0.1:5001');
  });
});

describe('TCP-shaped flows', () => {
  const tcpFlows = (n: number, family: 4 | 6 = 4): FlowSet =>
    new FlowSet({ count: n, protocol: 'tcp', src: family === 4 ? '10.0.0.1' : '2001:db8::1', dst: family === 4 ? '10.0.0.2' : '2001:db8::2', sport: { base: 40000, count: n }, pick: 'roundRobin' });

  it.each([4, 6] as const)('IPv%d: SYN, ACK, MSS-sized data with rising seq, PSH per write, FIN, then a new connection', (family) => {
    const sent = run({ arrivals: constantRate({ pps: 1e6 }), flows: tcpFlows(1, family), tcp: { bytesPerConnection: 10_000, writeBytes: 4000 }, count: 16 });
    const segs = sent.map((s) => find(decode(s.frame), 'tcp'));
    for (const t of segs) expect(t.checksumOk).toBe(true);
    const mss = (family === 4 ? 1460 : 1440) - 12;
    expect(segs[0].flags).toBe(0x02);
    expect(segs[0].options.map((o) => o.kind)).toEqual(['mss', 'sackOk', 'timestamp', 'nop', 'wscale']);
    expect(segs[1]).toMatchObject({ flags: 0x10, seq: (segs[0].seq + 1) >>> 0, payloadLength: 0 });
    const fin = segs.findIndex((t) => t.flags & 0x01);
    const data = segs.slice(2, fin);
    expect(data.length).toBe(8); // writes of 4000 B: 1448 + 1448 + 1104, twice, then 1448 + 552
    let seq = segs[1].seq;
    let written = 0;
    for (const d of data) {
      expect(d.seq).toBe(seq);
      expect(d.ack).toBe(segs[1].ack);
      expect(d.payloadLength).toBeLessThanOrEqual(mss);
      written += d.payloadLength;
      // PSH exactly where an application write of 4000 B (or the connection) ends.
      expect(Boolean(d.flags & 0x08)).toBe(written % 4000 === 0 || written === 10_000);
      seq = (seq + d.payloadLength) >>> 0;
    }
    expect(written).toBe(10_000);
    expect(segs[fin]).toMatchObject({ flags: 0x11, seq, payloadLength: 0 });
    expect(segs[fin + 1].flags).toBe(0x02); // the next connection
    expect(segs[fin + 1].seq).not.toBe(segs[0].seq);
  });

  it('timestamps tick in ms, so segments of one ms have identical options (GRO can merge them)', () => {
    const sent = run({ arrivals: constantRate({ pps: 10_000 }), flows: tcpFlows(1), count: 40 });
    const ts = sent.map((s) => find(decode(s.frame), 'tcp').options.find((o) => o.kind === 'timestamp')) as { tsval: number }[];
    expect(ts[3].tsval).toBe(ts[2].tsval); // 100 µs apart
    expect((ts[12].tsval - ts[2].tsval) >>> 0).toBe(1);
  });

  it('flows interleave, each with its own sequence space', () => {
    const sent = run({ arrivals: constantRate({ pps: 1e6 }), flows: tcpFlows(3), count: 30 });
    const byFlow = new Map<number, number[]>();
    for (const s of sent) {
      const t = find(decode(s.frame), 'tcp');
      byFlow.set(t.sport, [...(byFlow.get(t.sport) ?? []), t.seq]);
    }
    expect([...byFlow.keys()].sort()).toEqual([40000, 40001, 40002]);
    for (const seqs of byFlow.values()) for (let i = 2; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] - 1);
  });
});

describe('determinism', () => {
  const digest = (seed: number): string => {
    const h = createHash('sha256');
    const flows = new FlowSet({ count: 50, protocol: 'tcp', src: { base: '10.0.0.1', count: 50 }, dst: '10.9.9.9', pick: { zipf: 1.1 } });
    for (const s of run({ seed, arrivals: poisson({ pps: 2e6 }), flows, sizes: imix(), count: 3000 })) h.update(`${s.t} `).update(s.frame);
    return h.digest('hex');
  };

  it('same seed ⇒ the same packets at the same times', () => {
    expect(digest(5)).toBe(digest(5));
    expect(digest(6)).not.toBe(digest(5));
  });
});

describe.skipIf(!hasTcpdump)('tcpdump reads generated traffic', () => {
  it('TCP and UDP flows', () => {
    const sim = new Simulator({ seed: 3 });
    const w = new PcapWriter({ precision: 'ns' });
    const sink = (t: number, f: Uint8Array): void => w.add(t, f);
    const tcp = new FlowSet({ count: 1, protocol: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 45000, dport: 46000 });
    new TrafficGenerator(sim, { arrivals: constantRate({ pps: 1000 }), flows: tcp, rng: sim.rng('tcp'), tcp: { bytesPerConnection: 3000 }, count: 5 }, sink).start();
    new TrafficGenerator(sim, { arrivals: constantRate({ pps: 1000 }), flows: udpFlows(1), rng: sim.rng('udp'), startNs: 500_000, count: 2 }, sink).start();
    sim.run();
    const file = join(mkdtempSync(join(tmpdir(), 'chainlab-gen-')), 'gen.pcap');
    w.writeFile(file);
    const lines = tcpdump(file, ['-n', '-t']);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^IP 10\.0\.0\.1\.45000 > 10\.0\.0\.2\.46000: Flags \[S\], seq \d+, win 64240, options \[mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 7\], length 0$/);
    expect(lines[1]).toBe('IP 10.0.0.1.10000 > 10.1.0.1.5001: UDP, length 18');
    // tcpdump numbers sequence space from the first data it sees (no SYN-ACK is generated).
    expect(lines[5]).toMatch(/Flags \[\.\], seq 1448:2896, ack 1, win 502, options \[nop,nop,TS val \d+ ecr \d+\], length 1448$/);
    expect(lines[6]).toMatch(/Flags \[P\.\], seq 2896:3000, ack 1, .*length 104$/);
  });
});
