/**
 * A small pcapng reader (draft-ietf-opsawg-pcapng). No npm package in the registry lists reads
 * pcapng (pcap-parser reads only classic pcap), so this reads the blocks that carry packets and
 * skips the rest by their length:
 *
 * - Section Header Block: byte order (per section) and the start of a new interface list;
 * - Interface Description Block: link type, snap length, if_tsresol (default 10^-6) and
 *   if_tsoffset;
 * - Enhanced Packet Block, Simple Packet Block (no timestamp: it takes the previous one) and
 *   the obsolete Packet Block.
 *
 * Every block's leading and trailing lengths must agree; any inconsistency is a CaptureError
 * naming the byte offset of the block.
 */
import { readFileSync } from 'node:fs';
import { type Capture, CaptureError, type CapturedFrame } from './capture.ts';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const OBSOLETE_PB = 2;
const SPB = 3;
const EPB = 6;
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

interface Interface {
  linktype: number;
  snaplen: number;
  /** Timestamp units per second. */
  unitsPerSec: bigint;
  offsetSec: bigint;
}

export function isPcapng(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

export function readPcapngFile(file: string): Capture {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CaptureError(file, undefined, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  return parsePcapng(bytes, file);
}

export function parsePcapng(bytes: Uint8Array, file = '<pcapng>'): Capture {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: CapturedFrame[] = [];
  let interfaces: Interface[] = [];
  let le = true;
  let first: bigint | null = null;
  let lastAbs: bigint | null = null;
  let off = 0;
  const fail = (at: number, problem: string): never => {
    throw new CaptureError(file, at, problem);
  };
  if (!isPcapng(bytes)) fail(0, 'not a pcapng file (it must start with a Section Header Block, 0a0d0d0a)');

  while (off < bytes.length) {
    if (bytes.length - off < 12) fail(off, `${bytes.length - off} trailing bytes, too few for a block`);
    // 0a0d0d0a reads the same in both byte orders, so a new section is found before its order is known.
    if (view.getUint32(off, true) === PCAPNG_SHB) {
      // The byte-order magic decides how this section (its length included) is read.
      const bom = view.getUint32(off + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else fail(off + 8, `bad byte-order magic 0x${bom.toString(16)}`);
      interfaces = [];
    }
    const type = view.getUint32(off, le);
    const len = view.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) fail(off, `block type ${type} has invalid length ${len}`);
    if (off + len > bytes.length) fail(off, `block type ${type} of ${len} bytes runs past the end of the file (${bytes.length - off} left)`);
    if (view.getUint32(off + len - 4, le) !== len) fail(off, `block type ${type}: trailing length ${view.getUint32(off + len - 4, le)} differs from ${len}`);
    const body = off + 8;
    const bodyEnd = off + len - 4;

    const packet = (ifId: number, abs: bigint | null, caplen: number, origLen: number, dataOff: number): void => {
      const ifc = interfaces[ifId] ?? fail(off, `packet refers to interface ${ifId}, but only ${interfaces.length} are described`);
      if (dataOff + caplen > bodyEnd) fail(off, `packet of ${caplen} bytes overruns its block`);
      const t = abs ?? lastAbs ?? 0n;
      first ??= t;
      lastAbs = t;
      records.push({ timeNs: Number(t - first), data: bytes.slice(dataOff, dataOff + caplen), origLen: Math.max(origLen, caplen), linktype: ifc.linktype });
    };
    const toNs = (ifId: number, hi: number, lo: number): bigint => {
      const ifc = interfaces[ifId] ?? fail(off, `packet refers to interface ${ifId}, but only ${interfaces.length} are described`);
      const units = (BigInt(hi) << 32n) | BigInt(lo);
      return ifc.offsetSec * 1_000_000_000n + (units * 1_000_000_000n) / ifc.unitsPerSec;
    };

    switch (type) {
      case PCAPNG_SHB:
        break;
      case IDB: {
        if (bodyEnd - body < 8) fail(off, 'interface description block too short');
        const ifc: Interface = { linktype: view.getUint16(body, le), snaplen: view.getUint32(body + 4, le), unitsPerSec: 1_000_000n, offsetSec: 0n };
        for (let o = body + 8; o + 4 <= bodyEnd; ) {
          const code = view.getUint16(o, le);
          const olen = view.getUint16(o + 2, le);
          if (code === OPT_ENDOFOPT) break;
          if (o + 4 + olen > bodyEnd) fail(o, `option ${code} of ${olen} bytes overruns its block`);
          if (code === IF_TSRESOL && olen >= 1) {
            const r = bytes[o + 4];
            ifc.unitsPerSec = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
          } else if (code === IF_TSOFFSET && olen >= 8) {
            ifc.offsetSec = view.getBigInt64(o + 4, le);
          }
          o += 4 + Math.ceil(olen / 4) * 4;
        }
        interfaces.push(ifc);
        break;
      }
      case EPB: {
        if (bodyEnd - body < 20) fail(off, 'enhanced packet block too short');
        const ifId = view.getUint32(body, le);
        packet(ifId, toNs(ifId, view.getUint32(body + 4, le), view.getUint32(body + 8, le)), view.getUint32(body + 12, le), view.getUint32(body + 16, le), body + 20);
        break;
      }
      case SPB: {
        if (bodyEnd - body < 4) fail(off, 'simple packet block too short');
        const origLen = view.getUint32(body, le);
        const snap = interfaces[0]?.snaplen || origLen;
        packet(0, null, Math.min(origLen, snap, bodyEnd - body - 4), origLen, body + 4);
        break;
      }
      case OBSOLETE_PB: {
        if (bodyEnd - body < 20) fail(off, 'packet block too short');
        const ifId = view.getUint16(body, le);
        packet(ifId, toNs(ifId, view.getUint32(body + 4, le), view.getUint32(body + 8, le)), view.getUint32(body + 12, le), view.getUint32(body + 16, le), body + 20);
        break;
      }
      default:
        break; // name resolution, statistics, custom blocks…: not needed to replay packets
    }
    off += len;
  }
  return {
    file,
    format: 'pcapng',
    linktype: interfaces[0]?.linktype ?? 0,
    snaplen: interfaces[0]?.snaplen ?? 0,
    startEpochNs: first ?? 0n,
    records,
  };
}
