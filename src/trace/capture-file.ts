/**
 * Capture sinks that stream to a file as frames arrive (memory bounded by a 1 MiB buffer, like
 * JsonlSink): classic pcap (pcap-savefile(5), nanosecond magic) with one interface, or pcapng
 * (draft-ietf-opsawg-pcapng) with one Interface Description Block per capture point, so one file
 * can hold several devices or hooks, each named, and each frame's direction. What libpcap writes
 * is what tcpdump and tshark read: little-endian blocks, if_tsresol 9 (ns), snaplen 262144.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export type CaptureFormat = 'pcap' | 'pcapng';
/** epb_flags bits 0-1: 1 inbound, 2 outbound. */
export type Direction = 'in' | 'out' | undefined;

const SNAPLEN = 262144;
const LINKTYPE_ETHERNET = 1;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

/** The format a file name asks for: .pcapng (or .ntar) is pcapng, anything else classic pcap. */
export function formatOf(path: string): CaptureFormat {
  return /\.(pcapng|ntar)$/i.test(path) ? 'pcapng' : 'pcap';
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** One option: code, length, value padded to 32 bits. */
function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + pad4(value.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, code, true);
  v.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A block: type, total length, body, options ending in opt_endofopt, total length again. */
function block(type: number, body: Uint8Array, options: Uint8Array[]): Uint8Array {
  const opts = options.length ? [...options, new Uint8Array(4)] : [];
  const optLen = opts.reduce((s, o) => s + o.length, 0);
  const total = 12 + pad4(body.length) + optLen;
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, total, true);
  out.set(body, 8);
  let o = 8 + pad4(body.length);
  for (const opt of opts) {
    out.set(opt, o);
    o += opt.length;
  }
  v.setUint32(total - 4, total, true);
  return out;
}

export class CaptureFile {
  readonly format: CaptureFormat;
  private readonly fd: number;
  private interfaces = 0;
  private started = false;
  private buf: Uint8Array[] = [];
  private size = 0;
  /** Frames written. */
  records = 0;

  constructor(
    readonly path: string,
    format: CaptureFormat = formatOf(path),
    private readonly flushBytes = 1 << 20,
  ) {
    this.format = format;
    this.fd = openSync(path, 'w');
    if (format === 'pcapng') {
      const body = new Uint8Array(16);
      const v = new DataView(body.buffer);
      v.setUint32(0, BYTE_ORDER_MAGIC, true);
      v.setUint16(4, 1, true); // major
      v.setUint16(6, 0, true); // minor
      v.setBigInt64(8, -1n, true); // section length unknown
      this.push(block(SHB, body, [option(SHB_USERAPPL, utf8('chainlab'))]));
    } else {
      const h = new Uint8Array(24);
      const v = new DataView(h.buffer);
      v.setUint32(0, PCAP_MAGIC_NS, true);
      v.setUint16(4, 2, true);
      v.setUint16(6, 4, true);
      v.setUint32(16, SNAPLEN, true);
      v.setUint32(20, LINKTYPE_ETHERNET, true);
      this.push(h);
    }
  }

  /**
   * Declare a capture point (before the first frame); returns its interface id. A classic pcap
   * file has room for one.
   */
  addInterface(name: string, description?: string): number {
    if (this.started) throw new Error(`${this.path}: interfaces must be declared before the first frame`);
    if (this.format === 'pcap') {
      if (this.interfaces > 0) throw new Error(`${this.path}: a pcap file holds one capture point; name the file .pcapng to capture several into it`);
      return this.interfaces++;
    }
    const body = new Uint8Array(8);
    const v = new DataView(body.buffer);
    v.setUint16(0, LINKTYPE_ETHERNET, true);
    v.setUint32(4, SNAPLEN, true);
    const opts = [option(IF_NAME, utf8(name)), option(IF_TSRESOL, Uint8Array.of(9))];
    if (description) opts.push(option(IF_DESCRIPTION, utf8(description)));
    this.push(block(IDB, body, opts));
    return this.interfaces++;
  }

  /** A frame seen at virtual time `t` (integer ns) on interface `ifId`; frames past the snap length are cut. */
  write(ifId: number, t: number, frame: Uint8Array, direction?: Direction, comment?: string): void {
    if (ifId < 0 || ifId >= this.interfaces) throw new RangeError(`${this.path}: no interface ${ifId}`);
    if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`${this.path}: frame time must be integer ns ≥ 0, got ${t}`);
    this.started = true;
    const caplen = Math.min(frame.length, SNAPLEN);
    if (this.format === 'pcap') {
      const h = new Uint8Array(16);
      const v = new DataView(h.buffer);
      v.setUint32(0, Math.floor(t / 1e9), true);
      v.setUint32(4, t % 1e9, true);
      v.setUint32(8, caplen, true);
      v.setUint32(12, frame.length, true);
      this.push(h);
      this.push(frame.slice(0, caplen));
    } else {
      const body = new Uint8Array(20 + caplen);
      const v = new DataView(body.buffer);
      v.setUint32(0, ifId, true);
      v.setUint32(4, Math.floor(t / 2 ** 32), true);
      v.setUint32(8, t % 2 ** 32, true);
      v.setUint32(12, caplen, true);
      v.setUint32(16, frame.length, true);
      body.set(frame.subarray(0, caplen), 20);
      const opts: Uint8Array[] = [];
      if (direction) {
        const flags = new Uint8Array(4);
        new DataView(flags.buffer).setUint32(0, direction === 'in' ? 1 : 2, true);
        opts.push(option(EPB_FLAGS, flags));
      }
      if (comment) opts.push(option(OPT_COMMENT, utf8(comment)));
      this.push(block(EPB, body, opts));
    }
    this.records++;
  }

  flush(): void {
    if (this.size === 0) return;
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.buf) {
      out.set(c, o);
      o += c.length;
    }
    writeSync(this.fd, out);
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private push(c: Uint8Array): void {
    this.buf.push(c);
    this.size += c.length;
    if (this.size >= this.flushBytes) this.flush();
  }
}
