/** Transport checksums over the pseudo-header of the enclosing IPv4 or IPv6 header. */
import { onesSum, pseudoSum4, pseudoSum6 } from './checksum.ts';
import type { L4Context } from './layer.ts';

/** Unfolded sum of pseudo-header plus the `ctx.length` bytes of segment at `off`. */
export function l4Sum(ctx: L4Context, off: number, protocol: number): number {
  const { buf, srcOff, dstOff, length } = ctx;
  const pseudo =
    ctx.family === 4 ? pseudoSum4(buf, srcOff, dstOff, protocol, length) : pseudoSum6(buf, srcOff, dstOff, protocol, length);
  return onesSum(buf, off, off + length, pseudo);
}
