/**
 * Internet checksum arithmetic exactly as the kernel does it on x86-64, bit for bit:
 * include/net/checksum.h (csum_add, csum_sub, csum16_add, csum_replace2/4, csum_replace_by_diff,
 * csum_from32to16), include/asm-generic/checksum.h (csum_fold) and arch/x86/lib/csum-partial_64.c
 * (csum_partial). Ones'-complement sums have two zeros (0 and all-ones); which one comes out
 * depends on the exact sequence of operations, and programs see the difference, so each function
 * here follows its kernel counterpart step by step rather than "the same sum".
 *
 * Values are plain numbers: a __wsum is an unsigned 32-bit value, a __sum16 an unsigned 16-bit
 * value, both in host (little-endian) order, the way a BPF program holds a big-endian field it
 * loaded from the packet.
 */

const TWO32 = 0x1_0000_0000;

/** csum_add: 32-bit add with the carry folded back in. */
export function csumAdd(csum: number, addend: number): number {
  const res = (csum >>> 0) + (addend >>> 0);
  return res >= TWO32 ? res - TWO32 + 1 : res;
}

/** csum_sub: csum_add of the complement. */
export function csumSub(csum: number, addend: number): number {
  return csumAdd(csum, ~addend >>> 0);
}

/** csum_fold: 32-bit partial sum to the final, complemented 16-bit checksum. */
export function csumFold(csum: number): number {
  let sum = csum >>> 0;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** csum_from32to16: fold a 32-bit partial sum to 16 bits, without complementing. */
export function csumFrom32to16(csum: number): number {
  const sum = csum >>> 0;
  const x = (sum & 0xffff) + (sum >>> 16);
  return (x & 0xffff) + (x >>> 16);
}

/** csum16_add: 16-bit add with the carry folded back in. */
export function csum16Add(csum: number, addend: number): number {
  const a = addend & 0xffff;
  const res = ((csum & 0xffff) + a) & 0xffff;
  return (res + (res < a ? 1 : 0)) & 0xffff;
}

export function csum16Sub(csum: number, addend: number): number {
  return csum16Add(csum, ~addend & 0xffff);
}

/** csum_replace2: update a checksum for one changed 16-bit word (RFC 1624 eqn. 3, in 16 bits). */
export function csumReplace2(sum: number, from: number, to: number): number {
  return ~csum16Add(csum16Sub(~sum & 0xffff, from), to) & 0xffff;
}

/** csum_replace4: update a checksum for one changed 32-bit word. */
export function csumReplace4(sum: number, from: number, to: number): number {
  // ~csum_unfold(*sum) complements the zero-extended 16-bit value, so the high half becomes 0xffff.
  const tmp = csumSub(~(sum & 0xffff) >>> 0, from);
  return csumFold(csumAdd(tmp, to));
}

/** csum_replace_by_diff: apply a 32-bit checksum difference (from bpf_csum_diff) to a checksum. */
export function csumReplaceByDiff(sum: number, diff: number): number {
  return csumFold(csumAdd(diff, ~(sum & 0xffff) >>> 0));
}

/**
 * csum_partial as arch/x86/lib/csum-partial_64.c computes it: the bytes are summed as
 * little-endian 64-bit words (the tail zero-padded) with add-with-carry into a 64-bit
 * accumulator seeded with `seed`, then folded to 32 bits. An add-with-carry chain yields 0 only
 * when every input is 0, and otherwise the one representative of the sum modulo 2^n - 1 in
 * [1, 2^n - 1]; the same holds after the fold. So the result is that representative modulo
 * 2^32 - 1 of seed + the little-endian 32-bit words, or 0 when that sum is 0.
 */
export function csumPartial(bytes: Uint8Array, seed = 0): number {
  let total = seed >>> 0;
  const n = bytes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) total += (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
  let tail = 0;
  for (let k = 0; i + k < n; k++) tail += bytes[i + k] * 2 ** (8 * k);
  total += tail;
  // total < 2^53 for any buffer below 2 MB: exact in a double.
  return total === 0 ? 0 : ((total - 1) % 0xffff_ffff) + 1;
}

/** Kernel skb->ip_summed states (include/linux/skbuff.h). */
export const CHECKSUM_NONE = 0;
export const CHECKSUM_UNNECESSARY = 1;
export const CHECKSUM_COMPLETE = 2;
export const CHECKSUM_PARTIAL = 3;

/** The skb checksum state the inet_proto_csum_* helpers consult and update. */
export interface SkbCsumState {
  ipSummed: number;
  /** skb->csum (CHECKSUM_COMPLETE: the sum over the packet from the network header). */
  csum: number;
}

/** inet_proto_csum_replace4 (net/core/utils.c). Returns the new checksum field. */
export function inetProtoCsumReplace4(sum: number, skb: SkbCsumState, from: number, to: number, pseudohdr: boolean): number {
  if (skb.ipSummed !== CHECKSUM_PARTIAL) {
    const out = csumReplace4(sum, from, to);
    if (skb.ipSummed === CHECKSUM_COMPLETE && pseudohdr) {
      skb.csum = ~csumAdd(csumSub(~skb.csum >>> 0, from), to) >>> 0;
    }
    return out;
  }
  if (pseudohdr) return ~csumFold(csumAdd(csumSub(sum & 0xffff, from), to)) & 0xffff;
  return sum & 0xffff;
}

/** inet_proto_csum_replace2: the 16-bit values widen to 32 bits and take the 32-bit path. */
export function inetProtoCsumReplace2(sum: number, skb: SkbCsumState, from: number, to: number, pseudohdr: boolean): number {
  return inetProtoCsumReplace4(sum, skb, from & 0xffff, to & 0xffff, pseudohdr);
}

/** inet_proto_csum_replace_by_diff (net/core/utils.c, with the IPv6 flag of Linux 6.16). */
export function inetProtoCsumReplaceByDiff(sum: number, skb: SkbCsumState, diff: number, pseudohdr: boolean, ipv6: boolean): number {
  if (skb.ipSummed !== CHECKSUM_PARTIAL) {
    const out = csumReplaceByDiff(sum, diff);
    if (skb.ipSummed === CHECKSUM_COMPLETE && pseudohdr && !ipv6) skb.csum = ~csumSub(diff, skb.csum) >>> 0;
    return out;
  }
  if (pseudohdr) return ~csumFold(csumAdd(sum & 0xffff, diff)) & 0xffff;
  return sum & 0xffff;
}

/**
 * bpf_csum_diff's arithmetic (net/core/filter.c, Linux 6.13+): the sum of `to` minus the sum of
 * `from`, seeded, folded to 16 bits — checked against Linux 6.18. Kernels before 6.13 returned
 * csum_partial() of the complemented `from` words and the `to` words, unfolded.
 */
export function csumDiff(from: Uint8Array, to: Uint8Array, seed: number): number {
  let ret = seed >>> 0;
  if (from.length > 0 && to.length > 0) ret = csumSub(csumPartial(to, ret), csumPartial(from, 0));
  else if (to.length > 0) ret = csumPartial(to, ret);
  else if (from.length > 0) ret = ~csumPartial(from, ~ret >>> 0) >>> 0;
  return csumFrom32to16(ret);
}

/** RFC 1071 checksum of a buffer (big-endian 16-bit words), complemented: what a header's checksum field holds. */
export function ipChecksum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
