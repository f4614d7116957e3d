/**
 * Reads classic pcap files through the `pcap-parser` package, adding what it lacks:
 *
 * - Nanosecond files (magic 0xa1b23c4d). pcap-parser rejects their magic, although the layout is
 *   the same; we hand it the microsecond magic in the same byte order and read its
 *   "timestampMicroseconds" field as nanoseconds.
 * - Errors with the file and byte offset. pcap-parser reports a bad magic without an offset,
 *   accepts any version whose major is 2 *or* minor is 4, waits silently on a record longer than
 *   the file and drops a truncated tail without a word. We check the header ourselves and track
 *   every record's offset.
 * - Record lengths bounded like libpcap's (caplen ≤ 262144, MAXIMUM_SNAPLEN), so a corrupt
 *   length is reported instead of swallowing the rest of the file.
 *
 * The whole file is read into memory first (captures for scenarios are small).
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import pcapParser from 'pcap-parser';
import { type Capture, CaptureError, type CapturedFrame } from './capture.ts';
import { PCAP_FILE_HEADER_LEN, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HEADER_LEN } from './pcap-format.ts';

/** libpcap's MAXIMUM_SNAPLEN: no record may claim more. */
const MAX_CAPLEN = 262144;

export type PcapMagic = { littleEndian: boolean; nanos: boolean } | null;

/** Classic pcap magic in either byte order, or null. */
export function pcapMagic(b: Uint8Array): PcapMagic {
  if (b.length < 4) return null;
  const le = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  if (le === PCAP_MAGIC_US) return { littleEndian: true, nanos: false };
  if (le === PCAP_MAGIC_NS) return { littleEndian: true, nanos: true };
  if (be === PCAP_MAGIC_US) return { littleEndian: false, nanos: false };
  if (be === PCAP_MAGIC_NS) return { littleEndian: false, nanos: true };
  return null;
}

/** Read a classic pcap file (µs or ns timestamps, either byte order). */
export async function readPcapFile(file: string): Promise<Capture> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new CaptureError(file, undefined, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  return parsePcap(bytes, file);
}

/** Parse classic pcap bytes; `file` names the source in errors. */
export async function parsePcap(bytes: Uint8Array, file = '<pcap>'): Promise<Capture> {
  if (bytes.length < PCAP_FILE_HEADER_LEN) {
    throw new CaptureError(file, 0, `file header needs ${PCAP_FILE_HEADER_LEN} bytes, file has ${bytes.length}`);
  }
  const magic = pcapMagic(bytes);
  if (magic === null) {
    const hex = Array.from(bytes.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');
    throw new CaptureError(file, 0, `not a pcap file (magic 0x${hex}); pcapng files start with 0a0d0d0a`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = view.getUint16(4, magic.littleEndian);
  const minor = view.getUint16(6, magic.littleEndian);
  if (major !== 2) throw new CaptureError(file, 4, `unsupported pcap version ${major}.${minor} (expected 2.4)`);

  let input = bytes;
  if (magic.nanos) {
    // Same layout as the µs format: give pcap-parser the µs magic in the file's byte order.
    input = bytes.slice();
    new DataView(input.buffer).setUint32(0, PCAP_MAGIC_US, magic.littleEndian);
  }

  return new Promise<Capture>((resolve, reject) => {
    const records: CapturedFrame[] = [];
    let linktype = 0;
    let snaplen = 0;
    let offset = PCAP_FILE_HEADER_LEN;
    let first: bigint | null = null;
    let failed = false;
    const fail = (at: number, problem: string): void => {
      if (failed) return;
      failed = true;
      reject(new CaptureError(file, at, problem));
    };
    const parser = pcapParser.parse(Readable.from([Buffer.from(input.buffer, input.byteOffset, input.byteLength)]));
    parser.on('globalHeader', (h) => {
      linktype = h.linkLayerType;
      snaplen = h.snapshotLength;
    });
    parser.on('packetHeader', (h) => {
      if (failed) return;
      if (h.capturedLength > MAX_CAPLEN) {
        fail(offset, `record claims ${h.capturedLength} captured bytes, more than the ${MAX_CAPLEN} libpcap allows`);
      } else if (offset + PCAP_RECORD_HEADER_LEN + h.capturedLength > bytes.length) {
        const left = bytes.length - offset - PCAP_RECORD_HEADER_LEN;
        fail(offset, `record claims ${h.capturedLength} captured bytes, only ${left} remain (truncated file?)`);
      }
    });
    parser.on('packet', (p) => {
      if (failed) return;
      const frac = p.header.timestampMicroseconds;
      const fracNs = magic.nanos ? frac : frac * 1000;
      const abs = BigInt(p.header.timestampSeconds) * 1_000_000_000n + BigInt(fracNs);
      first ??= abs;
      records.push({
        timeNs: Number(abs - first),
        data: new Uint8Array(p.data), // copy: pcap-parser hands out views of its buffer
        origLen: Math.max(p.header.originalLength, p.data.length),
        linktype,
      });
      offset += PCAP_RECORD_HEADER_LEN + p.header.capturedLength;
    });
    parser.on('error', (e) => fail(offset, e.message));
    parser.on('end', () => {
      if (failed) return;
      if (offset < bytes.length) {
        const left = bytes.length - offset;
        return fail(offset, left < PCAP_RECORD_HEADER_LEN ? `${left} trailing bytes, too few for a record header` : 'truncated record');
      }
      resolve({ file, format: 'pcap', linktype, snaplen, startEpochNs: first ?? 0n, records });
    });
  });
}
