/**
 * Receive-side scaling hash: the Toeplitz hash of Microsoft's RSS specification ("Verifying
 * the RSS hash calculation"; also in Intel 82599 datasheet §7.1.2.8) over src addr, dst addr,
 * src port, dst port in network order. With the published 40-byte key it reproduces the
 * verification-suite values, which the tests check. The kernel's own helper for drivers is
 * __toeplitz_hash / netdev_rss_key_fill (random key); NICs default to this key or a random one.
 */
import { type FlowKey } from './flow.ts';

/** The key of the RSS verification suite, also many NICs' default. */
export const MICROSOFT_RSS_KEY: Uint8Array = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);

/**
 * Toeplitz hashing with one precomputed table per input byte position: table[p][v] is the XOR
 * of the 32-bit key windows selected by the set bits of byte value v at position p, so a hash
 * costs one lookup and XOR per input byte.
 */
export class ToeplitzHasher {
  /** Longest input this key can hash: every input bit needs a 32-bit key window. */
  readonly maxInput: number;
  private readonly table: Uint32Array;
  /** Reused input buffer: hashFlow allocates nothing. */
  private readonly scratch = new Uint8Array(36);

  constructor(readonly key: Uint8Array = MICROSOFT_RSS_KEY) {
    if (key.length < 5) throw new RangeError(`RSS key of ${key.length} bytes is too short`);
    this.maxInput = key.length - 4;
    const windowAt = (bit: number): number => {
      // 32 key bits starting at `bit`, MSB first.
      let w = 0;
      for (let k = 0; k < 32; k++) {
        const kb = bit + k;
        w = (w << 1) | ((key[kb >> 3] >> (7 - (kb & 7))) & 1);
      }
      return w >>> 0;
    };
    this.table = new Uint32Array(this.maxInput * 256);
    for (let p = 0; p < this.maxInput; p++) {
      const wins = Array.from({ length: 8 }, (_, b) => windowAt(p * 8 + b));
      for (let v = 0; v < 256; v++) {
        let h = 0;
        for (let b = 0; b < 8; b++) if (v & (0x80 >> b)) h ^= wins[b];
        this.table[p * 256 + v] = h >>> 0;
      }
    }
  }

  /** Hash of input[off, off+len). */
  hash(input: Uint8Array, off = 0, len = input.length - off): number {
    if (len > this.maxInput) throw new RangeError(`RSS input of ${len} bytes exceeds ${this.maxInput} for this key`);
    let h = 0;
    for (let p = 0; p < len; p++) h ^= this.table[p * 256 + input[off + p]];
    return h >>> 0;
  }

  /**
   * RSS hash of a flow. `fields: 'l4'` (ethtool rx-flow-hash … sdfn) hashes addresses and
   * ports when the flow has them (TCP/UDP, not a fragment); otherwise, and for 'l3' (sd), the
   * two addresses only.
   */
  hashFlow(flow: FlowKey, fields: 'l3' | 'l4' = 'l4'): number {
    const alen = flow.family === 4 ? 4 : 16;
    const usePorts = fields === 'l4' && !flow.fragment && (flow.sport !== 0 || flow.dport !== 0);
    const buf = this.scratch;
    buf.set(flow.src, 0);
    buf.set(flow.dst, alen);
    let n = 2 * alen;
    if (usePorts) {
      buf[n] = flow.sport >> 8;
      buf[n + 1] = flow.sport & 0xff;
      buf[n + 2] = flow.dport >> 8;
      buf[n + 3] = flow.dport & 0xff;
      n += 4;
    }
    return this.hash(buf, 0, n);
  }
}

/**
 * RSS indirection: the RX queue of a hash through an `entries`-slot table filled as the kernel
 * fills it by default (ethtool_rxfh_indir_default: slot i → queue i % queues); the NIC indexes
 * the table with the hash's low bits.
 */
export function rssQueue(hash: number, queues: number, entries = 128): number {
  if (entries & (entries - 1)) throw new RangeError(`RSS table size ${entries} is not a power of two`);
  return (hash & (entries - 1)) % queues;
}
