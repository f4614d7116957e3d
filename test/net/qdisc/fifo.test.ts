import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/simulator.ts';
import { Bfifo, createQdisc, Noqueue, PfifoFast, Pfifo, PRIO2BAND, PtrRing, type QdiscEvent } from '../../../src/net/qdisc/index.ts';
import { P } from './helpers.ts';

describe('pfifo_fast', () => {
  it.each([
    // [priorities enqueued, expected dequeue order of those priorities]
    [[0, 6, 2], [6, 0, 2]], // TC_PRIO_BESTEFFORT→1, INTERACTIVE(6)→0, BULK(2)→2
    [[2, 2, 0, 7], [7, 0, 2, 2]],
    [[1, 4, 3, 5, 8], [4, 8, 1, 3, 5]],
    [[15, 14, 6], [6, 15, 14]],
    [[16 + 6, 0], [22, 0]], // priority & TC_PRIO_MAX
  ])('prio2band: %j dequeues as %j', (prios, order) => {
    const q = new PfifoFast(new Simulator());
    for (const p of prios) q.enqueue(new P(100, 0, p));
    const out: number[] = [];
    for (let p = q.dequeue(); p !== undefined; p = q.dequeue()) out.push(p.priority);
    expect(out).toEqual(order);
  });

  it('has the kernel prio2band map', () => {
    expect(PRIO2BAND).toEqual([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it.each([
    [4, 10, 0, 4],
    [1000, 1500, 0, 1000],
    [1000, 1500, 6, 1000],
  ])('txqueuelen %d per band: %d packets at prio %d keep %d', (txq, n, prio, kept) => {
    const q = new PfifoFast(new Simulator(), { txqueuelen: txq });
    let drops = 0;
    for (let i = 0; i < n; i++) if (q.enqueue(new P(100, 0, prio)) === 'drop') drops++;
    expect(q.qlen).toBe(kept);
    expect(drops).toBe(n - kept);
    expect(q.stats().drops).toBe(n - kept);
    expect(q.stats().backlog).toBe(kept * 100);
  });

  it('limits each band separately (one skb_array per band)', () => {
    const q = new PfifoFast(new Simulator(), { txqueuelen: 8 });
    for (let i = 0; i < 10; i++) q.enqueue(new P(100, 0, 6)); // band 0
    for (let i = 0; i < 10; i++) q.enqueue(new P(100, 0, 0)); // band 1
    expect(q.qlen).toBe(16);
    expect(q.stats().drops).toBe(4);
  });

  it('ptr_ring frees consumed slots in batches of 16 (__ptr_ring_discard_one)', () => {
    const r = new PtrRing(64);
    for (let i = 0; i < 64; i++) expect(r.produce(new P(1), 0)).toBe(true);
    expect(r.produce(new P(1), 0)).toBe(false);
    for (let i = 0; i < 15; i++) r.consume();
    // 15 consumed but not yet zeroed: the producer still sees a full ring
    expect(r.produce(new P(1), 0)).toBe(false);
    r.consume();
    for (let i = 0; i < 16; i++) expect(r.produce(new P(1), 0)).toBe(true);
    expect(r.produce(new P(1), 0)).toBe(false);
  });

  it('small rings do not batch', () => {
    const r = new PtrRing(8);
    for (let i = 0; i < 8; i++) r.produce(new P(1), 0);
    r.consume();
    expect(r.produce(new P(1), 0)).toBe(true);
  });
});

describe('pfifo / bfifo', () => {
  it.each([
    [{ limit: 3 }, [100, 100, 100, 100, 100], 3],
    [{ limit: 0 }, [100], 0],
  ])('pfifo %j', (opts, lens, kept) => {
    const q = new Pfifo(new Simulator(), opts);
    for (const l of lens) q.enqueue(new P(l));
    expect(q.qlen).toBe(kept);
    expect(q.stats().drops).toBe(lens.length - kept);
  });

  it.each([
    // limit bytes, packet sizes, accepted sizes
    [3000, [1500, 1500, 1], [1500, 1500]],
    [3000, [1000, 1500, 600, 500], [1000, 1500, 500]],
    [100, [101, 100], [100]],
  ])('bfifo limit %d: %j keeps %j', (limit, lens, kept) => {
    const q = new Bfifo(new Simulator(), { limit });
    const drops: QdiscEvent[] = [];
    q.onEvent = (ev) => {
      if (ev.kind === 'drop') drops.push(ev);
    };
    for (const l of lens) q.enqueue(new P(l));
    const out: number[] = [];
    for (let p = q.dequeue(); p !== undefined; p = q.dequeue()) out.push(p.len);
    expect(out).toEqual(kept);
    expect(drops.every((d) => d.reason === 'QDISC_OVERLIMIT')).toBe(true);
    expect(q.stats()).toMatchObject({ packets: kept.length, bytes: kept.reduce((a, b) => a + b, 0), drops: lens.length - kept.length, backlog: 0, qlen: 0 });
  });

  it('defaults follow fifo_init(): txqueuelen packets, txqueuelen × psched_mtu bytes', () => {
    const sim = new Simulator();
    expect((createQdisc({ kind: 'pfifo' }, sim) as Pfifo).limit).toBe(1000);
    expect((createQdisc({ kind: 'bfifo' }, sim) as Bfifo).limit).toBe(1514000);
    expect((createQdisc({ kind: 'bfifo' }, sim, { txqueuelen: 10, mtu: 9000 }) as Bfifo).limit).toBe(90140);
  });
});

describe('base bookkeeping', () => {
  it('counts, traces, requeues and peeks', () => {
    const sim = new Simulator();
    const q = new Pfifo(sim, { limit: 2 });
    const evs: string[] = [];
    q.onEvent = (ev) => evs.push(`${ev.kind}:${ev.pkt.len}:${ev.qlen}:${ev.backlog}${ev.reason ? ':' + ev.reason : ''}`);
    q.enqueue(new P(10));
    q.enqueue(new P(20));
    q.enqueue(new P(30));
    expect(q.peek()?.len).toBe(10);
    const a = q.dequeue() as P;
    q.requeue(a);
    expect(q.dequeue()).toBe(a);
    q.dequeue();
    expect(evs).toEqual(['enqueue:10:1:10', 'enqueue:20:2:30', 'drop:30:2:30:QDISC_OVERLIMIT', 'dequeue:10:1:20', 'requeue:10:2:30', 'dequeue:10:1:20', 'dequeue:20:0:0']);
    expect(q.stats()).toMatchObject({ bytes: 30, packets: 2, drops: 1, requeues: 1, backlog: 0, qlen: 0 });
    expect(q.formatStats()).toBe(' Sent 30 bytes 2 pkt (dropped 1, overlimits 0 requeues 1) \n backlog 0b 0p requeues 1');
  });

  it('reports sojourn time on dequeue', () => {
    const sim = new Simulator();
    const q = new Pfifo(sim);
    let sojourn = -1;
    q.onEvent = (ev) => {
      if (ev.kind === 'dequeue') sojourn = ev.sojourn ?? -1;
    };
    q.enqueue(new P(10));
    sim.schedule(1234, () => q.dequeue());
    sim.run();
    expect(sojourn).toBe(1234);
  });

  it('noqueue: bypass, and a forced enqueue is a drop', () => {
    const q = new Noqueue(new Simulator());
    expect(q.bypass).toBe(true);
    expect(q.enqueue(new P(1))).toBe('drop');
    expect(q.dequeue()).toBeUndefined();
    expect(q.nextReadyTime(0)).toBeUndefined();
  });
});
