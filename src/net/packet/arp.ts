/** ARP (RFC 826; include/uapi/linux/if_arp.h struct arphdr), Ethernet/IPv4 addresses decoded. */
import { type AddrInput, formatIp4, formatMac, ip4Bytes, macBytes } from './addr.ts';
import { ARPHRD_ETHER, ETH_P_IP } from './constants.ts';
import { type BrokenLayer, type LayerBase, be16, hex, malformed, put16, truncated } from './layer.ts';

export interface ArpLayer extends LayerBase {
  kind: 'arp';
  htype: number;
  ptype: number;
  hlen: number;
  plen: number;
  op: number;
  /** Text forms for Ethernet/IPv4 ARP; hex for other hardware/protocol types. */
  sha: string;
  spa: string;
  tha: string;
  tpa: string;
}

export interface ArpSpec {
  kind: 'arp';
  op: number;
  sha: AddrInput;
  spa: AddrInput;
  tha?: AddrInput;
  tpa: AddrInput;
}

const ARP_FIXED = 8;

export function parseArp(b: Uint8Array, off: number, end: number): ArpLayer | BrokenLayer {
  if (end - off < ARP_FIXED) return truncated('arp', off, ARP_FIXED, end - off);
  const hlen = b[off + 4];
  const plen = b[off + 5];
  const len = ARP_FIXED + 2 * (hlen + plen);
  if (end - off < len) return truncated('arp', off, len, end - off);
  const htype = be16(b, off);
  const ptype = be16(b, off + 2);
  if (hlen === 0 || plen === 0) return malformed('arp', off, `address lengths hlen=${hlen} plen=${plen}`);
  const ethIp = htype === ARPHRD_ETHER && ptype === ETH_P_IP && hlen === 6 && plen === 4;
  const hw = (o: number): string => (ethIp ? formatMac(b, o) : hex(b, o, hlen));
  const pr = (o: number): string => (ethIp ? formatIp4(b, o) : hex(b, o, plen));
  const sha = off + ARP_FIXED;
  const spa = sha + hlen;
  const tha = spa + plen;
  const tpa = tha + hlen;
  return {
    kind: 'arp',
    offset: off,
    headerLength: len,
    htype,
    ptype,
    hlen,
    plen,
    op: be16(b, off + 6),
    sha: hw(sha),
    spa: pr(spa),
    tha: hw(tha),
    tpa: pr(tpa),
  };
}

export const ARP_ETH_IP_LEN = 28;

export function writeArp(b: Uint8Array, off: number, s: ArpSpec): void {
  put16(b, off, ARPHRD_ETHER);
  put16(b, off + 2, ETH_P_IP);
  b[off + 4] = 6;
  b[off + 5] = 4;
  put16(b, off + 6, s.op);
  b.set(macBytes(s.sha), off + 8);
  b.set(ip4Bytes(s.spa), off + 14);
  b.set(s.tha === undefined ? new Uint8Array(6) : macBytes(s.tha), off + 18);
  b.set(ip4Bytes(s.tpa), off + 24);
}
