import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPacket, summary } from '../../../src/net/packet/index.ts';
import { CaptureError, PcapWriter, parsePcap, readCapture, readPcapFile } from '../../../src/net/traffic/index.ts';
import { hasTcpdump, tcpdump } from '../tcpdump.ts';

const dir = mkdtempSync(join(tmpdir(), 'chainlab-pcap-'));
const frame = (sport: number, n = 20): Uint8Array =>
  buildPacket([
    { kind: 'eth', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' },
    { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
    { kind: 'udp', sport, dport: 40000 },
    { kind: 'raw', bytes: new Uint8Array(n) },
  ]);

/** Times chosen to show µs truncation and ns exactness. */
const TIMES = [0, 1_234_567, 1_000_000_001, 5_999_999_999];

function writeSample(precision: 'us' | 'ns', epochNs = 0n): { file: string; w: PcapWriter } {
  const w = new PcapWriter({ precision, epochNs });
  TIMES.forEach((t, i) => w.add(t, frame(41000 + i)));
  const file = join(dir, `sample-${precision}-${epochNs}.pcap`);
  w.writeFile(file);
  return { file, w };
}

describe('pcap writer → reader (pcap-parser)', () => {
  it.each(['us', 'ns'] as const)('round-trips frames and %s timestamps', async (precision) => {
    const { file } = writeSample(precision, 1_700_000_000_123_456_789n);
    const cap = await readPcapFile(file);
    expect(cap).toMatchObject({ format: 'pcap', linktype: 1, snaplen: 262144 });
    // Absolute start survives beyond 2^53 ns; µs files lose the sub-µs digits.
    expect(cap.startEpochNs).toBe(precision === 'ns' ? 1_700_000_000_123_456_789n : 1_700_000_000_123_456_000n);
    const expected = precision === 'ns' ? TIMES : [0, 1_235_000, 1_000_000_000, 6_000_000_000];
    expect(cap.records.map((r) => r.timeNs)).toEqual(expected);
    expect(cap.records.map((r) => summary(r.data))).toEqual(TIMES.map((_, i) => `IP 10.0.0.1.${41000 + i} > 10.0.0.2.40000: UDP, length 20`));
  });

  it('cuts frames at the snap length and keeps the wire length', async () => {
    const w = new PcapWriter({ snaplen: 40 });
    w.add(0, frame(1, 100));
    const cap = await parsePcap(w.toBytes(), 'snap.pcap');
    expect(cap.records[0].data.length).toBe(40);
    expect(cap.records[0].origLen).toBe(14 + 20 + 8 + 100);
  });

  it('reads big-endian files', async () => {
    const le = new PcapWriter({ precision: 'ns' });
    le.add(1_500, frame(7));
    const b = le.toBytes();
    const be = new Uint8Array(b.length);
    const dv = new DataView(b.buffer);
    const out = new DataView(be.buffer);
    // Swap every header field; frame bytes stay as they are.
    out.setUint32(0, dv.getUint32(0, true), false);
    out.setUint16(4, 2, false);
    out.setUint16(6, 4, false);
    for (const o of [8, 12, 16, 20, 24, 28, 32, 36]) out.setUint32(o, dv.getUint32(o, true), false);
    be.set(b.subarray(40), 40);
    const cap = await parsePcap(be, 'be.pcap');
    expect(cap.records.length).toBe(1);
    expect(cap.startEpochNs).toBe(1_500n);
    expect(summary(cap.records[0].data)).toBe('IP 10.0.0.1.7 > 10.0.0.2.40000: UDP, length 20');
  });

  describe.skipIf(!hasTcpdump)('tcpdump reads what we write', () => {
    it.each(['us', 'ns'] as const)('%s precision', (precision) => {
      const { file } = writeSample(precision, 1_700_000_000_000_000_000n);
      const lines = tcpdump(file, ['-n', '-tt', ...(precision === 'ns' ? ['--nano'] : [])]);
      const stamps = precision === 'ns'
        ? ['1700000000.000000000', '1700000000.001234567', '1700000001.000000001', '1700000005.999999999']
        : ['1700000000.000000', '1700000000.001234', '1700000001.000000', '1700000005.999999'];
      expect(lines).toEqual(stamps.map((s, i) => `${s} IP 10.0.0.1.${41000 + i} > 10.0.0.2.40000: UDP, length 20`));
    });
  });
});

describe('malformed pcap input: CaptureError naming file and offset', () => {
  const good = (): Uint8Array => {
    const w = new PcapWriter();
    w.add(0, frame(1));
    w.add(10, frame(2));
    return w.toBytes();
  };

  async function errorOf(bytes: Uint8Array, name: string): Promise<CaptureError> {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    try {
      await readCapture(file);
    } catch (e) {
      expect(e).toBeInstanceOf(CaptureError);
      const err = e as CaptureError;
      expect(err.message.startsWith(file)).toBe(true);
      expect(err.message).not.toContain('\n'); // one line, ready for a CLI to print
      return err;
    }
    throw new Error('no error');
  }

  it('bad magic', async () => {
    const e = await errorOf(Uint8Array.from([1, 2, 3, 4, ...new Uint8Array(40)]), 'magic.pcap');
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/byte 0: not a pcap file \(magic 0x01020304\)/);
  });

  it('short file header', async () => {
    const e = await errorOf(good().subarray(0, 10), 'short.pcap');
    expect(e.message).toMatch(/byte 0: file header needs 24 bytes, file has 10/);
  });

  it('bad version', async () => {
    const b = good();
    b[4] = 3;
    const e = await errorOf(b, 'version.pcap');
    expect(e.message).toMatch(/byte 4: unsupported pcap version 3.4/);
  });

  it('truncated last record', async () => {
    const b = good();
    const e = await errorOf(b.subarray(0, b.length - 5), 'cut.pcap');
    const second = 24 + 16 + 62;
    expect(e.offset).toBe(second);
    expect(e.message).toContain(`byte ${second}: record claims 62 captured bytes, only 57 remain`);
  });

  it('trailing bytes too few for a record header', async () => {
    const b = good();
    const e = await errorOf(Uint8Array.from([...b, 1, 2, 3]), 'tail.pcap');
    expect(e.message).toContain(`byte ${b.length}: 3 trailing bytes`);
  });

  it('absurd record length', async () => {
    const b = good();
    new DataView(b.buffer).setUint32(24 + 8, 9_000_000, true);
    const e = await errorOf(b, 'huge.pcap');
    expect(e.message).toContain('byte 24: record claims 9000000 captured bytes, more than the 262144 libpcap allows');
  });

  it('missing file', async () => {
    await expect(readCapture(join(dir, 'nope.pcap'))).rejects.toThrow(/nope\.pcap: cannot read: ENOENT/);
  });
});
