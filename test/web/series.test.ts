import { describe, expect, it } from 'vitest';
import type { StatsRecord } from '../../src/trace/records.ts';
import { Series } from '../../web/series.ts';

const rec = (t: number, counters: Record<string, number>): StatsRecord => ({ type: 'stats', t, counters: { interval_ns: 100_000, ...counters } });

describe('Series', () => {
  it('turns per-interval counts into rates per second', () => {
    const s = new Series();
    s.add(rec(100_000, { 'pkts/injected': 3, 'pkts/delivered': 2, 'pkts/dropped': 1, 'drops/XDP_DROP': 1 }));
    s.add(rec(200_000, { 'pkts/injected': 1, 'drops/QDISC_DROP': 1 }));
    const tp = Object.fromEntries(s.lines('throughput').map((l) => [l.name, l.points.map((p) => p.v)]));
    expect(tp).toEqual({ injected: [30_000, 10_000], delivered: [20_000, 0], dropped: [10_000, 0], left: [0, 0] });
    const drops = Object.fromEntries(s.lines('drops').map((l) => [l.name, l.points.map((p) => [p.t, p.v])]));
    expect(drops).toEqual({ XDP_DROP: [[100_000, 10_000], [200_000, 0]], QDISC_DROP: [[200_000, 10_000]] });
  });

  it('latency percentiles and CPU use per core', () => {
    const s = new Series();
    s.add(rec(100_000, { 'lat/count': 4, 'lat/p50': 500, 'lat/p90': 900, 'lat/p99': 1200, 'cpu/0/busy_ns': 25_000, 'cpu/1/busy_ns': 150_000 }));
    s.add(rec(200_000, {}));
    expect(s.lines('latency').map((l) => [l.name, l.points.map((p) => p.v)])).toEqual([['p50', [500]], ['p90', [900]], ['p99', [1200]]]);
    expect(s.lines('cpu').map((l) => [l.name, l.points.map((p) => p.v)])).toEqual([['cpu0', [25, 0]], ['cpu1', [100, 0]]]);
  });

  it('device rates, link rates and running drop counts (the ledger\'s, one per dropped packet)', () => {
    const s = new Series();
    // Raw counter names of the hooks do not count as drops: only devdrops/ (from the ledger) does.
    s.add(rec(100_000, { 'gen/eth0/tx_packets': 3, 'router/eth0/rx_packets': 3, 'router/eth0/xdp/XDP_DROP': 2, 'router/eth0/drop/xdp_exception': 1, 'devdrops/router/eth0': 3 }));
    s.add(rec(200_000, { 'router/eth0/xdp/XDP_DROP': 1, 'devdrops/router/eth0': 1, 'router/veth1/xdp-devmap/XDP_DROP': 1, 'devdrops/router/veth1': 1 }));
    expect(s.devices.get('router/eth0')).toEqual({ rxPps: 0, txPps: 0, dropPps: 10_000, drops: 4 });
    expect(s.devices.get('router/veth1')?.drops).toBe(1);
    expect(s.devices.has('router/drops')).toBe(false);
    s.add(rec(300_000, { 'gen/eth0/tx_packets': 5 }));
    expect(s.devices.get('router/eth0')?.dropPps).toBe(0);
    expect(s.linkPps('gen/eth0', 'router/eth0')).toBe(50_000);
  });

  it('keeps the last `capacity` points and ignores records out of order', () => {
    const s = new Series(3);
    for (let i = 1; i <= 5; i++) s.add(rec(i * 100_000, { 'pkts/injected': i }));
    s.add(rec(200_000, { 'pkts/injected': 99 }));
    expect(s.lines('throughput')[0].points.map((p) => p.t)).toEqual([300_000, 400_000, 500_000]);
  });
});
