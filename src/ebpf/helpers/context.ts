/**
 * What every helper needs from a call: the run's environment, typed argument registers, the
 * live map behind a map argument, and the program's context objects. Helpers fail loudly
 * (HelperError, which the engine turns into a VmError naming the helper) when a run lacks what
 * the kernel's verifier would have guaranteed: a context of the right type, a real map.
 */
import type { ProgEnv } from '../runtime/env.ts';
import type { SkbCtx } from '../ctx/skb.ts';
import type { PacketBuf } from '../ctx/packet.ts';
import type { HelperContext } from '../vm/engine.ts';
import { TAG_BASE } from '../vm/memory.ts';
import type { BpfMap } from '../maps/index.ts';

/** A helper called in a run that cannot support it (the verifier would have refused the program). */
export class HelperError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelperError';
  }
}

export function envOf(c: HelperContext): ProgEnv {
  const env = c.env as ProgEnv | undefined;
  if (env === undefined || env === null || typeof env !== 'object') throw new HelperError('the run has no program environment');
  return env;
}

/** Argument register as an unsigned 32-bit number (a u32 parameter). */
export const u32 = (c: HelperContext, i: number): number => c.argLo(i) >>> 0;
/** Argument register as a signed 32-bit number (an int parameter). */
export const s32 = (c: HelperContext, i: number): number => c.argLo(i) | 0;

/** The map a map-pointer argument names (what LD_IMM64 BPF_PSEUDO_MAP_FD loaded). */
export function mapArg(c: HelperContext, i: number, helper: string): BpfMap {
  // Fast path: a map handle is offset 0 of a 'map' region whose owner is the map (no BigInt needed).
  const r = c.argLo(i) === 0 ? c.mem.regions[c.argHi(i) - TAG_BASE] : undefined;
  if (r?.kind === 'map' && r.owner !== undefined) return r.owner as BpfMap;
  const map = envOf(c).mapOf(c.arg(i));
  if (map === undefined) throw new HelperError(`${helper}: argument ${i} is not a map`);
  return map;
}

/** A map argument that must be of one class (the verifier checks the map type of each helper). */
export function mapArgOf<T extends BpfMap>(c: HelperContext, i: number, helper: string, cls: abstract new (...args: never[]) => T, what: string): T {
  const map = mapArg(c, i, helper);
  if (!(map instanceof cls)) throw new HelperError(`${helper}: map '${map.def.name}' (${map.def.type}) is not ${what}`);
  return map;
}

export function skbOf(c: HelperContext, helper: string): SkbCtx {
  const skb = envOf(c).skb;
  if (skb === undefined) throw new HelperError(`${helper}: the program has no __sk_buff context (program type ${envOf(c).progType})`);
  // The helper may write the packet directly: the datapath must copy it back (PacketBuf.changedSinceReset).
  skb.pkt.touched = true;
  return skb;
}

/** The XDP frame of the run. */
export function xdpPkt(c: HelperContext, helper: string): PacketBuf {
  const env = envOf(c);
  const pkt = env.xdp?.pkt ?? (env.skb === undefined ? env.pkt : undefined);
  if (pkt === undefined) throw new HelperError(`${helper}: the program has no xdp_md context (program type ${env.progType})`);
  pkt.touched = true;
  return pkt;
}

export const isXdp = (env: ProgEnv): boolean => env.progType === 'BPF_PROG_TYPE_XDP';

/** Copy out `len` bytes at a program address (checked by the memory model). */
export const readBytes = (c: HelperContext, addr: bigint, len: number): Uint8Array => c.mem.read(addr, len).slice();

/** A copy of `len` bytes at the address in argument register i (no BigInt on the way). */
export const readArgBytes = (c: HelperContext, i: number, len: number): Uint8Array => c.mem.readHiLo(c.argHi(i), c.argLo(i), len).slice();

/**
 * A NUL-terminated string at addr, as strncpy_from_kernel_nofault(dst, addr, max + 1) copies it:
 * at most `max` characters (then truncated), and undefined — a fault — if a byte it must read
 * (up to the NUL, or the (max+1)-th byte) is not readable program memory.
 */
export function readCString(c: HelperContext, addr: bigint, max: number): Uint8Array | undefined {
  const r = c.mem.regionOf(addr);
  if (r === undefined || !r.readable) return undefined;
  const off = Number(addr & 0xffff_ffffn);
  if (off < r.start) return undefined;
  for (let n = 0; ; n++) {
    if (off + n >= r.end) return undefined;
    if (r.bytes[off + n] === 0 || n === max) return r.bytes.slice(off, off + n);
  }
}
