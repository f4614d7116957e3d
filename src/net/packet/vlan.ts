/**
 * 802.1Q VLAN tags and 802.1ad QinQ stacks: a tag is TPID (in the previous header's type field)
 * followed by TCI (PCP:3 DEI:1 VID:12) and the encapsulated EtherType (include/linux/if_vlan.h
 * struct vlan_hdr). The outer tag of QinQ uses TPID 0x88a8, inner tags 0x8100.
 */
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_QINQ1, VLAN_HLEN } from './constants.ts';
import { type BrokenLayer, type LayerBase, be16, put16, truncated } from './layer.ts';

export interface VlanLayer extends LayerBase {
  kind: 'vlan';
  /** The TPID that announced this tag (0x8100, 0x88a8 or 0x9100). */
  tpid: number;
  pcp: number;
  dei: boolean;
  vid: number;
  etherType: number;
}

export interface VlanSpec {
  kind: 'vlan';
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** TPID written into the previous header: 0x8100 (default) or 0x88a8 for a QinQ outer tag. */
  tpid?: number;
  etherType?: number;
}

export const isVlanTpid = (t: number): boolean => t === ETH_P_8021Q || t === ETH_P_8021AD || t === ETH_P_QINQ1;

export function parseVlan(b: Uint8Array, off: number, end: number, tpid: number): VlanLayer | BrokenLayer {
  if (end - off < VLAN_HLEN) return truncated('vlan', off, VLAN_HLEN, end - off);
  const tci = be16(b, off);
  return {
    kind: 'vlan',
    offset: off,
    headerLength: VLAN_HLEN,
    tpid,
    pcp: tci >> 13,
    dei: (tci & 0x1000) !== 0,
    vid: tci & 0x0fff,
    etherType: be16(b, off + 2),
  };
}

export function writeVlan(b: Uint8Array, off: number, s: VlanSpec, nextType: number): void {
  if (!(s.vid >= 0 && s.vid <= 4095)) throw new RangeError(`VLAN id ${s.vid} out of 0..4095`);
  const pcp = s.pcp ?? 0;
  if (!(pcp >= 0 && pcp <= 7)) throw new RangeError(`VLAN priority ${pcp} out of 0..7`);
  put16(b, off, (pcp << 13) | (s.dei ? 0x1000 : 0) | s.vid);
  put16(b, off + 2, s.etherType ?? nextType);
}
