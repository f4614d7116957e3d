/**
 * A capture file read into memory: the records with times relative to the first one (so they
 * fit the simulator's integer-ns clock exactly), plus the absolute start as a bigint.
 */

export interface CapturedFrame {
  /** ns after the capture's first record (negative if the file steps back in time). */
  timeNs: number;
  data: Uint8Array;
  /** Length on the wire (≥ data.length). */
  origLen: number;
  /** LINKTYPE_* of the interface the frame was captured on. */
  linktype: number;
}

export interface Capture {
  file: string;
  format: 'pcap' | 'pcapng';
  /** LINKTYPE_* of the first interface. */
  linktype: number;
  snaplen: number;
  /** Epoch time of the first record in ns (0n when there are none). */
  startEpochNs: bigint;
  records: CapturedFrame[];
}

/**
 * Bad capture input. The message names the file and, when known, the byte offset, so a CLI can
 * print it as it stands: "trace.pcap: byte 1064: record claims 9000000 captured bytes …".
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';

  constructor(
    readonly file: string,
    readonly offset: number | undefined,
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(offset === undefined ? `${file}: ${problem}` : `${file}: byte ${offset}: ${problem}`, options);
  }
}
