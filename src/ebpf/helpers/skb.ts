/**
 * skb data helpers, net/core/filter.c: bpf_skb_store_bytes, bpf_skb_load_bytes,
 * bpf_skb_load_bytes_relative, bpf_skb_pull_data / sk_skb_pull_data, bpf_skb_change_head /
 * sk_skb_change_head, bpf_skb_change_tail / sk_skb_change_tail, bpf_skb_adjust_room /
 * sk_skb_adjust_room, bpf_skb_change_proto, bpf_skb_change_type, and bpf_skb_vlan_push /
 * bpf_skb_vlan_pop with net/core/skbuff.c: skb_vlan_push(), skb_vlan_pop(), __skb_vlan_pop().
 *
 * The skb is linear: skb->len is the packet length and every byte is in the head, so the
 * kernel's "make writable"/"pull" steps only fail when asked for more bytes than the packet has
 * (pskb_may_pull() returning false, -ENOMEM). Headers and checksum state come from skb-state.ts.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import type { SkbCtx } from '../ctx/skb.ts';
import { ETH_HLEN } from '../ctx/packet.ts';
import { envOf, readBytes, s32, skbOf, u32 } from './context.ts';
import { CHECKSUM_COMPLETE, CHECKSUM_UNNECESSARY, CHECKSUM_NONE, csumAdd, csumPartial } from './csum.ts';
import { EALREADY, EFAULT, EINVAL, ENOMEM, ENOTSUPP } from './errno.ts';
import { clearHash } from './hash.ts';
import { shiftHeaders, skbState, type SkbState } from './skb-state.ts';

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
export const ETH_P_TEB = 0x6558;
export const ETH_P_802_3 = 0x0001;
export const ETH_P_802_2 = 0x0004;
export const VLAN_HLEN = 4;
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
/** BPF_SKB_MAX_LEN = SKB_MAX_ALLOC: 4 pages less the skb_shared_info (x86-64). */
export const BPF_SKB_MAX_LEN = 16384 - 320;
const INT_MAX = 0x7fff_ffff;

// BPF_FUNC_skb_store_bytes flags.
export const BPF_F_RECOMPUTE_CSUM = 1n;
export const BPF_F_INVALIDATE_HASH = 2n;
// BPF_FUNC_skb_adjust_room flags and modes.
export const BPF_F_ADJ_ROOM_FIXED_GSO = 1n << 0n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 = 1n << 1n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 = 1n << 2n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_GRE = 1n << 3n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_UDP = 1n << 4n;
export const BPF_F_ADJ_ROOM_NO_CSUM_RESET = 1n << 5n;
export const BPF_F_ADJ_ROOM_ENCAP_L2_ETH = 1n << 6n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV4 = 1n << 7n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV6 = 1n << 8n;
export const BPF_ADJ_ROOM_ENCAP_L2_SHIFT = 56n;
export const BPF_F_ADJ_ROOM_ENCAP_L2 = (len: number): bigint => BigInt(len & 0xff) << BPF_ADJ_ROOM_ENCAP_L2_SHIFT;
export const BPF_ADJ_ROOM_NET = 0;
export const BPF_ADJ_ROOM_MAC = 1;
export const BPF_HDR_START_MAC = 0;
export const BPF_HDR_START_NET = 1;
const ENCAP_L3_MASK = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const DECAP_L3_MASK = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
const ADJ_ROOM_MASK =
  BPF_F_ADJ_ROOM_FIXED_GSO |
  ENCAP_L3_MASK |
  BPF_F_ADJ_ROOM_ENCAP_L4_GRE |
  BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
  BPF_F_ADJ_ROOM_ENCAP_L2_ETH |
  (0xffn << BPF_ADJ_ROOM_ENCAP_L2_SHIFT) |
  DECAP_L3_MASK;

// skb_shinfo(skb)->gso_type bits (include/linux/skbuff.h).
export const SKB_GSO_TCPV4 = 1 << 0;
export const SKB_GSO_DODGY = 1 << 1;
export const SKB_GSO_TCPV6 = 1 << 4;
export const SKB_GSO_GRE = 1 << 7;
export const SKB_GSO_IPXIP4 = 1 << 9;
export const SKB_GSO_IPXIP6 = 1 << 10;
export const SKB_GSO_UDP_TUNNEL = 1 << 11;
export const SKB_GSO_UDP_L4 = 1 << 16;
/** PACKET_OTHERHOST: the highest pkt_type bpf_skb_change_type accepts. */
const PACKET_OTHERHOST = 3;

const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >> 8) & 0xff);

// ---- skb primitives ----

/** csum_block_add / csum_block_sub: a partial sum of bytes at `offset` (odd offsets rotate). */
function csumBlockAdd(csum: number, csum2: number, offset: number): number {
  const sum = offset & 1 ? ((csum2 >>> 8) | (csum2 << 24)) >>> 0 : csum2;
  return csumAdd(csum, sum);
}

/** skb_postpull_rcsum / skb_postpush_rcsum: keep a CHECKSUM_COMPLETE sum true while bytes change. */
function rcsumRemove(s: SkbState, bytes: Uint8Array, offset: number): void {
  if (s.ipSummed === CHECKSUM_COMPLETE) s.csum = csumBlockAdd(s.csum, ~csumPartial(bytes, 0) >>> 0, offset);
}
function rcsumAdd(s: SkbState, bytes: Uint8Array, offset: number): void {
  if (s.ipSummed === CHECKSUM_COMPLETE) s.csum = csumBlockAdd(s.csum, csumPartial(bytes, 0), offset);
}

/** skb_push: `len` more bytes at the front (their content is the caller's to set). */
function push(skb: SkbCtx, s: SkbState, len: number): void {
  skb.pkt.skbMoveHead(-len);
  shiftHeaders(s, -len);
}

/** __skb_pull. */
function pull(skb: SkbCtx, s: SkbState, len: number): void {
  skb.pkt.skbMoveHead(len);
  shiftHeaders(s, len);
}

const gso = (skb: SkbCtx): boolean => skb.get('gso_size') !== 0;

/** __skb_reset_checksum_unnecessary. */
export function resetChecksumUnnecessary(s: SkbState): void {
  if (s.ipSummed === CHECKSUM_UNNECESSARY) {
    s.ipSummed = CHECKSUM_NONE;
    s.csumLevel = 0;
  }
}

/** bpf_skb_generic_push + the header bookkeeping of bpf_skb_net_hdr_push: `len` zero bytes at `off`. */
function netHdrPush(skb: SkbCtx, s: SkbState, off: number, len: number): void {
  const transSame = s.transOff === s.netOff;
  const mac = s.macOff, net = s.netOff;
  push(skb, s, len);
  const pkt = skb.pkt;
  pkt.buf.copyWithin(pkt.data, pkt.data + len, pkt.data + len + off);
  pkt.buf.fill(0, pkt.data + off, pkt.data + off + len);
  // The MAC and network headers move to the front with the bytes before `off`.
  s.macOff = mac;
  s.netOff = net;
  if (transSame) s.transOff = s.netOff;
}

/** bpf_skb_generic_pop + bpf_skb_net_hdr_pop: remove `len` bytes at `off`. */
function netHdrPop(skb: SkbCtx, s: SkbState, off: number, len: number): number {
  const pkt = skb.pkt;
  if (off + len > pkt.len) return ENOMEM;
  const transSame = s.transOff === s.netOff;
  const mac = s.macOff, net = s.netOff;
  rcsumRemove(s, pkt.buf.subarray(pkt.data + off, pkt.data + off + len), off);
  pkt.buf.copyWithin(pkt.data + len, pkt.data, pkt.data + off);
  pull(skb, s, len);
  s.macOff = mac;
  s.netOff = net;
  if (transSame) s.transOff = s.netOff;
  return 0;
}

/** skb_mac_header_len(): network header minus MAC header. */
const macHeaderLen = (s: SkbState): number => s.netOff - (s.macOff ?? s.netOff);

// ---- helpers ----

/** bpf_skb_store_bytes(skb, offset, from, len, flags) */
function storeBytes(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_store_bytes');
  const offset = u32(c, 2);
  const len = u32(c, 4);
  const flags = c.arg(5);
  if (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return EINVAL;
  if (offset > INT_MAX) return EFAULT;
  const pkt = skb.pkt;
  if (((offset + len) >>> 0) > pkt.len) return EFAULT;
  const src = readBytes(c, c.arg(3), len);
  const s = skbState(skb);
  const at = pkt.data + offset;
  if (flags & BPF_F_RECOMPUTE_CSUM) rcsumRemove(s, pkt.buf.subarray(at, at + len), offset);
  pkt.buf.set(src, at);
  if (flags & BPF_F_RECOMPUTE_CSUM) rcsumAdd(s, src, offset);
  if (flags & BPF_F_INVALIDATE_HASH) clearHash(skb);
  return 0;
}

/** bpf_skb_load_bytes(skb, offset, to, len): the buffer is zeroed on failure. */
function loadBytes(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_load_bytes');
  const offset = u32(c, 2);
  const len = u32(c, 4);
  const to = c.mem.writable(c.arg(3), len);
  const pkt = skb.pkt;
  if (offset > INT_MAX || offset + len > pkt.len) {
    to.fill(0);
    return EFAULT;
  }
  to.set(pkt.buf.subarray(pkt.data + offset, pkt.data + offset + len));
  return 0;
}

/** bpf_skb_load_bytes_relative(skb, offset, to, len, start_header) */
function loadBytesRelative(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_load_bytes_relative');
  const offset = u32(c, 2);
  const len = u32(c, 4);
  const startHeader = u32(c, 5);
  const to = c.mem.writable(c.arg(3), len);
  const s = skbState(skb);
  const pkt = skb.pkt;
  let start: number | undefined;
  if (offset <= 0xffff) {
    if (startHeader === BPF_HDR_START_MAC) start = s.macOff;
    else if (startHeader === BPF_HDR_START_NET) start = s.netOff;
  }
  if (start === undefined || pkt.data + start < 0 || start + offset + len > pkt.len) {
    to.fill(0);
    return EFAULT;
  }
  const at = pkt.data + start + offset;
  to.set(pkt.buf.subarray(at, at + len));
  return 0;
}

/** bpf_skb_pull_data(skb, len): make `len` bytes (0: the whole head) directly accessible. */
function pullData(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_pull_data');
  const len = u32(c, 2);
  return (len || skb.pkt.len) > skb.pkt.len ? ENOMEM : 0;
}

/** bpf_skb_change_head(skb, head_room, flags): push zeroed bytes; they become the MAC header. */
function changeHead(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_change_head');
  const headRoom = u32(c, 2);
  const flags = c.arg(3);
  const len = skb.pkt.len;
  const newLen = (len + headRoom) >>> 0;
  if (flags !== 0n || (!gso(skb) && newLen > BPF_SKB_MAX_LEN) || newLen < len) return EINVAL;
  const s = skbState(skb);
  push(skb, s, headRoom);
  skb.pkt.buf.fill(0, skb.pkt.data, skb.pkt.data + headRoom);
  s.macOff = 0;
  return 0;
}

/** bpf_skb_change_tail(skb, new_len, flags): grow (zero-filled) or trim the packet. */
function changeTail(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_change_tail');
  const newLen = u32(c, 2);
  const flags = c.arg(3);
  const s = skbState(skb);
  // __bpf_skb_min_len(): not below the network header, nor the transport header once set.
  const minLen = s.transOff ?? s.netOff;
  if (flags !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < minLen) return EINVAL;
  if (s.encapsulation) return ENOTSUPP;
  const pkt = skb.pkt;
  if (newLen < pkt.len) {
    rcsumRemove(s, pkt.buf.subarray(pkt.data + newLen, pkt.dataEnd), newLen);
  }
  pkt.skbSetLen(newLen);
  if (gso(skb)) {
    skb.set('gso_size', 0);
    skb.set('gso_segs', 0);
    s.gsoType = 0;
  }
  return 0;
}

/** sk_skb_adjust_room (SK_SKB programs): only mode 0, no flags; push zeros at or pull from the front. */
function skSkbAdjustRoom(c: HelperContext, skb: SkbCtx): number {
  const lenDiff = s32(c, 2);
  if (c.arg(4) !== 0n || u32(c, 3) !== 0) return EINVAL;
  const abs = Math.abs(lenDiff);
  if (abs > 0xfff) return EFAULT;
  const s = skbState(skb);
  if (lenDiff >= 0) {
    push(skb, s, abs);
    skb.pkt.buf.fill(0, skb.pkt.data, skb.pkt.data + abs);
  } else {
    if (abs > skb.pkt.len) return ENOMEM;
    pull(skb, s, abs);
  }
  return 0;
}

/** bpf_skb_net_base_len(): the minimal network header of skb->protocol. */
function netBaseLen(skb: SkbCtx): number {
  const p = skb.protocol;
  return p === ETH_P_IP ? IPV4_HLEN : p === ETH_P_IPV6 ? IPV6_HLEN : 0xffff_ffff;
}

/** bpf_skb_net_grow(). */
function netGrow(skb: SkbCtx, s: SkbState, off: number, lenDiff: number, flags: bigint): number {
  const innerMacLen = Number((flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT) & 0xffn);
  const encap = (flags & ENCAP_L3_MASK) !== 0n;
  if (gso(skb) && (s.gsoType & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) === 0) {
    if ((s.gsoType & SKB_GSO_UDP_L4) === 0 || (flags & BPF_F_ADJ_ROOM_FIXED_GSO) === 0n) return ENOTSUPP;
  }
  let macLen = 0;
  let innerNet = 0;
  if (encap) {
    const p = skb.protocol;
    if (p !== ETH_P_IP && p !== ETH_P_IPV6) return ENOTSUPP;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) return EINVAL;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE && flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP) return EINVAL;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH && innerMacLen < ETH_HLEN) return EINVAL;
    if (s.encapsulation) return EALREADY;
    macLen = macHeaderLen(s);
    innerNet = s.netOff;
    if (innerMacLen > lenDiff) return EINVAL;
  }
  netHdrPush(skb, s, off, lenDiff);
  let gsoType = SKB_GSO_DODGY;
  if (encap) {
    // The inner headers stayed where they were, lenDiff bytes further from the new data.
    s.innerNetOff = innerNet + lenDiff;
    s.innerMacOff = s.innerNetOff - innerMacLen;
    s.innerProtocol = flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH ? ETH_P_TEB : skb.protocol;
    s.encapsulation = true;
    s.netOff = macLen;
    if (flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP) gsoType |= SKB_GSO_UDP_TUNNEL;
    else if (flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE) gsoType |= SKB_GSO_GRE;
    else if (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) gsoType |= SKB_GSO_IPXIP6;
    else if (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) gsoType |= SKB_GSO_IPXIP4;
    if (flags & (BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP)) {
      s.transOff = macLen + (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 ? IPV6_HLEN : IPV4_HLEN);
    }
    // The outer L3 protocol becomes skb->protocol.
    if (skb.protocol === ETH_P_IP && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) skb.protocol = ETH_P_IPV6;
    else if (skb.protocol === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) skb.protocol = ETH_P_IP;
  }
  if (gso(skb)) {
    if ((flags & BPF_F_ADJ_ROOM_FIXED_GSO) === 0n) skb.set('gso_size', Math.max(0, skb.get('gso_size') - lenDiff));
    s.gsoType |= gsoType;
    skb.set('gso_segs', 0);
  }
  return 0;
}

/** bpf_skb_net_shrink(). */
function netShrink(skb: SkbCtx, s: SkbState, off: number, lenDiff: number, flags: bigint): number {
  if (flags & ~(BPF_F_ADJ_ROOM_FIXED_GSO | DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return EINVAL;
  if (gso(skb) && (s.gsoType & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) === 0) {
    if ((s.gsoType & SKB_GSO_UDP_L4) === 0 || (flags & BPF_F_ADJ_ROOM_FIXED_GSO) === 0n) return ENOTSUPP;
  }
  const r = netHdrPop(skb, s, off, lenDiff);
  if (r) return r;
  // The decap flags name the inner (now outer) L3 protocol.
  if (skb.protocol === ETH_P_IP && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6) skb.protocol = ETH_P_IPV6;
  else if (skb.protocol === ETH_P_IPV6 && flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4) skb.protocol = ETH_P_IP;
  if (gso(skb)) {
    if ((flags & BPF_F_ADJ_ROOM_FIXED_GSO) === 0n) skb.set('gso_size', skb.get('gso_size') + lenDiff);
    s.gsoType |= SKB_GSO_DODGY;
    skb.set('gso_segs', 0);
  }
  return 0;
}

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags): grow or shrink room after the MAC header
 * (BPF_ADJ_ROOM_MAC) or after the network header (BPF_ADJ_ROOM_NET); the encap flags record the
 * new outer headers (inner header offsets, skb->encapsulation, outer protocol).
 */
function adjustRoom(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_adjust_room');
  if (envOf(c).progType === 'BPF_PROG_TYPE_SK_SKB') return skSkbAdjustRoom(c, skb);
  const lenDiff = s32(c, 2);
  const mode = u32(c, 3);
  const flags = c.arg(4);
  const abs = Math.abs(lenDiff);
  let lenMin = netBaseLen(skb);
  const shrink = lenDiff < 0;
  if (flags & ~(ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return EINVAL;
  if (abs > 0xfff) return EFAULT;
  const p = skb.protocol;
  if (p !== ETH_P_IP && p !== ETH_P_IPV6) return ENOTSUPP;
  const s = skbState(skb);
  let off = macHeaderLen(s);
  if (mode === BPF_ADJ_ROOM_NET) off += lenMin;
  else if (mode !== BPF_ADJ_ROOM_MAC) return ENOTSUPP;
  if (flags & DECAP_L3_MASK) {
    // Decapsulation only shrinks, and what stays must hold the named inner header.
    if (!shrink) return EINVAL;
    const decap = flags & DECAP_L3_MASK;
    if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV4) lenMin = IPV4_HLEN;
    else if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV6) lenMin = IPV6_HLEN;
    else return EINVAL;
  }
  const len = skb.pkt.len;
  const lenCur = (len - s.netOff) >>> 0;
  if ((shrink && (abs >= lenCur || ((lenCur - abs) >>> 0) < lenMin)) || (!shrink && len + abs > BPF_SKB_MAX_LEN && !gso(skb))) return ENOTSUPP;
  const r = shrink ? netShrink(skb, s, off, abs, flags) : netGrow(skb, s, off, abs, flags);
  if (r === 0 && (flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET) === 0n) resetChecksumUnnecessary(s);
  return r;
}

/** bpf_skb_change_proto(skb, proto, flags): IPv4 <-> IPv6 room (the program writes the headers). */
function changeProto(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_change_proto');
  if (c.arg(3) !== 0n) return EINVAL;
  const to = bswap16(c.argLo(2) & 0xffff);
  const from = skb.protocol;
  const s = skbState(skb);
  const lenDiff = IPV6_HLEN - IPV4_HLEN;
  const off = macHeaderLen(s);
  if (from === ETH_P_IP && to === ETH_P_IPV6) {
    netHdrPush(skb, s, off, lenDiff);
    if (gso(skb) && s.gsoType & SKB_GSO_TCPV4) s.gsoType = (s.gsoType & ~SKB_GSO_TCPV4) | SKB_GSO_TCPV6;
  } else if (from === ETH_P_IPV6 && to === ETH_P_IP) {
    const r = netHdrPop(skb, s, off, lenDiff);
    if (r) return r;
    if (gso(skb) && s.gsoType & SKB_GSO_TCPV6) s.gsoType = (s.gsoType & ~SKB_GSO_TCPV6) | SKB_GSO_TCPV4;
  } else {
    return ENOTSUPP;
  }
  skb.protocol = to;
  clearHash(skb);
  return 0;
}

/** bpf_skb_change_type(skb, pkt_type): only between PACKET_HOST..PACKET_OTHERHOST. */
function changeType(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_change_type');
  const t = u32(c, 2);
  if (skb.get('pkt_type') > PACKET_OTHERHOST || t > PACKET_OTHERHOST) return EINVAL;
  skb.set('pkt_type', t);
  return 0;
}

const ethTypeVlan = (p: number): boolean => p === ETH_P_8021Q || p === ETH_P_8021AD;

/** __vlan_hwaccel_put_tag / __vlan_hwaccel_clear_tag on the context fields. vlan_proto is kept big-endian. */
function putHwaccelTag(skb: SkbCtx, protoBe: number, tci: number): void {
  skb.set('vlan_proto', protoBe & 0xffff);
  skb.set('vlan_tci', tci & 0xffff);
  skb.set('vlan_present', 1);
}

/** bpf_skb_vlan_push(skb, vlan_proto, vlan_tci) → skb_vlan_push(). */
function vlanPush(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_vlan_push');
  let protoBe = c.argLo(2) & 0xffff;
  const tci = c.argLo(3) & 0xffff;
  if (protoBe !== bswap16(ETH_P_8021Q) && protoBe !== bswap16(ETH_P_8021AD)) protoBe = bswap16(ETH_P_8021Q);
  const s = skbState(skb);
  if (skb.get('vlan_present')) {
    // The tag already in hardware-accel form moves into the packet, after the MAC addresses.
    if (s.macOff !== 0) return EINVAL;
    const oldProtoBe = skb.get('vlan_proto') & 0xffff;
    const oldTci = skb.get('vlan_tci') & 0xffff;
    push(skb, s, VLAN_HLEN);
    const pkt = skb.pkt;
    const d = pkt.data;
    pkt.buf.copyWithin(d, d + VLAN_HLEN, d + VLAN_HLEN + 2 * 6);
    s.macOff = 0;
    pkt.buf[d + 12] = oldProtoBe & 0xff;
    pkt.buf[d + 13] = oldProtoBe >> 8;
    pkt.buf[d + 14] = oldTci >> 8;
    pkt.buf[d + 15] = oldTci & 0xff;
    skb.set('protocol', oldProtoBe);
    rcsumAdd(s, pkt.buf.subarray(d + 12, d + 16), 12);
  }
  putHwaccelTag(skb, protoBe, tci);
  return 0;
}

/** __skb_vlan_pop(): remove the tag after the MAC addresses; returns the TCI or a negative errno. */
function vlanPopFromPacket(skb: SkbCtx, s: SkbState): number {
  if (s.macOff !== 0) return EINVAL;
  const pkt = skb.pkt;
  if (pkt.len < ETH_HLEN + VLAN_HLEN) return ENOMEM;
  const d = pkt.data;
  rcsumRemove(s, pkt.buf.subarray(d + 12, d + 16), 12);
  const tci = (pkt.buf[d + 14] << 8) | pkt.buf[d + 15];
  pkt.buf.copyWithin(d + VLAN_HLEN, d, d + 2 * 6);
  // vlan_set_encap_proto()
  const inner = (pkt.buf[d + 16] << 8) | pkt.buf[d + 17];
  if (inner >= 0x0600) skb.protocol = inner;
  else if (pkt.len >= 20 && pkt.buf[d + 18] === 0xff && pkt.buf[d + 19] === 0xff) skb.protocol = ETH_P_802_3;
  else skb.protocol = ETH_P_802_2;
  pull(skb, s, VLAN_HLEN);
  s.macOff = 0;
  if (s.netOff < ETH_HLEN) s.netOff = ETH_HLEN;
  return tci;
}

/** bpf_skb_vlan_pop(skb) → skb_vlan_pop(): drop the outer tag; a next tag moves to hardware-accel form. */
function vlanPop(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_vlan_pop');
  const s = skbState(skb);
  if (skb.get('vlan_present')) {
    skb.set('vlan_present', 0);
    skb.set('vlan_tci', 0);
    skb.set('vlan_proto', 0);
  } else {
    if (!ethTypeVlan(skb.protocol)) return 0;
    const r = vlanPopFromPacket(skb, s);
    if (r < 0) return r;
  }
  if (!ethTypeVlan(skb.protocol)) return 0;
  const protoBe = skb.get('protocol') & 0xffff;
  const tci = vlanPopFromPacket(skb, s);
  if (tci < 0) return tci;
  putHwaccelTag(skb, protoBe, tci);
  return 0;
}

export const SKB_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [9, storeBytes],
  [26, loadBytes],
  [68, loadBytesRelative],
  [39, pullData],
  [43, changeHead],
  [38, changeTail],
  [50, adjustRoom],
  [31, changeProto],
  [32, changeType],
  [18, vlanPush],
  [19, vlanPop],
]);
