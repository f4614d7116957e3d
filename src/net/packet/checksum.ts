/**
 * The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of 16-bit
 * big-endian words; an odd trailing byte is padded with zero. TCP, UDP and ICMPv6 also sum a
 * pseudo-header (RFC 793 §3.1 / RFC 768 for IPv4, RFC 8200 §8.1 for IPv6).
 *
 * Sums are kept unfolded in a double (exact far past any packet size) and folded once.
 */

/** Unfolded sum of the 16-bit words of b[start, end), added to `initial`. */
export function onesSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  return sum;
}

/** Fold to 16 bits and complement: the value to store in a checksum field. */
export function foldComplement(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** A buffer whose checksum field is correct sums to 0xffff; this says whether it does. */
export function sumVerifies(sum: number): boolean {
  return foldComplement(sum) === 0;
}

/** IPv4 pseudo-header: src, dst, zero, protocol, upper-layer length. */
export function pseudoSum4(b: Uint8Array, srcOff: number, dstOff: number, protocol: number, length: number): number {
  return onesSum(b, srcOff, srcOff + 4, onesSum(b, dstOff, dstOff + 4)) + protocol + length;
}

/** IPv6 pseudo-header: src, dst, 32-bit upper-layer length, next header. */
export function pseudoSum6(b: Uint8Array, srcOff: number, dstOff: number, nextHeader: number, length: number): number {
  return onesSum(b, srcOff, srcOff + 16, onesSum(b, dstOff, dstOff + 16)) + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}
