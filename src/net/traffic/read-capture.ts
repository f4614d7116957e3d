/** Open a capture file of either format, told apart by its first four bytes. */
import { openSync, readSync, closeSync } from 'node:fs';
import { type Capture, CaptureError } from './capture.ts';
import { isPcapng, readPcapngFile } from './pcapng-reader.ts';
import { readPcapFile } from './pcap-reader.ts';

export async function readCapture(file: string): Promise<Capture> {
  const head = new Uint8Array(4);
  try {
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new CaptureError(file, undefined, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  return isPcapng(head) ? readPcapngFile(file) : readPcapFile(file);
}
