/**
 * A classic pcap writer (pcap-savefile(5)), microsecond or nanosecond timestamps, host byte
 * order as libpcap writes it. Frames longer than the snap length are cut and keep their wire
 * length in orig_len, as tcpdump -s does.
 */
import { writeFileSync } from 'node:fs';
import type { CapturedFrame } from './capture.ts';
import {
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_LEN,
  type TimestampPrecision,
} from './pcap-format.ts';

export interface PcapWriterOptions {
  precision?: TimestampPrecision;
  snaplen?: number;
  linktype?: number;
  /**
   * Wall-clock time of virtual time 0, in ns since 1970 (a bigint: real epochs exceed 2^53 ns).
   * Default 0n: virtual time 0 is written as 1970-01-01 00:00:00.
   */
  epochNs?: bigint;
}

export class PcapWriter {
  readonly precision: TimestampPrecision;
  readonly snaplen: number;
  readonly linktype: number;
  private readonly epochSec: number;
  private readonly epochFrac: number;
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private count = 0;

  constructor(opts: PcapWriterOptions = {}) {
    this.precision = opts.precision ?? 'us';
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.linktype = opts.linktype ?? LINKTYPE_ETHERNET;
    const epoch = opts.epochNs ?? 0n;
    if (epoch < 0n) throw new RangeError('pcap epoch must not be before 1970');
    this.epochSec = Number(epoch / 1_000_000_000n);
    this.epochFrac = Number(epoch % 1_000_000_000n);
    const h = new Uint8Array(PCAP_FILE_HEADER_LEN);
    const v = new DataView(h.buffer);
    v.setUint32(0, this.precision === 'ns' ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    this.push(h);
  }

  /** Frames written so far. */
  get records(): number {
    return this.count;
  }

  /** Append a frame captured at virtual time `timeNs`. */
  add(timeNs: number, data: Uint8Array, origLen = data.length): void {
    if (!Number.isSafeInteger(timeNs) || timeNs < 0) throw new RangeError(`pcap record time must be integer ns ≥ 0, got ${timeNs}`);
    // Split into seconds and ns without ever forming the (possibly > 2^53) absolute ns.
    const f = this.epochFrac + timeNs;
    const sec = this.epochSec + Math.floor(f / 1e9);
    const frac = f % 1e9;
    if (sec > 0xffffffff) throw new RangeError(`pcap record time is past 2106, beyond a 32-bit seconds field`);
    const caplen = Math.min(data.length, this.snaplen);
    const h = new Uint8Array(PCAP_RECORD_HEADER_LEN);
    const v = new DataView(h.buffer);
    v.setUint32(0, sec, true);
    v.setUint32(4, this.precision === 'ns' ? frac : Math.floor(frac / 1000), true);
    v.setUint32(8, caplen, true);
    v.setUint32(12, Math.max(origLen, data.length), true);
    this.push(h);
    this.push(data.slice(0, caplen));
    this.count++;
  }

  addRecord(r: CapturedFrame): void {
    this.add(r.timeNs, r.data, r.origLen);
  }

  /** The file so far, as one buffer. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.bytes);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  writeFile(path: string): void {
    writeFileSync(path, this.toBytes());
  }

  private push(c: Uint8Array): void {
    this.chunks.push(c);
    this.bytes += c.length;
  }
}
