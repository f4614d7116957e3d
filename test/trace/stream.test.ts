import { from, Subject, toArray, firstValueFrom, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TraceBus } from '../../src/trace/bus.ts';
import type { HopRecord, TraceRecord } from '../../src/trace/records.ts';
import { boundedBatches, byFlow, byHook, byNode, byPacket, samplePackets, traceStream, windowStats, type Batch } from '../../src/trace/stream.ts';

const hop = (t: number, pkt: number, host: string, dev: string, hook: HopRecord['hook'], extra: Partial<HopRecord> = {}): HopRecord => ({ type: 'hop', t, pkt, host, dev, hook, len: 60, ...extra });

/** Two packets of two flows; packet 3 is a clone of packet 1 (a redirect copy). */
const RECORDS: TraceRecord[] = [
  { type: 'topology', t: 0, hosts: [], links: [] },
  hop(0, 1, 'a', 'eth0', 'wire', { flow: 'udp 10.0.0.1:1000 > 10.0.0.2:53', traffic: 'dns' }),
  hop(0, 2, 'a', 'eth0', 'wire', { flow: 'tcp 10.0.0.9:2000 > 10.0.0.2:80', traffic: 'web' }),
  hop(100, 1, 'a', 'eth0', 'xdp', { verdict: 'XDP_PASS', progs: [{ prog: 'p', insns: 10 }] }),
  hop(150, 2, 'a', 'eth0', 'xdp', { verdict: 'XDP_DROP' }),
  hop(200, 1, 'a', 'eth0', 'tc-ingress', { verdict: 'TC_ACT_OK' }),
  hop(250, 3, 'a', 'eth1', 'tc-egress', { verdict: 'TC_ACT_OK', parent: 1 }),
  hop(1200, 1, 'b', 'eth0', 'local', { verdict: 'deliver ipv4' }),
  hop(2600, 3, 'b', 'eth1', 'local', { verdict: 'deliver ipv4' }),
];

const run = <T>(o: Observable<T>): Promise<T[]> => firstValueFrom(o.pipe(toArray()));
const ids = (hs: HopRecord[]): string[] => hs.map((h) => `${h.pkt}@${h.hook}`);

describe('trace operators', () => {
  it('byPacket follows a packet and the packets made from it', async () => {
    expect(ids(await run(from(RECORDS).pipe(byPacket(1))))).toEqual(['1@wire', '1@xdp', '1@tc-ingress', '3@tc-egress', '1@local', '3@local']);
    expect(ids(await run(from(RECORDS).pipe(byPacket(2))))).toEqual(['2@wire', '2@xdp']);
    expect(await run(from(RECORDS).pipe(byPacket(9)))).toEqual([]);
  });

  it('byFlow matches the flow text of a packet\'s first hop, then follows the packet and its clones', async () => {
    expect(ids(await run(from(RECORDS).pipe(byFlow('udp 10.0.0.1:1000 > 10.0.0.2:53'))))).toEqual(['1@wire', '1@xdp', '1@tc-ingress', '3@tc-egress', '1@local', '3@local']);
    expect(ids(await run(from(RECORDS).pipe(byFlow('10.0.0.9:2000'))))).toEqual(['2@wire', '2@xdp']);
    expect(await run(from(RECORDS).pipe(byFlow('icmp')))).toEqual([]);
  });

  it('byNode takes a host or a host/dev; byHook one or more hooks', async () => {
    expect(ids(await run(from(RECORDS).pipe(byNode('b'))))).toEqual(['1@local', '3@local']);
    expect(ids(await run(from(RECORDS).pipe(byNode('a/eth1'))))).toEqual(['3@tc-egress']);
    expect(ids(await run(from(RECORDS).pipe(byHook('xdp', 'tc-egress'))))).toEqual(['1@xdp', '2@xdp', '3@tc-egress']);
  });

  it('samplePackets keeps every n-th packet whole and passes records that are not hops', async () => {
    const out = await run(from(RECORDS).pipe(samplePackets(2)));
    expect(out[0].type).toBe('topology');
    expect(ids(out.filter((r): r is HopRecord => r.type === 'hop'))).toEqual(['2@wire', '2@xdp']);
  });

  it('windowStats counts hops per node, hook and verdict per window of simulated time, empty windows included', async () => {
    const out = await run(from(RECORDS).pipe(windowStats(1000)));
    expect(out).toEqual([
      {
        type: 'stats', t: 1000,
        counters: { 'a/eth0/wire/-': 2, 'a/eth0/xdp/XDP_PASS': 1, 'a/eth0/xdp/XDP_DROP': 1, 'a/eth0/tc-ingress/TC_ACT_OK': 1, 'a/eth1/tc-egress/TC_ACT_OK': 1 },
      },
      { type: 'stats', t: 2000, counters: { 'b/eth0/local/deliver ipv4': 1 } },
      { type: 'stats', t: 3000, counters: { 'b/eth1/local/deliver ipv4': 1 } },
    ]);
  });

  it('traceStream emits what the bus emits while subscribed, and the bus builds nothing once nobody listens', () => {
    const bus = new TraceBus();
    expect(bus.on).toBe(false);
    const seen: TraceRecord[] = [];
    const sub = traceStream(bus).pipe(byHook('xdp')).subscribe((r) => seen.push(r));
    expect(bus.on).toBe(true);
    for (const r of RECORDS) bus.emit(r);
    sub.unsubscribe();
    expect(bus.on).toBe(false);
    expect(ids(seen as HopRecord[])).toEqual(['1@xdp', '2@xdp']);
  });
});

describe('a slow consumer', () => {
  it('gets at most `capacity` records per batch, and the count of what was dropped; memory stays bounded', () => {
    const ticks = new Subject<void>();
    const src = new Subject<number>();
    const batches: Batch<number>[] = [];
    src.pipe(boundedBatches(100, ticks)).subscribe((b) => batches.push(b));
    // A fast producer (10,000 records between ticks) and a consumer that drains every 10,000.
    let next = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10_000; i++) src.next(next++);
      ticks.next();
    }
    for (let i = 0; i < 30; i++) src.next(next++);
    src.complete();
    expect(batches).toHaveLength(6);
    for (const b of batches.slice(0, 5)) {
      expect(b.items).toHaveLength(100);
      expect(b.dropped).toBe(9_900);
    }
    expect(batches[0].items[0]).toBe(0);
    expect(batches[1].items[0]).toBe(10_000);
    expect(batches[5]).toEqual({ items: Array.from({ length: 30 }, (_, i) => 50_000 + i), dropped: 0 });
    // Every record is either delivered or counted as dropped.
    const total = batches.reduce((s, b) => s + b.items.length + b.dropped, 0);
    expect(total).toBe(next);
  });

  it('a consumer that keeps up loses nothing, and an idle tick sends no empty batch', () => {
    const ticks = new Subject<void>();
    const src = new Subject<number>();
    const batches: Batch<number>[] = [];
    src.pipe(boundedBatches(10, ticks)).subscribe((b) => batches.push(b));
    ticks.next();
    for (let i = 0; i < 8; i++) src.next(i);
    ticks.next();
    ticks.next();
    expect(batches).toEqual([{ items: [0, 1, 2, 3, 4, 5, 6, 7], dropped: 0 }]);
  });
});
