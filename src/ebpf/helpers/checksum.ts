/**
 * Checksum helpers, net/core/filter.c: bpf_csum_diff, bpf_l3_csum_replace, bpf_l4_csum_replace,
 * bpf_csum_update, bpf_csum_level. The arithmetic is csum.ts, bit-exact with x86-64 (checked
 * against the kernel with BPF_PROG_TEST_RUN: test/ebpf/helpers/kernel/). The checksum field is
 * read and written in host order, as the kernel's __sum16 pointer does.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { readBytes, skbOf, u32 } from './context.ts';
import {
  CHECKSUM_COMPLETE,
  CHECKSUM_NONE,
  CHECKSUM_UNNECESSARY,
  csumAdd,
  csumDiff,
  csumReplace2,
  csumReplace4,
  csumReplaceByDiff,
  inetProtoCsumReplace2,
  inetProtoCsumReplace4,
  inetProtoCsumReplaceByDiff,
} from './csum.ts';
import { EACCES, EFAULT, EINVAL, ENOTSUPP } from './errno.ts';
import { skbState } from './skb-state.ts';

// BPF_FUNC_l3_csum_replace / BPF_FUNC_l4_csum_replace flags.
export const BPF_F_HDR_FIELD_MASK = 0xfn;
export const BPF_F_PSEUDO_HDR = 1n << 4n;
export const BPF_F_MARK_MANGLED_0 = 1n << 5n;
export const BPF_F_MARK_ENFORCE = 1n << 6n;
export const BPF_F_IPV6 = 1n << 7n;
/** CSUM_MANGLED_0: a UDP checksum that came out 0 is sent as 0xffff (0 means "no checksum"). */
export const CSUM_MANGLED_0 = 0xffff;
export const BPF_CSUM_LEVEL_QUERY = 0n;
export const BPF_CSUM_LEVEL_INC = 1n;
export const BPF_CSUM_LEVEL_DEC = 2n;
export const BPF_CSUM_LEVEL_RESET = 3n;
/** SKB_MAX_CSUM_LEVEL (include/linux/skbuff.h). */
const SKB_MAX_CSUM_LEVEL = 3;

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed). Since Linux 6.13 the helper has no size
 * checks of its own (the verifier bounds both buffers) and returns the folded 16-bit sum.
 */
function csumDiffHelper(c: HelperContext): number {
  const fromSize = u32(c, 2);
  const toSize = u32(c, 4);
  const from = fromSize ? readBytes(c, c.arg(1), fromSize) : new Uint8Array(0);
  const to = toSize ? readBytes(c, c.arg(3), toSize) : new Uint8Array(0);
  return csumDiff(from, to, u32(c, 5));
}

/** The checksum field at skb->data + offset, after the kernel's offset and length checks. */
function csumField(c: HelperContext, helper: string): { at: number; view: DataView } | number {
  const skb = skbOf(c, helper);
  const offset = u32(c, 2);
  if (offset > 0xffff || offset & 1) return EFAULT;
  // bpf_try_make_writable(skb, offset + 2) fails past the end of the packet.
  if (offset + 2 > skb.pkt.len) return EFAULT;
  const pkt = skb.pkt;
  return { at: pkt.data + offset, view: new DataView(pkt.buf.buffer, pkt.buf.byteOffset, pkt.buf.byteLength) };
}

/** bpf_l3_csum_replace(skb, offset, from, to, flags) */
function l3CsumReplace(c: HelperContext): number {
  const from = c.arg(3), to = c.arg(4), flags = c.arg(5);
  if (flags & ~BPF_F_HDR_FIELD_MASK) return EINVAL;
  const f = csumField(c, 'bpf_l3_csum_replace');
  if (typeof f === 'number') return f;
  const sum = f.view.getUint16(f.at, true);
  let out: number;
  switch (flags & BPF_F_HDR_FIELD_MASK) {
    case 0n:
      if (from !== 0n) return EINVAL;
      out = csumReplaceByDiff(sum, Number(to & 0xffff_ffffn));
      break;
    case 2n:
      out = csumReplace2(sum, Number(from & 0xffffn), Number(to & 0xffffn));
      break;
    case 4n:
      out = csumReplace4(sum, Number(from & 0xffff_ffffn), Number(to & 0xffff_ffffn));
      break;
    default:
      return EINVAL;
  }
  f.view.setUint16(f.at, out, true);
  return 0;
}

/** bpf_l4_csum_replace(skb, offset, from, to, flags) */
function l4CsumReplace(c: HelperContext): number {
  const from = c.arg(3), to = c.arg(4), flags = c.arg(5);
  const isPseudo = (flags & BPF_F_PSEUDO_HDR) !== 0n;
  const isMmzero = (flags & BPF_F_MARK_MANGLED_0) !== 0n;
  const doMforce = (flags & BPF_F_MARK_ENFORCE) !== 0n;
  const isIpv6 = (flags & BPF_F_IPV6) !== 0n;
  if (flags & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6)) return EINVAL;
  const f = csumField(c, 'bpf_l4_csum_replace');
  if (typeof f === 'number') return f;
  const skb = skbState(skbOf(c, 'bpf_l4_csum_replace'));
  const sum = f.view.getUint16(f.at, true);
  // A zero UDP checksum means "none": leave it alone unless told to enforce.
  if (isMmzero && !doMforce && sum === 0) return 0;
  let out: number;
  switch (flags & BPF_F_HDR_FIELD_MASK) {
    case 0n:
      if (from !== 0n) return EINVAL;
      out = inetProtoCsumReplaceByDiff(sum, skb, Number(to & 0xffff_ffffn), isPseudo, isIpv6);
      break;
    case 2n:
      out = inetProtoCsumReplace2(sum, skb, Number(from & 0xffffn), Number(to & 0xffffn), isPseudo);
      break;
    case 4n:
      out = inetProtoCsumReplace4(sum, skb, Number(from & 0xffff_ffffn), Number(to & 0xffff_ffffn), isPseudo);
      break;
    default:
      return EINVAL;
  }
  if (isMmzero && out === 0) out = CSUM_MANGLED_0;
  f.view.setUint16(f.at, out, true);
  return 0;
}

/** bpf_csum_update(skb, csum): add to skb->csum of a CHECKSUM_COMPLETE skb; returns the new sum. */
function csumUpdate(c: HelperContext): number {
  const s = skbState(skbOf(c, 'bpf_csum_update'));
  if (s.ipSummed !== CHECKSUM_COMPLETE) return ENOTSUPP;
  s.csum = csumAdd(s.csum, u32(c, 2));
  return s.csum;
}

/** bpf_csum_level(skb, level) */
function csumLevel(c: HelperContext): number {
  const s = skbState(skbOf(c, 'bpf_csum_level'));
  switch (c.arg(2)) {
    case BPF_CSUM_LEVEL_INC:
      if (s.ipSummed === CHECKSUM_UNNECESSARY) {
        if (s.csumLevel < SKB_MAX_CSUM_LEVEL) s.csumLevel++;
      } else if (s.ipSummed === CHECKSUM_NONE) {
        s.ipSummed = CHECKSUM_UNNECESSARY;
        s.csumLevel = 0;
      }
      return 0;
    case BPF_CSUM_LEVEL_DEC:
      if (s.ipSummed === CHECKSUM_UNNECESSARY) {
        if (s.csumLevel === 0) s.ipSummed = CHECKSUM_NONE;
        else s.csumLevel--;
      }
      return 0;
    case BPF_CSUM_LEVEL_RESET:
      if (s.ipSummed === CHECKSUM_UNNECESSARY) {
        s.ipSummed = CHECKSUM_NONE;
        s.csumLevel = 0;
      }
      return 0;
    case BPF_CSUM_LEVEL_QUERY:
      return s.ipSummed === CHECKSUM_UNNECESSARY ? s.csumLevel : EACCES;
    default:
      return EINVAL;
  }
}

export const CHECKSUM_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [28, csumDiffHelper],
  [10, l3CsumReplace],
  [11, l4CsumReplace],
  [40, csumUpdate],
  [135, csumLevel],
]);
