import { describe, expect, it } from 'vitest';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT, EAGAIN, EINVAL, ENOTSUPP, RingBufMap,
} from '../../../src/ebpf/maps/index.ts';
import { def, make } from './util.ts';

const ring = (size = 4096) => make<RingBufMap>(def('RINGBUF', 0, 0, size));
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const consumeAll = (m: RingBufMap): number[][] => {
  const out: number[][] = [];
  m.consume((s) => {
    out.push([...s]);
  });
  return out;
};

describe('RINGBUF: reserve, submit, discard (ringbuf.c)', () => {
  it('hands out samples in engine memory that the program writes; the consumer reads them in order', () => {
    const { m, mem } = ring();
    const a = m.reserve(5);
    const b = m.reserve(3);
    expect(a).not.toBe(0n);
    expect(mem.regionOf(a)?.kind).toBe('ringbuf');
    mem.writable(a, 5).set([1, 2, 3, 4, 5]);
    mem.writable(b, 3).set([9, 9, 9]);
    expect(() => mem.writable(a + 5n, 1)).toThrow(/out of bounds/);
    // b is committed first, but a (older, still busy) holds the consumer back.
    m.submit(b);
    expect(consumeAll(m)).toEqual([]);
    m.submit(a);
    expect(consumeAll(m)).toEqual([[1, 2, 3, 4, 5], [9, 9, 9]]);
    expect(() => mem.read(a, 1)).toThrow(/not a mapped region/);
  });

  it('writes the 8-byte header: length with BUSY, then DISCARD, and the page offset', () => {
    const { m } = ring();
    const a = m.reserve(10);
    expect(m.header(0)).toEqual({ len: (10 | BPF_RINGBUF_BUSY_BIT) >>> 0, pgOff: 3 });
    m.discard(a);
    expect(m.header(0).len).toBe((10 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
    // Records are 8-byte aligned: header + round_up(10, 8).
    expect(m.query(BPF_RB_PROD_POS)).toBe(24n);
  });

  it('discarded records are skipped by the consumer', () => {
    const { m } = ring();
    expect(m.output(bytes(4, 1))).toBe(0);
    m.discard(m.reserve(4));
    expect(m.output(bytes(4, 3))).toBe(0);
    expect(consumeAll(m)).toEqual([[1, 1, 1, 1], [3, 3, 3, 3]]);
    expect(m.query(BPF_RB_AVAIL_DATA)).toBe(0n);
  });

  it('a full ring refuses reservations (NULL) and output (-EAGAIN) until consumed', () => {
    const { m } = ring(4096);
    // 4096 bytes hold at most 4088 bytes of records: never the whole ring.
    expect(m.reserve(4096 - 8)).toBe(0n);
    expect(m.reserve(4096 - 16)).not.toBe(0n);
    const { m: r } = ring(4096);
    let n = 0;
    while (r.output(bytes(56, n & 0xff)) === 0) n++;
    expect(n).toBe(63);
    // 4032 bytes used: a 64-byte record would fill the ring, a 56-byte one fits, then nothing.
    expect(r.output(bytes(49, 0))).toBe(-EAGAIN);
    expect(r.output(bytes(48, 0))).toBe(0);
    expect(r.reserve(0)).toBe(0n);
    expect(r.consume(() => {}, 1)).toBe(1);
    expect(r.output(bytes(56, 0xee))).toBe(0);
  });

  it('wraps around the end of the ring, keeping samples contiguous for the program', () => {
    const { m, mem } = ring(4096);
    for (let i = 0; i < 60; i++) expect(m.output(bytes(56, 1))).toBe(0);
    expect(m.consume(() => {})).toBe(60);
    // Producer at 3840: a 300-byte sample crosses the end.
    const a = m.reserve(300);
    const sample = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    mem.writable(a, 300).set(sample);
    m.submit(a);
    const got: Uint8Array[] = [];
    m.consume((s) => {
      got.push(s);
    });
    expect([...got[0]]).toEqual([...sample]);
    expect(m.query(BPF_RB_CONS_POS)).toBe(m.query(BPF_RB_PROD_POS));
  });

  it('an uncommitted record stops reservations from lapping it (pending_pos)', () => {
    const { m } = ring(4096);
    const held = m.reserve(8);
    for (let i = 0; i < 10; i++) m.output(bytes(200, 1));
    expect(m.consume(() => {})).toBe(0);
    expect(m.reserve(3000)).toBe(0n);
    m.submit(held);
    expect(m.consume(() => {})).toBe(11);
    expect(m.reserve(3000)).not.toBe(0n);
  });

  it('wake-ups: when the consumer waits for the record, forced, or suppressed', () => {
    const { m } = ring();
    let woken = 0;
    m.onWakeup = () => woken++;
    m.output(bytes(1, 1));
    expect(woken).toBe(1);
    // The consumer still waits at record 0: later records do not wake it.
    m.output(bytes(1, 2));
    expect(woken).toBe(1);
    m.output(bytes(1, 3), BPF_RB_FORCE_WAKEUP);
    expect(woken).toBe(2);
    m.consume(() => {});
    m.output(bytes(1, 4), BPF_RB_NO_WAKEUP);
    expect(m.wakeups).toBe(2);
    m.submit(m.reserve(1));
    expect(m.wakeups).toBe(2);
  });

  it('flags: reserve needs 0, output takes only wake-up flags', () => {
    const { m } = ring();
    expect(m.reserve(8, 1n)).toBe(0n);
    expect(m.output(bytes(1, 1), 4n)).toBe(-EINVAL);
    expect(m.submit(12345n << 32n)).toBe(-EINVAL);
    expect(m.query(BPF_RB_RING_SIZE)).toBe(4096n);
    expect(m.query(99n)).toBe(0n);
  });

  it('a negative callback result stops consumption and is returned; the record counts as consumed', () => {
    const { m } = ring();
    for (const v of [1, 2, 3]) m.output(bytes(1, v));
    const seen: number[] = [];
    expect(m.consume((s) => (seen.push(s[0]), s[0] === 2 ? -7 : 0))).toBe(-7);
    expect(m.consume((s) => void seen.push(s[0]))).toBe(1);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('user-space element operations are -ENOTSUPP', () => {
    const { m } = ring();
    const none = new Uint8Array(0);
    expect(m.tryLookup(none).err).toBe(-ENOTSUPP);
    expect(m.update(none, none)).toBe(-ENOTSUPP);
    expect(m.delete(none)).toBe(-ENOTSUPP);
    expect(m.tryNextKey().err).toBe(-ENOTSUPP);
  });
});
