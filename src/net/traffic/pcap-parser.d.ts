/** Types for the `pcap-parser` npm package (0.2.x ships none): the events it emits. */
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PacketHeader {
    timestampSeconds: number;
    /** The sub-second field, whatever its unit (µs, or ns in a nanosecond file). */
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface Packet {
    header: PacketHeader;
    data: Buffer;
  }

  export interface Parser extends EventEmitter {
    on(event: 'globalHeader', fn: (h: GlobalHeader) => void): this;
    on(event: 'packetHeader', fn: (h: PacketHeader) => void): this;
    on(event: 'packet', fn: (p: Packet) => void): this;
    on(event: 'error', fn: (e: Error) => void): this;
    on(event: 'end', fn: () => void): this;
  }

  export function parse(input: string | Readable): Parser;
  const pcapParser: { parse: typeof parse };
  export default pcapParser;
}
