import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/index.ts';
import { buildPacket } from '../../../src/net/packet/index.ts';
import { type CapturedFrame, CaptureReplay, PcapWriter, type ReplayOptions, parsePcap } from '../../../src/net/traffic/index.ts';

const frame = (n: number): Uint8Array =>
  buildPacket([
    { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
    { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
    { kind: 'udp', sport: n, dport: 9 },
    { kind: 'raw', bytes: new Uint8Array(18) },
  ]);

const records: CapturedFrame[] = [0, 1000, 1500, 1400, 10_000].map((t, i) => ({ timeNs: t, data: frame(i), origLen: 60, linktype: 1 }));

function replay(opts: ReplayOptions, recs: readonly CapturedFrame[] = records, at = 0): [number, number][] {
  const sim = new Simulator();
  const out: [number, number][] = [];
  sim.schedule(at, () => new CaptureReplay(sim, recs, opts, (t, _f, _r, i) => out.push([t, i])).start());
  sim.run();
  return out;
}

describe('capture replay', () => {
  it('keeps the capture timing; a record stamped earlier goes out right after its predecessor', () => {
    expect(replay({}, records, 7)).toEqual([
      [7, 0],
      [1007, 1],
      [1507, 2],
      [1507, 3],
      [10_007, 4],
    ]);
  });

  it('speeds up', () => {
    expect(replay({ timing: { speed: 10 } }).map(([t]) => t)).toEqual([0, 100, 150, 150, 1000]);
  });

  it('retimes to a packet rate without drift', () => {
    expect(replay({ timing: { pps: 3e8 } }).map(([t]) => t)).toEqual([0, 3, 7, 10, 13]);
  });

  it('retimes to a bit rate over wire lengths', () => {
    // 60 + 24 bytes at 1 Gb/s = 672 ns per frame.
    expect(replay({ timing: { bps: 1e9 } }).map(([t]) => t)).toEqual([0, 672, 1344, 2016, 2688]);
  });

  it('loops, starting the next pass one mean gap later', () => {
    const out = replay({ loops: 2 });
    expect(out.map(([, i]) => i)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(out[5][0]).toBe(10_000 + 2500);
    expect(out[9][0]).toBe(12_500 + 10_000);
  });

  it('replays a pcap file read back from bytes, at its original pace', async () => {
    const w = new PcapWriter({ precision: 'ns', epochNs: 1_600_000_000_000_000_000n });
    records.slice(0, 3).forEach((r) => w.add(r.timeNs, r.data));
    const cap = await parsePcap(w.toBytes(), 'mem.pcap');
    expect(replay({}, cap.records, 0).map(([t]) => t)).toEqual([0, 1000, 1500]);
  });

  it('keeps one event pending at a time', () => {
    const sim = new Simulator();
    const many = Array.from({ length: 10_000 }, (_, i) => ({ timeNs: i * 10, data: frame(1), origLen: 60, linktype: 1 }));
    let maxPending = 0;
    new CaptureReplay(sim, many, {}, () => (maxPending = Math.max(maxPending, sim.stats.pending))).start();
    sim.run();
    expect(maxPending).toBe(0); // the next record is scheduled after the sink returns
    expect(sim.stats.processed).toBe(10_000);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new CaptureReplay(new Simulator(), records, { timing: { pps: 0 } }, () => {})).toThrow(/must be > 0/);
  });
});
