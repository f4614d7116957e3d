import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPacket, summary } from '../../../src/net/packet/index.ts';
import { CaptureError, parsePcapng, readCapture } from '../../../src/net/traffic/index.ts';
import { hasTcpdump, tcpdump } from '../tcpdump.ts';

/** A tiny pcapng writer for test input: blocks in either byte order. */
class Ng {
  private parts: number[] = [];
  constructor(private readonly le = true) {}

  private block(type: number, body: number[]): this {
    const padded = [...body, ...new Array((4 - (body.length % 4)) % 4).fill(0)];
    const len = 12 + padded.length;
    this.parts.push(...this.u32(type), ...this.u32(len), ...padded, ...this.u32(len));
    return this;
  }
  u16(v: number): number[] {
    const b = [v & 0xff, (v >> 8) & 0xff];
    return this.le ? b : b.reverse();
  }
  u32(v: number): number[] {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    return this.le ? b : b.reverse();
  }
  shb(): this {
    return this.block(0x0a0d0d0a, [...this.u32(0x1a2b3c4d), ...this.u16(1), ...this.u16(0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  }
  idb(linktype: number, opts: { tsresol?: number; tsoffset?: number } = {}): this {
    const o: number[] = [];
    if (opts.tsresol !== undefined) o.push(...this.u16(9), ...this.u16(1), opts.tsresol, 0, 0, 0);
    if (opts.tsoffset !== undefined) o.push(...this.u16(14), ...this.u16(8), ...this.u32(opts.tsoffset).concat([0, 0, 0, 0]).slice(0, 8));
    if (o.length) o.push(0, 0, 0, 0);
    return this.block(1, [...this.u16(linktype), 0, 0, ...this.u32(65535), ...o]);
  }
  epb(ifId: number, ts: bigint, data: Uint8Array, origLen = data.length): this {
    return this.block(6, [...this.u32(ifId), ...this.u32(Number(ts >> 32n)), ...this.u32(Number(ts & 0xffffffffn)), ...this.u32(data.length), ...this.u32(origLen), ...data]);
  }
  spb(data: Uint8Array): this {
    return this.block(3, [...this.u32(data.length), ...data]);
  }
  other(type: number, n: number): this {
    return this.block(type, new Array(n).fill(0xee));
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const frame = (sport: number): Uint8Array =>
  buildPacket([
    { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
    { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
    { kind: 'udp', sport, dport: 40000 },
    { kind: 'raw', bytes: new Uint8Array(4) },
  ]);
const line = (sport: number): string => `IP 10.0.0.1.${sport} > 10.0.0.2.40000: UDP, length 4`;
const dir = mkdtempSync(join(tmpdir(), 'chainlab-ng-'));

describe('pcapng reader', () => {
  it.each([true, false])('little-endian=%s: EPB with µs and ns interfaces, SPB, unknown blocks skipped', (le) => {
    const ng = new Ng(le)
      .shb()
      .idb(1) // default resolution: µs
      .idb(1, { tsresol: 9 }) // ns
      .epb(0, 1_700_000_000_000_001n, frame(1))
      .other(0x80000001, 6) // a custom block
      .epb(1, 1_700_000_000_000_002_500n, frame(2))
      .other(5, 16) // interface statistics
      .spb(frame(3))
      .bytes();
    const cap = parsePcapng(ng, 'x.pcapng');
    expect(cap).toMatchObject({ format: 'pcapng', linktype: 1, snaplen: 65535, startEpochNs: 1_700_000_000_000_001_000n });
    expect(cap.records.map((r) => [r.timeNs, summary(r.data)])).toEqual([
      [0, line(1)],
      [1_500, line(2)],
      [1_500, line(3)], // SPB carries no time: it keeps the previous one
    ]);
  });

  it('binary (2^-n) resolution and if_tsoffset', () => {
    const ng = new Ng().shb().idb(1, { tsresol: 0x80 | 10, tsoffset: 100 }).epb(0, 1024n, frame(1)).epb(0, 1536n, frame(2)).bytes();
    const cap = parsePcapng(ng);
    expect(cap.startEpochNs).toBe(101_000_000_000n); // 100 s offset + 1024/1024 s
    expect(cap.records[1].timeNs).toBe(500_000_000);
  });

  it('a second section restarts the interface list and may change byte order', () => {
    const a = new Ng(true).shb().idb(1).epb(0, 10n, frame(1)).bytes();
    const b = new Ng(false).shb().idb(1, { tsresol: 9 }).epb(0, 20_000n, frame(2)).bytes();
    const cap = parsePcapng(Uint8Array.from([...a, ...b]));
    expect(cap.records.map((r) => [r.timeNs, summary(r.data)])).toEqual([
      [0, line(1)],
      [10_000, line(2)],
    ]);
  });

  it('readCapture recognises pcapng by its first block', async () => {
    const file = join(dir, 'a.pcapng');
    writeFileSync(file, new Ng().shb().idb(1).epb(0, 5n, frame(9)).bytes());
    const cap = await readCapture(file);
    expect(cap.format).toBe('pcapng');
    expect(summary(cap.records[0].data)).toBe(line(9));
  });

  describe.skipIf(!hasTcpdump)('agrees with libpcap (tcpdump -r)', () => {
    it('timestamps and packets', () => {
      const file = join(dir, 'b.pcapng');
      writeFileSync(file, new Ng().shb().idb(1, { tsresol: 9 }).epb(0, 1_700_000_000_123_456_789n, frame(1)).epb(0, 1_700_000_001_000_000_000n, frame(2)).bytes());
      expect(tcpdump(file, ['-n', '-tt', '--nano'])).toEqual([`1700000000.123456789 ${line(1)}`, `1700000001.000000000 ${line(2)}`]);
    });
  });

  describe('malformed input', () => {
    const good = (): Uint8Array => new Ng().shb().idb(1).epb(0, 1n, frame(1)).bytes();
    const err = (b: Uint8Array): CaptureError => {
      try {
        parsePcapng(b, 'bad.pcapng');
      } catch (e) {
        expect(e).toBeInstanceOf(CaptureError);
        return e as CaptureError;
      }
      throw new Error('no error');
    };

    it('not pcapng', () => expect(err(new Uint8Array(16)).message).toBe('bad.pcapng: byte 0: not a pcapng file (it must start with a Section Header Block, 0a0d0d0a)'));
    it('bad byte-order magic', () => {
      const b = good();
      b[8] = 0;
      expect(err(b).message).toMatch(/^bad\.pcapng: byte 8: bad byte-order magic/);
    });
    it('trailing length differs', () => {
      const b = good();
      const shbLen = 28;
      b[shbLen + 20 - 4] ^= 4; // IDB (20 bytes): its trailing length
      expect(err(b).message).toMatch(new RegExp(`^bad\\.pcapng: byte ${shbLen}: block type 1: trailing length`));
    });
    it('block past the end', () => {
      const b = good();
      expect(err(b.subarray(0, b.length - 8)).message).toMatch(/^bad\.pcapng: byte 48: block type 6 of \d+ bytes runs past the end/);
    });
    it('packet for an undescribed interface', () => {
      const b = new Ng().shb().epb(0, 1n, frame(1)).bytes();
      expect(err(b).message).toBe('bad.pcapng: byte 28: packet refers to interface 0, but only 0 are described');
    });
    it('captured length beyond its block', () => {
      const b = good();
      new DataView(b.buffer).setUint32(48 + 8 + 12, 5000, true);
      expect(err(b).message).toBe('bad.pcapng: byte 48: packet of 5000 bytes overruns its block');
    });
  });
});
