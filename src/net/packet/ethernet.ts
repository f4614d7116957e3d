/** Ethernet II header (IEEE 802.3 / include/uapi/linux/if_ether.h struct ethhdr). */
import { type AddrInput, formatMac, macBytes } from './addr.ts';
import { ETH_HLEN } from './constants.ts';
import { type BrokenLayer, type LayerBase, be16, put16, truncated } from './layer.ts';

export interface EthernetLayer extends LayerBase {
  kind: 'eth';
  dst: string;
  src: string;
  /** h_proto: an EtherType (≥ 0x0600) or, below that, an 802.3 length. */
  etherType: number;
}

export interface EthernetSpec {
  kind: 'eth';
  dst: AddrInput;
  src: AddrInput;
  /** Defaults to the EtherType of the next layer. */
  etherType?: number;
}

export function parseEthernet(b: Uint8Array, off: number, end: number): EthernetLayer | BrokenLayer {
  if (end - off < ETH_HLEN) return truncated('eth', off, ETH_HLEN, end - off);
  return {
    kind: 'eth',
    offset: off,
    headerLength: ETH_HLEN,
    dst: formatMac(b, off),
    src: formatMac(b, off + 6),
    etherType: be16(b, off + 12),
  };
}

export function writeEthernet(b: Uint8Array, off: number, s: EthernetSpec, nextType: number): void {
  b.set(macBytes(s.dst), off);
  b.set(macBytes(s.src), off + 6);
  put16(b, off + 12, s.etherType ?? nextType);
}
